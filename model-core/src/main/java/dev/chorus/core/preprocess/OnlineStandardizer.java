package dev.chorus.core.preprocess;

import dev.chorus.core.io.BinaryState;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * Running per-feature mean and variance over every example seen, and the transform
 * {@code z = (x − mean) / sqrt(variance + EPSILON)} they define, as Flink ML's {@code OnlineStandardScaler}
 * does per window.
 *
 * <p>Each minibatch's mean and sum of squared deviations are computed in double precision and merged into
 * the running statistics with Chan, Golub and LeVeque's parallel update ("Updating formulae and a pairwise
 * algorithm for computing sample variances", 1979), which generalises Welford's one-at-a-time update and
 * stays accurate over long streams. The variance is the population variance.
 *
 * <p>Not thread-safe, not even {@link #transform}: scratch space is reused between calls.
 */
public final class OnlineStandardizer {

  /**
   * Added to the variance before the square root, so a feature that has been constant so far (a border pixel
   * that is always 0) is scaled by at most {@code 1/sqrt(EPSILON)} instead of dividing by zero.
   */
  public static final double EPSILON = 1e-2;

  private final int dim;
  private long count;
  private final double[] mean;
  private final double[] sumSquaredDeviations;
  /** Derived from the statistics after every change, in float for the hot path. */
  private final float[] shift;
  private final float[] scale;
  /** One example on its way through {@link #transform}. */
  private final float[] row;
  private final double[] batchMean;
  private final double[] batchSumSquaredDeviations;
  /** Scratch: one example widened to double by {@link #update}, then the inverse deviations of the transform. */
  private final double[] scratch;
  /** Scratch of {@link #update}: the features whose one-pass sum of squares cancelled. */
  private final int[] cancelled;

  /** Statistics of nothing yet: the transform is the identity scaled by {@code 1/sqrt(EPSILON)}, centred at 0. */
  public OnlineStandardizer(int dim) {
    // 0: a label-only task's model, which has no features to standardise.
    if (dim < 0) {
      throw new IllegalArgumentException("OnlineStandardizer dimension must be >= 0, got " + dim);
    }
    this.dim = dim;
    this.mean = new double[dim];
    this.sumSquaredDeviations = new double[dim];
    this.shift = new float[dim];
    this.scale = new float[dim];
    this.row = new float[dim];
    this.batchMean = new double[dim];
    this.batchSumSquaredDeviations = new double[dim];
    this.scratch = new double[dim];
    this.cancelled = new int[dim];
    refreshTransform();
  }

  public int dim() {
    return dim;
  }

  /**
   * Null when the statistics, and the float shift and scale that transform features, are finite, else which are not
   * and where.
   */
  public String firstNonFinite() {
    for (int i = 0; i < dim; i++) {
      if (!Double.isFinite(mean[i]) || !Double.isFinite(sumSquaredDeviations[i]) || !Float.isFinite(shift[i])
          || !Float.isFinite(scale[i])) {
        return "standardiser statistics of feature " + i + " are not finite (mean " + mean[i]
            + ", sum of squared deviations " + sumSquaredDeviations[i] + ", shift " + shift[i] + ", scale "
            + scale[i] + ")";
      }
    }
    return null;
  }

  /** Examples merged into the statistics so far. */
  public long count() {
    return count;
  }

  public double mean(int feature) {
    return mean[feature];
  }

  /** Population variance of {@code feature}; 0 before any example. */
  public double variance(int feature) {
    return count == 0 ? 0 : sumSquaredDeviations[feature] / count;
  }

  /**
   * How many digits the one-pass formula may lose before a feature's batch sum of squares is taken again around the
   * batch's own mean: a factor of 10^6, six of a double's sixteen.
   */
  private static final double CANCELLATION = 1e6;

  /**
   * The batch's sum of squared deviations of the first {@code count} features of {@link #cancelled}, again, as
   * Σ (x − batch mean)² in a second pass over the rows: free of the one-pass formula's cancellation.
   */
  private void sumAroundBatchMean(float[] x, int rows, int count) {
    for (int c = 0; c < count; c++) {
      int j = cancelled[c];
      double around = batchMean[j];
      double sumSquares = 0;
      for (int i = 0; i < rows; i++) {
        double d = x[i * dim + j] - around;
        sumSquares += d * d;
      }
      batchSumSquaredDeviations[j] = sumSquares;
    }
  }

  /**
   * Merges {@code rows} examples of {@code x} (row-major, {@code dim} features each) into the statistics.
   *
   * @return {@code false}, leaving the statistics unchanged, if one of the values is NaN or infinite; this costs
   *     nothing extra, so a caller that updates first need not scan the values itself
   */
  public boolean update(float[] x, int rows) {
    if (rows <= 0) {
      return true;
    }
    // One pass of double-precision sums around the current mean: shifting by it keeps the sum-of-squares formula
    // free of cancellation while the batch lies near that mean, and one pass instead of two halves the memory traffic
    // of this per-minibatch step; a feature whose batch lies far from it (the first batch, around 0; a batch after
    // a jump) is summed again around the batch's own mean, below.
    // C2 (JDK 17) keeps float-to-double conversion scalar, and with it any loop that contains it: each row is widened
    // into a double row first, so that the sums run as vector operations (the same double operations, so the same sums).
    double[] values = scratch;
    double[] sum = batchMean;
    double[] sumSquares = batchSumSquaredDeviations;
    Arrays.fill(sum, 0);
    Arrays.fill(sumSquares, 0);
    for (int i = 0; i < rows; i++) {
      int from = i * dim;
      for (int j = 0; j < dim; j++) {
        values[j] = x[from + j];
      }
      for (int j = 0; j < dim; j++) {
        double d = values[j] - mean[j];
        sum[j] += d;
        sumSquares[j] += d * d;
      }
    }
    // Finite floats around a finite mean (an average of finite floats) give finite double sums: |d| < 2^129, d² < 2^258.
    // So only a non-finite sum calls for a look at the values; it finds none if the statistics themselves were not
    // finite (a corrupt saved state), and then the update goes on as it always did.
    for (int j = 0; j < dim; j++) {
      if (!Double.isFinite(sum[j]) || !Double.isFinite(sumSquares[j])) {
        if (hasNonFinite(x, rows * dim)) {
          return false;
        }
        break;
      }
    }
    int recount = 0;
    for (int j = 0; j < dim; j++) {
      double offset = batchMean[j] / rows;
      batchMean[j] = mean[j] + offset;
      double shifted = offset * offset * rows;
      double deviations = batchSumSquaredDeviations[j] - shifted;
      // The formula loses about offset² / variance of a double's sixteen digits. Past the running statistics' first
      // batch that is judged against the running variance, which bounds the error of what is merged, so that a
      // feature constant within a batch (a pixel 0 in all of it) costs no second pass; the first batch has none,
      // and is judged against what the formula left.
      boolean far = count == 0 ? deviations * CANCELLATION < shifted
          : offset * offset * count > CANCELLATION * sumSquaredDeviations[j];
      if (shifted > 0 && far) {
        cancelled[recount++] = j;
      }
      batchSumSquaredDeviations[j] = Math.max(0, deviations);
    }
    if (recount > 0) {
      sumAroundBatchMean(x, rows, recount);
    }
    long total = count + rows;
    double batchShare = (double) rows / total;
    double crossWeight = (double) count * rows / total;
    for (int j = 0; j < dim; j++) {
      double delta = batchMean[j] - mean[j];
      mean[j] += delta * batchShare;
      sumSquaredDeviations[j] += batchSumSquaredDeviations[j] + delta * delta * crossWeight;
    }
    count = total;
    refreshTransform();
    return true;
  }

  private static boolean hasNonFinite(float[] x, int length) {
    for (int i = 0; i < length; i++) {
      if (!Float.isFinite(x[i])) {
        return true;
      }
    }
    return false;
  }

  private void refreshTransform() {
    // In double first, where C2 vectorises the square roots and divisions; narrowing to float stays scalar.
    double[] inverseDeviation = scratch;
    if (count == 0) {
      Arrays.fill(inverseDeviation, 1 / Math.sqrt(EPSILON));
    } else {
      double n = count;
      for (int j = 0; j < dim; j++) {
        inverseDeviation[j] = 1 / Math.sqrt(sumSquaredDeviations[j] / n + EPSILON);
      }
    }
    for (int j = 0; j < dim; j++) {
      shift[j] = (float) mean[j];
      scale[j] = (float) inverseDeviation[j];
    }
  }

  /** Standardises one example at {@code x[xOffset...]} into {@code out[outOffset...]} ({@code out} may be {@code x}). */
  public void transform(float[] x, int xOffset, float[] out, int outOffset) {
    // C2 (JDK 17) vectorises a loop over float arrays only when they are all indexed alike; x and out at an offset
    // beside shift and scale at 0 keep it scalar. Through a row indexed like shift and scale, two array copies and a
    // vectorised loop take about a quarter of the time of the scalar loop, with the same float operations.
    float[] row = this.row;
    float[] shift = this.shift;
    float[] scale = this.scale;
    System.arraycopy(x, xOffset, row, 0, dim);
    for (int j = 0; j < dim; j++) {
      row[j] = (row[j] - shift[j]) * scale[j];
    }
    System.arraycopy(row, 0, out, outOffset, dim);
  }

  /** Standardises {@code rows} examples of {@code x} into {@code out} (both row-major). */
  public void transform(float[] x, int rows, float[] out) {
    for (int i = 0; i < rows; i++) {
      transform(x, i * dim, out, i * dim);
    }
  }

  /** Makes this standardizer's statistics equal to {@code other}'s (same dimension), without allocating. */
  public void copyFrom(OnlineStandardizer other) {
    if (other.dim != dim) {
      throw new IllegalArgumentException("standardizer: expected dimension " + dim + ", got " + other.dim);
    }
    count = other.count;
    System.arraycopy(other.mean, 0, mean, 0, dim);
    System.arraycopy(other.sumSquaredDeviations, 0, sumSquaredDeviations, 0, dim);
    // The transform is derived from the statistics: copied, not recomputed (this runs before every minibatch).
    System.arraycopy(other.shift, 0, shift, 0, dim);
    System.arraycopy(other.scale, 0, scale, 0, dim);
  }

  /** A deep copy. */
  public OnlineStandardizer copy() {
    OnlineStandardizer copy = new OnlineStandardizer(dim);
    copy.count = count;
    System.arraycopy(mean, 0, copy.mean, 0, dim);
    System.arraycopy(sumSquaredDeviations, 0, copy.sumSquaredDeviations, 0, dim);
    copy.refreshTransform();
    return copy;
  }

  /** Writes the count, means and sums of squared deviations exactly. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeLong(count);
    BinaryState.writeDoubles(out, mean);
    BinaryState.writeDoubles(out, sumSquaredDeviations);
  }

  /**
   * Replaces the statistics with ones written by {@link #writeTo} for the same dimension; nothing changes if the
   * stream is invalid. Each mean must be finite and each sum of squared deviations finite and {@code >= 0} (a negative
   * one makes the variance negative, and every standardised feature NaN), and with an example count of 0 both must be
   * 0, as no example has moved them.
   */
  public void readFrom(DataInput in) throws IOException {
    long readCount = in.readLong();
    if (readCount < 0) {
      throw new IOException("standardizer: example count must be >= 0, stream has " + readCount);
    }
    double[] readMean = new double[dim];
    double[] readDeviations = new double[dim];
    BinaryState.readDoubles(in, readMean, "standardizer means");
    BinaryState.readDoubles(in, readDeviations, "standardizer squared deviations");
    for (int j = 0; j < dim; j++) {
      String bad = !Double.isFinite(readMean[j]) ? "mean of feature " + j + ": expected a finite number"
          : !(readDeviations[j] >= 0 && readDeviations[j] < Double.POSITIVE_INFINITY)
              ? "sum of squared deviations of feature " + j + ": expected a finite number >= 0"
          : readCount == 0 && readMean[j] != 0 ? "mean of feature " + j + ": expected 0 with an example count of 0"
          : readCount == 0 && readDeviations[j] != 0
              ? "sum of squared deviations of feature " + j + ": expected 0 with an example count of 0"
          : null;
      if (bad != null) {
        double actual = bad.startsWith("mean") ? readMean[j] : readDeviations[j];
        throw new IOException("standardizer " + bad + ", stream has " + actual);
      }
    }
    System.arraycopy(readMean, 0, mean, 0, dim);
    System.arraycopy(readDeviations, 0, sumSquaredDeviations, 0, dim);
    count = readCount;
    refreshTransform();
  }
}
