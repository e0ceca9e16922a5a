package dev.chorus.core.tensor;

import java.util.Arrays;

/**
 * A dense float32 matrix stored row-major in one array: element (i, j) is {@code data()[i * cols() + j]}.
 *
 * <p>The array is exposed on purpose so that BLAS calls and hot loops work on it without copies. The shape
 * is fixed; the contents are mutable. A vector is a matrix with one row.
 */
public final class Matrix {

  private final int rows;
  private final int cols;
  private final float[] data;

  private Matrix(int rows, int cols, float[] data) {
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }

  /** A {@code rows × cols} matrix of zeros. */
  public static Matrix zeros(int rows, int cols) {
    checkShape(rows, cols);
    return new Matrix(rows, cols, new float[Math.multiplyExact(rows, cols)]);
  }

  /** A {@code rows × cols} matrix holding a copy of {@code values}, given row by row. */
  public static Matrix of(int rows, int cols, float... values) {
    checkShape(rows, cols);
    long size = (long) rows * cols;
    if (values.length != size) {
      throw new IllegalArgumentException(
          "Matrix.of(" + rows + ", " + cols + "): expected " + size + " values, got " + values.length);
    }
    return new Matrix(rows, cols, values.clone());
  }

  /** A {@code rows × cols} matrix that uses {@code data} as its storage, without copying. */
  public static Matrix wrap(int rows, int cols, float[] data) {
    checkShape(rows, cols);
    long size = (long) rows * cols;
    if (data.length != size) {
      throw new IllegalArgumentException(
          "Matrix.wrap(" + rows + ", " + cols + "): expected an array of " + size + " floats, got " + data.length);
    }
    return new Matrix(rows, cols, data);
  }

  private static void checkShape(int rows, int cols) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException("Matrix shape must be non-negative, got " + rows + " × " + cols);
    }
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  /** Number of elements, {@code rows × cols}. */
  public int size() {
    return data.length;
  }

  /** The row-major storage itself (not a copy). */
  public float[] data() {
    return data;
  }

  public float get(int row, int col) {
    return data[index(row, col)];
  }

  public void set(int row, int col, float value) {
    data[index(row, col)] = value;
  }

  private int index(int row, int col) {
    if (row < 0 || row >= rows || col < 0 || col >= cols) {
      throw new IndexOutOfBoundsException(
          "element (" + row + ", " + col + ") is outside a " + rows + " × " + cols + " matrix");
    }
    return row * cols + col;
  }

  /** Copies {@code other}'s elements into this matrix; both must have the same shape. */
  public void copyFrom(Matrix other) {
    requireSameShape(other, "copyFrom");
    System.arraycopy(other.data, 0, data, 0, data.length);
  }

  /** A deep copy. */
  public Matrix copy() {
    return new Matrix(rows, cols, data.clone());
  }

  /** Throws if {@code other} does not have this matrix's shape; {@code what} names the operation. */
  public void requireSameShape(Matrix other, String what) {
    if (other.rows != rows || other.cols != cols) {
      throw new IllegalArgumentException(
          what + ": shape mismatch, expected " + rows + " × " + cols + ", got " + other.rows + " × " + other.cols);
    }
  }

  /** Same shape and bit-identical elements. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Matrix m && m.rows == rows && m.cols == cols && Arrays.equals(m.data, data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * rows + cols) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "Matrix[" + rows + " × " + cols + "]";
  }
}
