package dev.chorus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code bench learn --blas-matrix} for real, on the first 256 examples of Fashion-MNIST and a 64 × 64 sgemm: four
 * child JVMs, the bundled and the system OpenBLAS, each with OPENBLAS_CORETYPE forced and unset. Checks what each
 * child's probe reported, never its speed.
 */
class LearnBlasMatrixIT {

  private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
  /** OpenBLAS's AVX-512 kernel sets, one of which it picks by itself on a CPU with AVX-512. */
  private static final List<String> AVX512_CORES = List.of("SKYLAKEX", "COOPERLAKE", "SAPPHIRERAPIDS");

  @Test
  @SuppressWarnings("unchecked")
  void runsBothLibrariesWithTheKernelsForcedAndLeftToOpenBlas() throws Exception {
    // The environment as it is, with OPENBLAS_CORETYPE forced to Haswell if it does not force a core already.
    Map<String, String> environment = new HashMap<>(System.getenv());
    environment.putIfAbsent(LearnBlasMatrix.CORETYPE, "Haswell");
    String forced = environment.get(LearnBlasMatrix.CORETYPE).toUpperCase(Locale.ROOT);
    List<String> log = new ArrayList<>();
    LearnBenchmark.Options options = LearnBenchmark.Options.defaults(FASHION_MNIST).withMaxExamples(256)
        .withPeakGemmSize(64);

    Map<String, Object> merged = LearnBlasMatrix.run(options, environment, log::add);

    assertThat(log).hasSize(4);
    List<Map<String, Object>> rows = new ArrayList<>(((Map<String, Map<String, Object>>) merged.get("rows")).values());
    assertThat(rows).extracting(row -> row.get("library") + ", " + row.get("environment")).containsExactly(
        "bundled, as it is (OPENBLAS_CORETYPE=" + environment.get(LearnBlasMatrix.CORETYPE) + ")",
        "bundled, OPENBLAS_CORETYPE unset",
        "system, as it is (OPENBLAS_CORETYPE=" + environment.get(LearnBlasMatrix.CORETYPE) + ")",
        "system, OPENBLAS_CORETYPE unset");
    for (Map<String, Object> row : rows) {
      assertThat(row).as("%s", row).doesNotContainKey(LearnBlasMatrix.ABSENT);
      String path = (String) row.get("library_path");
      if (row.get("library").equals("bundled")) {
        // Unpacked by JavaCPP from the org.bytedeco:openblas jar into its cache.
        assertThat(path).contains("/org/bytedeco/openblas/").doesNotStartWith("/usr/lib");
        assertThat(row.get("openblas_version")).isEqualTo("0.3.31");
      } else {
        assertThat(path).startsWith("/usr/lib/");
        assertThat((String) row.get("openblas_version")).matches("\\d+\\.\\d+\\.\\d+");
      }
      String kernels = (String) row.get("kernels");
      Map<String, Object> learn = (Map<String, Object>) row.get("learn");
      assertThat(((Map<String, Object>) learn.get("config")).get("train_examples")).isEqualTo(256);
      assertThat((Map<String, Object>) learn.get("mlp256")).containsKeys("one_pass", "five_pass", "native")
          .doesNotContainKeys("vector_api", "java");
      if (((String) row.get("environment")).startsWith("as it is")) {
        assertThat(kernels).as("%s", row).isEqualTo(forced);
        assertThat((String) row.get("blas")).contains("OPENBLAS_CORETYPE=");
      } else {
        assertThat((String) row.get("blas")).as("%s", row).doesNotContain("OPENBLAS_CORETYPE");
        assertThat(kernels).as("%s", row).isNotEqualTo("unknown");
        if (cpuHasAvx512()) {
          assertThat(kernels).as("%s", row).isIn(AVX512_CORES);
        }
      }
    }
    // The bundled and the system library are different files.
    assertThat(rows.get(0).get("library_path")).isNotEqualTo(rows.get(2).get("library_path"));
    String table = LearnBlasMatrix.table(merged);
    assertThat(table.lines().filter(line -> line.startsWith("| bundled |") || line.startsWith("| system |")))
        .hasSize(4);
  }

  private static boolean cpuHasAvx512() throws IOException {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    return Files.isReadable(cpuinfo) && Files.readString(cpuinfo).contains(" avx512f");
  }
}
