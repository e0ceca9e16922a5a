package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.io.BinaryState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
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

  /** What {@code add} would find, without changing anything: an entry it would evict as too old remembers nothing. */
  @Test
  void remembersALabelAsAddWouldFindIt() {
    for (long maxAge : new long[] {2, 3}) {
      ItemLabelHistory history = new ItemLabelHistory(10, maxAge, 3);
      history.add(1, 0, 2);
      history.add(1, 1, 0);
      history.add(2, 0, 1);
      history.add(3, 0, 1);
      // The next add is tick 5: item 1, last labelled at tick 2, would then be 3 labels old.
      assertThat(history.remembers(1, 1, 0)).as("age %d", maxAge).isEqualTo(maxAge >= 3);
      assertThat(history.remembers(1, 0, 2)).as("age %d", maxAge).isEqualTo(maxAge >= 3);
      assertThat(history.remembers(1, 1, 2)).as("another label").isFalse();
      assertThat(history.remembers(1, 2, 0)).as("another annotator").isFalse();
      assertThat(history.remembers(9, 1, 0)).as("another item").isFalse();
      assertThat(history.labelOf(1, 1)).as("age %d", maxAge).isEqualTo(maxAge >= 3 ? 0 : -1);
      assertThat(history.labelOf(1, 2)).as("another annotator").isEqualTo(-1);
      assertThat(history.size()).as("nothing changed").isEqualTo(3);
      history.add(4, 0, 1);
      history.add(5, 0, 1);
      assertThat(history.remembers(1, 0, 2)).as("age %d, evicted", maxAge).isFalse();
    }
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

  @Test
  void aRelabelReplacesTheAnnotatorsEarlierLabelOfTheItem() {
    ItemLabelHistory history = new ItemLabelHistory(10, 100, 3);
    history.add(5, 0, 2);
    history.add(5, 1, 1);
    assertThat(history.add(5, 0, 0)).as("annotator 0 relabelled item 5: still two labels").isEqualTo(2);
    int[] slots = new int[3];
    int[] labels = new int[3];
    assertThat(history.labels(5, slots, labels)).isEqualTo(2);
    assertThat(slots).startsWith(1, 0);
    assertThat(labels).startsWith(1, 0);
  }

  @Test
  void aRelabelRollsBackWithTheRest() {
    ItemLabelHistory history = new ItemLabelHistory(10, 100, 3);
    history.add(5, 0, 2);
    history.add(5, 1, 1);
    history.mark();
    history.add(5, 0, 0);
    history.rollback();
    int[] slots = new int[3];
    int[] labels = new int[3];
    assertThat(history.labels(5, slots, labels)).isEqualTo(2);
    assertThat(slots).startsWith(0, 1);
    assertThat(labels).startsWith(2, 1);
  }
}
