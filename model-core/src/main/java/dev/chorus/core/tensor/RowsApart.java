package dev.chorus.core.tensor;

import java.io.DataOutput;
import java.io.IOException;

/**
 * A model (or a part of one) whose parameters are mostly rows that each step touches sparsely (a hashed model's
 * weights and optimizer slots by hashed feature, an embedding table's rows, an output layer's class rows), so that
 * its holder can keep the rows apart from the rest of it, in blocks, and write back only the rows the steps changed:
 * the train job's {@code --hashed-state rows} on RocksDB. Lives here, beside {@link TouchedRows}, so that the parts
 * (embedding tables, output layers) and the models made of them can all implement it.
 */
public interface RowsApart {

  /** The number of rows. */
  int rows();

  /** The floats of one row in {@link #copyRows}. */
  int rowWidth();

  /** The first row from {@code from} on that a step, a read or {@link #putRows} has written, or -1. */
  int nextWrittenRow(int from);

  /** Rows {@code [from, from + count)}, one after another, in a fresh array. */
  float[] copyRows(int from, int count);

  /** Sets the rows from {@code from} on to {@code rows}, as {@link #copyRows} gave them. */
  void putRows(int from, float[] rows);

  /**
   * The rows each step has changed since the caller last cleared this set: kept from the first call on; the caller
   * walks and clears it.
   */
  TouchedRows changedRows();

  /**
   * The model without its rows; its format's reader gives it back with every row as a fresh model has it (zero, or an
   * embedding table's drawn from the seed), for the holder to fill.
   */
  void writeWithoutRowsTo(DataOutput out) throws IOException;

  /** The first set bit from {@code from} on of a bitmap of rows ({@code row >>> 6}'s word, bit {@code row}), or -1. */
  static int nextSetBit(long[] bitmap, int from) {
    int word = from >>> 6;
    if (word >= bitmap.length) {
      return -1;
    }
    for (long bits = bitmap[word] & (-1L << from); ; bits = bitmap[word]) {
      if (bits != 0) {
        return word << 6 | Long.numberOfTrailingZeros(bits);
      }
      if (++word == bitmap.length) {
        return -1;
      }
    }
  }

  /** Refuses a range {@code [from, from + count)} not within {@code [0, rows)}, the message after {@code prefix}. */
  static void requireRange(String prefix, int from, int count, int rows) {
    if (from < 0 || count < 0 || from + (long) count > rows) {
      throw new IllegalArgumentException(prefix + "rows [" + from + ", " + from + " + " + count
          + "): expected within [0, " + rows + ")");
    }
  }
}
