package dev.chorus.core.random;

/**
 * Steele, Lea and Flood's SplitMix64 generator ("Fast splittable pseudorandom number generators", OOPSLA
 * 2014), the algorithm behind {@link java.util.SplittableRandom}, written out so that its whole state is
 * one {@code long} that can be saved and restored exactly.
 *
 * <p>Not thread-safe; each model owns its generator.
 */
public final class SplitMix64 {

  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
  private static final float FLOAT_UNIT = 0x1.0p-24f;
  private static final double DOUBLE_UNIT = 0x1.0p-53;

  private long state;

  private SplitMix64(long state) {
    this.state = state;
  }

  /** A generator seeded with {@code seed}; equal seeds give equal sequences. */
  public static SplitMix64 seeded(long seed) {
    return new SplitMix64(seed);
  }

  /** A generator continuing exactly from a {@link #state()} saved earlier. */
  public static SplitMix64 fromState(long state) {
    return new SplitMix64(state);
  }

  /** The complete state; {@code fromState(state())} continues this sequence. */
  public long state() {
    return state;
  }

  public long nextLong() {
    long z = (state += GOLDEN_GAMMA);
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, 1), from the top 24 bits. */
  public float nextFloat() {
    return (nextLong() >>> 40) * FLOAT_UNIT;
  }

  /** Uniform in [0, 1), from the top 53 bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * DOUBLE_UNIT;
  }

  /** Uniform in [-limit, limit). */
  public float nextSymmetric(float limit) {
    return (2f * nextFloat() - 1f) * limit;
  }

  /**
   * Standard normal, by the Box–Muller transform of two uniforms. The second variate the transform yields
   * is discarded rather than cached, so that {@link #state()} stays the generator's whole state.
   */
  public double nextGaussian() {
    // 1 − u lies in (0, 1], so the logarithm is finite.
    double radius = Math.sqrt(-2 * Math.log(1 - nextDouble()));
    return radius * Math.cos(2 * Math.PI * nextDouble());
  }

  /**
   * {@code 0 … n−1} shuffled by Fisher–Yates with {@code j = unsigned(nextLong) mod (i + 1)}, drawing {@code n − 1}
   * longs; the benchmarks' Python peers port this exactly, so both sides see the same order. The modulo's bias is
   * below {@code n / 2⁶⁴}.
   */
  public int[] permutation(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = (int) Long.remainderUnsigned(nextLong(), i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }

  /** A copy with the same state that then evolves independently. */
  public SplitMix64 copy() {
    return new SplitMix64(state);
  }
}
