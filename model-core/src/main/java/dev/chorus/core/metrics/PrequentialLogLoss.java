package dev.chorus.core.metrics;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Prequential log loss: the {@link PrequentialMean} of each example's clipped log loss
 * ({@link ClassificationMetrics#exampleLogLoss}), computed from the probabilities the model gave before
 * training on the example.
 *
 * <p>Not thread-safe.
 */
public final class PrequentialLogLoss {

  private final PrequentialMean mean;

  private PrequentialLogLoss(PrequentialMean mean) {
    this.mean = mean;
  }

  /** Log loss over the last {@code window} examples. */
  public static PrequentialLogLoss sliding(int window) {
    return new PrequentialLogLoss(PrequentialMean.sliding(window));
  }

  /** Log loss with fading factor {@code alpha} in {@code (0, 1]}. */
  public static PrequentialLogLoss fading(double alpha) {
    return new PrequentialLogLoss(PrequentialMean.fading(alpha));
  }

  /**
   * Records the example whose class probabilities are {@code probabilities[offset .. offset + numClasses)}
   * and whose true class is {@code actual}.
   */
  public void add(float[] probabilities, int offset, int numClasses, int actual) {
    mean.add(ClassificationMetrics.exampleLogLoss(probabilities, offset, numClasses, actual));
  }

  /** The current mean log loss; {@code NaN} before the first example. */
  public double value() {
    return mean.value();
  }

  /** Examples in the window, or the faded count. */
  public double weight() {
    return mean.weight();
  }

  /** An independent copy. */
  public PrequentialLogLoss copy() {
    return new PrequentialLogLoss(mean.copy());
  }

  /** Writes the state exactly, as {@link PrequentialMean#writeTo}. */
  public void writeTo(DataOutput out) throws IOException {
    mean.writeTo(out);
  }

  /** Reads a state written by {@link #writeTo}. */
  public static PrequentialLogLoss readFrom(DataInput in) throws IOException {
    return new PrequentialLogLoss(PrequentialMean.readFrom(in));
  }
}
