package dev.chorus.core.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/**
 * The value of a spec's {@code featureRange} or {@code targetRange} key, {@code {"min":0,"max":1}}: the values a
 * task's features, or a regression task's targets, may take, declared by whoever knows them (pixels in [0, 1], a count
 * at least 0, a price below 10⁶). The jobs check every feature value an example carries against the first (a dense or
 * sparse vector's values, a hashed task's numeric fields) and its target against the second, and make an example with
 * one outside a dead letter before it reaches the model: one value many orders of magnitude beyond the others, finite
 * as it is, would otherwise own a standardised feature's running mean and variance for good, a hashed coordinate's
 * adaptive learning rate, or an optimizer's moments. Absent from a spec, any finite value is taken.
 *
 * @param min the least value taken, {@link Double#NEGATIVE_INFINITY} when only {@code max} is given
 * @param max the greatest value taken, {@link Double#POSITIVE_INFINITY} when only {@code min} is given
 */
public record ValueRange(double min, double max) {

  static final String EXAMPLE = "{\"min\":0,\"max\":1}";

  /** @throws IllegalArgumentException naming the key, what was expected and what was found */
  public ValueRange {
    if (Double.isNaN(min) || min == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("key 'min': expected a finite number, got " + min);
    }
    if (Double.isNaN(max) || max == Double.NEGATIVE_INFINITY) {
      throw new IllegalArgumentException("key 'max': expected a finite number, got " + max);
    }
    if (Double.isInfinite(min) && Double.isInfinite(max)) {
      throw new IllegalArgumentException("expected 'min', 'max' or both, got neither");
    }
    if (!(min <= max)) {
      throw new IllegalArgumentException("key 'max': expected a number at least 'min' (" + min + "), got " + max);
    }
  }

  /** Reads a range object ({@code featureRange}, {@code targetRange}): {@code min}, {@code max} or both, finite. */
  public static ValueRange fromJson(SpecReader json) {
    json.requireObject("an object like " + EXAMPLE);
    json.requireKnownKeys(List.of("min", "max"));
    double min = json.doubleValue("min", Double.NEGATIVE_INFINITY);
    double max = json.doubleValue("max", Double.POSITIVE_INFINITY);
    // JSON numbers past double's range read as infinite: a bound given must be a finite one.
    if (json.has("min") && Double.isInfinite(min)) {
      throw beyondDouble(json, "min");
    }
    if (json.has("max") && Double.isInfinite(max)) {
      throw beyondDouble(json, "max");
    }
    return json.validated(() -> new ValueRange(min, max));
  }

  private static IllegalArgumentException beyondDouble(SpecReader json, String bound) {
    return json.error(bound, "expected a finite number, got one beyond double's range (" + Double.MAX_VALUE
        + " in magnitude)");
  }

  /** Writes the bounds given: a side without one is left out. */
  public void writeJson(ObjectNode json) {
    if (Double.isFinite(min)) {
      json.put("min", min);
    }
    if (Double.isFinite(max)) {
      json.put("max", max);
    }
  }

  /** Whether {@code value} lies in the range, its bounds included; never for NaN. */
  public boolean contains(double value) {
    return value >= min && value <= max;
  }

  /**
   * The position of the first of {@code values[from, to)} outside the range, or -1: one pass for the least and
   * greatest value (about a third of the time of asking {@link #contains} value by value, {@code ValueRangeBenchmark}),
   * then a look for the first outside only when there is one. The bounds are compared as the floats nearest inside
   * them, which for a float value decides as the doubles do.
   */
  public int firstOutside(float[] values, int from, int to) {
    float lo = (float) min;
    if (lo < min) {
      lo = Math.nextUp(lo);
    }
    float hi = (float) max;
    if (hi > max) {
      hi = Math.nextDown(hi);
    }
    // Math.min and Math.max carry a NaN through, so a NaN is found outside too.
    float least = Float.POSITIVE_INFINITY;
    float greatest = Float.NEGATIVE_INFINITY;
    for (int i = from; i < to; i++) {
      least = Math.min(least, values[i]);
      greatest = Math.max(greatest, values[i]);
    }
    if (least >= lo && greatest <= hi) {
      return -1;
    }
    for (int i = from; i < to; i++) {
      if (!contains(values[i])) {
        return i;
      }
    }
    return -1;
  }

  /** "in [0.0, 1.0]", "at least 0.0" or "at most 1.0", for messages. */
  public String describe() {
    if (Double.isInfinite(max)) {
      return "at least " + min;
    }
    if (Double.isInfinite(min)) {
      return "at most " + max;
    }
    return "in [" + min + ", " + max + "]";
  }
}
