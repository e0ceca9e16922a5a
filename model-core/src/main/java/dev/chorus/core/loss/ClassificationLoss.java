package dev.chorus.core.loss;

/**
 * A loss on a classifier's raw outputs (one row of {@code classes} floats per example) against integer class
 * labels. Regression losses, which take real-valued targets, get their own contract.
 *
 * <p>Implementations are stateless singletons and allocate nothing.
 */
public interface ClassificationLoss {

  /**
   * The weighted mean loss {@code Σ wᵢ·lossᵢ / Σ wᵢ} over {@code rows} examples, and its gradient with respect
   * to {@code outputs} written into {@code gradient} (same layout). {@code weights} may be {@code null} for
   * all ones; if the weights sum to zero the loss and gradient are zero. Arrays may be longer than needed.
   */
  double lossAndGradient(float[] outputs, int rows, int classes, int[] labels, float[] weights, float[] gradient);

  /** The class probabilities for one example's outputs at {@code outputs[offset...]}, into {@code probabilities[0..classes)}. */
  void probabilities(float[] outputs, int offset, int classes, float[] probabilities);
}
