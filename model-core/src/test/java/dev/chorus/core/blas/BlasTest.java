package dev.chorus.core.blas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.tensor.Matrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every backend, both through the facade's small-operation shortcut and sent straight to netlib, against
 * one plain double-precision reference. Absent backends are reported as skipped with the reason.
 */
class BlasTest {

  private static final Logger LOG = LoggerFactory.getLogger(BlasTest.class);
  private static final float[][] ALPHA_BETA = {{1f, 0f}, {0.5f, -1.5f}, {2f, 1f}};
  /** Marks array elements a call must not touch. */
  private static final float SENTINEL = -777f;

  @BeforeAll
  static void reportBackends() {
    for (BlasBackend backend : BlasBackend.values()) {
      LOG.info("BLAS backend {} under test: {}", backend,
          Blas.isAvailable(backend) ? "available, " + Blas.forBackend(backend).description()
              : "UNAVAILABLE, skipped: " + Blas.unavailableReason(backend));
    }
  }

  static Stream<Arguments> facades() {
    List<Arguments> facades = new ArrayList<>();
    for (BlasBackend backend : BlasBackend.values()) {
      facades.add(Arguments.of(backend, "every call to the backend"));
      facades.add(Arguments.of(backend, "small calls in Java"));
    }
    return facades.stream();
  }

  private static Blas facade(BlasBackend backend, String routing) {
    if (!Blas.isAvailable(backend)) {
      Assumptions.abort("BLAS backend " + backend + " is unavailable here: " + Blas.unavailableReason(backend));
    }
    Blas blas = Blas.forBackend(backend);
    assertThat(blas.backend()).isEqualTo(backend);
    return routing.startsWith("every") ? blas.withoutSmallOpShortcut() : blas;
  }

  @Test
  void atLeastOneBackendWorks() {
    assertThat(BlasBackend.values()).anyMatch(Blas::isAvailable);
    assertThat(Blas.isAvailable(BlasBackend.JAVA)).as("pure Java is always available").isTrue();
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("facades")
  void sgemmMatchesReferenceForAllTransposesShapesOffsetsAndScalars(BlasBackend backend, String routing) {
    Blas blas = facade(backend, routing);
    int[][] shapes = {{1, 1, 1}, {1, 7, 5}, {7, 1, 5}, {5, 7, 1}, {1, 1, 9}, {3, 4, 5}, {17, 9, 13},
        {64, 10, 100}, {10, 100, 64}, {33, 65, 70}};
    SplittableRandom random = new SplittableRandom(1);
    for (int[] shape : shapes) {
      for (boolean transA : new boolean[] {false, true}) {
        for (boolean transB : new boolean[] {false, true}) {
          for (float[] ab : ALPHA_BETA) {
            for (int pad : new int[] {0, 3}) {
              checkSgemm(blas, random, shape[0], shape[1], shape[2], transA, transB, ab[0], ab[1], pad, pad + 2 * pad);
            }
          }
        }
      }
    }
  }

  private static void checkSgemm(Blas blas, SplittableRandom random, int m, int n, int k, boolean transA,
      boolean transB, float alpha, float beta, int pad, int offset) {
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    int lda = aCols + pad;
    int ldb = bCols + pad;
    int ldc = n + pad;
    float[] a = randomStored(random, offset, aRows, lda);
    float[] b = randomStored(random, offset, bRows, ldb);
    float[] c = randomStored(random, offset, m, ldc);
    markPadding(c, offset, m, n, ldc);
    float[] expectedC = c.clone();
    double[] bound = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = 0;
        double magnitude = 0;
        for (int p = 0; p < k; p++) {
          double av = transA ? a[offset + p * lda + i] : a[offset + i * lda + p];
          double bv = transB ? b[offset + j * ldb + p] : b[offset + p * ldb + j];
          sum += av * bv;
          magnitude += Math.abs(av * bv);
        }
        int ci = offset + i * ldc + j;
        double cv = beta == 0 ? 0 : beta * (double) c[ci];
        expectedC[ci] = (float) (alpha * sum + cv);
        bound[i * n + j] = 1e-5 * (Math.abs(alpha) * magnitude + Math.abs(cv)) + 1e-6;
      }
    }
    if (beta == 0) {
      // BLAS does not read C when beta is 0: garbage there must not leak into the result.
      for (int i = 0; i < m; i++) {
        Arrays.fill(c, offset + i * ldc, offset + i * ldc + n, Float.NaN);
      }
    }
    blas.sgemm(transA, transB, m, n, k, alpha, a, offset, lda, b, offset, ldb, beta, c, offset, ldc);
    String what = String.format("sgemm(%s%s, m=%d, n=%d, k=%d, alpha=%s, beta=%s, pad=%d, offset=%d) on %s",
        transA ? "T" : "N", transB ? "T" : "N", m, n, k, alpha, beta, pad, offset, blas);
    for (int idx = 0; idx < c.length; idx++) {
      int rel = idx - offset;
      int i = rel / ldc;
      int j = rel % ldc;
      if (rel >= 0 && i < m && j < n) {
        assertThat(c[idx]).as(what + " C[%d][%d]", i, j).isCloseTo(expectedC[idx], within((float) bound[i * n + j]));
      } else {
        assertThat(c[idx]).as(what + " must not touch element %d outside C", idx).isEqualTo(expectedC[idx]);
      }
    }
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("facades")
  void sgemvMatchesReferenceForBothTransposes(BlasBackend backend, String routing) {
    Blas blas = facade(backend, routing);
    int[][] shapes = {{1, 1}, {1, 9}, {9, 1}, {5, 7}, {10, 100}, {40, 70}, {70, 40}};
    SplittableRandom random = new SplittableRandom(2);
    for (int[] shape : shapes) {
      for (boolean trans : new boolean[] {false, true}) {
        for (float[] ab : ALPHA_BETA) {
          for (int pad : new int[] {0, 2}) {
            checkSgemv(blas, random, shape[0], shape[1], trans, ab[0], ab[1], pad, 3 * pad);
          }
        }
      }
    }
  }

  private static void checkSgemv(Blas blas, SplittableRandom random, int m, int n, boolean trans, float alpha,
      float beta, int pad, int offset) {
    int lda = n + pad;
    int xLen = trans ? m : n;
    int yLen = trans ? n : m;
    float[] a = randomStored(random, offset, m, lda);
    float[] x = randomStored(random, offset, 1, xLen + pad);
    float[] y = randomStored(random, offset, 1, yLen + pad);
    Arrays.fill(y, 0, offset, SENTINEL);
    Arrays.fill(y, offset + yLen, y.length, SENTINEL);
    float[] expected = y.clone();
    double[] bound = new double[yLen];
    for (int r = 0; r < yLen; r++) {
      double sum = 0;
      double magnitude = 0;
      for (int p = 0; p < xLen; p++) {
        double av = trans ? a[offset + p * lda + r] : a[offset + r * lda + p];
        double term = av * x[offset + p];
        sum += term;
        magnitude += Math.abs(term);
      }
      double yv = beta == 0 ? 0 : beta * (double) y[offset + r];
      expected[offset + r] = (float) (alpha * sum + yv);
      bound[r] = 1e-5 * (Math.abs(alpha) * magnitude + Math.abs(yv)) + 1e-6;
    }
    if (beta == 0) {
      Arrays.fill(y, offset, offset + yLen, Float.NaN);
    }
    blas.sgemv(trans, m, n, alpha, a, offset, lda, x, offset, beta, y, offset);
    String what = String.format("sgemv(%s, m=%d, n=%d, alpha=%s, beta=%s, pad=%d, offset=%d) on %s",
        trans ? "T" : "N", m, n, alpha, beta, pad, offset, blas);
    for (int idx = 0; idx < y.length; idx++) {
      int r = idx - offset;
      if (r >= 0 && r < yLen) {
        assertThat(y[idx]).as(what + " y[%d]", r).isCloseTo(expected[idx], within((float) bound[r]));
      } else {
        assertThat(y[idx]).as(what + " must not touch y element %d", idx).isEqualTo(SENTINEL);
      }
    }
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("facades")
  void vectorOperationsMatchReference(BlasBackend backend, String routing) {
    Blas blas = facade(backend, routing);
    SplittableRandom random = new SplittableRandom(3);
    for (int n : new int[] {0, 1, 7, 63, 64, 65, 1000}) {
      for (int offset : new int[] {0, 5}) {
        float[] x = randomStored(random, offset, 1, n + 2);
        float[] y = randomStored(random, offset, 1, n + 2);
        String what = "n=" + n + ", offset=" + offset + " on " + blas;

        double dot = 0;
        double magnitude = 0;
        for (int i = 0; i < n; i++) {
          dot += (double) x[offset + i] * y[offset + i];
          magnitude += Math.abs((double) x[offset + i] * y[offset + i]);
        }
        assertThat(blas.sdot(n, x, offset, y, offset)).as("sdot " + what)
            .isCloseTo((float) dot, within((float) (1e-5 * magnitude + 1e-6)));

        float[] axpy = y.clone();
        float[] expectedAxpy = y.clone();
        for (int i = 0; i < n; i++) {
          expectedAxpy[offset + i] = (float) (y[offset + i] + (double) -0.75f * x[offset + i]);
        }
        blas.saxpy(n, -0.75f, x, offset, axpy, offset);
        assertCloseElementwise(axpy, expectedAxpy, 1e-6f, "saxpy " + what);

        float[] scal = x.clone();
        float[] expectedScal = x.clone();
        for (int i = 0; i < n; i++) {
          expectedScal[offset + i] = 1.5f * x[offset + i];
        }
        blas.sscal(n, 1.5f, scal, offset);
        assertCloseElementwise(scal, expectedScal, 0f, "sscal " + what);
      }
    }
  }

  @Test
  void matrixGemmChecksShapesNamingBothSizes() {
    Blas blas = Blas.get();
    Matrix a = Matrix.of(2, 3, 1, 2, 3, 4, 5, 6);
    Matrix b = Matrix.of(2, 2, 1, 0, 0, 1);
    assertThatThrownBy(() -> blas.gemm(false, false, 1f, a, b, 0f, Matrix.zeros(2, 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("op(A) is 2 × 3").hasMessageContaining("op(B) is 2 × 2");
    Matrix c = Matrix.zeros(3, 2);
    blas.gemm(true, false, 1f, a, b, 0f, c);
    assertThat(c).isEqualTo(Matrix.of(3, 2, 1, 4, 2, 5, 3, 6));
    assertThatThrownBy(() -> blas.gemm(true, false, 1f, a, b, 0f, Matrix.zeros(2, 2)))
        .hasMessageContaining("C must be 3 × 2, got 2 × 2");
  }

  @Test
  void rejectsBadArgumentsBeforeCallingTheBackend() {
    Blas blas = Blas.get();
    float[] six = new float[6];
    assertThatThrownBy(() -> blas.sgemm(false, false, 2, 3, 3, 1f, six, 0, 2, new float[9], 0, 3, 0f, six, 0, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("sgemm: leading dimension of A must be >= 3 (its stored row length), got 2");
    assertThatThrownBy(() -> blas.sgemm(false, false, 2, 3, 3, 1f, new float[5], 0, 3, new float[9], 0, 3, 0f, six, 0, 3))
        .hasMessage("sgemm: A (2 × 3, offset 0, leading dimension 3) needs 6 floats, array has 5");
    assertThatThrownBy(() -> blas.sgemv(false, 2, 3, 1f, six, 0, 3, new float[2], 0, 0f, new float[2], 0))
        .hasMessage("sgemv: x (3 elements at offset 0) needs 3 floats, array has 2");
    assertThatThrownBy(() -> blas.saxpy(-1, 1f, six, 0, six, 0)).hasMessage("saxpy: n must be >= 0, got -1");
    assertThatThrownBy(() -> blas.sdot(4, six, 3, six, 0)).hasMessage("sdot: x (4 elements at offset 3) needs 7 floats, array has 6");
  }

  private static float[] randomStored(SplittableRandom random, int offset, int rows, int ld) {
    float[] data = new float[offset + rows * ld + 2];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return data;
  }

  private static void markPadding(float[] c, int offset, int m, int n, int ldc) {
    for (int idx = 0; idx < c.length; idx++) {
      int rel = idx - offset;
      if (rel < 0 || rel / ldc >= m || rel % ldc >= n) {
        c[idx] = SENTINEL;
      }
    }
  }

  private static void assertCloseElementwise(float[] actual, float[] expected, float tolerance, String what) {
    for (int i = 0; i < actual.length; i++) {
      assertThat(actual[i]).as(what + " element %d", i).isCloseTo(expected[i], within(tolerance));
    }
  }
}
