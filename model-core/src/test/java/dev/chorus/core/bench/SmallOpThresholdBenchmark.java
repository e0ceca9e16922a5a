package dev.chorus.core.bench;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.blas.BlasBackend;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
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
 * Where the {@code Blas} facade should stop running small operations as plain Java loops
 * ({@code Blas.SMALL_GEMM_WORK}, {@code SMALL_GEMV_WORK}, {@code SMALL_VECTOR_LENGTH}): each operation at a
 * range of sizes, once through the facade's Java loops and once through the native backend with the
 * shortcut off. The threshold is the size from which {@code impl=native} is consistently faster. Results are
 * nanoseconds per call.
 *
 * <p>The Java loops are package-private in {@code dev.chorus.core.blas}; a private method-handle lookup
 * reaches them so that exactly the code the facade runs is measured. Held in {@code static final} fields,
 * the handles are constants to the JIT and cost nothing per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SmallOpThresholdBenchmark {

  private static final MethodHandle SGEMM;
  private static final MethodHandle SGEMV;
  private static final MethodHandle SAXPY;
  private static final MethodHandle SDOT;

  static {
    try {
      Class<?> loops = Class.forName("dev.chorus.core.blas.JavaLoops");
      MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(loops, MethodHandles.lookup());
      SGEMM = lookup.findStatic(loops, "sgemm", MethodType.methodType(void.class, boolean.class, boolean.class,
          int.class, int.class, int.class, float.class, float[].class, int.class, int.class, float[].class,
          int.class, int.class, float.class, float[].class, int.class, int.class));
      SGEMV = lookup.findStatic(loops, "sgemv", MethodType.methodType(void.class, boolean.class, int.class,
          int.class, float.class, float[].class, int.class, int.class, float[].class, int.class, float.class,
          float[].class, int.class));
      SAXPY = lookup.findStatic(loops, "saxpy", MethodType.methodType(void.class, int.class, float.class,
          float[].class, int.class, float[].class, int.class));
      SDOT = lookup.findStatic(loops, "sdot", MethodType.methodType(float.class, int.class, float[].class,
          int.class, float[].class, int.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Square operands of side {@code size}: sgemm does {@code size³} multiply-adds, sgemv {@code size²}. */
  @State(Scope.Thread)
  public static class Square {

    @Param({"java-loops", "native"})
    public String impl;

    @Param({"4", "8", "12", "16", "20", "24", "32", "40", "48", "64", "96", "128"})
    public int size;

    Blas nativeBlas;
    boolean javaLoops;
    float[] a;
    float[] b;
    float[] c;

    @Setup
    public void setUp() {
      javaLoops = impl.equals("java-loops");
      nativeBlas = Blas.forBackend(BlasBackend.NATIVE).withoutSmallOpShortcut();
      a = BenchmarkSupport.randomFloats(size * size, 1);
      b = BenchmarkSupport.randomFloats(size * size, 2);
      c = new float[size * size];
    }
  }

  /** Vectors for saxpy and sdot. */
  @State(Scope.Thread)
  public static class Vectors {

    @Param({"java-loops", "native"})
    public String impl;

    @Param({"8", "16", "32", "64", "128", "256", "512", "1024", "4096"})
    public int length;

    Blas nativeBlas;
    boolean javaLoops;
    float[] x;
    float[] y;

    @Setup
    public void setUp() {
      javaLoops = impl.equals("java-loops");
      nativeBlas = Blas.forBackend(BlasBackend.NATIVE).withoutSmallOpShortcut();
      x = BenchmarkSupport.randomFloats(length, 3);
      y = BenchmarkSupport.randomFloats(length, 4);
    }
  }

  @Benchmark
  public float[] sgemm(Square s) throws Throwable {
    int n = s.size;
    if (s.javaLoops) {
      SGEMM.invokeExact(false, false, n, n, n, 1f, s.a, 0, n, s.b, 0, n, 0f, s.c, 0, n);
    } else {
      s.nativeBlas.sgemm(false, false, n, n, n, 1f, s.a, 0, n, s.b, 0, n, 0f, s.c, 0, n);
    }
    return s.c;
  }

  @Benchmark
  public float[] sgemv(Square s) throws Throwable {
    int n = s.size;
    if (s.javaLoops) {
      SGEMV.invokeExact(false, n, n, 1f, s.a, 0, n, s.b, 0, 0f, s.c, 0);
    } else {
      s.nativeBlas.sgemv(false, n, n, 1f, s.a, 0, n, s.b, 0, 0f, s.c, 0);
    }
    return s.c;
  }

  @Benchmark
  public float[] saxpy(Vectors s) throws Throwable {
    // alpha small enough that y stays bounded however many calls JMH makes.
    if (s.javaLoops) {
      SAXPY.invokeExact(s.length, 1e-9f, s.x, 0, s.y, 0);
    } else {
      s.nativeBlas.saxpy(s.length, 1e-9f, s.x, 0, s.y, 0);
    }
    return s.y;
  }

  @Benchmark
  public float sdot(Vectors s) throws Throwable {
    if (s.javaLoops) {
      return (float) SDOT.invokeExact(s.length, s.x, 0, s.y, 0);
    }
    return s.nativeBlas.sdot(s.length, s.x, 0, s.y, 0);
  }
}
