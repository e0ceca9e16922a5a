package dev.chorus.core.loss;

/**
 * Squared error for a classifier: half the squared distance between the softmax probabilities {@code p} and
 * the target distribution {@code t} (one-hot for a label), {@code loss = ½·Σⱼ (pⱼ − tⱼ)²}, half of Brier's
 * score ("Verification of forecasts expressed in terms of probability", 1950). Its gradient with respect to
 * the logits goes through the softmax Jacobian: with {@code g = p − t},
 * {@code ∂loss/∂zₖ = pₖ·(gₖ − Σⱼ pⱼ·gⱼ)}. It is bounded, hence robust to label noise, but learns more slowly
 * than cross-entropy from confident mistakes, whose gradient vanishes, so model specs ask for it by this
 * name rather than accept regression's {@code "squared-error"} on a classifier.
 */
public final class SoftmaxSquaredError extends WeightedMeanLoss {

  public static final String NAME = "softmax-squared-error";
  public static final SoftmaxSquaredError INSTANCE = new SoftmaxSquaredError();

  private SoftmaxSquaredError() {
    super(NAME, false);
  }

  @Override
  public boolean supportsSoftTargets() {
    return true;
  }

  @Override
  double example(float[] outputs, int i, int classes, int[] labels, float[] targets, double scale,
      float[] gradient) {
    int row = i * classes;
    double logSumExp = SoftmaxCrossEntropy.logSumExp(outputs, row, classes);
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
    for (int j = 0; j < classes; j++) {
      double p = Math.exp(outputs[row + j] - logSumExp);
      gradient[row + j] = (float) (scale * p * (gradient[row + j] - pDotG));
    }
    return scale * 0.5 * loss;
  }

  @Override
  public void probabilities(float[] outputs, int offset, int classes, float[] probabilities) {
    SoftmaxCrossEntropy.softmax(outputs, offset, classes, probabilities);
  }
}
