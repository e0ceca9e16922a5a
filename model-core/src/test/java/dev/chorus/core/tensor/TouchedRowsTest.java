package dev.chorus.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class TouchedRowsTest {

  @Test
  void listsEachRowOnceAscendingAfterSortAndClearsOnlyWhatItHolds() {
    int capacity = (1 << 24) + 1;
    TouchedRows rows = new TouchedRows(capacity);
    Random random = new Random(7);
    for (int round = 0; round < 3; round++) {
      TreeSet<Integer> expected = new TreeSet<>();
      for (int i = 0; i < 5_000; i++) {
        int row = i % 3 == 0 ? random.nextInt(16) : random.nextInt(capacity);
        rows.add(row);
        expected.add(row);
      }
      rows.add(capacity - 1);
      expected.add(capacity - 1);
      assertThat(rows.size()).as("round %d: duplicates are listed once", round).isEqualTo(expected.size());
      rows.sort();
      int i = 0;
      for (int row : expected) {
        assertThat(rows.row(i++)).isEqualTo(row);
        assertThat(rows.contains(row)).isTrue();
      }
      rows.clear();
      assertThat(rows.size()).isZero();
      for (int row : expected) {
        assertThat(rows.contains(row)).as("row %d after clear", row).isFalse();
      }
    }
  }

  @Test
  void removeTakesOutOneRowAndKeepsTheOthersInOrder() {
    TouchedRows rows = new TouchedRows(200);
    for (int row : new int[] {5, 130, 64, 7}) {
      rows.add(row);
    }
    rows.remove(64);
    rows.remove(9);
    assertThat(rows.size()).isEqualTo(3);
    assertThat(new int[] {rows.row(0), rows.row(1), rows.row(2)}).containsExactly(5, 130, 7);
    assertThat(rows.contains(64)).isFalse();
    rows.remove(7);
    rows.add(64);
    assertThat(new int[] {rows.row(0), rows.row(1), rows.row(2)}).containsExactly(5, 130, 64);
    assertThat(rows.contains(7)).isFalse();
  }
}
