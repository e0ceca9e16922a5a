package dev.chorus.core.select;

import dev.chorus.core.metrics.ClassificationMetrics;

/**
 * A classifier's prediction of one labelled example as model selection scores it, the train job's selection and
 * {@link VariantRace} alike: the log loss of the true class, clipped as the prequential metrics clip it
 * ({@link ClassificationMetrics#exampleLogLoss}, or {@link ClassificationMetrics#exampleTopKLogLoss} for a prediction
 * that carries only its top k classes), and whether its predicted class is the label (its 0/1 loss, which drift
 * detectors take).
 *
 * <p>A prediction with a probability that is not finite (a diverged model's) scores the worst,
 * {@link ClassificationMetrics#WORST_LOG_LOSS} and not correct, so a variant whose model diverged loses every example
 * it predicts: its arg max would count by accident (a NaN row's is class 0), and so would the true class's
 * probability (an infinite one clips to a perfect score).
 */
public record ClassifierLoss(double logLoss, boolean correct) {

  /** What a prediction that is not finite scores. */
  public static final ClassifierLoss WORST = new ClassifierLoss(ClassificationMetrics.WORST_LOG_LOSS, false);

  /**
   * The loss of the row {@code probabilities[offset .. offset + numClasses)} that predicted class
   * {@code predictedClass} (-1: none) of an example labelled {@code label}.
   *
   * @throws IllegalArgumentException if {@code label} is outside {@code [0, numClasses)}
   */
  public static ClassifierLoss of(float[] probabilities, int offset, int numClasses, int predictedClass, int label) {
    if (!finite(probabilities, offset, numClasses)) {
      return WORST;
    }
    return new ClassifierLoss(ClassificationMetrics.exampleLogLoss(probabilities, offset, numClasses, label),
        predictedClass == label);
  }

  /**
   * The loss of a prediction of {@code numClasses} classes that carries only its top k, {@code topClasses} with
   * {@code topProbabilities}, and predicted class {@code predictedClass} (-1: none), of an example labelled
   * {@code label}.
   *
   * @throws IllegalArgumentException as {@link ClassificationMetrics#exampleTopKLogLoss} does for a finite prediction
   */
  public static ClassifierLoss ofTopK(int[] topClasses, float[] topProbabilities, int numClasses, int predictedClass,
      int label) {
    if (!finite(topProbabilities, 0, topProbabilities.length)) {
      return WORST;
    }
    return new ClassifierLoss(ClassificationMetrics.exampleTopKLogLoss(topClasses, topProbabilities, numClasses,
        label), predictedClass == label);
  }

  private static boolean finite(float[] values, int offset, int length) {
    for (int i = offset, end = offset + length; i < end; i++) {
      if (!Float.isFinite(values[i])) {
        return false;
      }
    }
    return true;
  }
}
