package dev.chorus.core.loss;

/**
 * Softmax followed by cross-entropy, computed from logits in one numerically stable step. For logits
 * {@code z} and a target distribution {@code t} (one-hot for a label), {@code loss = Σⱼ tⱼ·(LSE(z) − zⱼ)}
 * with {@code LSE(z) = log Σⱼ exp(zⱼ)} evaluated as {@code m + log Σⱼ exp(zⱼ − m)}, {@code m = maxⱼ zⱼ}, so
 * no exponent overflows; its gradient is {@code (Σⱼ tⱼ)·softmax(z) − t}, which is {@code softmax(z) − t}
 * for a distribution. Soft targets are what learning from noisy labels trains on (a posterior over the
 * true class). Per-example sums run in double precision. One output per class.
 */
public final class SoftmaxCrossEntropy extends WeightedMeanLoss {

  public static final String NAME = "softmax-cross-entropy";
  public static final SoftmaxCrossEntropy INSTANCE = new SoftmaxCrossEntropy();

  private SoftmaxCrossEntropy() {
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
    double logSumExp = logSumExp(outputs, row, classes);
    if (labels != null) {
      int label = labels[i];
      for (int j = 0; j < classes; j++) {
        double p = Math.exp(outputs[row + j] - logSumExp);
        gradient[row + j] = (float) (scale * (j == label ? p - 1 : p));
      }
      return scale * (logSumExp - outputs[row + label]);
    }
    double mass = 0;
    double loss = 0;
    for (int j = 0; j < classes; j++) {
      mass += targets[row + j];
      loss += targets[row + j] * (logSumExp - outputs[row + j]);
    }
    for (int j = 0; j < classes; j++) {
      double p = Math.exp(outputs[row + j] - logSumExp);
      gradient[row + j] = (float) (scale * (mass * p - targets[row + j]));
    }
    return scale * loss;
  }

  @Override
  public void probabilities(float[] outputs, int offset, int classes, float[] probabilities) {
    softmax(outputs, offset, classes, probabilities);
  }

  /** {@code softmax(outputs[offset .. offset + classes))} into {@code probabilities[0..classes)}, overflow-free. */
  static void softmax(float[] outputs, int offset, int classes, float[] probabilities) {
    double logSumExp = logSumExp(outputs, offset, classes);
    for (int j = 0; j < classes; j++) {
      probabilities[j] = (float) Math.exp(outputs[offset + j] - logSumExp);
    }
  }

  /** {@code log Σⱼ exp(zⱼ)} over {@code length} values from {@code offset}, shifted by the maximum. */
  static double logSumExp(float[] values, int offset, int length) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < length; j++) {
      max = Math.max(max, values[offset + j]);
    }
    double sum = 0;
    for (int j = 0; j < length; j++) {
      sum += Math.exp(values[offset + j] - (double) max);
    }
    return max + Math.log(sum);
  }
}
