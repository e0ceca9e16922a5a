package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.bench.HistoryBenchmark;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ItemLabelHistoryTest {

  @Test
  void keepsLabelsPerItemInOrder() {
    ItemLabelHistory history = new ItemLabelHistory(10, 100, 3);
    history.add(5, 0, 2);
    history.add(6, 1, 1);
    assertThat(history.add(5, 1, 0)).isEqualTo(2);
    int[] slots = new int[3];
    int[] labels = new int[3];
    assertThat(history.labels(5, slots, labels)).isEqualTo(2);
    assertThat(slots).startsWith(0, 1);
    assertThat(labels).startsWith(2, 0);
    history.add(5, 2, 1);
    history.add(5, 3, 1);
    assertThat(history.labels(5, slots, labels)).isEqualTo(3);
    assertThat(labels).containsExactly(0, 1, 1);
    assertThat(history.labels(99, slots, labels)).isZero();
  }

  @Test
  void evictsTheLeastRecentlyLabelledItemPastTheCountBound() {
    ItemLabelHistory history = new ItemLabelHistory(2, 100, 4);
    history.add(1, 0, 0);
    history.add(2, 0, 1);
    history.add(1, 1, 0);
    history.add(3, 0, 2);
    assertThat(history.size()).isEqualTo(2);
    assertThat(history.evictions()).isEqualTo(1);
    int[] slots = new int[4];
    int[] labels = new int[4];
    assertThat(history.labels(2, slots, labels)).isZero();
    assertThat(history.labels(1, slots, labels)).isEqualTo(2);
    // The evicted item's new label is used alone.
    assertThat(history.add(2, 1, 1)).isEqualTo(1);
  }

  @Test
  void evictsItemsOlderThanTheAgeBound() {
    ItemLabelHistory history = new ItemLabelHistory(100, 2, 4);
    history.add(1, 0, 0);
    history.add(2, 0, 1);
    history.add(3, 0, 1);
    history.add(4, 0, 1);
    assertThat(history.size()).isEqualTo(3);
    assertThat(history.evictions()).isEqualTo(1);
    assertThat(history.add(1, 0, 2)).isEqualTo(1);
    assertThat(history.evictions()).isEqualTo(2);
  }

  /**
   * deploy/flink/config.yaml gives a TaskManager 2048 MB and 2 slots: about 1,014 MB of task heap, 507 MB per slot.
   * A label-model task's history may take a quarter of its slot, 128 MB, since the heap state backend copies a state
   * that changes during an asynchronous checkpoint, and the slot also holds the model, the Kafka clients and buffers.
   */
  @Test
  void theDefaultHistoryFitsAQuarterOfASlotsTaskHeap() {
    Map<String, Object> flood = HistoryBenchmark.run(100_000, LabelModelSpec.DEFAULT_MAX_LABELS_PER_ITEM, 3);
    double heapPerItem = (double) flood.get("heap_bytes_per_item");
    // Two int[16] per item, their headers, the entry, the boxed key and the map's node: about 270 bytes.
    assertThat(heapPerItem).as("heap bytes per item").isBetween(200.0, 400.0);
    assertThat(flood.get("items_held")).isEqualTo(100_000);
    assertThat(flood.get("checkpoint_bytes")).as("36 bytes of bounds and counters, then per item its key, tick, "
        + "count and 3 (annotator, class) pairs").isEqualTo(36 + 100_000L * (8 + 8 + 4 + 3 * 8));
    assertThat(LabelModelSpec.DEFAULT_HISTORY_ITEMS * heapPerItem).as("default history's heap")
        .isLessThanOrEqualTo(128.0 * (1 << 20));
  }

  @Test
  void anItemReadBackWithFewerLabelsThanItsBoundGrowsToTheBoundAsLabelsArrive() throws IOException {
    ItemLabelHistory history = new ItemLabelHistory(10, 100, 3);
    history.add(5, 0, 2);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    history.writeTo(new DataOutputStream(bytes));
    ItemLabelHistory read = ItemLabelHistory.readFrom(new BinaryState.Bytes(bytes.toByteArray()));
    read.add(5, 1, 0);
    read.add(5, 2, 1);
    assertThat(read.add(5, 3, 2)).as("the oldest label is dropped at the bound").isEqualTo(3);
    int[] slots = new int[3];
    int[] labels = new int[3];
    assertThat(read.labels(5, slots, labels)).isEqualTo(3);
    assertThat(slots).containsExactly(1, 2, 3);
    assertThat(labels).containsExactly(0, 1, 2);
  }
}
