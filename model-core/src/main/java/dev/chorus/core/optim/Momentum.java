package dev.chorus.core.optim;

import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;

/**
 * SGD with momentum, classical or Nesterov, in the form of Sutskever, Martens, Dahl and Hinton ("On the
 * importance of initialization and momentum in deep learning", ICML 2013) as most libraries write it, with a
 * velocity {@code v} per parameter:
 * <pre>
 *   v ← μ·v + g
 *   classical (Polyak, "Some methods of speeding up the convergence of iteration methods", 1964):  w ← w − η·v
 *   Nesterov ("A method for unconstrained convex minimization problem with the rate of convergence
 *             O(1/k²)", 1983), looking ahead along the new velocity:                             w ← w − η·(g + μ·v)
 * </pre>
 * Keeping {@code η} outside the velocity means a learning-rate schedule rescales past momentum too.
 */
public final class Momentum extends SlottedOptimizer {

  private final MomentumSpec spec;
  private final float momentum;

  public Momentum(MomentumSpec spec) {
    super(new ParameterSlots(spec.type(), "velocity", "velocity"));
    this.spec = spec;
    this.momentum = (float) spec.momentum();
  }

  @Override
  public void step(ParameterSet parameters, float learningRate) {
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      float[] w = parameter.value().data();
      float[] g = parameter.gradient().data();
      float[] v = slots.of(parameter)[0];
      if (spec.nesterov()) {
        for (int i = 0; i < w.length; i++) {
          v[i] = momentum * v[i] + g[i];
          w[i] -= learningRate * (g[i] + momentum * v[i]);
        }
      } else {
        for (int i = 0; i < w.length; i++) {
          v[i] = momentum * v[i] + g[i];
          w[i] -= learningRate * v[i];
        }
      }
    }
    steps++;
  }

  @Override
  public MomentumSpec spec() {
    return spec;
  }

  @Override
  Momentum fresh() {
    return new Momentum(spec);
  }
}
