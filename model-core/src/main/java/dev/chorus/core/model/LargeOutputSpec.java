package dev.chorus.core.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.embedding.EmbeddingBag.Combiner;
import dev.chorus.core.spec.SpecReader;
import java.util.Arrays;
import java.util.List;

/**
 * The output of a {@code large-softmax} model ({@link LargeOutputModel}), the value of a spec's {@code output} key:
 * <pre>{@code
 * {"type":"sampled-softmax","samples":64,"dim":32,"combiner":"mean","topK":10}
 * {"type":"negative-sampling","negatives":5,"dim":32}
 * {"type":"hierarchical-softmax","dim":32}
 * }</pre>
 * {@code dim} is the width of the embedding bag of the hashed fields that feeds the output layer; {@code topK} how
 * many classes a prediction carries. {@code samples} (sampled softmax) and {@code negatives} (negative sampling) are
 * the classes drawn per minibatch; hierarchical softmax draws none.
 *
 * @param samples the classes drawn per minibatch; 0 for hierarchical softmax
 */
public record LargeOutputSpec(Type type, int samples, int dim, Combiner combiner, int topK) {

  public static final int DEFAULT_SAMPLES = 64;
  public static final int DEFAULT_NEGATIVES = 5;
  public static final int DEFAULT_DIM = 32;
  public static final Combiner DEFAULT_COMBINER = Combiner.MEAN;
  public static final int DEFAULT_TOP_K = 10;
  /** Most classes a prediction carries. */
  public static final int MAX_TOP_K = 1_024;
  public static final int MAX_SAMPLES = 100_000;
  static final String EXAMPLE = "{\"type\":\"sampled-softmax\",\"samples\":64,\"dim\":32}";

  /** The output layer. */
  public enum Type {
    SAMPLED_SOFTMAX("sampled-softmax", "samples", DEFAULT_SAMPLES),
    NEGATIVE_SAMPLING("negative-sampling", "negatives", DEFAULT_NEGATIVES),
    HIERARCHICAL_SOFTMAX("hierarchical-softmax", null, 0);

    private final String label;
    /** The key of its sample size, or null. */
    private final String sampleKey;
    private final int defaultSamples;

    Type(String label, String sampleKey, int defaultSamples) {
      this.label = label;
      this.sampleKey = sampleKey;
      this.defaultSamples = defaultSamples;
    }

    public String label() {
      return label;
    }
  }

  public LargeOutputSpec {
    if (type.sampleKey == null ? samples != 0 : samples < 1 || samples > MAX_SAMPLES) {
      throw new IllegalArgumentException("key '" + (type.sampleKey == null ? "samples" : type.sampleKey)
          + "': expected " + (type.sampleKey == null ? "none for " + type.label : "an integer in [1, " + MAX_SAMPLES
          + "]") + ", got " + samples);
    }
    if (dim < 1) {
      throw new IllegalArgumentException("key 'dim': expected an integer >= 1, got " + dim);
    }
    if (topK < 1 || topK > MAX_TOP_K) {
      throw new IllegalArgumentException("key 'topK': expected an integer in [1, " + MAX_TOP_K + "], got " + topK);
    }
  }

  /** Reads the {@code output} object; all but {@code type} default. */
  static LargeOutputSpec fromJson(SpecReader json) {
    json.requireObject("an object like " + EXAMPLE);
    String label = json.string("type");
    Type type = Arrays.stream(Type.values()).filter(t -> t.label.equals(label)).findFirst()
        .orElseThrow(() -> json.error("type", "expected one of "
            + SpecReader.quoted(Arrays.stream(Type.values()).map(Type::label).toList()) + ", got \"" + label + "\""));
    json.requireKnownKeys(type.sampleKey == null ? List.of("type", "dim", "combiner", "topK")
        : List.of("type", type.sampleKey, "dim", "combiner", "topK"));
    int samples = type.sampleKey == null ? 0 : json.intValue(type.sampleKey, type.defaultSamples);
    int dim = json.intValue("dim", DEFAULT_DIM);
    Combiner combiner = DEFAULT_COMBINER;
    if (json.has("combiner")) {
      String name = json.string("combiner");
      combiner = Arrays.stream(Combiner.values()).filter(c -> c.label().equals(name)).findFirst()
          .orElseThrow(() -> json.error("combiner", "expected one of "
              + SpecReader.quoted(Arrays.stream(Combiner.values()).map(Combiner::label).toList()) + ", got \""
              + name + "\""));
    }
    Combiner chosen = combiner;
    int topK = json.intValue("topK", DEFAULT_TOP_K);
    return json.validated(() -> new LargeOutputSpec(type, samples, dim, chosen, topK));
  }

  void writeJson(ObjectNode json) {
    json.put("type", type.label);
    if (type.sampleKey != null) {
      json.put(type.sampleKey, samples);
    }
    json.put("dim", dim);
    json.put("combiner", combiner.label());
    json.put("topK", topK);
  }
}
