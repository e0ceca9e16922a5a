package dev.chorus.core.optim;

import dev.chorus.core.nn.ParameterSet;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Updates parameters from their gradients. State that an optimizer keeps per parameter (moments, for
 * example) is keyed by {@link dev.chorus.core.nn.Parameter#name()} and created the first time a parameter
 * is stepped; state shared by all parameters (the step count) is the optimizer's own.
 *
 * <p>Implementations are not thread-safe and allocate nothing once every parameter has been stepped.
 * {@link #copy()} and {@link #reset()} must capture and clear every piece of state, because checkpointing
 * and restarting depend on them.
 */
public interface Optimizer {

  /** Applies one update to every parameter of {@code parameters} at the spec's learning rate. */
  default void step(ParameterSet parameters) {
    step(parameters, (float) spec().learningRate());
  }

  /**
   * Applies one update to every parameter of {@code parameters} using its current gradient, with
   * {@code learningRate} in place of the spec's (a {@link LearningRateSchedule} computes it).
   */
  void step(ParameterSet parameters, float learningRate);

  /** Updates applied since creation or the last {@link #reset()}. */
  long steps();

  /** The hyperparameters this optimizer was built from. */
  OptimizerSpec spec();

  /** An independent optimizer with equal hyperparameters and a deep copy of the state. */
  Optimizer copy();

  /**
   * Where the state first holds a value that is not finite (a moment or squared gradient overflowed), said for a
   * message; null when it is all finite, as it is for an optimizer that keeps none.
   */
  default String firstNonFiniteState() {
    return null;
  }

  /**
   * Where the state first holds a value no step could have left there (not finite, or below 0 where it sums or
   * averages squares: Adam's second moment, RMSProp's mean square, AdaGrad's sum, FTRL's {@code n}), said for a
   * message naming the slot, parameter, index, expected and actual value; null when it is all valid.
   */
  default String firstInvalidState() {
    return firstNonFiniteState();
  }

  /** Forgets all state, so that the next step behaves exactly like a fresh optimizer's. */
  void reset();

  /** Writes the complete state (not the hyperparameters, which live in {@link #spec()}). */
  void writeState(DataOutput out) throws IOException;

  /**
   * Replaces the state with one written by {@link #writeState}, checked against {@code parameters}' names and sizes,
   * and refused if it holds a value {@link #firstInvalidState} would name.
   */
  void readState(DataInput in, ParameterSet parameters) throws IOException;
}
