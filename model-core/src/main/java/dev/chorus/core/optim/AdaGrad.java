package dev.chorus.core.optim;

import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;

/**
 * AdaGrad (Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
 * Optimization", JMLR 2011), diagonal version: with {@code G} the running sum of squared gradients per value,
 * {@code G ← G + g²}, {@code w ← w − η·g / (√G + ε)}. Rarely active features keep large steps, which suits
 * sparse inputs; the steps of every feature shrink for ever. State: {@code G} per parameter, the step count.
 */
public final class AdaGrad extends SlottedOptimizer {

  private final AdaGradSpec spec;
  private final float epsilon;

  public AdaGrad(AdaGradSpec spec) {
    super(new ParameterSlots(AdaGradSpec.TYPE, "accumulators", "squared-gradient sum").nonNegative(0));
    this.spec = spec;
    this.epsilon = (float) spec.epsilon();
  }

  @Override
  public void step(ParameterSet parameters, float learningRate) {
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      float[] w = parameter.value().data();
      float[] g = parameter.gradient().data();
      float[] sum = slots.of(parameter)[0];
      for (int i = 0; i < w.length; i++) {
        update(w, sum, i, g[i], learningRate, epsilon);
      }
    }
    steps++;
  }

  /**
   * One coordinate's step, which the sparse path applies to the coordinates a minibatch touched. The sum of squares
   * saturates at {@code Float.MAX_VALUE}: it only grows, and a long enough run would otherwise reach infinity and
   * freeze the weight for good.
   */
  public static void update(float[] w, float[] sum, int i, float g, float learningRate, float epsilon) {
    sum[i] = Math.min(sum[i] + g * g, Float.MAX_VALUE);
    w[i] -= learningRate * g / ((float) Math.sqrt(sum[i]) + epsilon);
  }

  @Override
  public AdaGradSpec spec() {
    return spec;
  }

  @Override
  AdaGrad fresh() {
    return new AdaGrad(spec);
  }
}
