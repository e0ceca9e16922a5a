package dev.chorus.core.metrics;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A prequential confusion matrix: the (predicted, actual) pairs of test-then-train evaluation, either the
 * last {@code window} of them or all of them with a fading factor {@code α} (each add first multiplies every
 * count by {@code α}, the scheme of {@link FadingMean} applied cell by cell). {@link #snapshot()} gives a
 * {@link ConfusionMatrix}, from which precision, recall, specificity and F1 follow.
 *
 * <p>Macro averages count the classes present in the pairs the matrix holds, as scikit-learn counts the labels
 * present. In a window, that is the classes of its pairs. Faded counts never return to 0, and a class's ratios stay
 * as they were once its pairs stop coming (its cells all fade alike), so a class the stream left would count with
 * its old precision and recall for ever; a fading matrix's snapshot counts a class only when the faded weight of
 * its pairs as true or predicted class is at least {@link #FADED_PRESENCE}.
 *
 * <p>Sliding: a ring of {@code window} cell indices plus integer counts, O(1) per add. Fading: {@code K²}
 * double counts, O(K²) per add, which for the class counts of classification (tens) is cheaper than
 * bookkeeping to avoid it.
 *
 * <p>Not thread-safe.
 */
public final class PrequentialConfusion {

  /** Largest accepted window (64 MiB of cell indices), which bounds what {@link #readFrom} allocates. */
  public static final int MAX_WINDOW = 1 << 24;
  /** Largest accepted class count, which bounds the {@code K²} counts {@link #readFrom} allocates. */
  public static final int MAX_CLASSES = 1 << 12;

  /**
   * The faded weight of a class's pairs (as true or predicted class, {@link ConfusionMatrix#presence}) from which it
   * counts in a fading matrix's macro averages: {@code 1/e}, what one pair weighs {@code 1/(−ln α) ≈ 1/(1 − α)}
   * pairs later, so a class of which one pair remains counts for about the fading's effective window, as it would for
   * a window of that length (a class once frequent, whose weight is larger, for longer). With {@code α = 1} every
   * pair keeps weight 1, and every class that occurred counts.
   */
  public static final double FADED_PRESENCE = Math.exp(-1);

  private static final byte SLIDING = 1;
  private static final byte FADING = 2;

  private final int numClasses;
  private final double alpha;
  /** Sliding: the cells {@code actual·K + predicted} of the last pairs; {@code null} when fading. */
  private final int[] ring;
  private final double[] counts;
  private int next;
  private int count;

  private PrequentialConfusion(int numClasses, int window, double alpha) {
    if (numClasses < 2 || numClasses > MAX_CLASSES) {
      throw new IllegalArgumentException(
          "PrequentialConfusion: numClasses must be in [2, " + MAX_CLASSES + "], got " + numClasses);
    }
    this.numClasses = numClasses;
    this.alpha = alpha;
    this.ring = window > 0 ? new int[window] : null;
    this.counts = new double[numClasses * numClasses];
  }

  /** Counts of the last {@code window} pairs. */
  public static PrequentialConfusion sliding(int numClasses, int window) {
    if (window < 1 || window > MAX_WINDOW) {
      throw new IllegalArgumentException("PrequentialConfusion: window must be in [1, " + MAX_WINDOW + "], got " + window);
    }
    return new PrequentialConfusion(numClasses, window, 1);
  }

  /** Counts faded by {@code alpha} in {@code (0, 1]} per added pair. */
  public static PrequentialConfusion fading(int numClasses, double alpha) {
    if (!(alpha > 0 && alpha <= 1)) {
      throw new IllegalArgumentException("PrequentialConfusion: alpha must be in (0, 1], got " + alpha);
    }
    return new PrequentialConfusion(numClasses, 0, alpha);
  }

  public int numClasses() {
    return numClasses;
  }

  /** Records one example of true class {@code actual} predicted as {@code predicted}. */
  public void add(int predicted, int actual) {
    if (predicted < 0 || predicted >= numClasses || actual < 0 || actual >= numClasses) {
      throw new IllegalArgumentException("PrequentialConfusion: classes must be in [0, " + numClasses
          + "), got predicted=" + predicted + ", actual=" + actual);
    }
    int cell = actual * numClasses + predicted;
    if (ring == null) {
      for (int i = 0; i < counts.length; i++) {
        counts[i] *= alpha;
      }
      counts[cell] += 1;
      return;
    }
    if (count == ring.length) {
      counts[ring[next]] -= 1;
    } else {
      count++;
    }
    ring[next] = cell;
    counts[cell] += 1;
    next = next + 1 == ring.length ? 0 : next + 1;
  }

  /**
   * The current counts as a new matrix; of a fading matrix, one whose macro averages count the classes whose pairs
   * weigh at least {@link #FADED_PRESENCE}.
   */
  public ConfusionMatrix snapshot() {
    return ring == null ? ConfusionMatrix.ofFadedCounts(numClasses, FADED_PRESENCE, counts)
        : ConfusionMatrix.ofCounts(numClasses, counts);
  }

  /** An independent copy. */
  public PrequentialConfusion copy() {
    PrequentialConfusion copy = new PrequentialConfusion(numClasses, ring == null ? 0 : ring.length, alpha);
    if (ring != null) {
      System.arraycopy(ring, 0, copy.ring, 0, count);
    }
    System.arraycopy(counts, 0, copy.counts, 0, counts.length);
    copy.next = next;
    copy.count = count;
    return copy;
  }

  /**
   * Writes the kind and the state exactly: for a sliding matrix the window, position and stored cells (the
   * counts follow from them); for a fading one {@code α} and the raw bits of every count.
   */
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(ring != null ? SLIDING : FADING);
    out.writeInt(numClasses);
    if (ring != null) {
      out.writeInt(ring.length);
      out.writeInt(next);
      out.writeInt(count);
      for (int i = 0; i < count; i++) {
        out.writeInt(ring[i]);
      }
    } else {
      out.writeLong(Double.doubleToRawLongBits(alpha));
      for (double c : counts) {
        out.writeLong(Double.doubleToRawLongBits(c));
      }
    }
  }

  /** Reads a state written by {@link #writeTo}, checking that it is consistent. */
  public static PrequentialConfusion readFrom(DataInput in) throws IOException {
    byte kind = in.readByte();
    if (kind != SLIDING && kind != FADING) {
      throw new IOException("PrequentialConfusion state: kind byte must be " + SLIDING + " (sliding) or " + FADING
          + " (fading), stream has " + kind);
    }
    int numClasses = in.readInt();
    if (numClasses < 2 || numClasses > MAX_CLASSES) {
      throw new IOException(
          "PrequentialConfusion state: numClasses must be in [2, " + MAX_CLASSES + "], stream has " + numClasses);
    }
    return kind == SLIDING ? readSliding(in, numClasses) : readFading(in, numClasses);
  }

  private static PrequentialConfusion readSliding(DataInput in, int numClasses) throws IOException {
    int window = in.readInt();
    if (window < 1 || window > MAX_WINDOW) {
      throw new IOException("PrequentialConfusion state: window must be in [1, " + MAX_WINDOW + "], stream has " + window);
    }
    int next = in.readInt();
    int count = in.readInt();
    // Until the window first fills, pairs occupy positions [0, count) and the next one goes to count.
    boolean positionsConsistent = count == window ? next >= 0 && next < window
        : count >= 0 && count < window && next == count;
    if (!positionsConsistent) {
      throw new IOException("PrequentialConfusion state is inconsistent: window=" + window + ", next=" + next
          + ", count=" + count);
    }
    PrequentialConfusion confusion = new PrequentialConfusion(numClasses, window, 1);
    for (int i = 0; i < count; i++) {
      int cell = in.readInt();
      if (cell < 0 || cell >= confusion.counts.length) {
        throw new IOException("PrequentialConfusion state: cell " + i + " must be in [0, " + confusion.counts.length
            + "), stream has " + cell);
      }
      confusion.ring[i] = cell;
      confusion.counts[cell] += 1;
    }
    confusion.next = next;
    confusion.count = count;
    return confusion;
  }

  private static PrequentialConfusion readFading(DataInput in, int numClasses) throws IOException {
    double alpha = Double.longBitsToDouble(in.readLong());
    if (!(alpha > 0 && alpha <= 1)) {
      throw new IOException("PrequentialConfusion state: alpha must be in (0, 1], stream has " + alpha);
    }
    PrequentialConfusion confusion = new PrequentialConfusion(numClasses, 0, alpha);
    for (int i = 0; i < confusion.counts.length; i++) {
      double c = Double.longBitsToDouble(in.readLong());
      if (!(c >= 0) || c == Double.POSITIVE_INFINITY) {
        throw new IOException("PrequentialConfusion state: count (" + i / numClasses + ", " + i % numClasses
            + ") must be finite and >= 0, stream has " + c);
      }
      confusion.counts[i] = c;
    }
    return confusion;
  }
}
