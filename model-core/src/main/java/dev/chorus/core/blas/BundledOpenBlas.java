package dev.chorus.core.blas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The OpenBLAS shipped in the {@code org.bytedeco:openblas} jar. JavaCPP unpacks it with the libraries it needs
 * (libgfortran, libquadmath) into its cache directory ({@code ~/.javacpp/cache}, or the system property
 * {@code org.bytedeco.javacpp.cachedir}) and loads it; netlib's JNI backend is then pointed at that file.
 */
final class BundledOpenBlas {

  /** e.g. {@code OpenBLAS 0.3.31}: the version of the headers bytedeco built against, which is the library's. */
  static final String VERSION = openblas_nolapack.OPENBLAS_VERSION.strip();

  private BundledOpenBlas() {}

  /**
   * Unpacks and loads the bundled OpenBLAS; returns the path of the loaded library.
   *
   * @throws UnsatisfiedLinkError if the jar has no natives for this platform (only Linux x86-64 is bundled)
   * @throws IllegalStateException if JavaCPP loaded its wrapper but the OpenBLAS beside it is not mapped
   */
  static Path load() {
    Path wrapper = Path.of(Loader.load(openblas_nolapack.class));
    Path directory = wrapper.getParent();
    // JavaCPP renames libopenblas.so.0 after the preset (libopenblas_nolapack.so.0): find what it actually mapped.
    try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
      return maps.map(line -> line.substring(line.lastIndexOf(' ') + 1))
          .filter(path -> path.startsWith(directory + "/libopenblas"))
          .map(Path::of).findFirst()
          .orElseThrow(() -> new IllegalStateException("JavaCPP loaded " + wrapper + " but no libopenblas from "
              + directory + " is mapped"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/self/maps to find the bundled OpenBLAS", e);
    }
  }
}
