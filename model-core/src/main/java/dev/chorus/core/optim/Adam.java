package dev.chorus.core.optim;

import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;

/**
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, arXiv:1412.6980),
 * Algorithm 1: with gradient {@code g} at step {@code t},
 * <pre>
 *   m ← β₁·m + (1 − β₁)·g        v ← β₂·v + (1 − β₂)·g²
 *   m̂ = m / (1 − β₁ᵗ)            v̂ = v / (1 − β₂ᵗ)
 *   w ← w − η·m̂ / (√v̂ + ε)
 * </pre>
 * State: the step count {@code t}, shared by all parameters, and the moments {@code m}, {@code v} per parameter.
 */
public final class Adam extends SlottedOptimizer {

  private final AdamSpec spec;
  private final float beta1;
  private final float beta2;
  private final float epsilon;

  public Adam(AdamSpec spec) {
    super(new ParameterSlots(AdamSpec.TYPE, "moments", "first moment", "second moment").nonNegative(1));
    this.spec = spec;
    this.beta1 = (float) spec.beta1();
    this.beta2 = (float) spec.beta2();
    this.epsilon = (float) spec.epsilon();
  }

  @Override
  public void step(ParameterSet parameters, float learningRate) {
    long t = steps + 1;
    float firstCorrection = (float) (1 / (1 - Math.pow(beta1, t)));
    float secondCorrection = (float) (1 / (1 - Math.pow(beta2, t)));
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      float[][] state = slots.of(parameter);
      float[] w = parameter.value().data();
      float[] g = parameter.gradient().data();
      float[] m = state[0];
      float[] v = state[1];
      for (int i = 0; i < w.length; i++) {
        float gi = g[i];
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        float mHat = m[i] * firstCorrection;
        float vHat = v[i] * secondCorrection;
        w[i] -= learningRate * mHat / ((float) Math.sqrt(vHat) + epsilon);
      }
    }
    steps = t;
  }

  @Override
  public AdamSpec spec() {
    return spec;
  }

  @Override
  Adam fresh() {
    return new Adam(spec);
  }
}
