package dev.chorus.core.metrics;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Prequential (test-then-train) accuracy over the last {@code window} outcomes: each example is predicted
 * before it is trained on and its outcome recorded with {@link #add(boolean)}. Outcomes live in a ring of
 * bits, so memory is {@code window / 8} bytes and every operation is O(1). Not thread-safe.
 */
public final class SlidingAccuracy {

  /** Largest accepted window, which bounds what {@link #readFrom} will allocate. */
  public static final int MAX_WINDOW = 1 << 28;

  private final int window;
  private final long[] outcomes;
  /** Ring position the next outcome is written to. */
  private int next;
  private int count;
  private int correct;

  /** @throws IllegalArgumentException unless {@code 1 <= window <= MAX_WINDOW} */
  public SlidingAccuracy(int window) {
    if (window < 1 || window > MAX_WINDOW) {
      throw new IllegalArgumentException("SlidingAccuracy window must be in [1, " + MAX_WINDOW + "], got " + window);
    }
    this.window = window;
    this.outcomes = new long[(window + 63) >>> 6];
  }

  /** Records one outcome, evicting the oldest once the window is full. */
  public void add(boolean correctPrediction) {
    if (count == window) {
      if (bit(next)) {
        correct--;
      }
    } else {
      count++;
    }
    if (correctPrediction) {
      outcomes[next >>> 6] |= 1L << next;
      correct++;
    } else {
      outcomes[next >>> 6] &= ~(1L << next);
    }
    next = next + 1 == window ? 0 : next + 1;
  }

  private boolean bit(int index) {
    return (outcomes[index >>> 6] & (1L << index)) != 0;
  }

  /** Correct outcomes divided by {@link #count()}; {@code NaN} before the first outcome. */
  public double value() {
    return count == 0 ? Double.NaN : (double) correct / count;
  }

  /** Outcomes currently in the window, at most {@link #window()}. */
  public int count() {
    return count;
  }

  public int window() {
    return window;
  }

  /** An independent copy with the same window and outcomes. */
  public SlidingAccuracy copy() {
    SlidingAccuracy copy = new SlidingAccuracy(window);
    System.arraycopy(outcomes, 0, copy.outcomes, 0, outcomes.length);
    copy.next = next;
    copy.count = count;
    copy.correct = correct;
    return copy;
  }

  /** Writes the window, position, counts and outcome bits exactly. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(window);
    out.writeInt(next);
    out.writeInt(count);
    out.writeInt(correct);
    for (long word : outcomes) {
      out.writeLong(word);
    }
  }

  /** Reads a state written by {@link #writeTo}, checking that it is consistent. */
  public static SlidingAccuracy readFrom(DataInput in) throws IOException {
    int window = in.readInt();
    if (window < 1 || window > MAX_WINDOW) {
      throw new IOException("SlidingAccuracy state: window must be in [1, " + MAX_WINDOW + "], stream has " + window);
    }
    SlidingAccuracy accuracy = new SlidingAccuracy(window);
    accuracy.next = in.readInt();
    accuracy.count = in.readInt();
    accuracy.correct = in.readInt();
    for (int i = 0; i < accuracy.outcomes.length; i++) {
      accuracy.outcomes[i] = in.readLong();
    }
    int setBits = 0;
    for (long word : accuracy.outcomes) {
      setBits += Long.bitCount(word);
    }
    // Until the window first fills, outcomes occupy positions [0, count) and the next one goes to count.
    boolean positionsConsistent = accuracy.count == window ? accuracy.next >= 0 && accuracy.next < window
        : accuracy.count >= 0 && accuracy.count < window && accuracy.next == accuracy.count;
    // No outcome outside the window, nor, before it first fills, past the outcomes seen.
    int live = accuracy.count == window ? window : Math.max(0, accuracy.count);
    boolean outside = false;
    for (int w = 0; w < accuracy.outcomes.length; w++) {
      int from = w * Long.SIZE;
      long mask = live >= from + Long.SIZE ? -1L : live <= from ? 0L : (1L << (live - from)) - 1;
      outside |= (accuracy.outcomes[w] & ~mask) != 0;
    }
    if (!positionsConsistent || accuracy.correct != setBits || outside) {
      throw new IOException("SlidingAccuracy state is inconsistent: window=" + window + ", next=" + accuracy.next
          + ", count=" + accuracy.count + ", correct=" + accuracy.correct + ", correct outcomes stored=" + setBits);
    }
    return accuracy;
  }
}
