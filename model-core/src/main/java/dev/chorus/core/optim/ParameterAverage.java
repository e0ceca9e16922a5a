package dev.chorus.core.optim;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;

/**
 * An exponential moving average of trainable parameters, to predict from while the live ones train: after each
 * accepted step {@code t} (1 for the first), every value moves {@code w̄ ← d_t·w̄ + (1 − d_t)·w} with
 * {@code d_t = min(decay, (1 + t) / (10 + t))}, so early averages are not anchored to the initial weights. This is
 * TensorFlow's {@code tf.train.ExponentialMovingAverage} with {@code num_updates}, the exponential form of Polyak
 * averaging (B. T. Polyak and A. B. Juditsky, "Acceleration of stochastic approximation by averaging", SIAM J.
 * Control Optim. 30(4), 1992): the average of the iterates converges faster than the iterates and smooths the noise
 * of one-pass SGD on noisy labels.
 *
 * <p>Each update is two BLAS level-1 calls per parameter ({@code sscal} then {@code saxpy}). The averaged values live
 * in their own {@link ParameterSet} of the same names and shapes, whose gradients are never used.
 */
public final class ParameterAverage {

  private final double decay;
  private final Blas blas;
  private final ParameterSet live;
  private final ParameterSet average;

  /**
   * Averages {@code live} into {@code average}, which must have the same parameters in the same order; the average
   * starts from {@code average}'s current values.
   *
   * @throws IllegalArgumentException naming the first parameter whose name or size differs
   */
  public ParameterAverage(AveragingSpec spec, Blas blas, ParameterSet live, ParameterSet average) {
    this.decay = spec.decay();
    this.blas = blas;
    this.live = live;
    this.average = average;
    if (live.size() != average.size()) {
      throw new IllegalArgumentException("averaged parameters: expected " + live.names() + ", got " + average.names());
    }
    for (int i = 0; i < live.size(); i++) {
      Parameter w = live.get(i);
      Parameter a = average.get(i);
      if (!w.name().equals(a.name()) || w.size() != a.size()) {
        throw new IllegalArgumentException("averaged parameter " + i + ": expected '" + w.name() + "' of " + w.size()
            + " values, got '" + a.name() + "' of " + a.size());
      }
    }
  }

  /** The decay of step {@code t} (1 for the first): {@code min(decay, (1 + t) / (10 + t))}. */
  public static double decayAt(double decay, long t) {
    return Math.min(decay, (1.0 + t) / (10.0 + t));
  }

  /** Moves the average towards the live values after accepted step {@code t} (1 for the first). */
  public void update(long t) {
    float d = (float) decayAt(decay, t);
    float rest = (float) (1 - decayAt(decay, t));
    for (int i = 0; i < live.size(); i++) {
      float[] w = live.get(i).value().data();
      float[] a = average.get(i).value().data();
      blas.sscal(a.length, d, a, 0);
      blas.saxpy(a.length, rest, w, 0, a, 0);
    }
  }

  /** Restarts the average at the live values (a warm start). */
  public void restart() {
    average.copyValuesFrom(live);
  }

  /** The averaged values, to save and restore. */
  public ParameterSet average() {
    return average;
  }
}
