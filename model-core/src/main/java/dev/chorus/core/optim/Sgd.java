package dev.chorus.core.optim;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Plain stochastic gradient descent (Robbins and Monro, "A Stochastic Approximation Method", 1951):
 * {@code w ← w − η·g}. Its only state is the step count.
 */
public final class Sgd implements Optimizer {

  private final SgdSpec spec;
  private final Blas blas = Blas.get();
  private long steps;

  public Sgd(SgdSpec spec) {
    this.spec = spec;
  }

  @Override
  public void step(ParameterSet parameters, float learningRate) {
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      blas.saxpy(parameter.size(), -learningRate, parameter.gradient().data(), 0, parameter.value().data(), 0);
    }
    steps++;
  }

  @Override
  public long steps() {
    return steps;
  }

  @Override
  public SgdSpec spec() {
    return spec;
  }

  @Override
  public Sgd copy() {
    Sgd copy = new Sgd(spec);
    copy.steps = steps;
    return copy;
  }

  @Override
  public void reset() {
    steps = 0;
  }

  @Override
  public void writeState(DataOutput out) throws IOException {
    out.writeLong(steps);
  }

  @Override
  public void readState(DataInput in, ParameterSet parameters) throws IOException {
    long read = in.readLong();
    if (read < 0) {
      throw new IOException("sgd state: step count must be >= 0, stream has " + read);
    }
    steps = read;
  }
}
