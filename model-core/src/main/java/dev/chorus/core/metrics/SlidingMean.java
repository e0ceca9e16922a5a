package dev.chorus.core.metrics;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The mean of the last {@code window} values, kept in a ring of doubles. Adding is O(1): the running sum
 * gains the new value and loses the evicted one. Rounding errors of that update would accumulate over an
 * endless stream, so the sum is recomputed from the ring each time the ring wraps, which costs O(1)
 * amortised. For 0/1 outcomes {@link SlidingAccuracy} stores one bit per value instead of 64.
 *
 * <p>Not thread-safe.
 */
public final class SlidingMean implements PrequentialMean {

  /** Largest accepted window (128 MiB of values), which bounds what {@link PrequentialMean#readFrom} allocates. */
  public static final int MAX_WINDOW = 1 << 24;

  static final byte KIND = 1;

  private final double[] values;
  /** Ring position the next value is written to. */
  private int next;
  private int count;
  private double sum;

  /** @throws IllegalArgumentException unless {@code 1 <= window <= MAX_WINDOW} */
  public SlidingMean(int window) {
    if (window < 1 || window > MAX_WINDOW) {
      throw new IllegalArgumentException("SlidingMean: window must be in [1, " + MAX_WINDOW + "], got " + window);
    }
    this.values = new double[window];
  }

  public int window() {
    return values.length;
  }

  @Override
  public void add(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("SlidingMean: value must be finite, got " + value);
    }
    if (count == values.length) {
      sum -= values[next];
    } else {
      count++;
    }
    values[next] = value;
    sum += value;
    next++;
    if (next == values.length) {
      next = 0;
      sum = exactSum(values, count);
    }
  }

  private static double exactSum(double[] values, int count) {
    double total = 0;
    for (int i = 0; i < count; i++) {
      total += values[i];
    }
    return total;
  }

  @Override
  public double value() {
    return count == 0 ? Double.NaN : sum / count;
  }

  /** Values currently in the window, at most {@link #window()}. */
  @Override
  public double weight() {
    return count;
  }

  @Override
  public SlidingMean copy() {
    SlidingMean copy = new SlidingMean(values.length);
    System.arraycopy(values, 0, copy.values, 0, count);
    copy.next = next;
    copy.count = count;
    copy.sum = sum;
    return copy;
  }

  /** Writes the kind, window, position, count, running sum and the {@code count} stored values. */
  @Override
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(KIND);
    out.writeInt(values.length);
    out.writeInt(next);
    out.writeInt(count);
    out.writeLong(Double.doubleToRawLongBits(sum));
    // Until the window first fills, values occupy positions [0, count); afterwards the whole ring.
    for (int i = 0; i < count; i++) {
      out.writeLong(Double.doubleToRawLongBits(values[i]));
    }
  }

  static SlidingMean readState(DataInput in) throws IOException {
    int window = in.readInt();
    if (window < 1 || window > MAX_WINDOW) {
      throw new IOException("SlidingMean state: window must be in [1, " + MAX_WINDOW + "], stream has " + window);
    }
    int next = in.readInt();
    int count = in.readInt();
    double sum = Double.longBitsToDouble(in.readLong());
    boolean positionsConsistent = count == window ? next >= 0 && next < window
        : count >= 0 && count < window && next == count;
    if (!positionsConsistent || !Double.isFinite(sum)) {
      throw new IOException("SlidingMean state is inconsistent: window=" + window + ", next=" + next + ", count="
          + count + ", sum=" + sum);
    }
    SlidingMean mean = new SlidingMean(window);
    for (int i = 0; i < count; i++) {
      double value = Double.longBitsToDouble(in.readLong());
      if (!Double.isFinite(value)) {
        throw new IOException("SlidingMean state: value " + i + " must be finite, stream has " + value);
      }
      mean.values[i] = value;
    }
    mean.next = next;
    mean.count = count;
    mean.sum = sum;
    return mean;
  }
}
