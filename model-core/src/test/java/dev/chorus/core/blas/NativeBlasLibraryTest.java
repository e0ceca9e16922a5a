package dev.chorus.core.blas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Which library the native backend runs on: the OpenBLAS bundled in the jar by default, the system's libblas.so.3
 * with {@code chorus.blas.native=system}. The choice is made once per JVM, so most cases run in a child JVM.
 */
class NativeBlasLibraryTest {

  /** A library name no machine has: netlib's own lookup then finds nothing, as on a machine without OpenBLAS. */
  private static final String NO_SYSTEM_BLAS = "-Ddev.ludovic.netlib.blas.nativeLib=libchorus-absent-blas.so.3";
  private static final String SYSTEM_LIBRARY_DIR = "/usr/lib/";
  private static final String CACHE_DIR = ".javacpp" + java.io.File.separator + "cache";

  @Test
  void theSettingIsReadFromThePropertyThenTheEnvironmentAndDefaultsToBundled() {
    assertThat(NativeBlasLibrary.fromSettings(null, null)).isEqualTo(NativeBlasLibrary.BUNDLED);
    assertThat(NativeBlasLibrary.fromSettings("", " ")).isEqualTo(NativeBlasLibrary.BUNDLED);
    assertThat(NativeBlasLibrary.fromSettings("system", null)).isEqualTo(NativeBlasLibrary.SYSTEM);
    assertThat(NativeBlasLibrary.fromSettings(null, " System ")).isEqualTo(NativeBlasLibrary.SYSTEM);
    assertThat(NativeBlasLibrary.fromSettings("bundled", "system")).as("the property wins")
        .isEqualTo(NativeBlasLibrary.BUNDLED);
  }

  @Test
  void anUnknownSettingNamesWhereItCameFromAndTheValuesThatWork() {
    assertThatIllegalArgumentException().isThrownBy(() -> NativeBlasLibrary.fromSettings("mkl", null))
        .withMessage("system property chorus.blas.native: expected one of [bundled, system], got 'mkl'");
    assertThatIllegalArgumentException().isThrownBy(() -> NativeBlasLibrary.fromSettings(null, "openblas"))
        .withMessage("environment variable CHORUS_BLAS_NATIVE: expected one of [bundled, system], got 'openblas'");
  }

  @Test
  void theBundledOpenBlasIsTheDefaultNativeLibrary() {
    assumeBundledNatives();
    assertThat(Blas.isAvailable(BlasBackend.NATIVE)).as(Blas.unavailableReason(BlasBackend.NATIVE)).isTrue();
    assertThat(Blas.forBackend(BlasBackend.NATIVE).description())
        .contains("JNIBLAS over bundled OpenBLAS 0.3.31 (", CACHE_DIR, ", kernels ")
        .doesNotContain(SYSTEM_LIBRARY_DIR);
    assertThat(Probe.mappedBlasLibraries()).isNotEmpty().allSatisfy(path -> assertThat(path).contains(CACHE_DIR));
  }

  @Test
  void withoutASystemBlasTheBundledOneStillRunsNatively() throws Exception {
    assumeBundledNatives();
    List<String> bundled = probe(Map.of(), NO_SYSTEM_BLAS);
    assertThat(bundled).contains("backend: NATIVE");
    assertThat(line(bundled, "native: ")).contains("bundled OpenBLAS 0.3.31 (", CACHE_DIR);
    assertThat(bundled).filteredOn(l -> l.startsWith("mapped: ")).isNotEmpty()
        .allSatisfy(l -> assertThat(l).contains(CACHE_DIR).doesNotContain(SYSTEM_LIBRARY_DIR));

    List<String> system = probe(Map.of(), NO_SYSTEM_BLAS, "-Dchorus.blas.native=system");
    assertThat(system).doesNotContain("backend: NATIVE");
    assertThat(line(system, "native: ")).startsWith("native: unavailable: ");
    assertThat(system).noneMatch(l -> l.startsWith("mapped: "));
  }

  @Test
  void theSystemSettingLoadsTheSystemLibrary() throws Exception {
    assumeSystemBlas();
    for (List<String> lines : List.of(probe(Map.of(), "-Dchorus.blas.native=system"),
        probe(Map.of("CHORUS_BLAS_NATIVE", "system")))) {
      assertThat(lines).contains("backend: NATIVE");
      assertThat(line(lines, "native: ")).contains("JNIBLAS over system ", SYSTEM_LIBRARY_DIR, "libblas.so.3")
          .doesNotContain("bundled");
      assertThat(lines).filteredOn(l -> l.startsWith("mapped: ")).isNotEmpty()
          .allSatisfy(l -> assertThat(l).doesNotContain(CACHE_DIR));
    }
    assertThat(line(probe(Map.of("CHORUS_BLAS_NATIVE", "system"), "-Dchorus.blas.native=bundled"), "native: "))
        .as("the property wins over the environment").contains("bundled OpenBLAS");
  }

  @Test
  void theKernelsOpenBlasRunsAreNamedAndOpenBlasCoretypeChoosesThem() throws Exception {
    assumeBundledNatives();
    assertThat(line(probe(Map.of("OPENBLAS_CORETYPE", "Haswell")), "native: "))
        .contains("bundled OpenBLAS 0.3.31 (", "), kernels HASWELL with ", "OPENBLAS_CORETYPE=Haswell");
    assertThat(line(probe(Map.of("OPENBLAS_CORETYPE", "Sandybridge")), "native: ")).contains("kernels SANDYBRIDGE");
    if (systemBlasPresent()) {
      assertThat(line(probe(Map.of("OPENBLAS_CORETYPE", "Haswell"), "-Dchorus.blas.native=system"), "native: "))
          .contains("libblas.so.3", "kernels HASWELL");
    }
  }

  @Test
  void anUnknownSettingFailsBlasGet() throws Exception {
    assertThat(probe(Map.of(), "-Dchorus.blas.native=mkl")).contains("backend: IllegalArgumentException: system "
        + "property chorus.blas.native: expected one of [bundled, system], got 'mkl'");
    assertThat(probe(Map.of("CHORUS_BLAS_NATIVE", "mkl"))).contains("backend: IllegalArgumentException: "
        + "environment variable CHORUS_BLAS_NATIVE: expected one of [bundled, system], got 'mkl'");
  }

  private static void assumeBundledNatives() {
    assumeThat(System.getProperty("os.name") + "/" + System.getProperty("os.arch"))
        .as("the bundled OpenBLAS has Linux x86-64 natives only").isEqualTo("Linux/amd64");
  }

  private static boolean systemBlasPresent() {
    return Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libblas.so.3"));
  }

  /** CI installs libopenblas0-pthread and sets CHORUS_EXPECT_NATIVE_BLAS, so there this never skips. */
  private static void assumeSystemBlas() {
    assumeBundledNatives();
    if (!Boolean.parseBoolean(System.getenv("CHORUS_EXPECT_NATIVE_BLAS"))) {
      assumeThat(systemBlasPresent()).as("the system libblas.so.3 is installed").isTrue();
    }
  }

  private static String line(List<String> lines, String prefix) {
    return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
        .orElseThrow(() -> new AssertionError("no line '" + prefix + "' in " + lines));
  }

  /** What {@link Probe} prints in a fresh JVM with {@code environment} added, started with {@code jvmArgs}. */
  private static List<String> probe(Map<String, String> environment, String... jvmArgs)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--add-opens=java.base/java.lang=ALL-UNNAMED");
    command.addAll(List.of(jvmArgs));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().remove("OPENBLAS_CORETYPE");
    builder.environment().remove("CHORUS_BLAS_NATIVE");
    builder.environment().putAll(environment);
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return out.lines().filter(line -> line.startsWith(Probe.PREFIX)).map(line -> line.substring(Probe.PREFIX.length()))
        .toList();
  }

  /**
   * Prints the default backend (or why there is none), the native backend's description and the mapped BLAS files.
   * It uses nothing but model-core and its dependencies, so the job jar's IT runs it too (JobJarNativeBlasIT).
   */
  public static final class Probe {
    static final String PREFIX = "probe: ";

    public static void main(String[] args) {
      try {
        System.out.println(PREFIX + "backend: " + Blas.get().backend());
      } catch (RuntimeException e) {
        System.out.println(PREFIX + "backend: " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      System.out.println(PREFIX + "native: " + (Blas.isAvailable(BlasBackend.NATIVE)
          ? Blas.forBackend(BlasBackend.NATIVE).description()
          : "unavailable: " + Blas.unavailableReason(BlasBackend.NATIVE)));
      mappedBlasLibraries().forEach(path -> System.out.println(PREFIX + "mapped: " + path));
    }

    /** The BLAS shared objects mapped into this process. */
    static List<String> mappedBlasLibraries() {
      try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
        return lines.map(line -> line.substring(line.lastIndexOf(' ') + 1))
            .filter(path -> path.startsWith("/") && path.substring(path.lastIndexOf('/') + 1).contains("blas"))
            .filter(path -> !path.contains("netlibblasjni") && !path.contains("jniopenblas"))
            .distinct().collect(Collectors.toList());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
