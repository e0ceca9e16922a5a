package dev.chorus.cli.bench;

import dev.chorus.core.annotators.ItemLabelHistory;
import dev.chorus.core.model.LabelModelSpec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code chorus bench history}: a flood of unique item ids into a label model's per-item label history at given
 * bounds, {@code labelsPerItem} labels per item, twice as many items as the bound so that it is full and evicting;
 * then the heap the history retains (after full collections) and the bytes a checkpoint writes for it.
 */
public final class HistoryBenchmark {
  private HistoryBenchmark() {}

  /** Floods a history of {@code maxItems} items and measures it. */
  public static Map<String, Object> run(int maxItems, int maxLabelsPerItem, int labelsPerItem) {
    ItemLabelHistory history = new ItemLabelHistory(maxItems, LabelModelSpec.DEFAULT_HISTORY_MAX_AGE,
        maxLabelsPerItem);
    long items = 2L * maxItems;
    for (long item = 0; item < items; item++) {
      for (int l = 0; l < labelsPerItem; l++) {
        history.add(item * 0x9E3779B97F4A7C15L, l, l % 10);
      }
    }
    int held = history.size();
    long evictions = history.evictions();
    long checkpoint = serializedBytes(history);
    // The heap with the history and right after letting it go, back to back: garbage or threads left by whatever
    // ran before in this JVM (a test suite, say) count on both sides and cancel out.
    long with = heapAfterGc();
    Reference.reachabilityFence(history);
    history = null;
    long heap = with - heapAfterGc();
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("history_items_bound", maxItems);
    results.put("max_labels_per_item", maxLabelsPerItem);
    results.put("labels_per_item", labelsPerItem);
    results.put("unique_items_labelled", items);
    results.put("items_held", held);
    results.put("evictions", evictions);
    results.put("heap_bytes", heap);
    results.put("heap_bytes_per_item", (double) heap / held);
    results.put("checkpoint_bytes", checkpoint);
    results.put("checkpoint_bytes_per_item", (double) checkpoint / held);
    return results;
  }

  /** What {@link ItemLabelHistory#writeTo} writes: the history's share of a checkpoint. */
  public static long serializedBytes(ItemLabelHistory history) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      history.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.size();
  }

  /** Heap in use after full collections: the least of three, as one may catch a concurrent allocation. */
  public static long heapAfterGc() {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return least;
  }
}
