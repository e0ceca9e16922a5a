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

  static byte[] bytes(ItemLabelHistory history) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    history.writeTo(new DataOutputStream(out));
    return out.toByteArray();
  }

  /**
   * Forgetting a slot visits the items its index lists, which {@code add} keeps up to date through relabels, labels
   * crowded out, items evicted by count and by age, earlier forgets, marks and rollbacks; the result must be what a
   * pass over the whole history gives, which a copy (whose index is built afresh, from its items, when it first
   * forgets) stands for. 20,000 random steps on small bounds, so that every path (compaction of a list too long included) is taken many
   * times.
   */
  @Test
  void forgettingThroughTheSlotIndexEqualsAPassOverTheHistory() throws IOException {
    java.util.Random random = new java.util.Random(7);
    ItemLabelHistory history = new ItemLabelHistory(40, 150, 3);
    byte[] marked = bytes(history);
    history.mark();
    int forgets = 0;
    int rollbacks = 0;
    for (int step = 0; step < 20_000; step++) {
      // Quiet stretches with few forgets and rollbacks let a slot's list grow past its labels and be compacted.
      boolean quiet = step / 2000 % 2 == 1;
      int op = random.nextInt(1000);
      if (op < 850) {
        history.add(random.nextInt(60), random.nextInt(8), random.nextInt(3));
      } else if (op < (quiet ? 852 : 950)) {
        int slot = random.nextInt(9);
        ItemLabelHistory scanned = history.copy();
        scanned.forgetSlot(slot);
        history.forgetSlot(slot);
        assertThat(bytes(history)).as("step %d: forget slot %d", step, slot).isEqualTo(bytes(scanned));
        forgets++;
      } else if (op < (quiet ? 999 : 980)) {
        history.mark();
        marked = bytes(history);
      } else {
        history.rollback();
        assertThat(bytes(history)).as("step %d: rollback", step).isEqualTo(marked);
        rollbacks++;
      }
    }
    assertThat(history.evictions()).as("count and age evictions taken").isGreaterThan(1000);
    assertThat(forgets).isGreaterThan(500);
    assertThat(rollbacks).isGreaterThan(100);
    assertThat(history.compactions()).as("lists compacted").isGreaterThan(50);
  }

  /**
   * An evicted annotator's labels are found through the slot index: forgetting costs the items the slot labelled,
   * not a pass over the history, once the index is built (the first forget after a restore or copy builds it).
   */
  @Test
  void forgettingASlotVisitsItsItemsAloneOnceTheIndexIsBuilt() {
    ItemLabelHistory history = new ItemLabelHistory(1 << 17, 1L << 40, 4);
    for (int item = 0; item < 100_000; item++) {
      history.add(item, 0, item % 3);
    }
    history.forgetSlot(5);
    long visits = history.forgetVisits();
    for (int churn = 0; churn < 1000; churn++) {
      history.add(200_000 + churn, 1, 1);
      history.forgetSlot(1);
    }
    assertThat(history.forgetVisits() - visits).as("one item per forget").isEqualTo(1000);
    assertThat(history.size()).as("each churned item left with its only label").isEqualTo(100_000);
  }
}
