package dev.chorus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.cli.data.IdxReader;
import dev.chorus.core.annotators.LabelModels;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The noisy-labels harness on a tiny synthetic ten-class MNIST-format data set. */
class CrowdBenchmarkTest {

  private static final int SIDE = 10;
  private static final int CLASSES = 10;

  @TempDir
  Path dir;

  @Test
  void reportsEveryMethodAndTheOracleOverSeeds() throws IOException {
    Random random = new Random(3);
    writeSplit(random, 2000, LearnBenchmark.TRAIN_IMAGES, LearnBenchmark.TRAIN_LABELS);
    writeSplit(random, 200, LearnBenchmark.TEST_IMAGES, LearnBenchmark.TEST_LABELS);
    CrowdBenchmark.Options options = new CrowdBenchmark.Options(dir, 0, 2, 16, List.of(0L, 1L), LabelModels.NAMES, 0,
        List.of(0.5));
    Map<String, Object> results = CrowdBenchmark.run(options, LearnBenchmark.Progress.NONE);
    Map<String, Object> softmax = child(results, "softmax");
    assertThat(softmax).containsOnlyKeys("naive", "majority", "soft", "dawid_skene", "doctor_net",
        "weighted_doctor_net", "weighted_doctor_net_paper", "oracle", "corruption", "curves", "confusions", "swap",
        "copycats", "long_tail");
    assertThat(child(softmax, "oracle")).containsOnlyKeys("accuracy_mean", "accuracy_std",
        "validation_accuracy_mean", "validation_accuracy_std", "label_events");
    // A tenth of the training items is held out for validation, never labelled: 1,800 items are labelled.
    assertThat(child(results, "config")).containsEntry("train_items", 1800).containsEntry("validation_items", 200);
    // The fair oracle trains on the methods' own event stream (about 3 labels per item), clean labels in place.
    assertThat(child(softmax, "oracle").get("label_events")).isEqualTo(child(softmax, "naive").get("label_events"));
    assertThat((long) child(softmax, "oracle").get("label_events")).isGreaterThan(2L * 2 * 2000 * 2);
    Map<String, Object> swap = child(softmax, "swap");
    assertThat(swap).containsOnlyKeys("ranking_flip_labels", "ranking_flip_labels_std", "second_half_minus_first",
        "second_half_minus_first_std", "half_life_labels", "method");
    assertThat((double) swap.get("ranking_flip_labels")).as("labels per swapped annotator until the flip")
        .isBetween(1.0, 500.0);
    assertThat((double) swap.get("second_half_minus_first")).isBetween(-1.0, 1.0);
    Map<String, Object> copycats = child(softmax, "copycats");
    assertThat(copycats).containsOnlyKeys("copied", "dawid_skene", "weighted_doctor_net_paper");
    assertThat(child(copycats, "dawid_skene")).containsOnlyKeys("accuracy", "accuracy_std", "copycat_reliability",
        "copycat_reliability_std");
    assertThat((double) child(copycats, "weighted_doctor_net_paper").get("accuracy")).isGreaterThan(0.5);
    Map<String, Object> tail = child(softmax, "long_tail");
    assertThat(tail.get("tail_annotators")).isEqualTo(1000);
    assertThat((double) tail.get("tail_labels")).as("1 to 5 labels each").isBetween(1000.0, 5000.0);
    assertThat((double) child(tail, "dawid_skene").get("accuracy")).isGreaterThan(0.5);
    assertThat((double) child(tail, "dawid_skene").get("spearman")).isBetween(-1.0, 1.0);
    assertThat((double) child(softmax, "oracle").get("accuracy_mean")).isGreaterThan(0.9);
    Map<String, Object> dawidSkene = child(softmax, "dawid_skene");
    assertThat(dawidSkene).containsOnlyKeys("accuracy_mean", "accuracy_std", "confusion_error_mean",
        "confusion_error_std", "spearman_mean", "spearman_std", "validation_accuracy_mean", "validation_accuracy_std",
        "label_events");
    assertThat((double) dawidSkene.get("accuracy_mean")).isGreaterThan(0.5);
    assertThat((double) dawidSkene.get("spearman_mean")).isBetween(-1.0, 1.0);
    assertThat((double) dawidSkene.get("accuracy_std")).isGreaterThanOrEqualTo(0.0);
    Map<String, Object> corruption = child(softmax, "corruption");
    assertThat(corruption).containsOnlyKeys("p0_5");
    Map<String, Object> half = child(corruption, "p0_5");
    assertThat(child(half, "dawid_skene")).containsOnlyKeys("accuracy_mean", "accuracy_std",
        "confusion_error_mean", "confusion_error_std", "validation_accuracy_mean", "validation_accuracy_std",
        "label_events");
    assertThat((double) child(half, "naive").get("accuracy_mean")).isGreaterThan(0.5);
    // The level names its best noise-aware method (never naive or the oracle) and that method's accuracy.
    assertThat((String) half.get("method")).isIn("majority", "soft", "dawid_skene", "doctor_net", "weighted_doctor_net",
        "weighted_doctor_net_paper");
    assertThat(half.get("accuracy_mean")).isEqualTo(child(half, (String) half.get("method")).get("accuracy_mean"));
    // Chosen on the validation items, not on the test set.
    double bestValidation = Double.NEGATIVE_INFINITY;
    for (String method : List.of("majority", "soft", "dawid_skene", "doctor_net", "weighted_doctor_net",
        "weighted_doctor_net_paper")) {
      bestValidation = Math.max(bestValidation, (double) child(half, method).get("validation_accuracy_mean"));
    }
    assertThat(child(half, (String) half.get("method")).get("validation_accuracy_mean")).isEqualTo(bestValidation);
    // The least, over the other methods, of accuracy minus naive's: the no-collapse figure.
    double naive = (double) child(half, "naive").get("accuracy_mean");
    double least = Double.POSITIVE_INFINITY;
    for (String method : List.of("majority", "soft", "dawid_skene", "doctor_net", "weighted_doctor_net",
        "weighted_doctor_net_paper")) {
      least = Math.min(least, (double) child(half, method).get("accuracy_mean") - naive);
    }
    assertThat((double) half.get("min_method_minus_naive")).isCloseTo(least, within(1e-12));
  }

  @Test
  @SuppressWarnings("unchecked")
  void recordsLearningCurvesAndTheFirstSeedsConfusions() throws IOException {
    Random random = new Random(3);
    writeSplit(random, 2000, LearnBenchmark.TRAIN_IMAGES, LearnBenchmark.TRAIN_LABELS);
    writeSplit(random, 200, LearnBenchmark.TEST_IMAGES, LearnBenchmark.TEST_LABELS);
    CrowdBenchmark.Options options = new CrowdBenchmark.Options(dir, 0, 2, 16, List.of(0L, 1L),
        List.of("naive", "dawid-skene"), 0, List.of());
    Map<String, Object> softmax = child(CrowdBenchmark.run(options, LearnBenchmark.Progress.NONE), "softmax");

    Map<String, Object> curves = child(softmax, "curves");
    assertThat(curves).containsOnlyKeys("naive", "dawid_skene", "oracle");
    for (String method : curves.keySet()) {
      List<Map<String, Object>> curve = (List<Map<String, Object>>) curves.get(method);
      // Four points a pass, two passes, on the validation items; the last is measured at the end.
      assertThat(curve).as(method).extracting(p -> p.get("passes"))
          .containsExactly(0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0);
      assertThat(curve.get(curve.size() - 1).get("accuracy_mean")).as(method)
          .isEqualTo(child(softmax, method).get("validation_accuracy_mean"));
    }
    Map<String, Object> confusions = child(softmax, "confusions");
    assertThat(confusions.get("seed")).isEqualTo(0L);
    Map<String, Object> annotators = child(confusions, "annotators");
    // The first annotator of each of the pool's first three kinds.
    assertThat(annotators).containsOnlyKeys("expert-0", "competent-0", "pair-confuser-0");
    Map<String, Object> expert = child(annotators, "expert-0");
    assertThat(expert).containsOnlyKeys("true", "naive", "dawid_skene");
    double[][] truth = (double[][]) expert.get("true");
    assertThat(truth).hasDimensions(CLASSES, CLASSES);
    assertThat(truth[0][0]).isBetween(0.92, 0.98);
    assertThat((double[][]) expert.get("dawid_skene")).hasDimensions(CLASSES, CLASSES);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> child(Map<String, Object> parent, String key) {
    return (Map<String, Object>) parent.get(key);
  }

  @Test
  void spearmanUsesMeanRanksForTies() {
    assertThat(CrowdBenchmark.spearman(new double[] {1, 2, 3}, new double[] {10, 30, 90}))
        .isCloseTo(1, within(1e-12));
    assertThat(CrowdBenchmark.spearman(new double[] {1, 2, 3}, new double[] {3, 2, 1})).isCloseTo(-1, within(1e-12));
    // Ranks (1.5, 1.5, 3) against (1, 2, 3): covariance 1.5, variances 1.5 and 2.
    assertThat(CrowdBenchmark.spearman(new double[] {5, 5, 7}, new double[] {1, 2, 3}))
        .isCloseTo(1.5 / Math.sqrt(1.5 * 2), within(1e-12));
    assertThat(CrowdBenchmark.spearman(new double[] {1, 1}, new double[] {1, 2})).isNaN();
  }

  @Test
  void averagingGoesIntoEveryModelsSpecAndOnlyWhenAsked() {
    CrowdBenchmark.Options plain = new CrowdBenchmark.Options(dir, 256, 1, 8, List.of(0L), List.of("naive"), 0,
        List.of());
    CrowdBenchmark.Options averaged = new CrowdBenchmark.Options(dir, 256, 1, 8, List.of(0L), List.of("naive"), 0,
        List.of(), 0.99);

    assertThat(CrowdBenchmark.spec(plain, 784, 3).averaging()).isNull();
    assertThat(CrowdBenchmark.spec(averaged, 784, 3).averaging().decay()).isEqualTo(0.99);
    assertThat(CrowdBenchmark.spec(averaged, 784, 3).withAveraging(null)).isEqualTo(CrowdBenchmark.spec(plain, 784, 3));
    assertThatThrownBy(() -> new CrowdBenchmark.Options(dir, 0, 1, 8, List.of(0L), List.of("naive"), 0, List.of(), 1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("averaging decay must be in (0, 1), got 1.0");
  }

  @Test
  void rejectsUnknownMethods() {
    assertThatThrownBy(() -> new CrowdBenchmark.Options(dir, 0, 1, 8, List.of(0L), List.of("vote"), 0, List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"vote\"");
  }

  /** Class c lights up row c of a 10 × 10 image, plus noise. */
  private void writeSplit(Random random, int rows, String imagesFile, String labelsFile) throws IOException {
    byte[] pixels = new byte[rows * SIDE * SIDE];
    byte[] labels = new byte[rows];
    for (int i = 0; i < rows; i++) {
      int label = random.nextInt(CLASSES);
      labels[i] = (byte) label;
      for (int p = 0; p < SIDE * SIDE; p++) {
        pixels[i * SIDE * SIDE + p] = (byte) ((p / SIDE == label ? 160 : 40) + random.nextInt(80));
      }
    }
    write(imagesFile, IdxReader.IMAGES_MAGIC, new int[] {rows, SIDE, SIDE}, pixels);
    write(labelsFile, IdxReader.LABELS_MAGIC, new int[] {rows}, labels);
  }

  private void write(String file, int magic, int[] dims, byte[] data) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(dir.resolve(file)))) {
      out.writeInt(magic);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(data);
    }
  }
}
