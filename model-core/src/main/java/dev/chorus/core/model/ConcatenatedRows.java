package dev.chorus.core.model;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.tensor.RowsApart;
import dev.chorus.core.tensor.TouchedRows;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * The rows of a model made of several parts with rows (a wide part, embedding tables, output rows), one part after
 * another in one index space, for a holder that keeps them apart ({@link RowsApart}). Parts may have rows of
 * different widths: {@link #copyRows} of a range that spans parts gives each part's rows in its own width, and
 * {@link #putRows} takes them apart the same way. What is not rows, the model writes itself ({@code rest}).
 */
final class ConcatenatedRows implements RowsApart {

  private final RowsApart[] parts;
  /** {@code starts[p]}: the first row of part {@code p}; {@code starts[parts.length]}: the number of rows. */
  private final int[] starts;
  private final BinaryState.Writer rest;
  private TouchedRows changed;

  /**
   * @param rest writes the model without its rows, in a format whose reader gives the parts back without rows
   * @param parts the parts with rows, in the order of their rows
   */
  ConcatenatedRows(BinaryState.Writer rest, RowsApart... parts) {
    this.parts = parts.clone();
    this.starts = new int[parts.length + 1];
    long total = 0;
    for (int p = 0; p < parts.length; p++) {
      if (parts[p].rows() < 1) {
        throw new IllegalArgumentException("rows apart: part " + p + " has no rows");
      }
      starts[p] = (int) total;
      total += parts[p].rows();
      if (total > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("rows apart: " + total + " rows over " + (p + 1)
            + " parts exceed an int index");
      }
    }
    starts[parts.length] = (int) total;
    this.rest = rest;
  }

  @Override
  public int rows() {
    return starts[parts.length];
  }

  /** The widest part's: a range's floats are each part's rows in their own width, at most this many a row. */
  @Override
  public int rowWidth() {
    return Arrays.stream(parts).mapToInt(RowsApart::rowWidth).max().orElseThrow();
  }

  /** The part that row {@code row} is in (no part is empty, so the starts are strictly increasing). */
  private int part(int row) {
    int p = Arrays.binarySearch(starts, row);
    return p >= 0 ? p : -p - 2;
  }

  @Override
  public int nextWrittenRow(int from) {
    for (int p = from < rows() ? part(Math.max(from, 0)) : parts.length; p < parts.length; p++) {
      int row = parts[p].nextWrittenRow(Math.max(from - starts[p], 0));
      if (row >= 0) {
        return starts[p] + row;
      }
    }
    return -1;
  }

  @Override
  public float[] copyRows(int from, int count) {
    requireRows(from, count);
    int end = from + count;
    int floats = 0;
    for (int p = part(from), row = from; row < end; row = starts[++p]) {
      floats += (Math.min(end, starts[p + 1]) - row) * parts[p].rowWidth();
    }
    float[] copy = new float[floats];
    for (int p = part(from), row = from, at = 0; row < end; row = starts[++p]) {
      float[] rows = parts[p].copyRows(row - starts[p], Math.min(end, starts[p + 1]) - row);
      System.arraycopy(rows, 0, copy, at, rows.length);
      at += rows.length;
    }
    return copy;
  }

  /** Puts {@link #copyRows}'s floats back: each part takes the rows of its width up to its end, the next the rest. */
  @Override
  public void putRows(int from, float[] rows) {
    int at = 0;
    for (int row = from; at < rows.length; ) {
      if (row < 0 || row >= rows()) {
        throw new IllegalArgumentException("putRows: " + (rows.length - at) + " floats left for row " + row
            + ", expected rows within [0, " + rows() + ")");
      }
      int p = part(row);
      int width = parts[p].rowWidth();
      int count = Math.min(starts[p + 1] - row, (rows.length - at) / width);
      if (count == 0) {
        throw new IllegalArgumentException("putRows: " + (rows.length - at) + " floats left for row " + row
            + ", expected a multiple of its part's " + width);
      }
      parts[p].putRows(row - starts[p], Arrays.copyOfRange(rows, at, at + count * width));
      at += count * width;
      row += count;
    }
  }

  private void requireRows(int from, int count) {
    RowsApart.requireRange("", from, count, rows());
  }

  /** Every part's changed rows, moved here (their sets cleared) in this index space. */
  @Override
  public TouchedRows changedRows() {
    if (changed == null) {
      changed = new TouchedRows(rows());
    }
    for (int p = 0; p < parts.length; p++) {
      TouchedRows part = parts[p].changedRows();
      for (int i = 0; i < part.size(); i++) {
        changed.add(starts[p] + part.row(i));
      }
      part.clear();
    }
    return changed;
  }

  @Override
  public void writeWithoutRowsTo(DataOutput out) throws IOException {
    rest.write(out);
  }
}
