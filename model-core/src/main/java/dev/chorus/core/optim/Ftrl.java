package dev.chorus.core.optim;

import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;

/**
 * FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the Trenches", KDD 2013, Algorithm 1), per
 * coordinate. With {@code z} and {@code n} per weight, both starting at 0, a gradient {@code g} gives
 * <pre>
 *   σ = (√(n + g²) − √n) / α;   z ← z + g − σ·w;   n ← n + g²
 *   w = 0                                         if |z| ≤ λ1
 *   w = −(z − sgn(z)·λ1) / ((β + √n) / α + λ2)   otherwise
 * </pre>
 * so L1 gives exact zeros, and each coordinate's rate {@code α / (β + √n)} shrinks with its own gradients only,
 * which suits sparse features. A coordinate with {@code g = 0} keeps {@code z} and {@code n}, and at an unchanged
 * α its {@code w}: updating only the coordinates a minibatch touched is exact at a constant rate; under a schedule it
 * leaves an untouched {@code w} at its last step's α. Every weight is treated alike, biases included.
 *
 * <p>A weight FTRL did not put there (an initialiser's, or a warm start's that resets the optimizer) has state
 * {@code z = n = 0}, whose closed form is {@code w = 0}: stepped as it is, the weight would be all but forgotten
 * ({@code w = (|g|·w₀ − α·g)/(β + |g|)}). So a coordinate whose state is {@code z = n = 0} and whose weight
 * {@code w₀} is not 0 first takes the {@code z} from which the closed form at {@code n = 0} gives back {@code w₀}:
 * <pre>
 *   z = −w₀·(β/α + λ2) − sgn(w₀)·λ1
 * </pre>
 * ({@link #seed}), and the step goes on from there: its weight moves from {@code w₀} by {@code −g/((β + |g|)/α + λ2)}
 * as long as {@code z} keeps its sign. As {@code |z| > λ1}, L1 zeroes no such weight at once; it acts from then on,
 * as on any weight FTRL produced. With {@code β = λ2 = 0} no {@code z} gives a weight at {@code n = 0} (the rate
 * {@code α/√n} is infinite there): the seed {@code −sgn(w₀)·λ1} still makes a first non-zero gradient move the
 * weight to {@code w₀ − α·sgn(g)}, but a first zero gradient leaves it 0. Training from zero weights, and any state
 * FTRL produced, never meet the seed ({@code z = n = 0} comes with {@code w = 0}), so their steps are bit for bit as
 * before it. State: {@code z} and {@code n} per parameter, the step count.
 */
public final class Ftrl extends SlottedOptimizer {

  private final FtrlSpec spec;

  public Ftrl(FtrlSpec spec) {
    super(new ParameterSlots(FtrlSpec.TYPE, "accumulators", "z", "n").nonNegative(1));
    this.spec = spec;
  }

  /** @param learningRate the α of this step: the spec's, as a schedule scales it */
  @Override
  public void step(ParameterSet parameters, float learningRate) {
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      float[] w = parameter.value().data();
      float[] g = parameter.gradient().data();
      float[][] state = slots.of(parameter);
      for (int i = 0; i < w.length; i++) {
        update(w, state[0], state[1], i, g[i], learningRate, spec);
      }
    }
    steps++;
  }

  /**
   * One coordinate's step, which the sparse path applies to the coordinates a minibatch touched. A rate a schedule
   * has decayed to 0 (an exponential or step schedule's, past float32's range) moves nothing: σ would be
   * {@code g² / 0}, and the weight NaN.
   */
  public static void update(float[] w, float[] z, float[] n, int i, float g, double alpha, FtrlSpec spec) {
    if (!(alpha > 0)) {
      return;
    }
    double gi = g;
    double nOld = n[i];
    double zOld = z[i];
    if (nOld == 0 && zOld == 0 && w[i] != 0) {
      zOld = seed(w[i], alpha, spec);
    }
    double nNew = nOld + gi * gi;
    double sigma = (Math.sqrt(nNew) - Math.sqrt(nOld)) / alpha;
    double zNew = zOld + gi - sigma * w[i];
    z[i] = (float) zNew;
    // n only grows: saturated at float32's largest, it never becomes infinite (which would make σ, then w, NaN).
    n[i] = (float) Math.min(nNew, Float.MAX_VALUE);
    w[i] = Math.abs(zNew) <= spec.l1() ? 0f
        : (float) (-(zNew - Math.signum(zNew) * spec.l1()) / ((spec.beta() + Math.sqrt(nNew)) / alpha + spec.l2()));
  }

  /**
   * The {@code z} whose closed form at {@code n = 0} and rate {@code alpha} is the weight {@code w}:
   * {@code −w·(β/α + λ2) − sgn(w)·λ1}, so {@code |z| > λ1} for any {@code w ≠ 0} and
   * {@code −(z − sgn(z)·λ1)/(β/α + λ2) = w}.
   */
  static double seed(float w, double alpha, FtrlSpec spec) {
    return -w * (spec.beta() / alpha + spec.l2()) - Math.signum(w) * spec.l1();
  }

  @Override
  public FtrlSpec spec() {
    return spec;
  }

  @Override
  Ftrl fresh() {
    return new Ftrl(spec);
  }
}
