package dev.chorus.core.blas;

/**
 * Plain row-major loops for operations too small to be worth a backend call. Arguments are already checked
 * by {@link Blas}; semantics follow BLAS (the output is not read when {@code beta == 0}).
 */
final class JavaLoops {

  private JavaLoops() {}

  static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
    int aRowStep = transA ? 1 : lda;
    int aColStep = transA ? lda : 1;
    int bRowStep = transB ? 1 : ldb;
    int bColStep = transB ? ldb : 1;
    for (int i = 0; i < m; i++) {
      int cRow = cOff + i * ldc;
      for (int j = 0; j < n; j++) {
        float sum = 0f;
        int ai = aOff + i * aRowStep;
        int bj = bOff + j * bColStep;
        for (int p = 0; p < k; p++) {
          sum += a[ai + p * aColStep] * b[bj + p * bRowStep];
        }
        c[cRow + j] = beta == 0f ? alpha * sum : alpha * sum + beta * c[cRow + j];
      }
    }
  }

  static void sgemv(boolean transA, int m, int n, float alpha, float[] a, int aOff, int lda,
      float[] x, int xOff, float beta, float[] y, int yOff) {
    if (!transA) {
      for (int i = 0; i < m; i++) {
        float sum = 0f;
        int row = aOff + i * lda;
        for (int j = 0; j < n; j++) {
          sum += a[row + j] * x[xOff + j];
        }
        y[yOff + i] = beta == 0f ? alpha * sum : alpha * sum + beta * y[yOff + i];
      }
      return;
    }
    scaleOutput(n, beta, y, yOff);
    for (int i = 0; i < m; i++) {
      float ax = alpha * x[xOff + i];
      int row = aOff + i * lda;
      for (int j = 0; j < n; j++) {
        y[yOff + j] += ax * a[row + j];
      }
    }
  }

  /** {@code y = beta·y}, writing zeros without reading {@code y} when {@code beta == 0}. */
  static void scaleOutput(int n, float beta, float[] y, int yOff) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = beta == 0f ? 0f : beta * y[yOff + i];
    }
  }

  static void saxpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] += alpha * x[xOff + i];
    }
  }

  static float sdot(int n, float[] x, int xOff, float[] y, int yOff) {
    float sum = 0f;
    for (int i = 0; i < n; i++) {
      sum += x[xOff + i] * y[yOff + i];
    }
    return sum;
  }

  static void sscal(int n, float alpha, float[] x, int xOff) {
    for (int i = 0; i < n; i++) {
      x[xOff + i] *= alpha;
    }
  }
}
