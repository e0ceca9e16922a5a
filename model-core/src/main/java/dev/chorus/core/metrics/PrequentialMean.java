package dev.chorus.core.metrics;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A running mean of per-example values (0/1 outcomes, losses, squared errors) for prequential
 * (test-then-train) evaluation, in one of the two forgetting schemes of Gama, Sebastião and Rodrigues, "On
 * evaluating stream learning algorithms" (Machine Learning 90, 2013): the mean of the last {@code window}
 * values ({@link SlidingMean}), or the mean with a fading factor ({@link FadingMean}). Both forget old
 * behaviour so that the estimate follows a model that keeps learning.
 *
 * <p>{@link #writeTo} writes a one-byte kind before the state, so {@link #readFrom} restores either kind.
 */
public sealed interface PrequentialMean permits SlidingMean, FadingMean {

  /** The mean of the last {@code window} values; see {@link SlidingMean}. */
  static PrequentialMean sliding(int window) {
    return new SlidingMean(window);
  }

  /** The faded mean with factor {@code alpha} in {@code (0, 1]}; see {@link FadingMean}. */
  static PrequentialMean fading(double alpha) {
    return new FadingMean(alpha);
  }

  /** Adds one finite value. */
  void add(double value);

  /** The current estimate; {@code NaN} before the first value. */
  double value();

  /** How many values the estimate rests on: the count in the window, or the faded count {@code N}. */
  double weight();

  /** An independent copy. */
  PrequentialMean copy();

  /** Writes the kind and the state exactly (raw IEEE 754 bits). */
  void writeTo(DataOutput out) throws IOException;

  /** Reads a mean written by {@link #writeTo}, of either kind, checking that it is consistent. */
  static PrequentialMean readFrom(DataInput in) throws IOException {
    byte kind = in.readByte();
    return switch (kind) {
      case SlidingMean.KIND -> SlidingMean.readState(in);
      case FadingMean.KIND -> FadingMean.readState(in);
      default -> throw new IOException("PrequentialMean state: kind byte must be " + SlidingMean.KIND
          + " (sliding) or " + FadingMean.KIND + " (fading), stream has " + kind);
    };
  }
}
