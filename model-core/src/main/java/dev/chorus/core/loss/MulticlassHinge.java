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
public final class MulticlassHinge implements ClassificationLoss {

  public static final String NAME = "multiclass-hinge";
  public static final MulticlassHinge INSTANCE = new MulticlassHinge();

  private MulticlassHinge() {}

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
    Arrays.fill(gradient, 0, rows * classes, 0f);
    double totalWeight = ExampleWeights.total(weights, rows);
    if (totalWeight == 0) {
      return 0;
    }
    double total = 0;
    for (int i = 0; i < rows; i++) {
      int row = i * classes;
      int label = labels[i];
      int rival = label == 0 ? 1 : 0;
      for (int j = rival + 1; j < classes; j++) {
        if (j != label && outputs[row + j] > outputs[row + rival]) {
          rival = j;
        }
      }
      double slack = 1 + (double) outputs[row + rival] - outputs[row + label];
      if (slack > 0) {
        double scale = ExampleWeights.share(weights, i, totalWeight);
        total += scale * slack;
        gradient[row + rival] = (float) scale;
        gradient[row + label] = (float) -scale;
      }
    }
    return total;
  }

  @Override
  public void probabilities(float[] outputs, int offset, int classes, float[] probabilities) {
    SoftmaxCrossEntropy.softmax(outputs, offset, classes, probabilities);
  }
}
