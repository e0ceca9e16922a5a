package dev.chorus.core.loss;

import java.util.Arrays;

/**
 * Squared error for regression on real-valued outputs: {@code loss = ½·Σⱼ (oⱼ − tⱼ)²} per example, weighted
 * mean over the minibatch, gradient {@code o − t}. The half makes the gradient the residual itself, so
 * learning rates compare with the classification losses'. Stateless; allocates nothing.
 */
public final class SquaredError {

  public static final String NAME = "squared-error";
  public static final SquaredError INSTANCE = new SquaredError();

  private SquaredError() {}

  /**
   * The weighted mean loss over {@code rows} examples of {@code outputs} ({@code rows × dim}) against
   * {@code targets} (same layout), with its gradient with respect to {@code outputs} written into
   * {@code gradient}. {@code weights} may be {@code null} for all ones; if they sum to zero the loss and
   * gradient are zero.
   */
  public double lossAndGradient(float[] outputs, int rows, int dim, float[] targets, float[] weights,
      float[] gradient) {
    double totalWeight = ExampleWeights.total(weights, rows);
    if (totalWeight == 0) {
      Arrays.fill(gradient, 0, rows * dim, 0f);
      return 0;
    }
    double total = 0;
    for (int i = 0; i < rows; i++) {
      double scale = ExampleWeights.share(weights, i, totalWeight);
      double loss = 0;
      for (int j = i * dim, end = j + dim; j < end; j++) {
        double residual = (double) outputs[j] - targets[j];
        loss += residual * residual;
        gradient[j] = (float) (scale * residual);
      }
      total += scale * 0.5 * loss;
    }
    return total;
  }
}
