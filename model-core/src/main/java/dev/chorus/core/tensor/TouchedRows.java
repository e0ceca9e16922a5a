package dev.chorus.core.tensor;

import java.util.Arrays;

/**
 * The distinct rows of a table that one minibatch touched, as a compact list beside a one-bit-per-row set: adding
 * costs a bit test, walking costs the rows listed, and {@link #clear} resets only the set's words those rows are in.
 * A step walks this list instead of the whole bitmap, whose size is the table's (2^24 rows: 2 MiB a walk).
 */
public final class TouchedRows {

  private final long[] bits;
  private final int capacity;
  private int[] rows = new int[64];
  private int size;

  /** @param capacity the number of rows of the table: every row added is in {@code [0, capacity)} */
  public TouchedRows(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("TouchedRows: capacity must be >= 1, got " + capacity);
    }
    this.capacity = capacity;
    this.bits = new long[((capacity - 1) >>> 6) + 1];
  }

  /** Adds {@code row} unless it is in already. */
  public void add(int row) {
    int word = row >>> 6;
    long mask = 1L << row;
    if ((bits[word] & mask) == 0) {
      bits[word] |= mask;
      if (size == rows.length) {
        rows = Arrays.copyOf(rows, Math.min(Math.max(size * 2, 64), capacity));
      }
      rows[size++] = row;
    }
  }

  /**
   * Takes {@code row} out unless it is not in: a search of the list from its end, so cheap for the rows added
   * last (as when a step that added them is undone).
   */
  public void remove(int row) {
    if (!contains(row)) {
      return;
    }
    int i = size - 1;
    while (rows[i] != row) {
      i--;
    }
    System.arraycopy(rows, i + 1, rows, i, size - 1 - i);
    size--;
    bits[row >>> 6] &= ~(1L << row);
  }

  public boolean contains(int row) {
    return (bits[row >>> 6] & 1L << row) != 0;
  }

  /** The number of distinct rows added since the last {@link #clear}. */
  public int size() {
    return size;
  }

  /** The {@code i}-th row listed: in the order added, or ascending after {@link #sort}. */
  public int row(int i) {
    return rows[i];
  }

  /** Puts the rows in ascending order, the order a walk of the bitmap would give. */
  public void sort() {
    Arrays.sort(rows, 0, size);
  }

  /** Empties the set, in time proportional to the rows it holds. */
  public void clear() {
    for (int i = 0; i < size; i++) {
      bits[rows[i] >>> 6] = 0L;
    }
    size = 0;
  }
}
