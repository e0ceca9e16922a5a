package dev.chorus.core.tensor;

import java.util.function.IntUnaryOperator;

/** Where an array first holds a NaN or an infinity, for readers that refuse such models. */
public final class Finite {

  private Finite() {}

  /** Null when every value of {@code values} is finite, else {@code "<what> is <value> at index <i>"}. */
  public static String firstNonFinite(String what, float[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        return what + " is " + values[i] + " at index " + i;
      }
    }
    return null;
  }

  /**
   * As {@link #firstNonFinite(String, float[])} over the rows of {@code width} values that {@code nextRow} lists
   * ({@link RowsApart#nextWrittenRow}): a hashed table's rows that were never written hold what its constructor put
   * there, and reading only the written ones costs what the saved bytes do, not the table's size.
   */
  public static String firstNonFinite(String what, float[] values, int width, IntUnaryOperator nextRow) {
    for (int row = nextRow.applyAsInt(0); row >= 0; row = nextRow.applyAsInt(row + 1)) {
      for (int i = row * width, end = i + width; i < end; i++) {
        if (!Float.isFinite(values[i])) {
          return what + " is " + values[i] + " at index " + i;
        }
      }
    }
    return null;
  }

  /** As {@link #firstNonFinite(String, float[])}, for doubles. */
  public static String firstNonFinite(String what, double[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        return what + " is " + values[i] + " at index " + i;
      }
    }
    return null;
  }
}
