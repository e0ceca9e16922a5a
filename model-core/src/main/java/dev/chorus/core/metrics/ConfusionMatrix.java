package dev.chorus.core.metrics;

import java.util.Arrays;
import java.util.function.IntToDoubleFunction;

/**
 * A {@code K × K} confusion matrix: cell {@code (actual, predicted)} counts the examples of true class
 * {@code actual} that were predicted as {@code predicted} (rows are true classes, as in the AnnotatorModel
 * contract), and the per-class and macro-averaged metrics that follow from it.
 *
 * <p>Counts are doubles so that weighted examples and the faded counts of {@link PrequentialConfusion}
 * share this class; whole-number counts stay exact up to 2<sup>53</sup>.
 *
 * <p>Undefined ratios are 0, as scikit-learn's {@code zero_division=0}: the precision of a class that was
 * never predicted ({@code TP + FP = 0}), the recall of a class that never occurred ({@code TP + FN = 0}),
 * the specificity of a class when every example belongs to it ({@code TN + FP = 0}) and the F1 of a class
 * with {@code TP + FP + FN = 0}. Macro averages are taken over the <em>present</em> classes, those that
 * occur as the true or the predicted class (scikit-learn's default {@code labels}), so that a class absent
 * from the evaluation does not pull the average towards 0: a class is present when its {@link #presence},
 * {@code TP + FP + FN}, the weight of the examples it is the true or the predicted class of, is above 0 and at
 * least the matrix's minimum presence. The minimum is 0 (any example makes its classes present) except in
 * faded counts ({@link #ofFadedCounts}), where no weight ever returns to 0 and a class the stream left long ago
 * would otherwise count, with the ratios it had then, for ever ({@link PrequentialConfusion#FADED_PRESENCE}).
 * With no examples at all every metric is {@code NaN}; a macro average is {@code NaN} when no class is present.
 *
 * <p>Not thread-safe.
 */
public final class ConfusionMatrix {

  private final int numClasses;
  private final double[] counts;
  /** The presence a class needs to count in the macro averages, besides being above 0. */
  private double minimumPresence;
  private double total;

  /** An empty matrix over {@code numClasses >= 2} classes. */
  public ConfusionMatrix(int numClasses) {
    if (numClasses < 2) {
      throw new IllegalArgumentException("ConfusionMatrix: numClasses must be >= 2, got " + numClasses);
    }
    this.numClasses = numClasses;
    this.counts = new double[Math.multiplyExact(numClasses, numClasses)];
  }

  /**
   * The matrix of two label arrays.
   *
   * @throws IllegalArgumentException if the arrays differ in length or a label is outside {@code [0, numClasses)}
   */
  public static ConfusionMatrix of(int[] predicted, int[] actual, int numClasses) {
    ClassificationMetrics.requireSameLength("ConfusionMatrix.of", predicted.length, actual.length);
    ConfusionMatrix matrix = new ConfusionMatrix(numClasses);
    for (int i = 0; i < predicted.length; i++) {
      matrix.add(predicted[i], actual[i]);
    }
    return matrix;
  }

  /**
   * A matrix holding a copy of {@code counts}, given row by row (row = true class).
   *
   * @throws IllegalArgumentException unless there are {@code numClasses²} finite, non-negative counts
   */
  public static ConfusionMatrix ofCounts(int numClasses, double... counts) {
    ConfusionMatrix matrix = new ConfusionMatrix(numClasses);
    if (counts.length != matrix.counts.length) {
      throw new IllegalArgumentException("ConfusionMatrix.ofCounts: expected " + numClasses + " × " + numClasses
          + " = " + matrix.counts.length + " counts, got " + counts.length);
    }
    for (int i = 0; i < counts.length; i++) {
      requireWeight("ConfusionMatrix.ofCounts: count (" + i / numClasses + ", " + i % numClasses + ")", counts[i]);
      matrix.counts[i] = counts[i];
      matrix.total += counts[i];
    }
    return matrix;
  }

  /**
   * A matrix of faded counts, as {@link #ofCounts}, whose macro averages count a class only when its
   * {@link #presence} is at least {@code minimumPresence}.
   *
   * @throws IllegalArgumentException as {@link #ofCounts}, or unless {@code minimumPresence} is finite and >= 0
   */
  public static ConfusionMatrix ofFadedCounts(int numClasses, double minimumPresence, double... counts) {
    requireWeight("ConfusionMatrix.ofFadedCounts: minimumPresence", minimumPresence);
    ConfusionMatrix matrix = ofCounts(numClasses, counts);
    matrix.minimumPresence = minimumPresence;
    return matrix;
  }

  /** Records one example of true class {@code actual} predicted as {@code predicted}. */
  public void add(int predicted, int actual) {
    add(predicted, actual, 1.0);
  }

  /** Records an example with a finite, non-negative {@code weight}. */
  public void add(int predicted, int actual, double weight) {
    requireClass("predicted", predicted);
    requireClass("actual", actual);
    requireWeight("ConfusionMatrix.add: weight", weight);
    counts[actual * numClasses + predicted] += weight;
    total += weight;
  }

  private void requireClass(String what, int label) {
    if (label < 0 || label >= numClasses) {
      throw new IllegalArgumentException(
          "ConfusionMatrix: " + what + " class must be in [0, " + numClasses + "), got " + label);
    }
  }

  private static void requireWeight(String what, double weight) {
    if (!(weight >= 0) || weight == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException(what + " must be finite and >= 0, got " + weight);
    }
  }

  public int numClasses() {
    return numClasses;
  }

  /** The count in row {@code actual}, column {@code predicted}. */
  public double count(int actual, int predicted) {
    requireClass("actual", actual);
    requireClass("predicted", predicted);
    return counts[actual * numClasses + predicted];
  }

  /** The sum of all counts. */
  public double total() {
    return total;
  }

  /** Examples of class {@code c} predicted as {@code c}. */
  public double truePositives(int c) {
    return count(c, c);
  }

  /** Examples of other classes predicted as {@code c}: column {@code c} minus the diagonal. */
  public double falsePositives(int c) {
    requireClass("class", c);
    double sum = 0;
    for (int actual = 0; actual < numClasses; actual++) {
      sum += actual == c ? 0 : counts[actual * numClasses + c];
    }
    return sum;
  }

  /** Examples of class {@code c} predicted as another class: row {@code c} minus the diagonal. */
  public double falseNegatives(int c) {
    requireClass("class", c);
    double sum = 0;
    for (int predicted = 0; predicted < numClasses; predicted++) {
      sum += predicted == c ? 0 : counts[c * numClasses + predicted];
    }
    return sum;
  }

  /**
   * Examples neither of class {@code c} nor predicted as {@code c}: the cells outside row and column {@code c},
   * summed (not the total less the others, which leaves rounding where there is nothing when counts are weighted).
   */
  public double trueNegatives(int c) {
    requireClass("class", c);
    double sum = 0;
    for (int actual = 0; actual < numClasses; actual++) {
      for (int predicted = 0; actual != c && predicted < numClasses; predicted++) {
        sum += predicted == c ? 0 : counts[actual * numClasses + predicted];
      }
    }
    return sum;
  }

  /** The diagonal's share of all counts; {@code NaN} when empty. */
  public double accuracy() {
    if (total == 0) {
      return Double.NaN;
    }
    double diagonal = 0;
    for (int c = 0; c < numClasses; c++) {
      diagonal += counts[c * numClasses + c];
    }
    return diagonal / total;
  }

  /** {@code TP / (TP + FP)}; 0 if {@code c} was never predicted; {@code NaN} when empty. */
  public double precision(int c) {
    return ratio(truePositives(c), truePositives(c) + falsePositives(c));
  }

  /** Recall, also called sensitivity or true-positive rate: {@code TP / (TP + FN)}; 0 if {@code c} never occurred. */
  public double recall(int c) {
    return ratio(truePositives(c), truePositives(c) + falseNegatives(c));
  }

  /** True-negative rate {@code TN / (TN + FP)}; 0 if every example is of class {@code c}. */
  public double specificity(int c) {
    return ratio(trueNegatives(c), trueNegatives(c) + falsePositives(c));
  }

  /** The harmonic mean of precision and recall, {@code 2TP / (2TP + FP + FN)}; 0 if that denominator is 0. */
  public double f1(int c) {
    return ratio(2 * truePositives(c), 2 * truePositives(c) + falsePositives(c) + falseNegatives(c));
  }

  private double ratio(double numerator, double denominator) {
    if (total == 0) {
      return Double.NaN;
    }
    return denominator == 0 ? 0 : numerator / denominator;
  }

  /** {@code TP + FP + FN}: the weight of the examples whose true or predicted class is {@code c}. */
  public double presence(int c) {
    return truePositives(c) + falsePositives(c) + falseNegatives(c);
  }

  /** Whether {@code c} counts in the macro averages: its {@link #presence} above 0 and at least the minimum. */
  public boolean present(int c) {
    double presence = presence(c);
    return presence > 0 && presence >= minimumPresence;
  }

  /** The unweighted mean of {@link #precision} over the present classes. */
  public double macroPrecision() {
    return macro(this::precision);
  }

  /** The unweighted mean of {@link #recall} over the present classes. */
  public double macroRecall() {
    return macro(this::recall);
  }

  /** The unweighted mean of {@link #specificity} over the present classes. */
  public double macroSpecificity() {
    return macro(this::specificity);
  }

  /** The unweighted mean of the per-class {@link #f1} over the present classes (not the F1 of the macro P and R). */
  public double macroF1() {
    return macro(this::f1);
  }

  private double macro(IntToDoubleFunction perClass) {
    if (total == 0) {
      return Double.NaN;
    }
    double sum = 0;
    int present = 0;
    for (int c = 0; c < numClasses; c++) {
      if (present(c)) {
        sum += perClass.applyAsDouble(c);
        present++;
      }
    }
    return present == 0 ? Double.NaN : sum / present;
  }

  /** A deep copy, minimum presence included. */
  public ConfusionMatrix copy() {
    return ofFadedCounts(numClasses, minimumPresence, counts);
  }

  /** The counts row by row (row = true class), as a new array. */
  public double[] counts() {
    return counts.clone();
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("ConfusionMatrix[rows = actual, columns = predicted]");
    for (int actual = 0; actual < numClasses; actual++) {
      text.append('\n').append(Arrays.toString(Arrays.copyOfRange(counts, actual * numClasses, (actual + 1) * numClasses)));
    }
    return text.toString();
  }
}
