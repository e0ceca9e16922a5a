package dev.chorus.core.nn;

/**
 * A differentiable function from {@code inputDim} features to {@code outputDim} outputs (logits for a
 * classifier) with named trainable parameters.
 *
 * <p>Batches are row-major arrays of {@code rows × dim} floats that may be longer than {@code rows} rows
 * (reusable buffers). Implementations keep scratch space between calls and are not thread-safe.
 */
public interface Network {

  int inputDim();

  int outputDim();

  /** The trainable parameters, whose gradients {@link #backward} sets. */
  ParameterSet parameters();

  /** Computes the outputs of {@code rows} examples of {@code x} into {@code out}, remembering what {@link #backward} needs. */
  void forward(float[] x, int rows, float[] out);

  /**
   * Given {@code gradOut}, the gradient of the objective with respect to the outputs of the last
   * {@link #forward} on the same {@code x}, overwrites every parameter's gradient.
   */
  void backward(float[] x, int rows, float[] gradOut);

  /** The outputs for one example at {@code x[xOffset...]}, into {@code out[0..outputDim)}; changes no parameter. */
  void predict(float[] x, int xOffset, float[] out);

  /** A deep copy of the parameters (values and gradients); scratch space is not shared. */
  Network copy();
}
