package dev.chorus.core.blas;

import dev.chorus.core.tensor.Matrix;
import dev.ludovic.netlib.blas.BLAS;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Row-major single-precision BLAS over one of netlib's backends ({@link BlasBackend}).
 *
 * <p>netlib follows Fortran's column-major convention. A row-major matrix is the column-major storage of
 * its transpose, so {@code C = op(A)·op(B)} is computed as {@code Cᵀ = op(B)ᵀ·op(A)ᵀ}: operands and the
 * {@code m}/{@code n} sizes are swapped, the transpose flags are kept. Arguments are checked here, once,
 * for every backend, with messages that name the argument, the expected and the actual value.
 *
 * <p>Operations smaller than {@link #SMALL_GEMM_WORK}, {@link #SMALL_GEMV_WORK} or
 * {@link #SMALL_VECTOR_LENGTH} run as plain Java loops, because below those sizes the JNI transition and
 * array pinning cost more than the arithmetic. {@link #withoutSmallOpShortcut()} turns that off.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Blas {

  /**
   * {@code m·n·k} below which {@link #sgemm} uses Java loops. A first estimate (a JNI call costs about as
   * much as a few thousand multiply-adds in a JIT-compiled loop); to be replaced by a measured value.
   */
  public static final long SMALL_GEMM_WORK = 4_096;

  /** {@code m·n} below which {@link #sgemv} uses Java loops; same reasoning as {@link #SMALL_GEMM_WORK}. */
  public static final long SMALL_GEMV_WORK = 1_024;

  /** Vector length below which {@link #saxpy}, {@link #sdot} and {@link #sscal} use Java loops. */
  public static final int SMALL_VECTOR_LENGTH = 64;

  private static final Logger LOG = LoggerFactory.getLogger(Blas.class);

  private final BlasBackend backend;
  private final BLAS blas;
  private final String description;
  private final boolean smallOpsInJava;

  private Blas(BlasBackend backend, BLAS blas, String description, boolean smallOpsInJava) {
    this.backend = backend;
    this.blas = blas;
    this.description = description;
    this.smallOpsInJava = smallOpsInJava;
  }

  /**
   * System property that names the backend of {@link #get()}: {@code native}, {@code vector-api} or {@code java}
   * ({@link BlasBackend#key()}). Unset or empty: the best available backend.
   */
  public static final String BACKEND_PROPERTY = "chorus.blas";

  /** The facade {@link #get()} returns, or why there is none; chosen once per JVM. */
  private record Choice(Blas blas, RuntimeException failure) {}

  private static final class Default {
    static final Choice CHOICE = chooseFromProperty();

    private static Choice chooseFromProperty() {
      try {
        NativeBlasLibrary.configured(); // a misspelt native library is an error, not a quiet fall back
        return new Choice(choose(System.getProperty(BACKEND_PROPERTY)), null);
      } catch (IllegalArgumentException | IllegalStateException e) {
        // Kept, not thrown from the class initialiser: every caller then sees this message, not NoClassDefFoundError.
        return new Choice(null, e);
      }
    }
  }

  /**
   * The facade on the backend the system property {@value #BACKEND_PROPERTY} names, else on the best available
   * backend: native, else Vector API, else pure Java.
   *
   * @throws IllegalArgumentException if {@value #BACKEND_PROPERTY} names no backend
   * @throws IllegalStateException if the backend it names cannot be loaded in this JVM, or no backend can
   */
  public static Blas get() {
    Choice choice = Default.CHOICE;
    if (choice.failure() != null) {
      throw choice.failure();
    }
    return choice.blas();
  }

  /**
   * A facade on {@code backend}.
   *
   * @throws IllegalStateException if that backend cannot be loaded in this JVM; the message says why
   */
  public static Blas forBackend(BlasBackend backend) {
    BackendProbe.Result result = BackendProbe.result(backend);
    if (!result.available()) {
      throw new IllegalStateException("BLAS backend " + backend + " is unavailable: " + result.failure());
    }
    return new Blas(backend, result.blas(), result.description(), true);
  }

  /** Whether {@link #forBackend} would succeed for {@code backend}. */
  public static boolean isAvailable(BlasBackend backend) {
    return BackendProbe.result(backend).available();
  }

  /** Why {@code backend} is unavailable, or {@code null} if it is available. */
  public static String unavailableReason(BlasBackend backend) {
    return BackendProbe.result(backend).failure();
  }

  /**
   * The facade on the backend {@code requested} names ({@link BlasBackend#key()}), or on the best available one
   * when it is {@code null} or blank.
   *
   * @throws IllegalArgumentException if {@code requested} names no backend
   * @throws IllegalStateException if the requested backend cannot be loaded, or no backend can; the message says why
   */
  static Blas choose(String requested) {
    if (requested == null || requested.isBlank()) {
      return chooseBest();
    }
    BlasBackend backend = BlasBackend.fromKey(requested.strip())
        .orElseThrow(() -> new IllegalArgumentException("system property " + BACKEND_PROPERTY + ": expected one of "
            + BlasBackend.keys() + ", got '" + requested + "'"));
    BackendProbe.Result result = BackendProbe.result(backend);
    if (!result.available()) {
      throw new IllegalStateException("system property " + BACKEND_PROPERTY + "=" + backend.key() + " asks for the "
          + backend.label() + " BLAS backend, which is unavailable: " + result.failure());
    }
    LOG.info("BLAS backend: {} ({}; chosen by -D{}={})", backend, result.description(), BACKEND_PROPERTY,
        backend.key());
    return new Blas(backend, result.blas(), result.description(), true);
  }

  private static Blas chooseBest() {
    List<String> skipped = new ArrayList<>();
    for (BlasBackend candidate : BlasBackend.values()) {
      BackendProbe.Result result = BackendProbe.result(candidate);
      if (result.available()) {
        Blas chosen = new Blas(candidate, result.blas(), result.description(), true);
        if (skipped.isEmpty()) {
          LOG.info("BLAS backend: {} ({})", candidate, result.description());
        } else {
          LOG.info("BLAS backend: {} ({}; {})", candidate, result.description(), String.join("; ", skipped));
        }
        return chosen;
      }
      skipped.add(candidate.label() + " unavailable: " + result.failure());
    }
    throw new IllegalStateException("No BLAS backend could be loaded: " + String.join("; ", skipped));
  }

  /** The backend this facade runs on. */
  public BlasBackend backend() {
    return backend;
  }

  /** The netlib implementation class and, for {@link BlasBackend#NATIVE}, the shared libraries it uses. */
  public String description() {
    return description;
  }

  /** A facade on the same backend that sends every operation to it, however small; for tests and benchmarks. */
  public Blas withoutSmallOpShortcut() {
    return new Blas(backend, blas, description, false);
  }

  /**
   * {@code C = alpha·op(A)·op(B) + beta·C} on row-major matrices, where {@code op(A)} is {@code m × k},
   * {@code op(B)} is {@code k × n} and {@code C} is {@code m × n}. {@code lda}, {@code ldb}, {@code ldc} are
   * the row strides of the stored (untransposed) arrays. As in BLAS, {@code C} is not read when
   * {@code beta == 0}.
   */
  public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
    requireNonNegative("sgemm", "m", m);
    requireNonNegative("sgemm", "n", n);
    requireNonNegative("sgemm", "k", k);
    checkMatrix("sgemm", "A", a, aOff, lda, transA ? k : m, transA ? m : k);
    checkMatrix("sgemm", "B", b, bOff, ldb, transB ? n : k, transB ? k : n);
    checkMatrix("sgemm", "C", c, cOff, ldc, m, n);
    if (m == 0 || n == 0) {
      return;
    }
    if (smallOpsInJava && (long) m * n * k < SMALL_GEMM_WORK) {
      JavaLoops.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    } else {
      blas.sgemm(flag(transB), flag(transA), n, m, k, alpha, b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }
  }

  /**
   * {@code y = alpha·op(A)·x + beta·y} with {@code A} stored row-major as {@code m × n} (row stride
   * {@code lda}) and unit-stride vectors: {@code x} has {@code n} elements and {@code y} {@code m} when
   * {@code transA} is false, the other way round when it is true. {@code y} is not read when {@code beta == 0}.
   */
  public void sgemv(boolean transA, int m, int n, float alpha, float[] a, int aOff, int lda,
      float[] x, int xOff, float beta, float[] y, int yOff) {
    requireNonNegative("sgemv", "m", m);
    requireNonNegative("sgemv", "n", n);
    checkMatrix("sgemv", "A", a, aOff, lda, m, n);
    checkVector("sgemv", "x", x, xOff, transA ? m : n);
    checkVector("sgemv", "y", y, yOff, transA ? n : m);
    if (m == 0 || n == 0) {
      JavaLoops.scaleOutput(transA ? n : m, beta, y, yOff);
      return;
    }
    if (smallOpsInJava && (long) m * n < SMALL_GEMV_WORK) {
      JavaLoops.sgemv(transA, m, n, alpha, a, aOff, lda, x, xOff, beta, y, yOff);
    } else {
      // The row-major m × n matrix is the column-major n × m matrix Aᵀ, so the transpose flag flips.
      blas.sgemv(flag(!transA), n, m, alpha, a, aOff, lda, x, xOff, 1, beta, y, yOff, 1);
    }
  }

  /** {@code y += alpha·x} over {@code n} elements. */
  public void saxpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
    requireNonNegative("saxpy", "n", n);
    checkVector("saxpy", "x", x, xOff, n);
    checkVector("saxpy", "y", y, yOff, n);
    if (smallOpsInJava && n < SMALL_VECTOR_LENGTH) {
      JavaLoops.saxpy(n, alpha, x, xOff, y, yOff);
    } else if (n > 0) {
      blas.saxpy(n, alpha, x, xOff, 1, y, yOff, 1);
    }
  }

  /** The dot product of {@code n} elements of {@code x} and {@code y}. */
  public float sdot(int n, float[] x, int xOff, float[] y, int yOff) {
    requireNonNegative("sdot", "n", n);
    checkVector("sdot", "x", x, xOff, n);
    checkVector("sdot", "y", y, yOff, n);
    if (smallOpsInJava && n < SMALL_VECTOR_LENGTH) {
      return JavaLoops.sdot(n, x, xOff, y, yOff);
    }
    return n == 0 ? 0f : blas.sdot(n, x, xOff, 1, y, yOff, 1);
  }

  /** {@code x *= alpha} over {@code n} elements. */
  public void sscal(int n, float alpha, float[] x, int xOff) {
    requireNonNegative("sscal", "n", n);
    checkVector("sscal", "x", x, xOff, n);
    if (smallOpsInJava && n < SMALL_VECTOR_LENGTH) {
      JavaLoops.sscal(n, alpha, x, xOff);
    } else if (n > 0) {
      blas.sscal(n, alpha, x, xOff, 1);
    }
  }

  /** {@code C = alpha·op(A)·op(B) + beta·C} on whole matrices, shapes checked. */
  public void gemm(boolean transA, boolean transB, float alpha, Matrix a, Matrix b, float beta, Matrix c) {
    int m = transA ? a.cols() : a.rows();
    int k = transA ? a.rows() : a.cols();
    int kb = transB ? b.cols() : b.rows();
    int n = transB ? b.rows() : b.cols();
    if (k != kb) {
      throw new IllegalArgumentException("gemm: op(A) is " + m + " × " + k + " but op(B) is " + kb + " × " + n
          + "; inner dimensions " + k + " and " + kb + " differ");
    }
    if (c.rows() != m || c.cols() != n) {
      throw new IllegalArgumentException("gemm: C must be " + m + " × " + n + ", got " + c.rows() + " × " + c.cols());
    }
    sgemm(transA, transB, m, n, k, alpha, a.data(), 0, a.cols(), b.data(), 0, b.cols(), beta, c.data(), 0, c.cols());
  }

  private static String flag(boolean transpose) {
    return transpose ? "T" : "N";
  }

  private static void requireNonNegative(String op, String name, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(op + ": " + name + " must be >= 0, got " + value);
    }
  }

  /** A stored row-major {@code rows × cols} matrix at {@code off} with row stride {@code ld} must fit in {@code data}. */
  private static void checkMatrix(String op, String name, float[] data, int off, int ld, int rows, int cols) {
    int minLd = Math.max(1, cols);
    if (ld < minLd) {
      throw new IllegalArgumentException(
          op + ": leading dimension of " + name + " must be >= " + minLd + " (its stored row length), got " + ld);
    }
    if (off < 0) {
      throw new IllegalArgumentException(op + ": offset of " + name + " must be >= 0, got " + off);
    }
    if (rows > 0 && cols > 0) {
      long end = off + (long) (rows - 1) * ld + cols;
      if (end > data.length) {
        throw new IllegalArgumentException(op + ": " + name + " (" + rows + " × " + cols + ", offset " + off
            + ", leading dimension " + ld + ") needs " + end + " floats, array has " + data.length);
      }
    }
  }

  private static void checkVector(String op, String name, float[] data, int off, int n) {
    if (off < 0) {
      throw new IllegalArgumentException(op + ": offset of " + name + " must be >= 0, got " + off);
    }
    if ((long) off + n > data.length) {
      throw new IllegalArgumentException(op + ": " + name + " (" + n + " elements at offset " + off + ") needs "
          + ((long) off + n) + " floats, array has " + data.length);
    }
  }

  @Override
  public String toString() {
    return "Blas[" + backend + ", " + description + (smallOpsInJava ? "" : ", no small-op shortcut") + "]";
  }
}
