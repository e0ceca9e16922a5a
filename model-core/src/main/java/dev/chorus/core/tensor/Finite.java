package dev.chorus.core.tensor;

/** Where an array first holds a NaN or an infinity, for readers that refuse such models. */
public final class Finite {

  private Finite() {}

  /** Null when every value of {@code values} is finite, else {@code "<what> is <value> at index <i>"}. */
  public static String firstNonFinite(String what, float[] values) {
    return firstNonFinite(what, values, 0, values.length);
  }

  /**
   * {@link #firstNonFinite(String, float[])} over {@code values[from, to)}: first a pass without an early exit, which
   * C2 vectorises (a NaN survives {@code Math.max}, and {@code |±inf|} is inf), then, only if it found something, the
   * pass that says where.
   */
  private static String firstNonFinite(String what, float[] values, int from, int to) {
    float max = 0;
    for (int i = from; i < to; i++) {
      max = Math.max(max, Math.abs(values[i]));
    }
    if (max <= Float.MAX_VALUE) {
      return null;
    }
    for (int i = from; i < to; i++) {
      if (!Float.isFinite(values[i])) {
        return what + " is " + values[i] + " at index " + i;
      }
    }
    return null;
  }

  /**
   * As {@link #firstNonFinite(String, float[])} over the rows of {@code width} values whose bits are set in {@code
   * rows} (a {@link RowsApart} table's written rows): the rows never written hold what the table's constructor put
   * there. Few written rows are read one by one, so a sparsely trained table costs what its saved bytes do; past an
   * eighth of the table, one sequential pass over all of it is faster than the scattered rows (measured:
   * {@code SavedModelReadBenchmark}).
   */
  public static String firstNonFinite(String what, float[] values, int width, long[] rows) {
    long written = 0;
    for (long word : rows) {
      written += Long.bitCount(word);
    }
    if (written * width * 8 >= values.length) {
      return firstNonFinite(what, values, 0, values.length);
    }
    for (int row = RowsApart.nextSetBit(rows, 0); row >= 0; row = RowsApart.nextSetBit(rows, row + 1)) {
      String bad = firstNonFinite(what, values, row * width, (row + 1) * width);
      if (bad != null) {
        return bad;
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
