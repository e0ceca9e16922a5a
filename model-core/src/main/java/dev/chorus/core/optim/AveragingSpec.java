package dev.chorus.core.optim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/**
 * The value of a spec's {@code averaging} key, {@code {"decay":0.99}}: predict from an exponential moving average of
 * the weights while training the live ones ({@link ParameterAverage}). Absent from a spec, a model predicts from its
 * live weights.
 *
 * @param decay the average's decay {@code d} in {@code w̄ ← d·w̄ + (1 − d)·w}, in (0, 1); the average spans about
 *     {@code 1 / (1 − d)} steps
 */
public record AveragingSpec(double decay) {

  static final String EXAMPLE = "{\"decay\":0.99}";

  /** @throws IllegalArgumentException naming the key, the expected range and the value */
  public AveragingSpec {
    if (!(decay > 0 && decay < 1)) {
      throw new IllegalArgumentException("key 'decay': expected a number in (0, 1), got " + decay);
    }
  }

  /** Reads the {@code averaging} object; {@code decay} is required. */
  public static AveragingSpec fromJson(SpecReader json) {
    json.requireObject("an object like " + EXAMPLE);
    json.requireKnownKeys(List.of("decay"));
    double decay = json.requiredDouble("decay");
    return json.validated(() -> new AveragingSpec(decay));
  }

  public void writeJson(ObjectNode json) {
    json.put("decay", decay);
  }
}
