package dev.chorus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.chorus.cli.data.IdxReader;
import dev.chorus.core.blas.Blas;
import dev.chorus.core.blas.BlasBackend;
import dev.chorus.core.random.SplitMix64;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness on a tiny synthetic MNIST-format data set written to a temporary directory. */
class LearnBenchmarkTest {

  /** The peer script, relative to model-core, where surefire runs. */
  private static final Path PEER = Path.of("src/main/python/sklearn_peer.py");
  private static final int SIDE = 4;
  private static final int CLASSES = 3;

  @TempDir
  Path dir;

  /**
   * 4 × 4 images of three classes: class c lights up row c (plus noise), so every model should separate
   * them. Training images are gzipped, test images are not, as both occur in the wild.
   */
  private void writeDataSet(int trainRows, int testRows) throws IOException {
    Random random = new Random(7);
    writeSplit(random, trainRows, LearnBenchmark.TRAIN_IMAGES + ".gz", LearnBenchmark.TRAIN_LABELS + ".gz");
    writeSplit(random, testRows, LearnBenchmark.TEST_IMAGES, LearnBenchmark.TEST_LABELS);
  }

  private void writeSplit(Random random, int rows, String imagesFile, String labelsFile) throws IOException {
    byte[] pixels = new byte[rows * SIDE * SIDE];
    byte[] labels = new byte[rows];
    for (int i = 0; i < rows; i++) {
      int label = random.nextInt(CLASSES);
      labels[i] = (byte) label;
      for (int p = 0; p < SIDE * SIDE; p++) {
        int value = (p / SIDE == label ? 160 : 40) + random.nextInt(80);
        pixels[i * SIDE * SIDE + p] = (byte) value;
      }
    }
    write(imagesFile, IdxReader.IMAGES_MAGIC, new int[] {rows, SIDE, SIDE}, pixels);
    write(labelsFile, IdxReader.LABELS_MAGIC, new int[] {rows}, labels);
  }

  private void write(String name, int magic, int[] dims, byte[] data) throws IOException {
    Path path = dir.resolve(name);
    OutputStream file = Files.newOutputStream(path);
    try (DataOutputStream out = new DataOutputStream(name.endsWith(".gz") ? new GZIPOutputStream(file) : file)) {
      out.writeInt(magic);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(data);
    }
  }

  @SuppressWarnings("unchecked")
  private static Object at(Map<String, Object> results, String dottedPath) {
    Object node = results;
    for (String key : dottedPath.split("\\.")) {
      assertThat(node).as(dottedPath).isInstanceOf(Map.class);
      node = ((Map<String, Object>) node).get(key);
    }
    return node;
  }

  @Test
  void reportsEveryStableKeyOnASyntheticDataSet() throws IOException {
    // Small minibatches give enough Adam steps (250 a pass) to move the weights well away from their
    // random initialisation at the benchmark's learning rate.
    writeDataSet(2000, 300);
    List<Long> progress = new ArrayList<>();
    List<String> phases = new ArrayList<>();
    LearnBenchmark.Options options = LearnBenchmark.Options.defaults(dir).withBatchSize(8).withPeakGemmSize(64);
    Map<String, Object> results = LearnBenchmark.run(options, (phase, done, total) -> {
      progress.add(done);
      phases.add(phase);
      assertThat(done).isBetween(1L, total);
    });

    for (String key : List.of("softmax.one_pass.test_accuracy", "mlp256.one_pass.test_accuracy",
        "mlp256.five_pass.test_accuracy", "mlp256_dropout.one_pass.test_accuracy",
        "mlp256_batchnorm.one_pass.test_accuracy", "mlp256_averaged.one_pass.test_accuracy")) {
      assertThat((Double) at(results, key)).as(key).isGreaterThan(0.9);
    }
    // Throughput keys name the backend that ran: "native" where OpenBLAS is installed.
    String active = LearnBenchmark.backendKey(Blas.get().backend());
    for (String key : List.of("softmax." + active + ".examples_per_s", "mlp256." + active + ".examples_per_s",
        "mlp256." + active + ".gflops", "mlp256." + active + ".fraction_of_peak", "mlp256.java.examples_per_s",
        "mlp256_dropout." + active + ".examples_per_s", "mlp256_batchnorm." + active + ".examples_per_s",
        "sgemm_peak_gflops")) {
      assertThat((Double) at(results, key)).as(key).isPositive();
    }
    // A learning curve per model line: the first minibatch end at or past each quarter of the first pass (500
    // examples is 62.5 minibatches of 8), then the end of every pass, the first pass's end being the reported accuracy.
    for (String model : List.of("softmax", "mlp256", "mlp256_dropout", "mlp256_batchnorm", "mlp256_averaged")) {
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> curve = (List<Map<String, Object>>) at(results, model + ".curve");
      assertThat(curve).as(model).extracting(p -> p.get("examples")).startsWith(504L, 1000L, 1504L, 2000L);
      assertThat(curve.get(3).get("test_accuracy")).as(model).isEqualTo(at(results, model + ".one_pass.test_accuracy"));
    }
    assertThat((List<?>) at(results, "softmax.curve")).hasSize(3 + LearnBenchmark.SOFTMAX_PASSES);
    assertThat((List<?>) at(results, "mlp256.curve")).hasSize(3 + LearnBenchmark.LONG_PASSES);
    assertThat((String) at(results, "blas_backend")).startsWith(Blas.get().backend().label());
    assertThat(at(results, "peers.unavailable")).isEqualTo("no scikit-learn peer script given");
    assertThat(at(results, "config.train_examples")).isEqualTo(2000);
    // Softmax 3 passes, MLP 5 + 1 on each other available backend, dropout 1, batch norm 1, averaged 1, of 2000
    // examples each.
    long otherBackends = java.util.Arrays.stream(BlasBackend.values())
        .filter(b -> b != Blas.get().backend() && Blas.isAvailable(b)).count();
    assertThat(progress).isSorted().last().isEqualTo((3 + 5 + otherBackends + 1 + 1 + 1) * 2000);
    String primary = LearnBenchmark.backendKey(Blas.get().backend());
    assertThat(phases).contains("softmax " + primary + " pass 1/3", "mlp256 " + primary + " pass 5/5");
    if (Blas.isAvailable(BlasBackend.VECTOR_API)) {
      assertThat((Double) at(results, "mlp256.vector_api.examples_per_s")).isPositive();
    } else {
      assertThat((String) at(results, "mlp256.vector_api.unavailable")).contains("jdk.incubator.vector");
    }
  }

  @Test
  void maxExamplesTrainsAndTestsOnTheFirstExamplesAndOtherBackendsCanBeLeftOut() throws IOException {
    writeDataSet(2000, 300);
    List<Long> progress = new ArrayList<>();
    LearnBenchmark.Options options = LearnBenchmark.Options.defaults(dir).withBatchSize(8).withPeakGemmSize(16)
        .withMaxExamples(100).withOtherBackends(false);
    Map<String, Object> results = LearnBenchmark.run(options, (phase, done, total) -> progress.add(done));

    assertThat(at(results, "config.train_examples")).isEqualTo(100);
    assertThat(at(results, "config.test_examples")).isEqualTo(100);
    // Softmax 3 passes, MLP 5, dropout 1, batch norm 1, averaged 1, of 100 examples each: no pass on another backend.
    assertThat(progress).isSorted().last().isEqualTo((3L + 5 + 1 + 1 + 1) * 100);
    String primary = LearnBenchmark.backendKey(Blas.get().backend());
    assertThat(List.<Object>copyOf(((Map<?, ?>) at(results, "mlp256")).keySet()))
        .containsExactly("one_pass", "five_pass", "curve", primary);
  }

  @Test
  void ordersArePermutationsFixedByTheSeed() {
    int[] first = LearnBenchmark.shuffledOrder(1000, SplitMix64.seeded(42));
    int[] again = LearnBenchmark.shuffledOrder(1000, SplitMix64.seeded(42));
    int[] other = LearnBenchmark.shuffledOrder(1000, SplitMix64.seeded(43));
    assertThat(first).isEqualTo(again).isNotEqualTo(other);
    int[] sorted = first.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      assertThat(sorted[i]).isEqualTo(i);
    }
  }

  @Test
  void mlpFlopCountOfTheBenchmarkShape() {
    // 784 → 256 → 10: forward 2(784·256 + 256·10) = 406,528; weight gradients as much; hidden gradient 5,120.
    assertThat(LearnBenchmark.mlpFlopsPerExample(784, 256, 10)).isEqualTo(818_176);
  }

  @Test
  void missingFilesAreNamed() {
    assertThatThrownBy(() -> LearnBenchmark.run(LearnBenchmark.Options.defaults(dir), LearnBenchmark.Progress.NONE))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith(dir + ": neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte is a readable file");
  }

  @Test
  void scikitLearnPeerTrainsInTheSameOrderWhenInstalled() throws IOException {
    assumeTrue(Files.isReadable(PEER), "no " + PEER + " (model-core built outside the Chorus tree)");
    writeDataSet(2000, 300);
    LearnBenchmark.Options options = LearnBenchmark.Options.defaults(dir).withBatchSize(8).withPeakGemmSize(16)
        .withSklearnPeer(PEER);
    Map<String, Object> results = LearnBenchmark.run(options, LearnBenchmark.Progress.NONE);
    boolean installed = at(results, "peers.unavailable") == null || !at(results, "peers.unavailable").toString()
        .startsWith("no Python with scikit-learn");
    // CI installs python3-sklearn and sets CHORUS_REQUIRE_SKLEARN=true, which turns its absence into a failure.
    if ("true".equals(System.getenv("CHORUS_REQUIRE_SKLEARN"))) {
      assertThat(installed).as("scikit-learn installed (CHORUS_REQUIRE_SKLEARN=true): " + at(results,
          "peers.unavailable")).isTrue();
    }
    assumeTrue(installed, "scikit-learn is not installed");
    assertThat(at(results, "peers.unavailable")).isNull();
    assertThat(at(results, "peers.same_order")).isEqualTo(true);
    assertThat(((Number) at(results, "peers.sklearn_sgd_log.one_pass.test_accuracy")).doubleValue()).isGreaterThan(0.8);
    assertThat(((Number) at(results, "peers.sklearn_mlp256.one_pass.test_accuracy")).doubleValue()).isGreaterThan(0.8);
    assertThat(((Number) at(results, "peers.sklearn_mlp256.examples_per_s")).doubleValue()).isPositive();
  }
}
