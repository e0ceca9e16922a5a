package dev.chorus.core.nn;

import dev.chorus.core.random.SplitMix64;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A feed-forward chain of {@link Layer}s from {@code inputDim} features to {@code outputDim} outputs (logits
 * for a classifier, values for a regressor), with the layers' named trainable parameters.
 *
 * <p>A minibatch flows through whole-batch layer calls: activations of every layer are kept for the
 * backward pass, and gradients ping-pong between two buffers. All buffers are grown on demand to the
 * largest minibatch seen, so steady-state training allocates nothing. The first layer's input gradient is
 * never computed, since nothing consumes it.
 *
 * <p>Not thread-safe.
 */
public final class Network {

  private final Layer[] layers;
  private final ParameterSet parameters;
  private final int inputDim;
  private final int outputDim;
  private final int maxWidth;
  /** Per layer, its training-mode output for up to {@code capacity} rows. */
  private final float[][] activations;
  private float[] gradientA = new float[0];
  private float[] gradientB = new float[0];
  private int capacity;
  /** One example's activations, alternating between layers during {@link #predict}. */
  private final float[] exampleA;
  private final float[] exampleB;
  /** Scratch of the batched {@link #predictBatch}, grown on demand. */
  private float[] inferA = new float[0];
  private float[] inferB = new float[0];

  /**
   * Chains {@code layers} in order.
   *
   * @throws IllegalArgumentException if there are none, if one layer's output size differs from the next
   *     one's input size, or if two parameters share a name
   */
  public Network(List<? extends Layer> layers) {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a network needs at least one layer");
    }
    this.layers = layers.toArray(Layer[]::new);
    List<Parameter> all = new ArrayList<>();
    int width = this.layers[0].inputDim();
    for (int l = 0; l < this.layers.length; l++) {
      Layer layer = this.layers[l];
      if (l > 0 && layer.inputDim() != this.layers[l - 1].outputDim()) {
        throw new IllegalArgumentException("layer " + l + " (" + layer.getClass().getSimpleName() + ") takes "
            + layer.inputDim() + " inputs but layer " + (l - 1) + " produces " + this.layers[l - 1].outputDim());
      }
      width = Math.max(width, layer.outputDim());
      all.addAll(layer.parameters());
    }
    this.parameters = new ParameterSet(all);
    this.inputDim = this.layers[0].inputDim();
    this.outputDim = this.layers[this.layers.length - 1].outputDim();
    this.maxWidth = width;
    this.activations = new float[this.layers.length][0];
    this.exampleA = new float[width];
    this.exampleB = new float[width];
  }

  public int inputDim() {
    return inputDim;
  }

  public int outputDim() {
    return outputDim;
  }

  /** The layers, in order. */
  public List<Layer> layers() {
    return List.of(layers);
  }

  /** Every layer's trainable parameters, in layer order; {@link #backward} sets their gradients. */
  public ParameterSet parameters() {
    return parameters;
  }

  /**
   * Training-mode outputs of {@code rows} examples of {@code x} into {@code out}, remembering what
   * {@link #backward} needs; {@code rng} drives dropout.
   */
  public void forward(float[] x, int rows, float[] out, SplitMix64 rng) {
    ensureCapacity(rows);
    float[] in = x;
    for (int l = 0; l < layers.length; l++) {
      layers[l].forward(in, rows, activations[l], rng);
      in = activations[l];
    }
    System.arraycopy(in, 0, out, 0, rows * outputDim);
  }

  /**
   * Given {@code gradOut}, the gradient of the objective with respect to the outputs of the last
   * {@link #forward} on the same {@code x}, overwrites every parameter's gradient.
   */
  public void backward(float[] x, int rows, float[] gradOut) {
    backward(x, rows, gradOut, null);
  }

  /**
   * As {@link #backward(float[], int, float[])}, and, unless {@code gradX} is {@code null}, writes the gradient with
   * respect to {@code x} into it, for what feeds the network (a wide and deep model's embedding bags).
   */
  public void backward(float[] x, int rows, float[] gradOut, float[] gradX) {
    float[] gradient = gradOut;
    for (int l = layers.length - 1; l >= 0; l--) {
      float[] in = l == 0 ? x : activations[l - 1];
      float[] gradIn = l == 0 ? gradX : (gradient == gradientA ? gradientB : gradientA);
      layers[l].backward(in, activations[l], rows, gradient, gradIn);
      gradient = gradIn;
    }
  }

  /** Inference-mode outputs for one example at {@code x[xOffset...]}, into {@code out[0..outputDim)}; changes no state. */
  public void predict(float[] x, int xOffset, float[] out) {
    float[] in = x;
    int inOffset = xOffset;
    for (int l = 0; l < layers.length; l++) {
      float[] dst = l == layers.length - 1 ? out : (in == exampleA ? exampleB : exampleA);
      layers[l].infer(in, inOffset, 1, dst, 0);
      in = dst;
      inOffset = 0;
    }
  }

  /**
   * Inference-mode outputs for {@code rows} examples of {@code x}, into {@code out[0 .. rows · outputDim)}: one
   * batched product per layer instead of one per example; changes no state.
   */
  public void predictBatch(float[] x, int rows, float[] out) {
    if (inferA.length < rows * maxWidth) {
      inferA = new float[rows * maxWidth];
      inferB = new float[rows * maxWidth];
    }
    float[] in = x;
    for (int l = 0; l < layers.length; l++) {
      float[] dst = l == layers.length - 1 ? out : (in == inferA ? inferB : inferA);
      layers[l].infer(in, 0, rows, dst, 0);
      in = dst;
    }
  }

  private void ensureCapacity(int rows) {
    if (rows <= capacity) {
      return;
    }
    for (int l = 0; l < layers.length; l++) {
      activations[l] = new float[rows * layers[l].outputDim()];
    }
    gradientA = new float[rows * maxWidth];
    gradientB = new float[rows * maxWidth];
    capacity = rows;
  }

  /** Every layer's {@link Layer#runningStatistics()}, in layer order (the arrays themselves, not copies). */
  public List<float[]> runningStatistics() {
    List<float[]> all = new java.util.ArrayList<>();
    for (Layer layer : layers) {
      all.addAll(layer.runningStatistics());
    }
    return all;
  }

  /** The first layer's {@link Layer#firstInvalidState}, in layer order, or null when every layer's state is valid. */
  public String firstInvalidState() {
    for (Layer layer : layers) {
      String invalid = layer.firstInvalidState();
      if (invalid != null) {
        return invalid;
      }
    }
    return null;
  }

  /** A deep copy of parameters (values and gradients) and layer state; scratch space is not shared. */
  public Network copy() {
    List<Layer> copies = new ArrayList<>(layers.length);
    for (Layer layer : layers) {
      copies.add(layer.copy());
    }
    return new Network(copies);
  }

  /** Writes every layer's non-parameter state ({@link Layer#writeState}), in layer order. */
  public void writeState(DataOutput out) throws IOException {
    out.writeInt(layers.length);
    for (Layer layer : layers) {
      layer.writeState(out);
    }
  }

  /** Reads what {@link #writeState} wrote for a network of the same layers. */
  public void readState(DataInput in) throws IOException {
    int count = in.readInt();
    if (count != layers.length) {
      throw new IOException("network state: expected " + layers.length + " layers, stream has " + count);
    }
    for (Layer layer : layers) {
      layer.readState(in);
    }
  }
}
