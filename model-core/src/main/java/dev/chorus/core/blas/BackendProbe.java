package dev.chorus.core.blas;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Loads each netlib backend once and remembers either the instance or why it could not be loaded.
 *
 * <p>netlib's public factories hide the reason a backend is missing ({@code NativeBLAS.getInstance()} throws
 * a bare "Unable to load native implementation"), so on failure this class initialises the implementation
 * class itself to recover the underlying error for the log.
 */
final class BackendProbe {

  private static final String PACKAGE = "dev.ludovic.netlib.blas.";
  private static final String JNI_CLASS = PACKAGE + "JNIBLAS";
  /** The full path of the BLAS library netlib's JNI backend dlopens, read once when it loads (its jni.c). */
  private static final String NETLIB_LIBRARY_PATH = "dev.ludovic.netlib.blas.nativeLibPath";
  private static final String VECTOR_CLASS = PACKAGE + "VectorBLAS";
  /** netlib's scalar Java BLAS; it is what {@link JavaBLAS#getInstance()} returns without the Vector API. */
  private static final String SCALAR_JAVA_CLASS = PACKAGE + "Java11BLAS";
  private static final String VECTOR_MODULE = "jdk.incubator.vector";

  /** Either a loaded backend with a human-readable description, or the reason it is unavailable. */
  record Result(BLAS blas, String description, String failure) {
    boolean available() {
      return blas != null;
    }
  }

  /** The environment variables that change what OpenBLAS runs, as read when it loaded (before {@link #RESULTS}). */
  static final List<String> OPENBLAS_VARIABLES = List.of("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE");

  private static final Map<BlasBackend, Result> RESULTS = probeAll();

  private BackendProbe() {}

  static Result result(BlasBackend backend) {
    return RESULTS.get(backend);
  }

  private static Map<BlasBackend, Result> probeAll() {
    Map<BlasBackend, Result> results = new EnumMap<>(BlasBackend.class);
    results.put(BlasBackend.NATIVE, probeNative());
    results.put(BlasBackend.VECTOR_API, probeVector());
    results.put(BlasBackend.JAVA, probeJava());
    return results;
  }

  private static Result probeNative() {
    NativeBlasLibrary library;
    try {
      library = NativeBlasLibrary.configured();
    } catch (IllegalArgumentException e) {
      return failure(e.getMessage());
    }
    String bundled = null;
    if (library == NativeBlasLibrary.BUNDLED) {
      try {
        Path path = BundledOpenBlas.load();
        System.setProperty(NETLIB_LIBRARY_PATH, path.toString());
        bundled = "bundled " + BundledOpenBlas.VERSION + " (" + path + ")";
      } catch (RuntimeException | LinkageError e) {
        return failure("cannot load the bundled OpenBLAS (" + NativeBlasLibrary.PROPERTY + "="
            + NativeBlasLibrary.SYSTEM.key() + " uses the system's libblas.so.3): " + describe(e));
      }
    }
    try {
      BLAS blas = NativeBLAS.getInstance();
      List<Path> loaded = loadedBlasLibraries();
      String libraries = bundled != null ? bundled : "system libblas.so.3" + (loaded.isEmpty() ? ""
          : " (" + loaded.stream().map(Path::toString).collect(Collectors.joining(", ")) + ")");
      String kernels = loaded.stream().filter(path -> path.getFileName().toString().startsWith("libblas")).findFirst()
          .or(() -> loaded.stream().findFirst())
          .flatMap(OpenBlasKernels::core).map(core -> ", kernels " + core).orElse("");
      return new Result(blas, blas.getClass().getName() + " over " + libraries + kernels
          + openBlasSettings(System.getenv()), null);
    } catch (RuntimeException | LinkageError e) {
      String allow = System.getProperty(BLAS.ALLOW_NATIVE_BLAS, "true");
      if (!Boolean.parseBoolean(allow)) {
        return failure("disabled by system property " + BLAS.ALLOW_NATIVE_BLAS + "=" + allow);
      }
      return failure(initialisationError(JNI_CLASS, e));
    }
  }

  private static Result probeVector() {
    if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
      return failure("module " + VECTOR_MODULE + " is not loaded (start the JVM with --add-modules=" + VECTOR_MODULE + ")");
    }
    try {
      BLAS blas = JavaBLAS.getInstance();
      if (blas.getClass().getName().equals(VECTOR_CLASS)) {
        return new Result(blas, VECTOR_CLASS, null);
      }
      return failure(initialisationError(VECTOR_CLASS, new IllegalStateException(
          "netlib chose " + blas.getClass().getName() + " as its Java BLAS")));
    } catch (RuntimeException | LinkageError e) {
      return failure(initialisationError(VECTOR_CLASS, e));
    }
  }

  private static Result probeJava() {
    try {
      BLAS blas = JavaBLAS.getInstance();
      if (!blas.getClass().getName().equals(VECTOR_CLASS)) {
        return new Result(blas, blas.getClass().getName(), null);
      }
      // With the Vector API present netlib only hands out VectorBLAS; its scalar class is package-private.
      Method getInstance = Class.forName(SCALAR_JAVA_CLASS).getMethod("getInstance");
      getInstance.setAccessible(true);
      BLAS scalar = (BLAS) getInstance.invoke(null);
      return new Result(scalar, scalar.getClass().getName(), null);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
      return failure("cannot load " + SCALAR_JAVA_CLASS + ": " + describe(cause));
    }
  }

  private static Result failure(String reason) {
    return new Result(null, null, reason);
  }

  /**
   * Initialises {@code className} to surface the error netlib swallowed; falls back to {@code fallback}'s
   * description when initialisation succeeds or reveals nothing more.
   */
  private static String initialisationError(String className, Throwable fallback) {
    try {
      Class.forName(className, true, BLAS.class.getClassLoader());
      return describe(fallback);
    } catch (ClassNotFoundException | LinkageError e) {
      return describe(e);
    }
  }

  /** The root cause's class and message, e.g. {@code UnsatisfiedLinkError: libblas.so.3: cannot open...}. */
  private static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /**
   * The {@link #OPENBLAS_VARIABLES} set in {@code environment}, e.g. {@code " with OPENBLAS_NUM_THREADS=1,
   * OPENBLAS_CORETYPE=Haswell"}, else empty. OPENBLAS_CORETYPE overrides OpenBLAS's CPU detection: Haswell on an
   * AVX-512 CPU cost a quarter of MLP-256's training speed on the benchmark machine (docs/OPERATIONS.md), so the log
   * line shows it.
   */
  static String openBlasSettings(Map<String, String> environment) {
    StringJoiner set = new StringJoiner(", ", " with ", "").setEmptyValue("");
    for (String name : OPENBLAS_VARIABLES) {
      String value = environment.get(name);
      if (value != null && !value.isEmpty()) {
        set.add(name + "=" + value);
      }
    }
    return set.toString();
  }

  /** The BLAS shared objects mapped into this process (Linux), in load order; empty where that cannot be read. */
  private static List<Path> loadedBlasLibraries() {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return List.of();
    }
    Set<Path> libraries = new LinkedHashSet<>();
    try (Stream<String> lines = Files.lines(maps)) {
      lines.map(line -> line.substring(line.lastIndexOf(' ') + 1))
          .filter(path -> path.startsWith("/"))
          .filter(path -> {
            String file = path.substring(path.lastIndexOf('/') + 1);
            return file.startsWith("libblas") || file.startsWith("libopenblas") || file.startsWith("libmkl");
          })
          .forEach(path -> libraries.add(Path.of(path)));
    } catch (IOException | UncheckedIOException e) {
      return List.of();
    }
    return List.copyOf(libraries);
  }
}
