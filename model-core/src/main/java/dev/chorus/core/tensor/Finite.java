package dev.chorus.core.tensor;

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
