package dev.chorus.core.loss;

import java.util.Arrays;

/**
 * The Crammer–Singer multiclass hinge loss (Crammer and Singer, "On the Algorithmic Implementation of
 * Multiclass Kernel-based Vector Machines", JMLR 2001) on one score per class: with label {@code y},
 * {@code loss = max(0, 1 + maxⱼ≠y zⱼ − z_y)}. Only the most violating class is penalised, unlike
 * Weston–Watkins, which sums the hinge over every other class. Subgradient inside the margin: {@code +1} at
 * the most violating class (the lowest index on ties), {@code −1} at {@code y}; 0 otherwise (at the kink too).
 *
 * <p>Probabilities are the softmax of the scores: monotone in them, not calibrated.
 */
public final class MulticlassHinge extends WeightedMeanLoss {

  public static final String NAME = "multiclass-hinge";
  public static final MulticlassHinge INSTANCE = new MulticlassHinge();

  private MulticlassHinge() {
    super(NAME, false);
  }

  @Override
  double example(float[] outputs, int i, int classes, int[] labels, float[] targets, double scale,
      float[] gradient) {
    int row = i * classes;
    Arrays.fill(gradient, row, row + classes, 0f);
    int label = labels[i];
    int rival = label == 0 ? 1 : 0;
    for (int j = rival + 1; j < classes; j++) {
      if (j != label && outputs[row + j] > outputs[row + rival]) {
        rival = j;
      }
    }
    double slack = 1 + (double) outputs[row + rival] - outputs[row + label];
    if (slack > 0) {
      gradient[row + rival] = (float) scale;
      gradient[row + label] = (float) -scale;
      return scale * slack;
    }
    return 0;
  }

  @Override
  public void probabilities(float[] outputs, int offset, int classes, float[] probabilities) {
    SoftmaxCrossEntropy.softmax(outputs, offset, classes, probabilities);
  }
}
