package dev.chorus.core.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.embedding.EmbeddingBag.Combiner;
import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.spec.SpecReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The deep part's inputs of a {@code wide-deep} model, the value of a spec's {@code embeddings} key:
 * {@code {"dim":16,"buckets":100000,"combiner":"mean","fields":["user","ad","words"],"numeric":["amount"],
 * "learningRate":0.05,"l2":0.0}}. Each of {@code fields} has its own table of {@code buckets × dim} floats
 * ({@link dev.chorus.core.nn.EmbeddingBag}); the deep network's input is their bags, in this order, then the raw
 * values of the {@code numeric} fields (0 when absent).
 *
 * <p>A value {@code v} of field {@code f} (a string, or each string of a list) is the token {@code f=v} of
 * {@link FeatureHasher}, and its row is {@link #bucket}: {@code |h| mod buckets} with {@code h} the token's signed
 * MurmurHash3 (x86_32, seed 0) and {@code |−2^31| = 2^31}; the hash's sign is not used. The tables are trained by
 * AdaGrad at {@code learningRate} with decoupled L2 decay {@code l2} (see {@code EmbeddingBag}).
 *
 * @param combiner how a field's rows make its bag: their sum, or their mean
 * @param numeric numeric fields fed to the deep network as they are, after the bags
 */
public record EmbeddingsSpec(int dim, int buckets, Combiner combiner, List<String> fields, List<String> numeric,
    double learningRate, double l2) {

  public static final Combiner DEFAULT_COMBINER = Combiner.MEAN;
  public static final double DEFAULT_LEARNING_RATE = 0.05;
  public static final double DEFAULT_L2 = 0.0;
  static final String EXAMPLE = "{\"dim\":16,\"buckets\":100000,\"fields\":[\"user\"]}";
  private static final List<String> KEYS =
      List.of("dim", "buckets", "combiner", "fields", "numeric", "learningRate", "l2");

  public EmbeddingsSpec {
    requirePositive("dim", dim);
    requirePositive("buckets", buckets);
    fields = List.copyOf(fields);
    numeric = List.copyOf(numeric);
    if (fields.isEmpty()) {
      throw new IllegalArgumentException("key 'fields': expected at least one field name, got []");
    }
    if (fields.stream().distinct().count() != fields.size()) {
      throw new IllegalArgumentException("key 'fields': expected distinct names, got " + fields);
    }
    List<String> all = new ArrayList<>(fields);
    all.addAll(numeric);
    if (all.stream().distinct().count() != all.size()) {
      throw new IllegalArgumentException("key 'numeric': expected names distinct from each other and from the "
          + "fields " + fields + ", got " + numeric);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("key 'learningRate': expected a number > 0, got " + learningRate);
    }
    if (!(l2 >= 0) || Double.isInfinite(l2)) {
      throw new IllegalArgumentException("key 'l2': expected a number >= 0, got " + l2);
    }
    if (!(learningRate * l2 < 1)) {
      throw new IllegalArgumentException("key 'l2': expected learningRate × l2 < 1 (a decay per step), got "
          + learningRate + " × " + l2);
    }
  }

  private static void requirePositive(String key, int value) {
    if (value < 1) {
      throw new IllegalArgumentException("key '" + key + "': expected an integer >= 1, got " + value);
    }
  }

  /** The deep network's input width: a bag per field, then the numeric fields. */
  public int inputWidth() {
    return fields.size() * dim + numeric.size();
  }

  /** The row of value {@code value} of field {@code field}, as the class comment says. */
  public int bucket(String field, String value) {
    return (int) (Math.abs((long) FeatureHasher.hash(field + "=" + value)) % buckets);
  }

  /** Reads the {@code embeddings} object; {@code combiner}, {@code numeric}, {@code learningRate}, {@code l2} default. */
  static EmbeddingsSpec fromJson(SpecReader json) {
    json.requireObject("an object like " + EXAMPLE);
    json.requireKnownKeys(KEYS);
    int dim = json.intValue("dim");
    int buckets = json.intValue("buckets");
    Combiner combiner = DEFAULT_COMBINER;
    if (json.has("combiner")) {
      String label = json.string("combiner");
      combiner = Arrays.stream(Combiner.values()).filter(c -> c.label().equals(label)).findFirst()
          .orElseThrow(() -> json.error("combiner", "expected one of "
              + SpecReader.quoted(Arrays.stream(Combiner.values()).map(Combiner::label).toList())
              + ", got \"" + label + "\""));
    }
    Combiner chosen = combiner;
    List<String> fields = json.has("fields") ? json.at("fields").fieldNames() : List.of();
    List<String> numeric = json.has("numeric") ? json.at("numeric").fieldNames() : List.of();
    double learningRate = json.doubleValue("learningRate", DEFAULT_LEARNING_RATE);
    double l2 = json.doubleValue("l2", DEFAULT_L2);
    return json.validated(() -> new EmbeddingsSpec(dim, buckets, chosen, fields, numeric, learningRate, l2));
  }

  void writeJson(ObjectNode json) {
    json.put("dim", dim);
    json.put("buckets", buckets);
    json.put("combiner", combiner.label());
    ArrayNode names = json.putArray("fields");
    fields.forEach(names::add);
    ArrayNode numbers = json.putArray("numeric");
    numeric.forEach(numbers::add);
    json.put("learningRate", learningRate);
    json.put("l2", l2);
  }
}
