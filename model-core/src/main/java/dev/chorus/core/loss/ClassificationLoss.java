package dev.chorus.core.loss;

/**
 * A loss on a classifier's raw outputs against class labels, and the map from those outputs to class
 * probabilities. A loss decides how many outputs a network needs for {@code numClasses} classes
 * ({@link #outputDim}): one per class, or a single score for binary losses.
 *
 * <p>Every loss here is the weighted mean {@code Σ wᵢ·lossᵢ / Σ wᵢ} over a minibatch. {@code weights} may be
 * {@code null} for all ones; if the weights sum to zero the loss and gradient are zero. Arrays may be longer
 * than needed (reusable buffers). Implementations are stateless singletons and allocate nothing.
 */
public interface ClassificationLoss {

  /** The name used in model specs, e.g. {@code "softmax-cross-entropy"}. */
  String name();

  /** Outputs per example for {@code numClasses} classes; binary losses need one and accept only two classes. */
  int outputDim(int numClasses);

  /**
   * The weighted mean loss over {@code rows} examples of {@code outputs} ({@code rows × outputDim(numClasses)})
   * against integer {@code labels} in {@code [0, numClasses)}, with its gradient with respect to
   * {@code outputs} written into {@code gradient} (same layout).
   */
  double lossAndGradient(float[] outputs, int rows, int numClasses, int[] labels, float[] weights, float[] gradient);

  /** Whether {@link #softLossAndGradient} is defined for this loss. */
  default boolean supportsSoftTargets() {
    return false;
  }

  /**
   * As {@link #lossAndGradient}, against target distributions: {@code targets} holds {@code rows × numClasses}
   * probabilities, each row summing to 1 (callers check). A one-hot row gives the same loss as its label.
   *
   * @throws UnsupportedOperationException if {@link #supportsSoftTargets()} is false
   */
  default double softLossAndGradient(float[] outputs, int rows, int numClasses, float[] targets, float[] weights,
      float[] gradient) {
    throw new UnsupportedOperationException("loss \"" + name() + "\" does not train on soft targets");
  }

  /** The class probabilities for one example's outputs at {@code outputs[offset...]}, into {@code probabilities[0..numClasses)}. */
  void probabilities(float[] outputs, int offset, int numClasses, float[] probabilities);
}
