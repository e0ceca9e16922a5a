package dev.chorus.core.optim;

import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;

/**
 * RMSProp (Tieleman and Hinton, "Lecture 6.5 — RMSProp: Divide the gradient by a running average of its
 * recent magnitude", COURSERA: Neural Networks for Machine Learning, 2012): AdaGrad with an exponential
 * average instead of a sum, so steps do not shrink for ever: {@code s ← ρ·s + (1 − ρ)·g²},
 * {@code w ← w − η·g / (√s + ε)}. State: {@code s} per parameter, the step count.
 */
public final class RmsProp extends SlottedOptimizer {

  private final RmsPropSpec spec;
  private final float rho;
  private final float epsilon;

  public RmsProp(RmsPropSpec spec) {
    super(new ParameterSlots(RmsPropSpec.TYPE, "averages", "mean square").nonNegative(0));
    this.spec = spec;
    this.rho = (float) spec.rho();
    this.epsilon = (float) spec.epsilon();
  }

  @Override
  public void step(ParameterSet parameters, float learningRate) {
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      float[] w = parameter.value().data();
      float[] g = parameter.gradient().data();
      float[] s = slots.of(parameter)[0];
      for (int i = 0; i < w.length; i++) {
        float gi = g[i];
        s[i] = rho * s[i] + (1 - rho) * gi * gi;
        w[i] -= learningRate * gi / ((float) Math.sqrt(s[i]) + epsilon);
      }
    }
    steps++;
  }

  @Override
  public RmsPropSpec spec() {
    return spec;
  }

  @Override
  RmsProp fresh() {
    return new RmsProp(spec);
  }
}
