package dev.chorus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.core.blas.NativeBlasLibrary;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Merging and labelling the children's results of {@code bench learn --blas-matrix}, on fixed child JSONs. */
class LearnBlasMatrixTest {

  private static final String BUNDLED_PATH = "/root/.javacpp/cache/openblas-0.3.31-1.5.13-linux-x86_64.jar/org/"
      + "bytedeco/openblas/linux-x86_64/libopenblas_nolapack.so.0";
  private static final String SYSTEM_PATHS = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so, "
      + "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3";

  /** What a child's {@code LearnBenchmark} writes, cut down to the figures the table reads. */
  private static Map<String, Object> childJson(String blas, double softmaxPerS, double mlpPerS) throws IOException {
    String json = """
        {"blas_backend": "native (%1$s)", "sgemm_peak_gflops": 470.5,
         "softmax": {"one_pass": {"test_accuracy": 0.8244}, "native": {"examples_per_s": %2$s}},
         "mlp256": {"one_pass": {"test_accuracy": 0.8576}, "five_pass": {"test_accuracy": 0.8824},
                    "native": {"examples_per_s": %3$s, "gflops": 215.2, "fraction_of_peak": 0.457}},
         "mlp256_dropout": {"one_pass": {"test_accuracy": 0.86}, "native": {"examples_per_s": 206080.0}},
         "mlp256_batchnorm": {"one_pass": {"test_accuracy": 0.857}, "native": {"examples_per_s": 126303.0}},
         "peers": {"unavailable": "no scikit-learn peer script given"},
         "config": {"blas": "%1$s", "train_examples": 60000}}
        """.formatted(blas, softmaxPerS, mlpPerS);
    return new ObjectMapper().readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> row(Map<String, Object> merged, String key) {
    Map<String, Object> rows = (Map<String, Object>) merged.get("rows");
    assertThat(rows).containsKey(key);
    return (Map<String, Object>) rows.get(key);
  }

  @Test
  void aForcedCoreTypeGivesTwoEnvironmentsTheSecondWithoutIt() {
    List<LearnBlasMatrix.Environment> environments = LearnBlasMatrix.environments(
        Map.of("OPENBLAS_CORETYPE", "Haswell", "OPENBLAS_NUM_THREADS", "2", "PATH", "/usr/bin"));

    assertThat(environments).extracting(LearnBlasMatrix.Environment::label)
        .containsExactly("as it is (OPENBLAS_CORETYPE=Haswell)", "OPENBLAS_CORETYPE unset");
    assertThat(environments.get(0).variables()).containsEntry("OPENBLAS_CORETYPE", "Haswell")
        .containsEntry("OPENBLAS_NUM_THREADS", "2").containsEntry("PATH", "/usr/bin");
    assertThat(environments.get(1).variables()).doesNotContainKey("OPENBLAS_CORETYPE")
        .containsEntry("OPENBLAS_NUM_THREADS", "2").containsEntry("PATH", "/usr/bin");
  }

  @Test
  void withoutACoreTypeTheTwoEnvironmentsAreOneAndTheResultsSaySo() throws IOException {
    List<LearnBlasMatrix.Environment> environments = LearnBlasMatrix.environments(Map.of("PATH", "/usr/bin", "OPENBLAS_CORETYPE", ""));
    assertThat(environments).extracting(LearnBlasMatrix.Environment::label)
        .containsExactly("as it is (no OPENBLAS_CORETYPE)");

    LearnBlasMatrix.Environment only = environments.get(0);
    Map<String, Object> merged = LearnBlasMatrix.merge(environments, List.of(
        new LearnBlasMatrix.Child(NativeBlasLibrary.BUNDLED, only, childJson("dev.ludovic.netlib.blas.JNIBLAS over "
            + "bundled OpenBLAS 0.3.31 (" + BUNDLED_PATH + "), kernels SKYLAKEX", 536298.0, 263078.0))));

    assertThat((String) merged.get("note")).isEqualTo("The environment has no OPENBLAS_CORETYPE: as it is and with "
        + "OPENBLAS_CORETYPE unset are the same environment, so each library ran once.");
    assertThat(row(merged, "bundled SKYLAKEX")).containsEntry("environment", "as it is (no OPENBLAS_CORETYPE)");
  }

  @Test
  void rowsAreKeyedByLibraryAndKernelsAndLabelledWithWhatEachChildsProbeReported() throws IOException {
    List<LearnBlasMatrix.Environment> environments =
        LearnBlasMatrix.environments(Map.of("OPENBLAS_CORETYPE", "Haswell"));
    LearnBlasMatrix.Environment asItIs = environments.get(0);
    LearnBlasMatrix.Environment unset = environments.get(1);
    Map<String, Object> bundledHaswell = childJson("dev.ludovic.netlib.blas.JNIBLAS over bundled OpenBLAS 0.3.31 ("
        + BUNDLED_PATH + "), kernels HASWELL with OPENBLAS_CORETYPE=Haswell", 579519.0, 191079.0);
    Map<String, Object> systemOwn = childJson("dev.ludovic.netlib.blas.JNIBLAS over system libblas.so.3 ("
        + SYSTEM_PATHS + "), kernels COOPERLAKE", 510000.0, 250000.0);

    Map<String, Object> merged = LearnBlasMatrix.merge(environments, List.of(
        new LearnBlasMatrix.Child(NativeBlasLibrary.BUNDLED, asItIs, bundledHaswell),
        new LearnBlasMatrix.Child(NativeBlasLibrary.SYSTEM, unset, systemOwn)));

    assertThat(merged).doesNotContainKey("note");
    assertThat(merged.get("environments")).isEqualTo(List.of("as it is (OPENBLAS_CORETYPE=Haswell)",
        "OPENBLAS_CORETYPE unset"));
    assertThat(((Map<?, ?>) merged.get("rows")).keySet()).hasSize(2);
    Map<String, Object> bundled = row(merged, "bundled HASWELL");
    assertThat(bundled).containsEntry("library", "bundled")
        .containsEntry("environment", "as it is (OPENBLAS_CORETYPE=Haswell)")
        .containsEntry("library_path", BUNDLED_PATH)
        .containsEntry("openblas_version", "0.3.31")
        .containsEntry("kernels", "HASWELL")
        .containsEntry("learn", bundledHaswell);
    Map<String, Object> system = row(merged, "system COOPERLAKE");
    assertThat(system).containsEntry("library", "system")
        .containsEntry("environment", "OPENBLAS_CORETYPE unset")
        .containsEntry("library_path", SYSTEM_PATHS)
        .containsEntry("openblas_version", "0.3.21")
        .containsEntry("kernels", "COOPERLAKE");

    String table = LearnBlasMatrix.table(merged);
    assertThat(table).contains("| bundled | as it is (OPENBLAS_CORETYPE=Haswell) | 0.3.31 | HASWELL | " + BUNDLED_PATH
        + " | 470.5 | 579,519 | 191,079 | 215.2 (46%) | 206,080 | 126,303 | 0.8576 |");
    assertThat(table).contains("| system | OPENBLAS_CORETYPE unset | 0.3.21 | COOPERLAKE | " + SYSTEM_PATHS
        + " | 470.5 | 510,000 | 250,000 | 215.2 (46%) |");
  }

  @Test
  void anAbsentLibrarysRowsSayAbsentAndWhy() throws IOException {
    List<LearnBlasMatrix.Environment> environments =
        LearnBlasMatrix.environments(Map.of("OPENBLAS_CORETYPE", "Haswell"));
    Map<String, Object> absent = Map.of("absent", "UnsatisfiedLinkError: libblas.so.3: cannot open shared object file");

    Map<String, Object> merged = LearnBlasMatrix.merge(environments, List.of(
        new LearnBlasMatrix.Child(NativeBlasLibrary.SYSTEM, environments.get(0), absent),
        new LearnBlasMatrix.Child(NativeBlasLibrary.SYSTEM, environments.get(1), absent)));

    // The same key twice: each row then names its environment.
    Map<String, Object> first = row(merged, "system absent (as it is (OPENBLAS_CORETYPE=Haswell))");
    assertThat(first).containsEntry("library", "system")
        .containsEntry("absent", "UnsatisfiedLinkError: libblas.so.3: cannot open shared object file")
        .doesNotContainKey("learn");
    assertThat(row(merged, "system absent (OPENBLAS_CORETYPE unset)")).containsEntry("library", "system");
    assertThat(LearnBlasMatrix.table(merged)).contains("| system | OPENBLAS_CORETYPE unset | absent: UnsatisfiedLinkError: "
        + "libblas.so.3: cannot open shared object file |");
  }
}
