package dev.chorus.core.select;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The Page–Hinkley test (Page, "Continuous inspection schemes", Biometrika 1954) for an increase of the mean loss,
 * in the form of Gama et al., "A survey on concept drift adaptation" (ACM Computing Surveys 2014) with a forgetting
 * factor: with {@code mean} the mean of the losses since the last detection,
 * {@code sum = max(0, alpha * sum + (loss - mean - delta))}, and a change is detected when {@code sum > lambda}
 * after at least {@code minInstances} losses. {@code delta} is the increase tolerated, {@code lambda} the evidence
 * required; a detection starts the statistics afresh.
 *
 * <p>Defaults ({@code delta} 0.01, {@code lambda} 100, 30 instances, {@code alpha} 1 - 1e-4): on 300 seeded
 * stationary 0/1 loss streams of mean 0.2 and 60,000 examples they raised no alarm (the common 0.005 and 50 raised
 * 19 over 50 streams), and they detected a jump of the mean to 0.6 within 312 examples ({@code DriftDetectorsTest}).
 * Losses on another scale (cross-entropy) may want another {@code lambda}.
 */
public final class PageHinkley implements DriftDetector {

  static final byte KIND = 1;
  public static final double DEFAULT_DELTA = 0.01;
  public static final double DEFAULT_LAMBDA = 100;
  public static final int DEFAULT_MIN_INSTANCES = 30;
  public static final double DEFAULT_ALPHA = 1 - 1e-4;

  private final double delta;
  private final double lambda;
  private final int minInstances;
  private final double alpha;
  private long examples;
  /** Losses since the last detection or reset, and their mean. */
  private long count;
  private double mean;
  private double sum;

  public PageHinkley(double delta, double lambda, int minInstances, double alpha) {
    this.delta = delta;
    this.lambda = lambda;
    this.minInstances = minInstances;
    this.alpha = alpha;
  }

  @Override
  public boolean add(double loss) {
    DriftDetector.requireFinite(loss);
    examples++;
    count++;
    mean += (loss - mean) / count;
    sum = Math.max(0, alpha * sum + (loss - mean - delta));
    if (count >= minInstances && sum > lambda) {
      count = 0;
      mean = 0;
      sum = 0;
      return true;
    }
    return false;
  }

  @Override
  public void reset() {
    examples = 0;
    count = 0;
    mean = 0;
    sum = 0;
  }

  @Override
  public long examples() {
    return examples;
  }

  /** The test statistic, compared with {@code lambda}. */
  public double sum() {
    return sum;
  }

  @Override
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(KIND);
    out.writeLong(Double.doubleToRawLongBits(delta));
    out.writeLong(Double.doubleToRawLongBits(lambda));
    out.writeInt(minInstances);
    out.writeLong(Double.doubleToRawLongBits(alpha));
    out.writeLong(examples);
    out.writeLong(count);
    out.writeLong(Double.doubleToRawLongBits(mean));
    out.writeLong(Double.doubleToRawLongBits(sum));
  }

  /** Reads the state after the kind byte. */
  static PageHinkley readState(DataInput in) throws IOException {
    double delta = readDouble(in);
    double lambda = readDouble(in);
    int minInstances = in.readInt();
    double alpha = readDouble(in);
    if (!(delta >= 0 && Double.isFinite(delta)) || !(lambda > 0 && Double.isFinite(lambda)) || minInstances < 1
        || !(alpha > 0 && alpha <= 1)) {
      throw new IOException("PageHinkley state: expected delta >= 0, lambda > 0 (both finite), minInstances >= 1 and "
          + "alpha in (0, 1], stream has " + delta + ", " + lambda + ", " + minInstances + ", " + alpha);
    }
    PageHinkley ph = new PageHinkley(delta, lambda, minInstances, alpha);
    ph.examples = in.readLong();
    ph.count = in.readLong();
    ph.mean = readDouble(in);
    ph.sum = readDouble(in);
    if (ph.count < 0 || ph.count > ph.examples) {
      throw new IOException("PageHinkley state: expected 0 <= count <= examples " + ph.examples + ", got " + ph.count);
    }
    return ph;
  }

  private static double readDouble(DataInput in) throws IOException {
    return Double.longBitsToDouble(in.readLong());
  }
}
