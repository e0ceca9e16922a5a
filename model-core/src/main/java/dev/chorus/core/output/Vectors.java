package dev.chorus.core.output;

/** The few vector operations the output layers repeat on rows of {@code d} floats; sums run in double. */
final class Vectors {

  private Vectors() {}

  static double dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
    double sum = 0;
    for (int f = 0; f < length; f++) {
      sum += (double) a[aOffset + f] * b[bOffset + f];
    }
    return sum;
  }

  /** {@code y += alpha·x} over {@code length} values. */
  static void axpy(int length, double alpha, float[] x, int xOffset, float[] y, int yOffset) {
    for (int f = 0; f < length; f++) {
      y[yOffset + f] += (float) (alpha * x[xOffset + f]);
    }
  }

  /** {@code log σ(z)}, without overflow for either sign of {@code z}. */
  static double logSigmoid(double z) {
    return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
  }

  static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }
}
