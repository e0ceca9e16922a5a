package dev.chorus.core.nn;

import dev.chorus.core.random.SplitMix64;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;

/**
 * One stage of a {@link Network}: a function from {@code inputDim} to {@code outputDim} features applied to
 * a whole minibatch at once. Batches are row-major {@code rows × dim} arrays that may be longer than needed
 * (reusable buffers).
 *
 * <p>Training ({@link #forward}, {@link #backward}) and inference ({@link #infer}) are separate because
 * batch normalisation and dropout behave differently in the two. Implementations keep scratch space between
 * calls, grown on demand, and are not thread-safe.
 */
public interface Layer {

  int inputDim();

  int outputDim();

  /** The trainable parameters, in a fixed order; empty for layers without any. */
  List<Parameter> parameters();

  /**
   * State that a training {@link #forward} changes besides parameters (batch norm's running statistics), so that
   * a rejected minibatch can be rolled back; empty for layers without any.
   */
  default List<float[]> runningStatistics() {
    return List.of();
  }

  /**
   * Training-mode outputs of {@code rows} examples of {@code in} into {@code out}, remembering what
   * {@link #backward} needs. {@code rng} drives stochastic layers (dropout); others ignore it.
   */
  void forward(float[] in, int rows, float[] out, SplitMix64 rng);

  /**
   * Given {@code gradOut}, the gradient of the objective with respect to the outputs {@code out} that the
   * last {@link #forward} computed from {@code in}, overwrites every parameter's gradient and, unless
   * {@code gradIn} is {@code null}, writes the gradient with respect to {@code in} into {@code gradIn}.
   * {@code gradIn} must not be {@code gradOut}.
   */
  void backward(float[] in, float[] out, int rows, float[] gradOut, float[] gradIn);

  /**
   * Inference-mode outputs of {@code rows} examples starting at {@code in[inOffset]}, into {@code out} from
   * {@code outOffset}. Changes no state.
   */
  void infer(float[] in, int inOffset, int rows, float[] out, int outOffset);

  /** A deep copy of parameters and state; scratch space is not shared. */
  Layer copy();

  /** Writes state that is neither a parameter nor scratch (batch-norm running statistics); most layers have none. */
  default void writeState(DataOutput out) throws IOException {}

  /** Reads what {@link #writeState} wrote. */
  default void readState(DataInput in) throws IOException {}

  /**
   * Null when this layer's {@link #runningStatistics} hold what training can leave there, else which value does not
   * and where; {@link #readState} refuses by the same rule. Null for layers without any.
   */
  default String firstInvalidState() {
    return null;
  }
}
