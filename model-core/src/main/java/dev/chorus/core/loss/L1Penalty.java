package dev.chorus.core.loss;

import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;

/**
 * Lasso penalty {@code λ·Σ|w|} over regularised parameters, applied as a proximal step after the gradient
 * step rather than as a subgradient: soft-thresholding {@code w ← sign(w)·max(|w| − η·λ, 0)}, the proximal
 * operator of {@code η·λ·|w|} (proximal gradient descent, e.g. Parikh and Boyd, "Proximal Algorithms", 2014,
 * and Duchi and Singer's FOBOS, JMLR 2009). Why: the subgradient {@code λ·sign(w)} makes small weights
 * oscillate around zero and never reach it, while the proximal step sets them exactly to zero, which is the
 * point of L1, and it is exact for SGD.
 *
 * <p>With adaptive optimizers (AdaGrad, RMSProp, Adam) the step uses the scheduled learning rate {@code η},
 * not each coordinate's adapted step: the usual decoupled approximation, simple and still sparsifying. With
 * {@link L2Penalty} as well this is the elastic net.
 */
public final class L1Penalty {

  private final float lambda;

  /** @throws IllegalArgumentException if {@code lambda} is negative or not finite */
  public L1Penalty(double lambda) {
    if (!(lambda >= 0) || Double.isInfinite(lambda)) {
      throw new IllegalArgumentException("L1 strength must be finite and >= 0, got " + lambda);
    }
    this.lambda = (float) lambda;
  }

  /** {@code λ·Σ|w|} over the regularised parameters. */
  public double penalty(ParameterSet parameters) {
    double sum = 0;
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      if (parameter.regularized()) {
        for (float w : parameter.value().data()) {
          sum += Math.abs(w);
        }
      }
    }
    return lambda * sum;
  }

  /** Soft-thresholds every regularised value by {@code learningRate·λ}. */
  public void proximalStep(ParameterSet parameters, float learningRate) {
    float threshold = learningRate * lambda;
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      if (parameter.regularized()) {
        float[] w = parameter.value().data();
        for (int i = 0; i < w.length; i++) {
          float shrunk = Math.abs(w[i]) - threshold;
          w[i] = shrunk > 0f ? Math.copySign(shrunk, w[i]) : 0f;
        }
      }
    }
  }
}
