package dev.chorus.core.loss;

import java.util.Arrays;

/**
 * The hinge loss of a binary linear SVM (Cortes and Vapnik, "Support-Vector Networks", 1995) on one score
 * {@code f}: with {@code s = +1} for class 1 and {@code −1} for class 0, {@code loss = max(0, 1 − s·f)}, and
 * subgradient {@code −s} inside the margin ({@code s·f < 1}), 0 otherwise (at the kink too).
 *
 * <p>Probabilities are a monotone squashing, not a calibration: the score is read as class scores
 * {@code (−f, +f)} and softmaxed, so {@code P(1) = σ(2f)}; an example on the margin ({@code f = ±1}) gets
 * 0.88 or 0.12. Fit Platt scaling downstream where calibrated probabilities matter. Two classes, one output.
 */
public final class BinaryHinge implements ClassificationLoss {

  public static final String NAME = "hinge";
  public static final BinaryHinge INSTANCE = new BinaryHinge();

  private BinaryHinge() {}

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
      double scale = ExampleWeights.share(weights, i, totalWeight);
      double sign = labels[i] == 1 ? 1 : -1;
      double slack = 1 - sign * outputs[i];
      if (slack > 0) {
        total += scale * slack;
        gradient[i] = (float) (-scale * sign);
      } else {
        gradient[i] = 0f;
      }
    }
    return total;
  }

  @Override
  public void probabilities(float[] outputs, int offset, int numClasses, float[] probabilities) {
    double p1 = LogisticLoss.sigmoid(2.0 * outputs[offset]);
    probabilities[0] = (float) (1 - p1);
    probabilities[1] = (float) p1;
  }
}
