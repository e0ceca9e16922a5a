package dev.chorus.core.metrics;

import java.util.Arrays;

/**
 * Metrics over whole arrays of predictions and true class labels. Every method takes the predictions
 * first and the truth second. Per-class precision, recall, specificity and F1 come from
 * {@link ConfusionMatrix}.
 *
 * <p>Class probabilities are row-major {@code n × numClasses} float arrays, the layout
 * {@code OnlineLearner.predictProba} writes one row of.
 */
public final class ClassificationMetrics {

  /**
   * Probabilities are clipped to {@code [LOG_LOSS_EPSILON, 1 − LOG_LOSS_EPSILON]} before the logarithm, so a
   * confident wrong prediction costs {@code −ln(1e-15) ≈ 34.5} instead of infinity (scikit-learn's
   * historical default).
   */
  public static final double LOG_LOSS_EPSILON = 1e-15;

  /** The clipped log loss of probability 0, {@code −ln(1e-15) ≈ 34.5}: the most {@link #exampleLogLoss} costs. */
  public static final double WORST_LOG_LOSS = -Math.log(LOG_LOSS_EPSILON);

  private ClassificationMetrics() {}

  /**
   * The fraction of positions where {@code predicted} equals {@code actual}.
   *
   * @throws IllegalArgumentException if the arrays differ in length or are empty
   */
  public static double accuracy(int[] predicted, int[] actual) {
    requireSameLength("accuracy", predicted.length, actual.length);
    requireNonEmpty("accuracy", predicted.length);
    int correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      if (predicted[i] == actual[i]) {
        correct++;
      }
    }
    return (double) correct / predicted.length;
  }

  /**
   * The mean of {@link #exampleLogLoss} over the rows of {@code probabilities}.
   *
   * @param probabilities row-major {@code actual.length × numClasses}
   * @throws IllegalArgumentException if the shapes disagree, there are no examples or a label is out of range
   */
  public static double logLoss(float[] probabilities, int[] actual, int numClasses) {
    requireNonEmpty("logLoss", actual.length);
    requireRows("logLoss", probabilities, actual.length, numClasses);
    double sum = 0;
    for (int i = 0; i < actual.length; i++) {
      sum += exampleLogLoss(probabilities, i * numClasses, numClasses, actual[i]);
    }
    return sum / actual.length;
  }

  /**
   * {@code −ln p}, where {@code p} is the probability that row {@code probabilities[offset .. offset + numClasses)}
   * gives to class {@code actual}, clipped to {@code [LOG_LOSS_EPSILON, 1 − LOG_LOSS_EPSILON]}. The row is
   * not renormalised: a model's softmax output already sums to 1 up to rounding.
   */
  public static double exampleLogLoss(float[] probabilities, int offset, int numClasses, int actual) {
    if (actual < 0 || actual >= numClasses) {
      throw new IllegalArgumentException("logLoss: actual class must be in [0, " + numClasses + "), got " + actual);
    }
    double p = probabilities[offset + actual];
    if (Double.isNaN(p)) {
      throw new IllegalArgumentException("logLoss: probability of class " + actual + " at offset " + offset + " is NaN");
    }
    return -Math.log(Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON));
  }

  /**
   * {@link #exampleLogLoss} of a prediction that carries only its k most probable classes {@code topClasses} and
   * their probabilities {@code topProbabilities}, of {@code numClasses} classes: {@code −ln p}, clipped alike, where
   * {@code p} is the probability the prediction gives class {@code actual} when it is among the top k, and else the
   * mass the top k leave, {@code 1 − Σ topProbabilities} (0 if rounding made it negative), spread evenly over the
   * {@code numClasses − k} classes outside them. That share is at most the k-th probability (each class outside the
   * top k has at most that), so a true class outside the top k never costs less than the top k's last would have;
   * and it is the model's probability of the class when its tail is flat, a lower bound of the mean loss over the
   * tail's classes otherwise (ln is concave). A model sure of a wrong class leaves little mass and pays for it.
   *
   * @throws IllegalArgumentException if {@code actual} is outside {@code [0, numClasses)}, the two arrays differ in
   *     length, the probability read is NaN, or {@code actual} is outside the top k and they name every class
   */
  public static double exampleTopKLogLoss(int[] topClasses, float[] topProbabilities, int numClasses, int actual) {
    if (actual < 0 || actual >= numClasses) {
      throw new IllegalArgumentException("logLoss: actual class must be in [0, " + numClasses + "), got " + actual);
    }
    if (topClasses.length != topProbabilities.length) {
      throw new IllegalArgumentException("logLoss: expected a probability for each of the " + topClasses.length
          + " top classes, got " + topProbabilities.length);
    }
    double p = Double.NaN;
    double top = 0;
    for (int j = 0; j < topClasses.length; j++) {
      top += topProbabilities[j];
      if (topClasses[j] == actual && Double.isNaN(p)) {
        p = topProbabilities[j];
        if (Double.isNaN(p)) {
          throw new IllegalArgumentException("logLoss: probability of class " + actual + " at rank " + j + " is NaN");
        }
      }
    }
    if (Double.isNaN(p)) {
      int outside = numClasses - topClasses.length;
      if (outside < 1) {
        throw new IllegalArgumentException("logLoss: actual class " + actual + " is not among the top "
            + topClasses.length + " of " + numClasses + " classes, and no class is outside them");
      }
      if (Double.isNaN(top)) {
        throw new IllegalArgumentException("logLoss: the top " + topClasses.length + " probabilities sum to NaN");
      }
      p = Math.max(0, 1 - top) / outside;
    }
    return -Math.log(Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON));
  }

  /**
   * The area under the ROC curve of a binary problem: the probability that a random positive scores higher
   * than a random negative, a tie counting one half. This is the Mann–Whitney statistic
   * {@code U = Σ over positives p of (#negatives scoring below p + ½·#negatives scoring equal to p)} divided
   * by {@code n₊·n₋}, which equals the rank formula {@code (R₊ − n₊(n₊+1)/2) / (n₊·n₋)} with tied scores
   * sharing their mean rank. Computed exactly in {@code O(n log n)} by sorting each class's scores and
   * walking them together.
   *
   * @param scores higher means more likely positive; not NaN
   * @param positive whether each example belongs to the positive class
   * @throws IllegalArgumentException if the lengths differ, a score is NaN, or either class is absent
   *     (the AUC is then undefined)
   */
  public static double rocAuc(double[] scores, boolean[] positive) {
    requireSameLength("rocAuc", scores.length, positive.length);
    int n = scores.length;
    int positives = 0;
    for (int i = 0; i < n; i++) {
      if (Double.isNaN(scores[i])) {
        throw new IllegalArgumentException("rocAuc: score of example " + i + " is NaN");
      }
      positives += positive[i] ? 1 : 0;
    }
    int negatives = n - positives;
    if (positives == 0 || negatives == 0) {
      throw new IllegalArgumentException("rocAuc: needs at least one positive and one negative example, got "
          + positives + " positive and " + negatives + " negative");
    }
    double[] positiveScores = new double[positives];
    double[] negativeScores = new double[negatives];
    for (int i = 0, p = 0, q = 0; i < n; i++) {
      if (positive[i]) {
        positiveScores[p++] = scores[i];
      } else {
        negativeScores[q++] = scores[i];
      }
    }
    Arrays.sort(positiveScores);
    Arrays.sort(negativeScores);
    // below: negatives scoring < the current positive; notAbove: negatives scoring <= it. Both only grow.
    long twiceU = 0;
    int below = 0;
    int notAbove = 0;
    for (double score : positiveScores) {
      while (below < negatives && negativeScores[below] < score) {
        below++;
      }
      notAbove = Math.max(notAbove, below);
      while (notAbove < negatives && negativeScores[notAbove] <= score) {
        notAbove++;
      }
      // Counting in halves keeps U exact in a long: 2U = Σ (below + notAbove).
      twiceU += below + notAbove;
    }
    return twiceU / (2.0 * positives * negatives);
  }

  /**
   * The unweighted mean over classes of the one-vs-rest {@link #rocAuc} (class {@code c}'s probability as the
   * score, "actual is {@code c}" as positive). Classes with no positive or no negative example have no
   * AUC and are left out of the mean, so a class missing from a short evaluation window does not fail it.
   *
   * @param probabilities row-major {@code actual.length × numClasses}
   * @throws IllegalArgumentException if the shapes disagree, a label is out of range, or no class has both
   *     positive and negative examples
   */
  public static double rocAucOneVsRest(float[] probabilities, int[] actual, int numClasses) {
    requireRows("rocAucOneVsRest", probabilities, actual.length, numClasses);
    int n = actual.length;
    int[] perClass = new int[numClasses];
    for (int i = 0; i < n; i++) {
      if (actual[i] < 0 || actual[i] >= numClasses) {
        throw new IllegalArgumentException(
            "rocAucOneVsRest: actual class of example " + i + " must be in [0, " + numClasses + "), got " + actual[i]);
      }
      perClass[actual[i]]++;
    }
    double[] scores = new double[n];
    boolean[] positive = new boolean[n];
    double sum = 0;
    int defined = 0;
    for (int c = 0; c < numClasses; c++) {
      if (perClass[c] == 0 || perClass[c] == n) {
        continue;
      }
      for (int i = 0; i < n; i++) {
        scores[i] = probabilities[i * numClasses + c];
        positive[i] = actual[i] == c;
      }
      sum += rocAuc(scores, positive);
      defined++;
    }
    if (defined == 0) {
      throw new IllegalArgumentException("rocAucOneVsRest: no class has both positive and negative examples among "
          + n + " examples");
    }
    return sum / defined;
  }

  static void requireSameLength(String what, int predicted, int actual) {
    if (predicted != actual) {
      throw new IllegalArgumentException(what + ": predicted has " + predicted + " labels, actual has "
          + actual + "; expected equal lengths");
    }
  }

  static void requireNonEmpty(String what, int length) {
    if (length == 0) {
      throw new IllegalArgumentException(what + ": expected at least one label, got none");
    }
  }

  private static void requireRows(String what, float[] probabilities, int rows, int numClasses) {
    if (numClasses < 2) {
      throw new IllegalArgumentException(what + ": numClasses must be >= 2, got " + numClasses);
    }
    if (probabilities.length != (long) rows * numClasses) {
      throw new IllegalArgumentException(what + ": probabilities must hold " + rows + " × " + numClasses + " = "
          + (long) rows * numClasses + " floats (one row per label), got " + probabilities.length);
    }
  }
}
