package dev.chorus.core.select;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Count, mean and sum of squared deviations of a stream of values by Welford's update (numerically stable, one
 * pass): B. P. Welford, "Note on a method for calculating corrected sums of squares and products",
 * Technometrics 4(3), 1962.
 */
public final class RunningMoments {
  private long n;
  private double mean;
  private double m2;

  /** Adds one finite value. */
  public void add(double x) {
    if (!Double.isFinite(x)) {
      throw new IllegalArgumentException("RunningMoments: expected a finite value, got " + x);
    }
    n++;
    double delta = x - mean;
    mean += delta / n;
    m2 += delta * (x - mean);
  }

  public long count() {
    return n;
  }

  /** The mean; {@code NaN} before the first value. */
  public double mean() {
    return n == 0 ? Double.NaN : mean;
  }

  /** The sample variance (n − 1 in the denominator); {@code NaN} below two values. */
  public double variance() {
    return n < 2 ? Double.NaN : m2 / (n - 1);
  }

  /** The standard error of the mean, {@code sqrt(variance / n)}; {@code NaN} below two values. */
  public double standardError() {
    return Math.sqrt(variance() / n);
  }

  /** Writes the state exactly (raw IEEE 754 bits). */
  public void writeTo(DataOutput out) throws IOException {
    out.writeLong(n);
    out.writeLong(Double.doubleToRawLongBits(mean));
    out.writeLong(Double.doubleToRawLongBits(m2));
  }

  /** Reads a state written by {@link #writeTo}, checking it is consistent; {@code what} names it in errors. */
  public static RunningMoments readFrom(DataInput in, String what) throws IOException {
    RunningMoments m = new RunningMoments();
    m.n = in.readLong();
    m.mean = Double.longBitsToDouble(in.readLong());
    m.m2 = Double.longBitsToDouble(in.readLong());
    if (m.n < 0 || !Double.isFinite(m.mean) || !(m.m2 >= 0)) {
      throw new IOException(what + ": expected count >= 0, a finite mean and squared deviations >= 0, stream has n="
          + m.n + ", mean=" + m.mean + ", m2=" + m.m2);
    }
    return m;
  }
}
