package dev.chorus.core.output;

import dev.chorus.core.io.ChunkedWriter;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The rows of an output layer ({@code rows × dim} weights and a bias each) as saved bytes: only the rows whose weights
 * or bias are not all zero, since a layer over 10^6 classes trained on a stream touches few of them and starts at 0.
 */
final class SavedRows {

  private SavedRows() {}

  /** The number of stored rows, then each: index, {@code dim} weights, bias. */
  static void write(float[] weights, float[] bias, int dim, DataOutput out) throws IOException {
    out.writeInt(stored(weights, bias, dim));
    ChunkedWriter chunks = new ChunkedWriter(out);
    for (int row = 0; row < bias.length; row++) {
      if (nonZero(weights, bias, dim, row)) {
        chunks.writeInt(row);
        chunks.writeFloats(weights, row * dim, dim);
        chunks.writeFloats(bias, row, 1);
      }
    }
    chunks.flush();
  }

  /** How many bytes {@link #write} writes for these rows. */
  static long savedSize(float[] weights, float[] bias, int dim) {
    return Integer.BYTES + stored(weights, bias, dim) * (Integer.BYTES + Float.BYTES * (dim + 1L));
  }

  private static int stored(float[] weights, float[] bias, int dim) {
    int stored = 0;
    for (int row = 0; row < bias.length; row++) {
      stored += nonZero(weights, bias, dim, row) ? 1 : 0;
    }
    return stored;
  }

  /** Reads what {@link #write} wrote into all-zero {@code weights} and {@code bias}. */
  static void read(DataInput in, float[] weights, float[] bias, int dim, String layer) throws IOException {
    int stored = in.readInt();
    if (stored < 0 || stored > bias.length) {
      throw new IOException(layer + ": expected 0.." + bias.length + " stored rows, got " + stored);
    }
    int previous = -1;
    for (int r = 0; r < stored; r++) {
      int row = in.readInt();
      if (row <= previous || row >= bias.length) {
        throw new IOException(layer + ": row " + row + " after row " + previous + ", expected increasing rows in [0, "
            + bias.length + ")");
      }
      previous = row;
      for (int f = 0, w = row * dim; f < dim; f++, w++) {
        weights[w] = in.readFloat();
      }
      bias[row] = in.readFloat();
    }
  }

  static boolean nonZero(float[] weights, float[] bias, int dim, int row) {
    if (Float.floatToRawIntBits(bias[row]) != 0) {
      return true;
    }
    for (int f = 0, w = row * dim; f < dim; f++, w++) {
      if (Float.floatToRawIntBits(weights[w]) != 0) {
        return true;
      }
    }
    return false;
  }
}
