package dev.chorus.core.bench;

import dev.chorus.core.blas.Blas;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The BLAS kernels of training and prediction on each backend, at the shapes of the benchmarked MLP
 * (784 inputs, 256 hidden units, 10 classes, minibatches of 128). Results are microseconds per call;
 * GFLOP/s = {@code 2·m·n·k / time} for sgemm, {@code 2·m·n / time} for sgemv, {@code 2n / time} for
 * saxpy and sdot. Each kernel has its own state, so its parameters do not multiply the others' runs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BlasKernelsBenchmark {

  /** {@code C = op(A)·op(B)} of one MLP shape. */
  @State(Scope.Thread)
  public static class Gemm {

    @Param({"NATIVE", "VECTOR_API", "JAVA"})
    public String backend;

    /**
     * {@code m×n×k:flags}: the hidden layer's forward {@code X·W₁ᵀ} (128×784 · 784×256), its weight
     * gradient {@code Gᵀ·X} (256×128 · 128×784), and the output layer's forward {@code H·W₂ᵀ}
     * (128×256 · 256×10).
     */
    @Param({"128x256x784:NT", "256x784x128:TN", "128x10x256:NT"})
    public String shape;

    Blas blas;
    int m;
    int n;
    int k;
    boolean transA;
    boolean transB;
    float[] a;
    float[] b;
    float[] c;

    @Setup
    public void setUp() {
      blas = BenchmarkSupport.backend(backend);
      String[] dims = shape.substring(0, shape.indexOf(':')).split("x");
      m = Integer.parseInt(dims[0]);
      n = Integer.parseInt(dims[1]);
      k = Integer.parseInt(dims[2]);
      transA = shape.charAt(shape.length() - 2) == 'T';
      transB = shape.charAt(shape.length() - 1) == 'T';
      a = BenchmarkSupport.randomFloats(m * k, 1);
      b = BenchmarkSupport.randomFloats(k * n, 2);
      c = new float[m * n];
    }
  }

  /** {@code y = W₁·x} as in predicting one example, {@code W₁} being 256 × 784. */
  @State(Scope.Thread)
  public static class Gemv {

    @Param({"NATIVE", "VECTOR_API", "JAVA"})
    public String backend;

    Blas blas;
    float[] matrix;
    float[] x;
    float[] y;

    @Setup
    public void setUp() {
      blas = BenchmarkSupport.backend(backend);
      matrix = BenchmarkSupport.randomFloats(256 * 784, 5);
      x = BenchmarkSupport.randomFloats(784, 6);
      y = new float[256];
    }
  }

  /** Two vectors: one hidden unit's weights (784) or the whole hidden layer's (784·256). */
  @State(Scope.Thread)
  public static class Vectors {

    @Param({"NATIVE", "VECTOR_API", "JAVA"})
    public String backend;

    @Param({"784", "200704"})
    public int length;

    Blas blas;
    float[] x;
    float[] y;

    @Setup
    public void setUp() {
      blas = BenchmarkSupport.backend(backend);
      x = BenchmarkSupport.randomFloats(length, 3);
      y = BenchmarkSupport.randomFloats(length, 4);
    }
  }

  @Benchmark
  public float[] sgemm(Gemm s) {
    s.blas.sgemm(s.transA, s.transB, s.m, s.n, s.k, 1f, s.a, 0, s.transA ? s.m : s.k, s.b, 0, s.transB ? s.k : s.n,
        0f, s.c, 0, s.n);
    return s.c;
  }

  @Benchmark
  public float[] sgemv(Gemv s) {
    s.blas.sgemv(false, 256, 784, 1f, s.matrix, 0, 784, s.x, 0, 0f, s.y, 0);
    return s.y;
  }

  @Benchmark
  public float[] saxpy(Vectors s) {
    // alpha small enough that y stays bounded however many calls JMH makes.
    s.blas.saxpy(s.length, 1e-9f, s.x, 0, s.y, 0);
    return s.y;
  }

  @Benchmark
  public float sdot(Vectors s) {
    return s.blas.sdot(s.length, s.x, 0, s.y, 0);
  }
}
