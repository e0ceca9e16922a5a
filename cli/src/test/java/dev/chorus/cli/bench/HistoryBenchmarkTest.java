package dev.chorus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.LabelModelSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HistoryBenchmarkTest {

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

}
