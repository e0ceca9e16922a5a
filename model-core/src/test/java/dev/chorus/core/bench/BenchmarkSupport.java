package dev.chorus.core.bench;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.blas.BlasBackend;
import dev.chorus.core.random.SplitMix64;

/** What the benchmarks share: seeded operands and backend selection. */
final class BenchmarkSupport {

  private BenchmarkSupport() {}

  /** {@code n} floats uniform in {@code [-1, 1)} from {@code seed}. */
  static float[] randomFloats(int n, long seed) {
    SplitMix64 rng = SplitMix64.seeded(seed);
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = rng.nextSymmetric(1f);
    }
    return values;
  }

  /**
   * A facade on {@code backend} that sends every operation to it, however small, so that the backend itself
   * is measured.
   *
   * @throws IllegalStateException naming the reason if the backend cannot load here, which makes JMH report
   *     that parameter combination as failed and carry on with the others
   */
  static Blas backend(String backend) {
    return Blas.forBackend(BlasBackend.valueOf(backend)).withoutSmallOpShortcut();
  }
}
