package dev.chorus.core.loss;

/**
 * Binary cross-entropy from one logit {@code z = log(p₁ / p₀)}: for a target probability {@code t} of class 1
 * (the label itself for hard labels), {@code loss = −t·log σ(z) − (1 − t)·log(1 − σ(z)) = softplus(z) − t·z},
 * with {@code softplus(z) = max(z, 0) + log1p(exp(−|z|))}, which neither overflows nor loses precision for
 * large {@code |z|}. Gradient {@code σ(z) − t}. For a target distribution {@code (t₀, t₁)} that does not sum to
 * one the exact form {@code (t₀ + t₁)·softplus(z) − t₁·z} is used. Two classes, one output.
 */
public final class LogisticLoss extends WeightedMeanLoss {

  public static final String NAME = "logistic";
  public static final LogisticLoss INSTANCE = new LogisticLoss();

  private LogisticLoss() {
    super(NAME, true);
  }

  @Override
  public boolean supportsSoftTargets() {
    return true;
  }

  @Override
  double example(float[] outputs, int i, int numClasses, int[] labels, float[] targets, double scale,
      float[] gradient) {
    double z = outputs[i];
    if (labels != null) {
      int t = labels[i];
      gradient[i] = (float) (scale * (sigmoid(z) - t));
      return scale * (softplus(z) - t * z);
    }
    double mass = (double) targets[2 * i] + targets[2 * i + 1];
    double t1 = targets[2 * i + 1];
    gradient[i] = (float) (scale * (mass * sigmoid(z) - t1));
    return scale * (mass * softplus(z) - t1 * z);
  }

  @Override
  public void probabilities(float[] outputs, int offset, int numClasses, float[] probabilities) {
    twoClasses(sigmoid(outputs[offset]), probabilities);
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
