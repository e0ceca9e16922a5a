package dev.chorus.core.nn;

import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.tensor.Matrix;

/** Weight initialisation schemes. */
public final class Initializers {

  private Initializers() {}

  /**
   * Glorot/Xavier uniform (Glorot and Bengio, "Understanding the difficulty of training deep feedforward
   * neural networks", AISTATS 2010): {@code U(-l, l)} with {@code l = sqrt(6 / (fanIn + fanOut))}, which keeps
   * activation and gradient variances roughly equal across layers. Fills {@code weights} row by row.
   */
  public static void glorotUniform(Matrix weights, int fanIn, int fanOut, SplitMix64 rng) {
    float limit = (float) Math.sqrt(6.0 / (fanIn + fanOut));
    float[] data = weights.data();
    for (int i = 0; i < data.length; i++) {
      data[i] = rng.nextSymmetric(limit);
    }
  }
}
