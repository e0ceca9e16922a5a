package dev.chorus.core.model;

import java.util.List;

/**
 * The bounds of a label model's state, the object form of a spec's {@code labelModel} key ({@link ModelSpec}). A
 * plain record on the model side: the label models themselves ({@code dev.chorus.core.annotators}) build on it, and
 * check there that a method suits the spec's classifier ({@code LabelModels.check}).
 *
 * @param maxAnnotators annotators tracked at most; a new one past that evicts one ({@code AnnotatorRegistry})
 * @param historyItems items whose labels are remembered at most (majority, soft, Dawid–Skene, weighted Doctor Net)
 * @param historyMaxAge label events after which an item not labelled since is forgotten
 * @param maxLabelsPerItem labels remembered per item, the most recent ones
 * @param protectedLabels annotators with at least this many labels are never evicted; a label from a new annotator
 *     when every slot is held by one of them is an {@code AnnotatorLimitException}
 */
public record LabelModelSpec(int maxAnnotators, int historyItems, long historyMaxAge, int maxLabelsPerItem,
    int protectedLabels) {

  /** The label-model methods a spec may name; {@code LabelModels} builds each. */
  public static final List<String> METHODS =
      List.of("naive", "majority", "soft", "dawid-skene", "doctor-net", "weighted-doctor-net");
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

  /** @throws IllegalArgumentException if a bound is below 1, or protectedLabels below 0 */
  public LabelModelSpec {
    if (maxAnnotators < 1 || historyItems < 1 || historyMaxAge < 1 || maxLabelsPerItem < 1 || protectedLabels < 0) {
      throw new IllegalArgumentException("label model bounds must be >= 1 (protectedLabels >= 0), got maxAnnotators="
          + maxAnnotators + ", historyItems=" + historyItems + ", historyMaxAge=" + historyMaxAge
          + ", maxLabelsPerItem=" + maxLabelsPerItem + ", protectedLabels=" + protectedLabels);
    }
  }

  /** These bounds with the default {@code protectedLabels}, {@link #DEFAULT_PROTECTED_LABELS}. */
  public LabelModelSpec(int maxAnnotators, int historyItems, long historyMaxAge, int maxLabelsPerItem) {
    this(maxAnnotators, historyItems, historyMaxAge, maxLabelsPerItem, DEFAULT_PROTECTED_LABELS);
  }

  /** Default history bounds with {@code maxAnnotators} annotators. */
  public static LabelModelSpec withMaxAnnotators(int maxAnnotators) {
    return new LabelModelSpec(maxAnnotators, DEFAULT_HISTORY_ITEMS, DEFAULT_HISTORY_MAX_AGE,
        DEFAULT_MAX_LABELS_PER_ITEM);
  }
}
