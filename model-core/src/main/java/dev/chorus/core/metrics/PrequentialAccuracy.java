package dev.chorus.core.metrics;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Prequential (test-then-train) accuracy: each example is predicted before it is trained on and the outcome
 * recorded with {@link #add}. Over a sliding window the outcomes are kept as bits ({@link SlidingAccuracy});
 * with a fading factor as a {@link FadingMean} of 1 (correct) and 0 (wrong).
 *
 * <p>Not thread-safe.
 */
public final class PrequentialAccuracy {

  private static final byte SLIDING = 1;
  // The fading state is a FadingMean, whose own kind byte doubles as this class's.
  private static final byte FADING = FadingMean.KIND;

  /** Exactly one of the two is set. */
  private final SlidingAccuracy window;
  private final FadingMean faded;

  private PrequentialAccuracy(SlidingAccuracy window, FadingMean faded) {
    this.window = window;
    this.faded = faded;
  }

  /** Accuracy over the last {@code window} examples. */
  public static PrequentialAccuracy sliding(int window) {
    return new PrequentialAccuracy(new SlidingAccuracy(window), null);
  }

  /** Accuracy with fading factor {@code alpha} in {@code (0, 1]}. */
  public static PrequentialAccuracy fading(double alpha) {
    return new PrequentialAccuracy(null, new FadingMean(alpha));
  }

  /** Records whether {@code predicted} was {@code actual}. */
  public void add(int predicted, int actual) {
    if (window != null) {
      window.add(predicted == actual);
    } else {
      faded.add(predicted == actual ? 1 : 0);
    }
  }

  /** The current accuracy; {@code NaN} before the first example. */
  public double value() {
    return window != null ? window.value() : faded.value();
  }

  /** Examples in the window, or the faded count. */
  public double weight() {
    return window != null ? window.count() : faded.weight();
  }

  /** An independent copy. */
  public PrequentialAccuracy copy() {
    return window != null ? new PrequentialAccuracy(window.copy(), null) : new PrequentialAccuracy(null, faded.copy());
  }

  /** Writes the kind (sliding or fading) and the state exactly. */
  public void writeTo(DataOutput out) throws IOException {
    if (window != null) {
      out.writeByte(SLIDING);
      window.writeTo(out);
    } else {
      faded.writeTo(out);
    }
  }

  /** Reads a state written by {@link #writeTo}. */
  public static PrequentialAccuracy readFrom(DataInput in) throws IOException {
    byte kind = in.readByte();
    return switch (kind) {
      case SLIDING -> new PrequentialAccuracy(SlidingAccuracy.readFrom(in), null);
      case FADING -> new PrequentialAccuracy(null, FadingMean.readState(in));
      default -> throw new IOException("PrequentialAccuracy state: kind byte must be " + SLIDING + " (sliding) or "
          + FADING + " (fading), stream has " + kind);
    };
  }
}
