package dev.chorus.core.optim;

import dev.chorus.core.nn.ParameterSet;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The bookkeeping shared by optimizers with per-parameter state: a step count and {@link ParameterSlots},
 * written as the step count followed by the slots.
 */
abstract class SlottedOptimizer implements Optimizer {

  final ParameterSlots slots;
  long steps;

  SlottedOptimizer(ParameterSlots slots) {
    this.slots = slots;
  }

  /** A fresh optimizer of the same type and spec, which {@link #copy()} then fills. */
  abstract SlottedOptimizer fresh();

  @Override
  public long steps() {
    return steps;
  }

  @Override
  public Optimizer copy() {
    SlottedOptimizer copy = fresh();
    copy.slots.copyFrom(slots);
    copy.steps = steps;
    return copy;
  }

  @Override
  public String firstNonFiniteState() {
    return slots.firstNonFinite();
  }

  @Override
  public String firstInvalidState() {
    return slots.firstInvalid();
  }

  @Override
  public void reset() {
    slots.clear();
    steps = 0;
  }

  @Override
  public void writeState(DataOutput out) throws IOException {
    out.writeLong(steps);
    slots.write(out);
  }

  @Override
  public void readState(DataInput in, ParameterSet parameters) throws IOException {
    long readSteps = in.readLong();
    if (readSteps < 0) {
      throw new IOException(spec().type() + " state: step count must be >= 0, stream has " + readSteps);
    }
    slots.read(in, parameters);
    steps = readSteps;
  }
}
