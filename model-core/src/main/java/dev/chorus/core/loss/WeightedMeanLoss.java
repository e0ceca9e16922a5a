package dev.chorus.core.loss;

import java.util.Arrays;

/**
 * What the classification losses here share: the weighted mean {@code Σ wᵢ·lossᵢ / Σ wᵢ} of
 * {@link ClassificationLoss}, a zero loss and gradient when the weights sum to zero, and the outputs per example
 * (one score, or one per class). A subclass writes one example's loss and gradient ({@link #example}).
 */
abstract class WeightedMeanLoss implements ClassificationLoss {

  private final String name;
  private final boolean oneScore;

  /** A loss named {@code name} in model specs, on one score per example if {@code oneScore}, else one per class. */
  WeightedMeanLoss(String name, boolean oneScore) {
    this.name = name;
    this.oneScore = oneScore;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final int outputDim(int numClasses) {
    return oneScore ? 1 : numClasses;
  }

  @Override
  public final double lossAndGradient(float[] outputs, int rows, int numClasses, int[] labels, float[] weights,
      float[] gradient) {
    return weightedMean(outputs, rows, numClasses, labels, null, weights, gradient);
  }

  /** As {@link ClassificationLoss#softLossAndGradient}: refused unless {@link #supportsSoftTargets()}. */
  @Override
  public final double softLossAndGradient(float[] outputs, int rows, int numClasses, float[] targets,
      float[] weights, float[] gradient) {
    if (!supportsSoftTargets()) {
      return ClassificationLoss.super.softLossAndGradient(outputs, rows, numClasses, targets, weights, gradient);
    }
    return weightedMean(outputs, rows, numClasses, null, targets, weights, gradient);
  }

  /** The weighted mean against {@code labels} or, if null, against {@code targets}, with its gradient. */
  private double weightedMean(float[] outputs, int rows, int numClasses, int[] labels, float[] targets,
      float[] weights, float[] gradient) {
    double totalWeight = ExampleWeights.total(weights, rows);
    if (totalWeight == 0) {
      Arrays.fill(gradient, 0, rows * outputDim(numClasses), 0f);
      return 0;
    }
    double total = 0;
    for (int i = 0; i < rows; i++) {
      total += example(outputs, i, numClasses, labels, targets, ExampleWeights.share(weights, i, totalWeight),
          gradient);
    }
    return total;
  }

  /**
   * Example {@code i}'s loss times {@code scale} (its share of the mean), its gradient times {@code scale} written
   * into its outputs' places in {@code gradient}; exactly one of {@code labels} and {@code targets} is non-null.
   */
  abstract double example(float[] outputs, int i, int numClasses, int[] labels, float[] targets, double scale,
      float[] gradient);

  /** The two classes' probabilities, {@code 1 − p1} and {@code p1}, into {@code probabilities[0..2)}. */
  static void twoClasses(double p1, float[] probabilities) {
    probabilities[0] = (float) (1 - p1);
    probabilities[1] = (float) p1;
  }
}
