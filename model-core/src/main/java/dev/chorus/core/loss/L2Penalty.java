package dev.chorus.core.loss;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;

/**
 * Ridge penalty {@code (λ/2)·Σ w²} over regularised parameters, with gradient {@code λ·w}, added to the data
 * gradient before the optimizer step (so with adaptive optimizers it is L2 regularisation, not decoupled
 * weight decay). Runs on {@link Blas#get()}'s {@code sdot} and {@code saxpy}.
 */
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
    Blas blas = Blas.get();
    double sumSquares = 0;
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      if (parameter.regularized()) {
        float[] w = parameter.value().data();
        sumSquares += blas.sdot(w.length, w, 0, w, 0);
        blas.saxpy(w.length, lambda, w, 0, parameter.gradient().data(), 0);
      }
    }
    return 0.5 * lambda * sumSquares;
  }
}
