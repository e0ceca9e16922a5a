package dev.chorus.core.output;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.tensor.RowsApart;
import dev.chorus.core.tensor.TouchedRows;
import java.io.DataOutput;
import java.io.IOException;

/**
 * An output layer's rows ({@code rows × dim} weights and a bias each: a class's, or an inner node's) for a holder
 * that keeps them apart ({@link RowsApart}): a row is its weights, then its bias; the written rows are those not all
 * zero ({@link SavedRows} saves only those), the others are zero, as in a fresh layer.
 */
final class OutputRows implements RowsApart {

  private final float[] weights;
  private final float[] bias;
  private final int dim;
  private final BinaryState.Writer rest;
  private TouchedRows changed;

  /** @param rest writes the layer without its rows, in a format its reader takes */
  OutputRows(float[] weights, float[] bias, int dim, BinaryState.Writer rest) {
    this.weights = weights;
    this.bias = bias;
    this.dim = dim;
    this.rest = rest;
  }

  @Override
  public int rows() {
    return bias.length;
  }

  @Override
  public int rowWidth() {
    return dim + 1;
  }

  /** The first row not all zero from {@code from} on, or -1: a scan, as the layer keeps no bitmap of its rows. */
  @Override
  public int nextWrittenRow(int from) {
    for (int row = Math.max(from, 0); row < bias.length; row++) {
      if (SavedRows.nonZero(weights, bias, dim, row)) {
        return row;
      }
    }
    return -1;
  }

  @Override
  public float[] copyRows(int from, int count) {
    RowsApart.requireRange("output layer: ", from, count, rows());
    float[] copy = new float[count * (dim + 1)];
    for (int r = 0, at = 0; r < count; r++, at += dim + 1) {
      System.arraycopy(weights, (from + r) * dim, copy, at, dim);
      copy[at + dim] = bias[from + r];
    }
    return copy;
  }

  @Override
  public void putRows(int from, float[] rows) {
    if (rows.length % (dim + 1) != 0) {
      throw new IllegalArgumentException("output layer: putRows: expected a multiple of " + (dim + 1)
          + " floats, got " + rows.length);
    }
    int count = rows.length / (dim + 1);
    RowsApart.requireRange("output layer: ", from, count, rows());
    for (int r = 0, at = 0; r < count; r++, at += dim + 1) {
      System.arraycopy(rows, at, weights, (from + r) * dim, dim);
      bias[from + r] = rows[at + dim];
    }
  }

  @Override
  public TouchedRows changedRows() {
    if (changed == null) {
      changed = new TouchedRows(rows());
    }
    return changed;
  }

  /** Counts the rows {@code gradient} steps as changed, once {@link #changedRows} has been asked for. */
  void stepping(RowGradients gradient) {
    if (changed != null) {
      gradient.addRowsTo(changed);
    }
  }

  @Override
  public void writeWithoutRowsTo(DataOutput out) throws IOException {
    rest.write(out);
  }
}
