package dev.chorus.core.output;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/**
 * Config of a {@link HierarchicalSoftmax} output layer: {@code {"classes":1000000,"countPrefix":100000}}. The layer's
 * Huffman tree is built from the class counts its constructor is given, never from this record; in Chorus the one
 * such layer is a {@code large-softmax} model's, whose tree takes Zipf counts by class rank
 * ({@code LargeOutputModel}), and whose {@code output} key has no {@code countPrefix}.
 *
 * @param classes the number of classes
 * @param countPrefix how many labelled examples at the head of a stream a caller that estimates the class counts
 *     ({@link HierarchicalSoftmax#countsOf}) would count them on; read and written with the record, but no code
 *     reads it to build a tree: the layer and {@code LargeOutputModel} ignore it
 */
public record HierarchicalSoftmaxSpec(int classes, int countPrefix) {

  public static final int DEFAULT_COUNT_PREFIX = 100_000;
  private static final List<String> KEYS = List.of("classes", "countPrefix");

  public HierarchicalSoftmaxSpec {
    if (classes < 2) {
      throw new IllegalArgumentException("key 'classes': expected an integer >= 2, got " + classes);
    }
    if (countPrefix < 1) {
      throw new IllegalArgumentException("key 'countPrefix': expected an integer >= 1, got " + countPrefix);
    }
  }

  /** Reads {@code {"classes":C,"countPrefix":n}}; countPrefix defaults to {@value #DEFAULT_COUNT_PREFIX}. */
  public static HierarchicalSoftmaxSpec fromJson(SpecReader json) {
    json.requireObject("an object like {\"classes\":1000000,\"countPrefix\":100000}");
    json.requireKnownKeys(KEYS);
    int classes = json.intValue("classes");
    int countPrefix = json.intValue("countPrefix", DEFAULT_COUNT_PREFIX);
    return json.validated(() -> new HierarchicalSoftmaxSpec(classes, countPrefix));
  }

  public void writeJson(ObjectNode json) {
    json.put("classes", classes);
    json.put("countPrefix", countPrefix);
  }
}
