package dev.chorus.core.select;

import dev.chorus.core.io.BinaryState;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * ADWIN2 (Bifet and Gavaldà, "Learning from time-changing data with adaptive windowing", SDM 2007): a window of the
 * latest losses that drops its older part whenever two sub-windows have means further apart than the bound
 * {@code eps = sqrt(2 m v ln(2 ln(W) / delta)) + 2/3 m ln(2 ln(W) / delta)} (the variance-based bound of the paper,
 * as MOA writes it, with {@code m} from the sub-windows' lengths and {@code v} the window's variance). The window is
 * an exponential histogram: row {@code i} holds at most {@code maxBuckets} (M) buckets of {@code 2^i} losses each
 * (their total and variance), so memory is {@code O(M log W)}. As in MOA, cuts are looked for every
 * {@value #CLOCK} losses once the window holds more than {@value #MIN_WINDOW}, and sub-windows shorter than
 * {@value #MIN_SUB_WINDOW} + 2 are not compared.
 *
 * <p>The default {@code delta} is 0.0005 rather than MOA's 0.002: on 300 seeded stationary 0/1 loss streams of mean
 * 0.2 and 60,000 examples, 0.002 raised 2 false alarms and 0.0005 none, and both detected a jump to 0.6 within 96.
 *
 * <p>The window is two-sided, as in the paper: a fall of the loss shrinks it too, so that its mean follows the level
 * the loss has now and a later rise is measured from there (a model that learned is judged against what it learned,
 * not against its first, worse losses). Only a rise is signalled ({@link #add} is true only when some cut showed the
 * newer sub-window's mean above the older's by more than the bound): a detection drives a reaction (a reset, a
 * fork), and a falling loss, such as a fresh model's learning curve, is no reason for one. Signalling a fall too made
 * a reset variant's fresh model fire again on its own learning curve, reset after reset. Nothing of this is state:
 * the direction is read from each cut, so a saved window reads back unchanged.
 */
public final class Adwin implements DriftDetector {

  static final byte KIND = 2;
  public static final double DEFAULT_DELTA = 0.0005;
  public static final int DEFAULT_MAX_BUCKETS = 5;
  /** Bounds what a saved state may declare. */
  static final int MAX_MAX_BUCKETS = 1 << 10;
  private static final int CLOCK = 32;
  private static final int MIN_WINDOW = 10;
  private static final int MIN_SUB_WINDOW = 5;
  /** Rows a window of at most 2^63 losses can need. */
  private static final int MAX_ROWS = 64;
  /** What {@link #cut()} found. */
  private static final int NO_CUT = 0;
  private static final int RISE = 1;
  private static final int FALL = -1;

  private final double delta;
  private final int maxBuckets;
  /** Row i: buckets of 2^i losses, oldest first, at most maxBuckets + 1 while compressing. */
  private final List<Row> rows = new ArrayList<>();
  private long examples;
  private long width;
  private double total;
  /** The window's sum of squared deviations from its mean. */
  private double variance;

  public Adwin(double delta, int maxBuckets) {
    this.delta = delta;
    this.maxBuckets = maxBuckets;
  }

  private static final class Row {
    final double[] totals;
    final double[] variances;
    int count;

    Row(int capacity) {
      totals = new double[capacity];
      variances = new double[capacity];
    }

    void append(double total, double variance) {
      totals[count] = total;
      variances[count] = variance;
      count++;
    }

    void removeOldest(int n) {
      System.arraycopy(totals, n, totals, 0, count - n);
      System.arraycopy(variances, n, variances, 0, count - n);
      count -= n;
    }
  }

  @Override
  public boolean add(double loss) {
    DriftDetector.requireFinite(loss);
    examples++;
    insert(loss);
    return examples % CLOCK == 0 && width > MIN_WINDOW && shrink();
  }

  private void insert(double loss) {
    width++;
    if (width > 1) {
      double deviation = loss - total / (width - 1);
      variance += (width - 1) * deviation * deviation / width;
    }
    total += loss;
    if (rows.isEmpty()) {
      rows.add(new Row(maxBuckets + 1));
    }
    rows.get(0).append(loss, 0);
    for (int i = 0; i < rows.size() && rows.get(i).count > maxBuckets; i++) {
      Row row = rows.get(i);
      if (i + 1 == rows.size()) {
        rows.add(new Row(maxBuckets + 1));
      }
      double n = 1L << i;
      double meanGap = row.totals[0] / n - row.totals[1] / n;
      // Two buckets of n losses: n1 n2 (u1 - u2)^2 / (n1 + n2) = n (u1 - u2)^2 / 2 more squared deviation.
      rows.get(i + 1).append(row.totals[0] + row.totals[1],
          row.variances[0] + row.variances[1] + n * meanGap * meanGap / 2);
      row.removeOldest(2);
    }
  }

  /**
   * Drops the oldest bucket while some split of the window shows a change, a rise or a fall; whether one of those
   * cuts was a rise.
   */
  private boolean shrink() {
    boolean rose = false;
    while (width > MIN_WINDOW) {
      int cut = cut();
      if (cut == NO_CUT) {
        break;
      }
      dropOldest();
      rose |= cut == RISE;
    }
    return rose;
  }

  /**
   * The first split into older and newer buckets, oldest first, whose means are further apart than the bound:
   * {@link #RISE} if the newer mean is the higher, {@link #FALL} if the lower, {@link #NO_CUT} if there is none.
   */
  private int cut() {
    double n0 = 0;
    double u0 = 0;
    double n1 = width;
    double u1 = total;
    double logTerm = StrictMath.log(2 * StrictMath.log(width) / delta);
    double v = variance / width;
    for (int i = rows.size() - 1; i >= 0; i--) {
      Row row = rows.get(i);
      double size = 1L << i;
      for (int k = 0; k < row.count; k++) {
        if (i == 0 && k == row.count - 1) {
          return NO_CUT;
        }
        n0 += size;
        n1 -= size;
        u0 += row.totals[k];
        u1 -= row.totals[k];
        if (n0 > MIN_SUB_WINDOW + 1 && n1 > MIN_SUB_WINDOW + 1) {
          double m = 1 / (n0 - MIN_SUB_WINDOW + 1) + 1 / (n1 - MIN_SUB_WINDOW + 1);
          double epsilon = Math.sqrt(2 * m * v * logTerm) + 2.0 / 3 * logTerm * m;
          double rise = u1 / n1 - u0 / n0;
          if (Math.abs(rise) > epsilon) {
            return rise > 0 ? RISE : FALL;
          }
        }
      }
    }
    return NO_CUT;
  }

  private void dropOldest() {
    int last = rows.size() - 1;
    Row row = rows.get(last);
    double n = 1L << last;
    double bucketTotal = row.totals[0];
    double bucketVariance = row.variances[0];
    row.removeOldest(1);
    if (row.count == 0) {
      rows.remove(last);
    }
    width -= (long) n;
    total -= bucketTotal;
    if (width == 0) {
      variance = 0;
      return;
    }
    double gap = bucketTotal / n - total / width;
    variance -= bucketVariance + n * width * gap * gap / (n + width);
  }

  @Override
  public void reset() {
    rows.clear();
    examples = 0;
    width = 0;
    total = 0;
    variance = 0;
  }

  @Override
  public long examples() {
    return examples;
  }

  /** Losses in the window. */
  public long width() {
    return width;
  }

  /** The window's mean loss; {@code NaN} while it is empty. */
  public double mean() {
    return width == 0 ? Double.NaN : total / width;
  }

  /** Buckets held, a measure of memory. */
  public int buckets() {
    return rows.stream().mapToInt(r -> r.count).sum();
  }

  @Override
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(KIND);
    out.writeLong(Double.doubleToRawLongBits(delta));
    out.writeInt(maxBuckets);
    out.writeLong(examples);
    out.writeLong(width);
    out.writeLong(Double.doubleToRawLongBits(total));
    out.writeLong(Double.doubleToRawLongBits(variance));
    out.writeInt(rows.size());
    for (Row row : rows) {
      out.writeInt(row.count);
      for (int k = 0; k < row.count; k++) {
        out.writeLong(Double.doubleToRawLongBits(row.totals[k]));
        out.writeLong(Double.doubleToRawLongBits(row.variances[k]));
      }
    }
  }

  /** Reads the state after the kind byte, checking the sizes it declares before allocating. */
  static Adwin readState(DataInput in) throws IOException {
    double delta = Double.longBitsToDouble(in.readLong());
    if (!(delta > 0 && delta < 1)) {
      throw new IOException("Adwin state: expected delta in (0, 1), stream has " + delta);
    }
    int maxBuckets = in.readInt();
    if (maxBuckets < 2 || maxBuckets > MAX_MAX_BUCKETS) {
      throw new IOException("Adwin state: expected maxBuckets 2.." + MAX_MAX_BUCKETS + ", stream has " + maxBuckets);
    }
    Adwin adwin = new Adwin(delta, maxBuckets);
    adwin.examples = in.readLong();
    adwin.width = in.readLong();
    adwin.total = Double.longBitsToDouble(in.readLong());
    adwin.variance = Double.longBitsToDouble(in.readLong());
    int rowCount = in.readInt();
    if (rowCount < 0 || rowCount > MAX_ROWS) {
      throw new IOException("Adwin state: expected 0.." + MAX_ROWS + " rows, stream has " + rowCount);
    }
    long buckets = 0;
    for (int i = 0; i < rowCount; i++) {
      int count = in.readInt();
      if (count < 0 || count > maxBuckets) {
        throw new IOException("Adwin state: row " + i + ": expected 0.." + maxBuckets + " buckets, stream has "
            + count);
      }
      BinaryState.requireFits(in, count, 2 * Long.BYTES, "Adwin state: row " + i + " buckets");
      Row row = new Row(maxBuckets + 1);
      for (int k = 0; k < count; k++) {
        row.append(Double.longBitsToDouble(in.readLong()), Double.longBitsToDouble(in.readLong()));
      }
      adwin.rows.add(row);
      buckets += (long) count << i;
    }
    if (buckets != adwin.width) {
      throw new IOException("Adwin state: expected buckets holding the window's " + adwin.width
          + " losses, they hold " + buckets);
    }
    return adwin;
  }
}
