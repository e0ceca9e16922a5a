package dev.chorus.core.metrics;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The prequential mean with a fading factor {@code α} of Gama, Sebastião and Rodrigues (2013): after values
 * {@code x₁ … xᵢ}, {@code Sᵢ = xᵢ + α·Sᵢ₋₁} and {@code Nᵢ = 1 + α·Nᵢ₋₁} (with {@code S₀ = N₀ = 0}), and the
 * estimate is {@code Sᵢ / Nᵢ}. A value {@code k} steps old weighs {@code αᵏ}, so memory is O(1) and the
 * effective window is about {@code 1 / (1 − α)} values; {@code α = 1} is the plain cumulative mean.
 *
 * <p>Not thread-safe.
 */
public final class FadingMean implements PrequentialMean {

  static final byte KIND = 2;

  private final double alpha;
  private double sum;
  private double weight;

  /** @throws IllegalArgumentException unless {@code 0 < alpha <= 1} */
  public FadingMean(double alpha) {
    if (!(alpha > 0 && alpha <= 1)) {
      throw new IllegalArgumentException("FadingMean: alpha must be in (0, 1], got " + alpha);
    }
    this.alpha = alpha;
  }

  public double alpha() {
    return alpha;
  }

  @Override
  public void add(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("FadingMean: value must be finite, got " + value);
    }
    sum = value + alpha * sum;
    weight = 1 + alpha * weight;
  }

  @Override
  public double value() {
    return weight == 0 ? Double.NaN : sum / weight;
  }

  /** The faded count {@code N}. */
  @Override
  public double weight() {
    return weight;
  }

  /** The faded sum {@code S}. */
  public double sum() {
    return sum;
  }

  @Override
  public FadingMean copy() {
    FadingMean copy = new FadingMean(alpha);
    copy.sum = sum;
    copy.weight = weight;
    return copy;
  }

  @Override
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(KIND);
    out.writeLong(Double.doubleToRawLongBits(alpha));
    out.writeLong(Double.doubleToRawLongBits(sum));
    out.writeLong(Double.doubleToRawLongBits(weight));
  }

  static FadingMean readState(DataInput in) throws IOException {
    double alpha = Double.longBitsToDouble(in.readLong());
    double sum = Double.longBitsToDouble(in.readLong());
    double weight = Double.longBitsToDouble(in.readLong());
    if (!(alpha > 0 && alpha <= 1) || !Double.isFinite(sum) || !(weight >= 0) || weight == Double.POSITIVE_INFINITY
        || (weight == 0 && sum != 0)) {
      throw new IOException("FadingMean state is inconsistent: expected 0 < alpha <= 1, finite sum, finite weight"
          + " >= 0 and sum 0 when weight is 0; stream has alpha=" + alpha + ", sum=" + sum + ", weight=" + weight);
    }
    FadingMean mean = new FadingMean(alpha);
    mean.sum = sum;
    mean.weight = weight;
    return mean;
  }
}
