package dev.chorus.core.nn;

import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.tensor.Matrix;
import java.util.Arrays;

/**
 * Weight initialisation schemes, named as in model specs. Each fills a weight matrix of a layer with
 * {@code fanIn} inputs and {@code fanOut} outputs, drawing from a seeded {@link SplitMix64} in row order.
 */
public enum WeightInit {

  /**
   * Glorot/Xavier uniform (Glorot and Bengio, "Understanding the difficulty of training deep feedforward
   * neural networks", AISTATS 2010): {@code U(-l, l)} with {@code l = sqrt(6 / (fanIn + fanOut))}, which keeps
   * activation and gradient variances roughly equal across layers of tanh or sigmoid units.
   */
  GLOROT_UNIFORM("glorot-uniform"),
  /** Glorot/Xavier normal (same paper): {@code N(0, 2 / (fanIn + fanOut))}. */
  GLOROT_NORMAL("glorot-normal"),
  /**
   * He normal (He, Zhang, Ren and Sun, "Delving Deep into Rectifiers", ICCV 2015): {@code N(0, 2 / fanIn)},
   * which compensates for ReLU zeroing half of its inputs.
   */
  HE_NORMAL("he-normal"),
  /** {@code U(-a, a)} for a given limit {@code a}. */
  UNIFORM("uniform"),
  /** All zeros: fine for a linear model (a convex problem), useless for hidden layers (no symmetry breaking). */
  ZEROS("zeros");

  private final String label;

  WeightInit(String label) {
    this.label = label;
  }

  /** The name used in model specs, e.g. {@code "he-normal"}. */
  public String label() {
    return label;
  }

  /** The scheme named {@code label}, or {@code null} if none is. */
  public static WeightInit byLabel(String label) {
    for (WeightInit init : values()) {
      if (init.label.equals(label)) {
        return init;
      }
    }
    return null;
  }

  /**
   * Fills {@code weights}. {@code uniformLimit} is the {@code a} of {@link #UNIFORM} and ignored by the
   * other schemes.
   */
  public void fill(Matrix weights, int fanIn, int fanOut, double uniformLimit, SplitMix64 rng) {
    float[] w = weights.data();
    switch (this) {
      case GLOROT_UNIFORM -> fillUniform(w, (float) Math.sqrt(6.0 / (fanIn + fanOut)), rng);
      case GLOROT_NORMAL -> fillNormal(w, Math.sqrt(2.0 / (fanIn + fanOut)), rng);
      case HE_NORMAL -> fillNormal(w, Math.sqrt(2.0 / fanIn), rng);
      case UNIFORM -> fillUniform(w, (float) uniformLimit, rng);
      case ZEROS -> Arrays.fill(w, 0f);
      default -> throw new AssertionError(this);
    }
  }

  private static void fillUniform(float[] w, float limit, SplitMix64 rng) {
    for (int i = 0; i < w.length; i++) {
      w[i] = rng.nextSymmetric(limit);
    }
  }

  private static void fillNormal(float[] w, double standardDeviation, SplitMix64 rng) {
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (standardDeviation * rng.nextGaussian());
    }
  }
}
