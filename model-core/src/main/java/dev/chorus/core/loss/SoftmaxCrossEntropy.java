package dev.chorus.core.loss;

import java.util.Arrays;

/**
 * Softmax followed by cross-entropy, computed from logits in one numerically stable step: for logits
 * {@code z} and label {@code y}, {@code loss = logΣⱼ exp(zⱼ) − z_y} evaluated as
 * {@code m + log Σⱼ exp(zⱼ − m)} with {@code m = maxⱼ zⱼ}, so no exponent overflows; its gradient is
 * {@code softmax(z) − onehot(y)}. Per-example sums run in double precision.
 */
public final class SoftmaxCrossEntropy implements ClassificationLoss {

  public static final SoftmaxCrossEntropy INSTANCE = new SoftmaxCrossEntropy();

  private SoftmaxCrossEntropy() {}

  @Override
  public double lossAndGradient(float[] outputs, int rows, int classes, int[] labels, float[] weights,
      float[] gradient) {
    double totalWeight = 0;
    for (int i = 0; i < rows; i++) {
      totalWeight += weights == null ? 1f : weights[i];
    }
    if (totalWeight == 0) {
      Arrays.fill(gradient, 0, rows * classes, 0f);
      return 0;
    }
    double total = 0;
    for (int i = 0; i < rows; i++) {
      int row = i * classes;
      double max = max(outputs, row, classes);
      double sum = 0;
      for (int j = 0; j < classes; j++) {
        sum += Math.exp(outputs[row + j] - max);
      }
      double logSumExp = max + Math.log(sum);
      double scale = (weights == null ? 1f : weights[i]) / totalWeight;
      int label = labels[i];
      total += scale * (logSumExp - outputs[row + label]);
      for (int j = 0; j < classes; j++) {
        double p = Math.exp(outputs[row + j] - logSumExp);
        gradient[row + j] = (float) (scale * (j == label ? p - 1 : p));
      }
    }
    return total;
  }

  @Override
  public void probabilities(float[] outputs, int offset, int classes, float[] probabilities) {
    double max = max(outputs, offset, classes);
    double sum = 0;
    for (int j = 0; j < classes; j++) {
      sum += Math.exp(outputs[offset + j] - max);
    }
    double logSumExp = max + Math.log(sum);
    for (int j = 0; j < classes; j++) {
      probabilities[j] = (float) Math.exp(outputs[offset + j] - logSumExp);
    }
  }

  private static double max(float[] values, int offset, int length) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < length; j++) {
      max = Math.max(max, values[offset + j]);
    }
    return max;
  }
}
