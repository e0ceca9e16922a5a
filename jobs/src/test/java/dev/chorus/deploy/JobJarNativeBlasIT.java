package dev.chorus.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The job jar (target/chorus-jobs-*-job.jar, built in the package phase) carries the bundled OpenBLAS and runs
 * native BLAS on it alone: a child JVM on that jar, slf4j (Flink's) and model-core's test probe loads no system BLAS.
 */
class JobJarNativeBlasIT {

  private static final String NATIVES = "org/bytedeco/openblas/linux-x86_64/";
  private static final String PROBE = "dev.chorus.core.blas.NativeBlasLibraryTest$Probe";

  @Test
  void theJobJarRunsNativeBlasOnTheBundledOpenBlas() throws Exception {
    assumeThat(System.getProperty("os.name") + "/" + System.getProperty("os.arch"))
        .as("the bundled OpenBLAS has Linux x86-64 natives only").isEqualTo("Linux/amd64");
    Path jobJar;
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      // The newest: the one this build's package phase wrote, not one an earlier version left behind without clean.
      jobJar = files.filter(p -> p.getFileName().toString().matches("chorus-jobs-.*-job\\.jar"))
          .max(java.util.Comparator.comparing(p -> p.toFile().lastModified()))
          .orElseThrow(() -> new AssertionError("no target/chorus-jobs-*-job.jar: run the package phase first"));
    }
    try (JarFile jar = new JarFile(jobJar.toFile())) {
      for (String entry : List.of("libopenblas.so.0", "libjniopenblas_nolapack.so", "libgfortran.so.5",
          "libquadmath.so.0")) {
        assertThat(jar.getEntry(NATIVES + entry)).as("%s in %s", entry, jobJar).isNotNull();
      }
      assertThat(jar.getEntry(NATIVES + "libjniopenblas_full.so")).as("LAPACK wrapper left out").isNull();
    }

    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "-cp", String.join(File.pathSeparator, jobJar.toString(), location(LoggerFactory.class.getName()),
            location(PROBE)),
        PROBE);
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().remove("CHORUS_BLAS_NATIVE");
    Process process = builder.start();
    List<String> lines = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
        .filter(line -> line.startsWith("probe: ")).toList();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(lines).contains("probe: backend: NATIVE");
    assertThat(lines).filteredOn(line -> line.startsWith("probe: native: ")).singleElement().asString()
        .contains("JNIBLAS over bundled OpenBLAS 0.3.31 (", ".javacpp", ", kernels ");
    assertThat(lines).filteredOn(line -> line.startsWith("probe: mapped: ")).isNotEmpty()
        .allSatisfy(line -> assertThat(line).contains(".javacpp").doesNotContain("/usr/lib/"));
  }

  /** The jar or directory on this JVM's class path that holds {@code className}. */
  private static String location(String className) throws ClassNotFoundException, URISyntaxException {
    return Path.of(Class.forName(className).getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
