package dev.chorus.core.output;

import dev.chorus.core.tensor.TouchedRows;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The gradient of an output layer whose minibatch touches only some of its rows (the sampled classes of a
 * {@link SampledSoftmax}, the inner nodes on the paths of a {@link HierarchicalSoftmax}): one weight row and one
 * bias per touched row id, so its size and the update's cost follow the rows touched, never the class count.
 */
public final class RowGradients {

  private final int dim;
  private final Map<Integer, Integer> slots = new HashMap<>();
  private float[] weights;
  private float[] bias = new float[16];
  /** The touched rows' weights and bias before the last {@link #applyTo}, to put back when it overflowed. */
  private float[] backup = new float[0];

  public RowGradients(int dim) {
    this.dim = dim;
    this.weights = new float[16 * dim];
  }

  /** Forgets every row, keeping the buffers. */
  void clear() {
    Arrays.fill(weights, 0, slots.size() * dim, 0f);
    Arrays.fill(bias, 0, slots.size(), 0f);
    slots.clear();
  }

  /** Adds {@code g·x} to row {@code id}'s weight gradient and {@code g} to its bias gradient. */
  void add(int id, double g, float[] x, int xOffset) {
    int slot = slotOf(id);
    Vectors.axpy(dim, g, x, xOffset, weights, slot * dim);
    bias[slot] += (float) g;
  }

  /**
   * {@code rows[id] −= learningRate · gradient} for each touched row, backing each up first and checking the result.
   *
   * @param row what a row of the layer is, for the message: {@code "sampled softmax class"}
   * @return null, or which value of which row would not be finite (the first the step reached); then every row is
   *     as it was
   */
  String applyTo(float[] rowWeights, float[] rowBias, float learningRate, String row) {
    if (backup.length < slots.size() * (dim + 1)) {
      backup = new float[slots.size() * (dim + 1)];
    }
    String overflow = null;
    int at = 0;
    for (Map.Entry<Integer, Integer> entry : slots.entrySet()) {
      int id = entry.getKey();
      int slot = entry.getValue();
      System.arraycopy(rowWeights, id * dim, backup, at, dim);
      backup[at + dim] = rowBias[id];
      at += dim + 1;
      Vectors.axpy(dim, -learningRate, weights, slot * dim, rowWeights, id * dim);
      rowBias[id] -= learningRate * bias[slot];
      for (int f = 0; overflow == null && f <= dim; f++) {
        float value = f < dim ? rowWeights[id * dim + f] : rowBias[id];
        if (!Float.isFinite(value)) {
          overflow = (f < dim ? "weight " + value + " of " + row + " " + id + ", coordinate " + f
              : "bias " + value + " of " + row + " " + id) + " would not be finite";
        }
      }
    }
    if (overflow != null) {
      // The map is unchanged since the loop above, so it lists the rows in the same order.
      at = 0;
      for (int id : slots.keySet()) {
        System.arraycopy(backup, at, rowWeights, id * dim, dim);
        rowBias[id] = backup[at + dim];
        at += dim + 1;
      }
    }
    return overflow;
  }

  /** Adds the ids of the rows touched to {@code rows}. */
  void addRowsTo(TouchedRows rows) {
    for (int id : slots.keySet()) {
      rows.add(id);
    }
  }

  /** Rows touched. */
  public int size() {
    return slots.size();
  }

  /** Feature {@code f} of row {@code id}'s weight gradient; 0 for a row not touched. */
  public float weightGradient(int id, int f) {
    Integer slot = slots.get(id);
    return slot == null ? 0f : weights[slot * dim + f];
  }

  /** Row {@code id}'s bias gradient; 0 for a row not touched. */
  public float biasGradient(int id) {
    Integer slot = slots.get(id);
    return slot == null ? 0f : bias[slot];
  }

  private int slotOf(int id) {
    Integer slot = slots.get(id);
    if (slot != null) {
      return slot;
    }
    int next = slots.size();
    if (next == bias.length) {
      bias = Arrays.copyOf(bias, 2 * next);
      weights = Arrays.copyOf(weights, 2 * next * dim);
    }
    slots.put(id, next);
    return next;
  }
}
