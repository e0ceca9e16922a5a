package dev.chorus.core.loss;

import java.util.Arrays;

/**
 * Squared error for a classifier: half the squared distance between the softmax probabilities {@code p} and
 * the target distribution {@code t} (one-hot for a label), {@code loss = ½·Σⱼ (pⱼ − tⱼ)²}, half of Brier's
 * score ("Verification of forecasts expressed in terms of probability", 1950). Its gradient with respect to
 * the logits goes through the softmax Jacobian: with {@code g = p − t},
 * {@code ∂loss/∂zₖ = pₖ·(gₖ − Σⱼ pⱼ·gⱼ)}. It is bounded, hence robust to label noise, but learns more slowly
 * than cross-entropy from confident mistakes, whose gradient vanishes, so model specs ask for it by this
 * name rather than accept regression's {@code "squared-error"} on a classifier.
 */
public final class SoftmaxSquaredError implements ClassificationLoss {

  public static final String NAME = "softmax-squared-error";
  public static final SoftmaxSquaredError INSTANCE = new SoftmaxSquaredError();

  private SoftmaxSquaredError() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int outputDim(int numClasses) {
    return numClasses;
  }

  @Override
  public double lossAndGradient(float[] outputs, int rows, int classes, int[] labels, float[] weights,
      float[] gradient) {
    return compute(outputs, rows, classes, labels, null, weights, gradient);
  }

  @Override
  public boolean supportsSoftTargets() {
    return true;
  }

  @Override
  public double softLossAndGradient(float[] outputs, int rows, int classes, float[] targets, float[] weights,
      float[] gradient) {
    return compute(outputs, rows, classes, null, targets, weights, gradient);
  }

  /** Exactly one of {@code labels} and {@code targets} is non-null. */
  private static double compute(float[] outputs, int rows, int classes, int[] labels, float[] targets,
      float[] weights, float[] gradient) {
    double totalWeight = ExampleWeights.total(weights, rows);
    if (totalWeight == 0) {
      Arrays.fill(gradient, 0, rows * classes, 0f);
      return 0;
    }
    double total = 0;
    for (int i = 0; i < rows; i++) {
      int row = i * classes;
      double logSumExp = SoftmaxCrossEntropy.logSumExp(outputs, row, classes);
      double scale = ExampleWeights.share(weights, i, totalWeight);
      double loss = 0;
      double pDotG = 0;
      // First pass: p and g = p − t into the gradient buffer, and Σ p·g; second pass: the Jacobian product.
      for (int j = 0; j < classes; j++) {
        double p = Math.exp(outputs[row + j] - logSumExp);
        double t = targets != null ? targets[row + j] : (j == labels[i] ? 1 : 0);
        double g = p - t;
        loss += g * g;
        pDotG += p * g;
        gradient[row + j] = (float) g;
      }
      total += scale * 0.5 * loss;
      for (int j = 0; j < classes; j++) {
        double p = Math.exp(outputs[row + j] - logSumExp);
        gradient[row + j] = (float) (scale * p * (gradient[row + j] - pDotG));
      }
    }
    return total;
  }

  @Override
  public void probabilities(float[] outputs, int offset, int classes, float[] probabilities) {
    SoftmaxCrossEntropy.softmax(outputs, offset, classes, probabilities);
  }
}
