package dev.chorus.core.metrics;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Prequential mean squared error: the {@link PrequentialMean} of {@code (ŷ − y)²}, with {@code ŷ} predicted
 * before training on the example.
 *
 * <p>Not thread-safe.
 */
public final class PrequentialMse {

  private final PrequentialMean mean;

  private PrequentialMse(PrequentialMean mean) {
    this.mean = mean;
  }

  /** MSE over the last {@code window} examples. */
  public static PrequentialMse sliding(int window) {
    return new PrequentialMse(PrequentialMean.sliding(window));
  }

  /** MSE with fading factor {@code alpha} in {@code (0, 1]}. */
  public static PrequentialMse fading(double alpha) {
    return new PrequentialMse(PrequentialMean.fading(alpha));
  }

  /** Records one prediction of a real target. */
  public void add(double predicted, double actual) {
    double error = predicted - actual;
    if (!Double.isFinite(error)) {
      throw new IllegalArgumentException("PrequentialMse: expected finite values, got predicted=" + predicted
          + ", actual=" + actual);
    }
    mean.add(error * error);
  }

  /** The current mean squared error; {@code NaN} before the first example. */
  public double value() {
    return mean.value();
  }

  /** Examples in the window, or the faded count. */
  public double weight() {
    return mean.weight();
  }

  /** An independent copy. */
  public PrequentialMse copy() {
    return new PrequentialMse(mean.copy());
  }

  /** Writes the state exactly, as {@link PrequentialMean#writeTo}. */
  public void writeTo(DataOutput out) throws IOException {
    mean.writeTo(out);
  }

  /** Reads a state written by {@link #writeTo}. */
  public static PrequentialMse readFrom(DataInput in) throws IOException {
    return new PrequentialMse(PrequentialMean.readFrom(in));
  }
}
