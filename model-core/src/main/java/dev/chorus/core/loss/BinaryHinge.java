package dev.chorus.core.loss;

/**
 * The hinge loss of a binary linear SVM (Cortes and Vapnik, "Support-Vector Networks", 1995) on one score
 * {@code f}: with {@code s = +1} for class 1 and {@code −1} for class 0, {@code loss = max(0, 1 − s·f)}, and
 * subgradient {@code −s} inside the margin ({@code s·f < 1}), 0 otherwise (at the kink too).
 *
 * <p>Probabilities are a monotone squashing, not a calibration: the score is read as class scores
 * {@code (−f, +f)} and softmaxed, so {@code P(1) = σ(2f)}; an example on the margin ({@code f = ±1}) gets
 * 0.88 or 0.12. Fit Platt scaling downstream where calibrated probabilities matter. Two classes, one output.
 */
public final class BinaryHinge extends WeightedMeanLoss {

  public static final String NAME = "hinge";
  public static final BinaryHinge INSTANCE = new BinaryHinge();

  private BinaryHinge() {
    super(NAME, true);
  }

  @Override
  double example(float[] outputs, int i, int numClasses, int[] labels, float[] targets, double scale,
      float[] gradient) {
    double sign = labels[i] == 1 ? 1 : -1;
    double slack = 1 - sign * outputs[i];
    if (slack > 0) {
      gradient[i] = (float) (-scale * sign);
      return scale * slack;
    }
    gradient[i] = 0f;
    return 0;
  }

  @Override
  public void probabilities(float[] outputs, int offset, int numClasses, float[] probabilities) {
    twoClasses(LogisticLoss.sigmoid(2.0 * outputs[offset]), probabilities);
  }
}
