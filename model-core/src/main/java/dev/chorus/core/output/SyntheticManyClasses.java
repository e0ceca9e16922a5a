package dev.chorus.core.output;

import dev.chorus.core.random.SplitMix64;
import java.util.List;
import java.util.Map;

/**
 * A seeded stream of examples of a task with many classes, for tests and benchmarks of large-output models: class
 * ids drawn from the {@link LogUniformSampler} (Zipf frequencies, id 0 the most frequent, as the sampled and
 * hierarchical layers assume), and named fields that determine the class: {@code key} the token of the class
 * ({@code "k" + class}), {@code group} that of its group of 100 ({@code "g" + class / 100}), plus a {@code noise}
 * token drawn uniformly from {@value #NOISE_TOKENS}, unrelated to the class.
 */
public final class SyntheticManyClasses {

  /** The fields of every example, in hashing order. */
  public static final List<String> FIELDS = List.of("key", "group", "noise");
  static final int NOISE_TOKENS = 50;

  private final int classes;
  private final LogUniformSampler frequencies;
  private final SplitMix64 rng;

  /** One example: its named fields and its class. */
  public record Example(Map<String, Object> fields, int label) {}

  public SyntheticManyClasses(int classes, long seed) {
    this.classes = classes;
    this.frequencies = new LogUniformSampler(classes);
    this.rng = SplitMix64.seeded(seed);
  }

  public int classes() {
    return classes;
  }

  /** The next example of the stream. */
  public Example next() {
    int label = frequencies.sample(rng);
    return new Example(fields(label, (int) (rng.nextDouble() * NOISE_TOKENS)), label);
  }

  /** The fields of an example of class {@code label} with noise token {@code noise}. */
  public static Map<String, Object> fields(int label, int noise) {
    return Map.of("key", "k" + label, "group", "g" + label / 100, "noise", "n" + noise);
  }
}
