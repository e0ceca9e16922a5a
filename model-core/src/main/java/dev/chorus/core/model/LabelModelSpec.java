package dev.chorus.core.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/**
 * A label model's whole spec: the method and the bounds of its state, the value of a spec's {@code labelModel} key
 * ({@link ModelSpec#labelModel()}). A plain record on the model side: the label models themselves
 * ({@code dev.chorus.core.annotators}) build on it, and check there that a method suits the spec's classifier
 * ({@code LabelModels.check}). In a spec: {@code "labelModel":"dawid-skene"} (the default bounds), or
 * <pre>{@code {"method":"dawid-skene","maxAnnotators":256,"historyItems":262144,"historyMaxAge":1073741824,
 *  "maxLabelsPerItem":16,"protectedLabels":50}}</pre>
 * with any key but {@code method} left to its default. When all {@code maxAnnotators} slots are taken, a new
 * annotator evicts the least recently seen one with fewer than {@code protectedLabels} labels. An optional
 * {@code "halfLifeLabels":500} makes the annotators' confusions forget, for annotators who change; it is written
 * only when set, so the JSON of a spec without it is as before.
 *
 * @param method one of {@link #METHODS}
 * @param maxAnnotators annotators tracked at most; a new one past that evicts one ({@code AnnotatorRegistry})
 * @param historyItems items whose labels are remembered at most (majority, soft, Dawid–Skene, weighted Doctor Net)
 * @param historyMaxAge label events after which an item not labelled since is forgotten
 * @param maxLabelsPerItem labels remembered per item, the most recent ones
 * @param protectedLabels annotators with at least this many labels are never evicted; a label from a new annotator
 *     when every slot is held by one of them is an {@code AnnotatorLimitException}
 * @param halfLifeLabels labels of an annotator after which what its earlier labels taught its confusion weighs half
 *     ({@code ConfusionEstimates}); 0, the default, never forgets
 */
public record LabelModelSpec(String method, int maxAnnotators, int historyItems, long historyMaxAge,
    int maxLabelsPerItem, int protectedLabels, double halfLifeLabels) {

  /** The label-model methods a spec may name; {@code LabelModels} builds each. Adding one starts here. */
  public static final List<String> METHODS =
      List.of("naive", "majority", "soft", "dawid-skene", "doctor-net", "weighted-doctor-net",
          "weighted-doctor-net-paper");
  /** Annotators a task's label model tracks unless its spec says otherwise; labels from more are dead letters. */
  public static final int DEFAULT_MAX_ANNOTATORS = 256;
  /** Default of {@code protectedLabels}: annotators with this many labels or more keep their slot. */
  public static final int DEFAULT_PROTECTED_LABELS = 50;
  /**
   * Default number of remembered items: about 270 heap bytes each (two {@code int[16]}, the entry, the boxed key,
   * the map's node), so 2^18 items take about 68 MB, within a quarter of a slot's task heap in
   * deploy/flink/config.yaml (2048 MB TaskManager, 2 slots: about 507 MB of task heap per slot). A checkpoint
   * writes 20 bytes per item plus 8 per remembered label.
   */
  public static final int DEFAULT_HISTORY_ITEMS = 1 << 18;
  /** Default age bound, in label events. */
  public static final long DEFAULT_HISTORY_MAX_AGE = 1L << 30;
  /** Default labels remembered per item. */
  public static final int DEFAULT_MAX_LABELS_PER_ITEM = 16;

  private static final List<String> KEYS = List.of("method", "maxAnnotators", "historyItems", "historyMaxAge",
      "maxLabelsPerItem", "protectedLabels", "halfLifeLabels");

  /** @throws IllegalArgumentException if a bound is below 1, or protectedLabels below 0, or the method unknown */
  public LabelModelSpec {
    if (maxAnnotators < 1 || historyItems < 1 || historyMaxAge < 1 || maxLabelsPerItem < 1 || protectedLabels < 0) {
      throw new IllegalArgumentException("label model bounds must be >= 1 (protectedLabels >= 0), got maxAnnotators="
          + maxAnnotators + ", historyItems=" + historyItems + ", historyMaxAge=" + historyMaxAge
          + ", maxLabelsPerItem=" + maxLabelsPerItem + ", protectedLabels=" + protectedLabels);
    }
    if (!METHODS.contains(method)) {
      throw new IllegalArgumentException("expected one of " + SpecReader.quoted(METHODS) + ", got \"" + method + "\"");
    }
    if (!(halfLifeLabels >= 0 && halfLifeLabels < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("halfLifeLabels must be finite and >= 0 (0: never forget), got "
          + halfLifeLabels);
    }
  }

  /** These bounds, never forgetting. */
  public LabelModelSpec(String method, int maxAnnotators, int historyItems, long historyMaxAge, int maxLabelsPerItem,
      int protectedLabels) {
    this(method, maxAnnotators, historyItems, historyMaxAge, maxLabelsPerItem, protectedLabels, 0);
  }

  /** These bounds with the default {@code protectedLabels}, {@link #DEFAULT_PROTECTED_LABELS}. */
  public LabelModelSpec(String method, int maxAnnotators, int historyItems, long historyMaxAge, int maxLabelsPerItem) {
    this(method, maxAnnotators, historyItems, historyMaxAge, maxLabelsPerItem, DEFAULT_PROTECTED_LABELS);
  }

  /** This spec with confusions that forget with a half-life of {@code labels} labels per annotator; 0: never. */
  public LabelModelSpec withHalfLifeLabels(double labels) {
    return new LabelModelSpec(method, maxAnnotators, historyItems, historyMaxAge, maxLabelsPerItem, protectedLabels,
        labels);
  }

  /** Method {@code method} with every bound at its default: what {@code "labelModel":"<method>"} means. */
  public static LabelModelSpec of(String method) {
    return withMaxAnnotators(method, DEFAULT_MAX_ANNOTATORS);
  }

  /** Default history bounds with {@code maxAnnotators} annotators. */
  public static LabelModelSpec withMaxAnnotators(String method, int maxAnnotators) {
    return new LabelModelSpec(method, maxAnnotators, DEFAULT_HISTORY_ITEMS, DEFAULT_HISTORY_MAX_AGE,
        DEFAULT_MAX_LABELS_PER_ITEM);
  }

  /** Reads the value of a spec's {@code labelModel} key: a method name, or an object with the method and bounds. */
  static LabelModelSpec fromJson(SpecReader json) {
    if (json.node().isTextual()) {
      String method = json.node().asText();
      return json.validated(() -> of(method));
    }
    if (!json.node().isObject()) {
      throw json.error("expected a method name like \"dawid-skene\" or an object like "
          + "{\"method\":\"dawid-skene\",\"maxAnnotators\":256}, got " + json.node());
    }
    json.requireKnownKeys(KEYS);
    String method = json.string("method");
    int maxAnnotators = json.intValue("maxAnnotators", DEFAULT_MAX_ANNOTATORS);
    int historyItems = json.intValue("historyItems", DEFAULT_HISTORY_ITEMS);
    long historyMaxAge = json.longValue("historyMaxAge", DEFAULT_HISTORY_MAX_AGE);
    int perItem = json.intValue("maxLabelsPerItem", DEFAULT_MAX_LABELS_PER_ITEM);
    int protectedLabels = json.intValue("protectedLabels", DEFAULT_PROTECTED_LABELS);
    double halfLife = json.doubleValue("halfLifeLabels", 0);
    return json.validated(() -> new LabelModelSpec(method, maxAnnotators, historyItems, historyMaxAge, perItem,
        protectedLabels, halfLife));
  }

  /** Writes the object form with every key, defaults included, but {@code halfLifeLabels} only when set. */
  void writeJson(ObjectNode json) {
    json.put("method", method);
    json.put("maxAnnotators", maxAnnotators);
    json.put("historyItems", historyItems);
    json.put("historyMaxAge", historyMaxAge);
    json.put("maxLabelsPerItem", maxLabelsPerItem);
    json.put("protectedLabels", protectedLabels);
    if (halfLifeLabels > 0) {
      json.put("halfLifeLabels", halfLifeLabels);
    }
  }
}
