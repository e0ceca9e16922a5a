package dev.chorus.core.tensor;

import java.util.Arrays;

/**
 * A minibatch of sparse rows in CSR form: row {@code r} holds the values {@code values[rowStart[r] ..
 * rowStart[r+1])} at the column indices beside them, strictly increasing within a row. Memory is 8 bytes per stored
 * value, whatever the number of columns. Rows are appended ({@link #add}) and the batch is reused ({@link #clear}).
 */
public final class SparseBatch {

  private final int columns;
  private int rows;
  private int[] rowStart = new int[9];
  private int[] indices = new int[64];
  private float[] values = new float[64];

  /** @param columns the number of columns every index must be below */
  public SparseBatch(int columns) {
    if (columns < 1) {
      throw new IllegalArgumentException("columns must be >= 1, got " + columns);
    }
    this.columns = columns;
  }

  /**
   * Appends a row; the arrays are copied.
   *
   * @throws IllegalArgumentException if the lengths differ or an index is out of range or not increasing
   */
  public void add(int[] rowIndices, float[] rowValues) {
    if (rowIndices.length != rowValues.length) {
      throw new IllegalArgumentException("row " + rows + ": " + rowIndices.length + " indices but "
          + rowValues.length + " values");
    }
    for (int i = 0; i < rowIndices.length; i++) {
      if (rowIndices[i] < 0 || rowIndices[i] >= columns || (i > 0 && rowIndices[i] <= rowIndices[i - 1])) {
        throw new IllegalArgumentException("row " + rows + ": expected strictly increasing indices in [0, "
            + columns + "), got " + Arrays.toString(rowIndices));
      }
    }
    int start = rowStart[rows];
    int end = start + rowIndices.length;
    if (end > indices.length) {
      int capacity = Math.max(end, indices.length * 2);
      indices = Arrays.copyOf(indices, capacity);
      values = Arrays.copyOf(values, capacity);
    }
    System.arraycopy(rowIndices, 0, indices, start, rowIndices.length);
    System.arraycopy(rowValues, 0, values, start, rowValues.length);
    if (rows + 2 > rowStart.length) {
      rowStart = Arrays.copyOf(rowStart, rowStart.length * 2);
    }
    rowStart[++rows] = end;
  }

  public void clear() {
    rows = 0;
  }

  public int rows() {
    return rows;
  }

  public int columns() {
    return columns;
  }

  /** Where row {@code r}'s entries start in {@link #indices()} and {@link #values()}; {@code r = rows()} is the end. */
  public int rowStart(int r) {
    return rowStart[r];
  }

  /** The column indices of every row, in row order (the array may be longer than the stored entries). */
  public int[] indices() {
    return indices;
  }

  /** The values beside {@link #indices()}. */
  public float[] values() {
    return values;
  }
}
