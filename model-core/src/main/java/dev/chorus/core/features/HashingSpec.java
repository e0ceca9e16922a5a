package dev.chorus.core.features;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.ArrayList;
import java.util.List;

/**
 * How a task hashes named fields into a sparse vector ({@link FeatureHasher}), the value of a model spec's
 * {@code hashing} key: {@code {"bits":20,"fields":["user","country","words","amount"],
 * "interactions":[["user","country"]]}}. The vector has {@code 2^bits} dimensions, the spec's {@code inputDim}.
 *
 * @param bits log2 of the hashed dimension, in [1, {@link #MAX_BITS}]
 * @param fields the fields the task uses, in hashing order; any other field is rejected. Empty: every field is
 *     used, in key order
 * @param interactions pairs of fields whose features are crossed, like Vowpal Wabbit's {@code -q}
 */
public record HashingSpec(int bits, List<String> fields, List<List<String>> interactions) {

  /** 2^30 floats per output already take 4 GiB; more than that does not fit a Java array. */
  public static final int MAX_BITS = 30;
  private static final List<String> KEYS = List.of("bits", "fields", "interactions");

  public HashingSpec {
    if (bits < 1 || bits > MAX_BITS) {
      throw new IllegalArgumentException("key 'bits': expected an integer in [1, " + MAX_BITS + "], got " + bits);
    }
    fields = List.copyOf(fields);
    if (fields.stream().distinct().count() != fields.size()) {
      throw new IllegalArgumentException("key 'fields': expected distinct names, got " + fields);
    }
    interactions = interactions.stream().map(List::copyOf).toList();
    for (List<String> pair : interactions) {
      if (pair.size() != 2) {
        throw new IllegalArgumentException("key 'interactions': expected pairs of field names, got " + pair);
      }
      for (String field : pair) {
        if (!fields.isEmpty() && !fields.contains(field)) {
          throw new IllegalArgumentException("key 'interactions': expected fields among " + fields + ", got \""
              + field + "\"");
        }
      }
    }
  }

  /** The hashed dimension, {@code 2^bits}. */
  public int dimension() {
    return 1 << bits;
  }

  /** Reads {@code {"bits":20,"fields":[...],"interactions":[[a,b],...]}}; fields and interactions default to []. */
  public static HashingSpec fromJson(SpecReader json) {
    json.requireObject("an object like {\"bits\":20,\"fields\":[\"user\"],\"interactions\":[]}");
    json.requireKnownKeys(KEYS);
    int bits = json.intValue("bits");
    List<String> fields = json.has("fields") ? json.at("fields").fieldNames() : List.of();
    List<List<String>> interactions = new ArrayList<>();
    if (json.has("interactions")) {
      for (SpecReader pair : json.at("interactions").arrayElements()) {
        interactions.add(pair.fieldNames());
      }
    }
    return json.validated(() -> new HashingSpec(bits, fields, interactions));
  }

  public void writeJson(ObjectNode json) {
    json.put("bits", bits);
    ArrayNode names = json.putArray("fields");
    fields.forEach(names::add);
    ArrayNode pairs = json.putArray("interactions");
    interactions.forEach(pair -> pair.forEach(pairs.addArray()::add));
  }
}
