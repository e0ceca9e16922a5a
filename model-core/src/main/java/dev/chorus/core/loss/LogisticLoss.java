package dev.chorus.core.loss;

import java.util.Arrays;

/**
 * Binary cross-entropy from one logit {@code z = log(p₁ / p₀)}: for a target probability {@code t} of class 1
 * (the label itself for hard labels), {@code loss = −t·log σ(z) − (1 − t)·log(1 − σ(z)) = softplus(z) − t·z},
 * with {@code softplus(z) = max(z, 0) + log1p(exp(−|z|))}, which neither overflows nor loses precision for
 * large {@code |z|}. Gradient {@code σ(z) − t}. For a target distribution {@code (t₀, t₁)} that does not sum to
 * one the exact form {@code (t₀ + t₁)·softplus(z) − t₁·z} is used. Two classes, one output.
 */
public final class LogisticLoss implements ClassificationLoss {

  public static final String NAME = "logistic";
  public static final LogisticLoss INSTANCE = new LogisticLoss();

  private LogisticLoss() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int outputDim(int numClasses) {
    return 1;
  }

  @Override
  public double lossAndGradient(float[] outputs, int rows, int numClasses, int[] labels, float[] weights,
      float[] gradient) {
    double totalWeight = ExampleWeights.total(weights, rows);
    if (totalWeight == 0) {
      Arrays.fill(gradient, 0, rows, 0f);
      return 0;
    }
    double total = 0;
    for (int i = 0; i < rows; i++) {
      double z = outputs[i];
      double scale = ExampleWeights.share(weights, i, totalWeight);
      int t = labels[i];
      total += scale * (softplus(z) - t * z);
      gradient[i] = (float) (scale * (sigmoid(z) - t));
    }
    return total;
  }

  @Override
  public boolean supportsSoftTargets() {
    return true;
  }

  @Override
  public double softLossAndGradient(float[] outputs, int rows, int numClasses, float[] targets, float[] weights,
      float[] gradient) {
    double totalWeight = ExampleWeights.total(weights, rows);
    if (totalWeight == 0) {
      Arrays.fill(gradient, 0, rows, 0f);
      return 0;
    }
    double total = 0;
    for (int i = 0; i < rows; i++) {
      double z = outputs[i];
      double scale = ExampleWeights.share(weights, i, totalWeight);
      double mass = (double) targets[2 * i] + targets[2 * i + 1];
      double t1 = targets[2 * i + 1];
      total += scale * (mass * softplus(z) - t1 * z);
      gradient[i] = (float) (scale * (mass * sigmoid(z) - t1));
    }
    return total;
  }

  @Override
  public void probabilities(float[] outputs, int offset, int numClasses, float[] probabilities) {
    double p1 = sigmoid(outputs[offset]);
    probabilities[0] = (float) (1 - p1);
    probabilities[1] = (float) p1;
  }

  /** {@code log(1 + eᶻ)} without overflow. */
  static double softplus(double z) {
    return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  }

  /** {@code 1 / (1 + e⁻ᶻ)}, exponentiating only non-positive numbers. */
  static double sigmoid(double z) {
    if (z >= 0) {
      return 1 / (1 + Math.exp(-z));
    }
    double e = Math.exp(z);
    return e / (1 + e);
  }
}
