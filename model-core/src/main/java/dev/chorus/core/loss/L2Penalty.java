package dev.chorus.core.loss;

import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;

/** Ridge penalty {@code (λ/2)·Σ w²} over regularised parameters, with gradient {@code λ·w}. */
public final class L2Penalty implements Regularizer {

  private final float lambda;

  /** @throws IllegalArgumentException if {@code lambda} is negative or not finite */
  public L2Penalty(double lambda) {
    if (!(lambda >= 0) || Double.isInfinite(lambda)) {
      throw new IllegalArgumentException("L2 strength must be finite and >= 0, got " + lambda);
    }
    this.lambda = (float) lambda;
  }

  @Override
  public double addPenaltyGradient(ParameterSet parameters) {
    double sumSquares = 0;
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      if (parameter.regularized()) {
        float[] w = parameter.value().data();
        float[] g = parameter.gradient().data();
        for (int i = 0; i < w.length; i++) {
          sumSquares += (double) w[i] * w[i];
          g[i] += lambda * w[i];
        }
      }
    }
    return 0.5 * lambda * sumSquares;
  }
}
