package dev.chorus.core.optim;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;

/**
 * Clipping by global norm (Pascanu, Mikolov and Bengio, "On the difficulty of training recurrent neural
 * networks", ICML 2013): if the L2 norm of all gradients together exceeds {@code maxNorm}, every gradient is
 * scaled by {@code maxNorm / norm}. Scaling all of them by one factor keeps the update's direction, unlike
 * clipping each value. The norm and the scaling go through {@link Blas#get()}'s {@code sdot} and {@code sscal}.
 */
public final class GradientClipping {

  private GradientClipping() {}

  /**
   * The global L2 norm of every gradient of {@code parameters}, its squares summed in double. A component above
   * about 1.8e19 squares past float's range, so a float sum would make the norm infinite and the clipped step
   * zero. Each parameter's sum is BLAS's {@code sdot} while that is finite (vectorised; float's precision is
   * ample for a clipping threshold) and is summed again in double when it overflows.
   */
  public static double globalNorm(ParameterSet parameters) {
    Blas blas = Blas.get();
    double sumSquares = 0;
    for (int p = 0; p < parameters.size(); p++) {
      sumSquares += sumOfSquares(blas, parameters.get(p).gradient().data());
    }
    return Math.sqrt(sumSquares);
  }

  private static double sumOfSquares(Blas blas, float[] g) {
    float inFloat = blas.sdot(g.length, g, 0, g, 0);
    if (Float.isFinite(inFloat)) {
      return inFloat;
    }
    double sum = 0;
    for (float v : g) {
      sum += (double) v * v;
    }
    return sum;
  }

  /**
   * Scales every gradient so that the global norm is at most {@code maxNorm}; returns the norm before.
   *
   * @throws IllegalArgumentException if {@code maxNorm} is not positive
   */
  public static double clipByGlobalNorm(ParameterSet parameters, double maxNorm) {
    return clipByGlobalNorm(new ParameterSet[] {parameters}, 1, maxNorm);
  }

  /**
   * Scales every gradient of {@code sets[0 .. count)} by one factor so that their global norm, the square root of the
   * sum of each set's squared {@link #globalNorm}, is at most {@code maxNorm}; returns the norm before. For one set
   * that is its {@link #globalNorm} bit for bit: in binary floating point the square root of a correctly rounded
   * square is the number itself.
   *
   * @throws IllegalArgumentException if {@code maxNorm} is not positive
   */
  public static double clipByGlobalNorm(ParameterSet[] sets, int count, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
    }
    double sumSquares = 0;
    for (int s = 0; s < count; s++) {
      double norm = globalNorm(sets[s]);
      sumSquares += norm * norm;
    }
    double norm = Math.sqrt(sumSquares);
    if (norm > maxNorm) {
      float factor = (float) (maxNorm / norm);
      for (int s = 0; s < count; s++) {
        scale(sets[s], factor);
      }
    }
    return norm;
  }

  /** Multiplies every gradient of {@code parameters} by {@code factor}. */
  public static void scale(ParameterSet parameters, float factor) {
    Blas blas = Blas.get();
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      blas.sscal(parameter.size(), factor, parameter.gradient().data(), 0);
    }
  }
}
