package dev.chorus.core.blas;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The kernel set (core) a loaded OpenBLAS runs, e.g. {@code SKYLAKEX}, as OpenBLAS chose it for the CPU or as
 * {@code OPENBLAS_CORETYPE} forced it.
 *
 * <p>OpenBLAS's {@code openblas_get_corename()} is not in bytedeco's Java API (its presets skip it) and Java 17 has
 * no stable way to call a C function. A DYNAMIC_ARCH build (bytedeco's and Debian's) keeps its choice in the
 * exported pointer {@code gotoblas}, which points at one of the exported tables {@code gotoblas_<CORE>}: the core is
 * the table whose address the pointer holds. Symbols are looked up with the JDK's own per-class-loader lookup, which
 * needs {@code --add-opens=java.base/java.lang=ALL-UNNAMED} (the launcher, the tests and Flink's settings give it).
 */
final class OpenBlasKernels {

  /** The x86-64 cores of OpenBLAS's DYNAMIC_ARCH dispatcher (driver/others/dynamic.c), as in its symbol names. */
  private static final List<String> CORES = List.of("KATMAI", "COPPERMINE", "NORTHWOOD", "PRESCOTT", "BANIAS",
      "ATOM", "CORE2", "PENRYN", "DUNNINGTON", "NEHALEM", "ATHLON", "OPTERON", "OPTERON_SSE3", "BARCELONA", "BOBCAT",
      "BULLDOZER", "PILEDRIVER", "STEAMROLLER", "EXCAVATOR", "NANO", "SANDYBRIDGE", "HASWELL", "ZEN", "SKYLAKEX",
      "COOPERLAKE", "SAPPHIRERAPIDS");

  private OpenBlasKernels() {}

  /**
   * The core of the OpenBLAS in {@code library} (already loaded by netlib, so loading it again only finds the same
   * copy), or empty when that cannot be read: not OpenBLAS, not a DYNAMIC_ARCH build, or java.lang not opened.
   */
  static Optional<String> core(Path library) {
    try {
      System.load(library.toString());
      Method findNative = ClassLoader.class.getDeclaredMethod("findNative", ClassLoader.class, String.class);
      findNative.setAccessible(true);
      ClassLoader loader = OpenBlasKernels.class.getClassLoader();
      long gotoblas = (long) findNative.invoke(null, loader, "gotoblas");
      if (gotoblas == 0) {
        return Optional.empty();
      }
      long chosen = readAddress(gotoblas);
      for (String core : CORES) {
        long table = (long) findNative.invoke(null, loader, "gotoblas_" + core);
        if (table != 0 && table == chosen) {
          return Optional.of(core);
        }
      }
      return Optional.empty();
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return Optional.empty();
    }
  }

  /** The pointer stored at {@code address}; sun.misc.Unsafe is reached reflectively as javac warns on its name. */
  private static long readAddress(long address) throws ReflectiveOperationException {
    Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
    Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
    theUnsafe.setAccessible(true);
    return (long) unsafeClass.getMethod("getAddress", long.class).invoke(theUnsafe.get(null), address);
  }
}
