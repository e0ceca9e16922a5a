package dev.chorus.core.select;

import java.io.DataOutput;
import java.io.IOException;

/**
 * A change detector on a stream of one variant's per-example prequential losses: it signals a rise of the loss only,
 * since a detection drives a reaction (reset, fork) and a falling loss (a model learning) is no reason for one.
 * {@link DriftDetectors} builds one from a {@link DriftSpec} and reads a saved one back.
 */
public sealed interface DriftDetector permits PageHinkley, Adwin, DriftDetectors.Never {

  /**
   * Adds the next example's loss.
   *
   * @return whether this loss completes the evidence of a rise of the loss
   * @throws IllegalArgumentException if the loss is not finite (the caller filters diverged predictions out)
   */
  boolean add(double loss);

  /** Forgets every loss seen, as a fresh detector with the same parameters. */
  void reset();

  /** Losses added since the detector was made or last {@link #reset()}. */
  long examples();

  /** Writes the kind, the parameters and the state exactly, for {@link DriftDetectors#readFrom}. */
  void writeTo(DataOutput out) throws IOException;

  static double requireFinite(double loss) {
    if (!Double.isFinite(loss)) {
      throw new IllegalArgumentException("loss: expected a finite number, got " + loss);
    }
    return loss;
  }
}
