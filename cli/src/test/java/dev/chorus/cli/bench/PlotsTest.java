package dev.chorus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every chart type, rendered headless from a small fixed result shaped as its benchmark's JSON. */
class PlotsTest {

  @TempDir
  Path dir;

  @Test
  void learnDrawsALearningCurvePerModel() throws IOException {
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("softmax", Map.of("curve", List.of(point("examples", 500, "test_accuracy", 0.70),
        point("examples", 1000, "test_accuracy", 0.78), point("examples", 2000, "test_accuracy", 0.81))));
    results.put("mlp256", Map.of("curve", List.of(point("examples", 500, "test_accuracy", 0.72),
        point("examples", 1000, "test_accuracy", 0.80), point("examples", 5000, "test_accuracy", 0.88))));
    results.put("config", Map.of("train_examples", 1000));

    List<Path> written = Plots.learn(results, dir);

    assertThat(written).containsExactly(dir.resolve("learn-curves.png"));
    assertChart(written.get(0), Plots.WIDTH, Plots.HEIGHT);
  }

  @Test
  void selectDrawsTheDriftCurvesOfEachLearner() throws IOException {
    Map<String, Object> learner = new LinkedHashMap<>();
    for (String track : List.of("abrupt", "gradual")) {
      learner.put(track, Map.of("with_handling", Map.of("curve", List.of(point("examples", 1000, "accuracy", 0.8),
          point("examples", 2000, "accuracy", 0.7))), "without_handling", Map.of("curve",
          List.of(point("examples", 1000, "accuracy", 0.8), point("examples", 2000, "accuracy", 0.5)))));
    }
    Map<String, Object> drift = new LinkedHashMap<>(learner);
    drift.put("decayed", learner);

    List<Path> written = Plots.select(Map.of("drift", drift), dir);

    assertThat(written).containsExactly(dir.resolve("select-drift.png"), dir.resolve("select-drift-decayed.png"));
    for (Path chart : written) {
      assertChart(chart, Plots.WIDTH, Plots.HEIGHT);
    }
  }

  @Test
  void crowdDrawsCurvesConfusionsAndTheCorruptionTrack() throws IOException {
    Map<String, Object> confusions = new LinkedHashMap<>();
    confusions.put("seed", 0);
    Map<String, Object> annotators = new LinkedHashMap<>();
    for (String id : List.of("expert-0", "competent-0", "pair-confuser-0")) {
      annotators.put(id, Map.of("true", confusion(3, 0.9), "dawid_skene", confusion(3, 0.8)));
    }
    confusions.put("annotators", annotators);
    Map<String, Object> softmax = new LinkedHashMap<>();
    softmax.put("dawid_skene", Map.of("accuracy_mean", 0.83));
    softmax.put("oracle", Map.of("accuracy_mean", 0.84));
    softmax.put("curves", Map.of(
        "dawid_skene", List.of(point("passes", 0.5, "accuracy_mean", 0.7), point("passes", 1, "accuracy_mean", 0.83)),
        "oracle", List.of(point("passes", 0.5, "accuracy_mean", 0.75), point("passes", 1, "accuracy_mean", 0.84))));
    softmax.put("confusions", confusions);
    softmax.put("corruption", Map.of(
        "p0", Map.of("dawid_skene", Map.of("accuracy_mean", 0.83), "method", "dawid_skene", "accuracy_mean", 0.83),
        "p0_5", Map.of("dawid_skene", Map.of("accuracy_mean", 0.80), "method", "dawid_skene", "accuracy_mean", 0.80)));
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("softmax", softmax);
    results.put("config", Map.of("seeds", List.of(0)));

    List<Path> written = Plots.crowd(results, dir);

    assertThat(written).containsExactly(dir.resolve("crowd-softmax-curves.png"),
        dir.resolve("crowd-softmax-confusions-dawid_skene.png"), dir.resolve("crowd-softmax-corruption.png"));
    assertChart(written.get(0), Plots.WIDTH, Plots.HEIGHT);
    // One row per annotator, true and estimated side by side.
    assertChart(written.get(1), 2 * Plots.HEATMAP_SIDE, Plots.HEATMAP_TITLE + 3 * Plots.HEATMAP_SIDE);
    assertChart(written.get(2), Plots.WIDTH, Plots.HEIGHT);
  }

  @Test
  void e2eDrawsEachLinesRatioToTheCeiling() throws IOException {
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("raw_consume", Map.of("examples_per_s", 200_000.0));
    Map<String, Object> softmax = new LinkedHashMap<>();
    softmax.put("p1", Map.of("examples_per_s", 180_000.0, "ratio_to_raw", 0.9));
    softmax.put("p2", Map.of("examples_per_s", 150_000.0, "ratio_to_raw", 0.75));
    results.put("softmax", softmax);
    results.put("mlp256", Map.of("p1", Map.of("skipped", "not asked for")));
    results.put("serve", Map.of("p1", Map.of("examples_per_s", 220_000.0, "ratio_to_raw", 1.1)));

    assertThat(Plots.e2eRatios(results)).containsExactly(Map.entry("raw_consume", 1.0),
        Map.entry("softmax.p1", 0.9), Map.entry("softmax.p2", 0.75), Map.entry("serve.p1", 1.1));
    List<Path> written = Plots.e2e(results, dir);

    assertThat(written).containsExactly(dir.resolve("e2e-ratio-to-raw.png"));
    assertChart(written.get(0), Plots.WIDTH, Plots.HEIGHT);
  }

  @Test
  void latencyDrawsPercentilesPerModeAndRate() throws IOException {
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("at_least_once", Map.of("rate_1000",
        Map.of("p50_ms", 4.0, "p95_ms", 7.0, "p99_ms", 9.0, "max_ms", 30.0)));
    results.put("exactly_once", Map.of("rate_1000",
        Map.of("p50_ms", 150.0, "p95_ms", 210.0, "p99_ms", 240.0, "max_ms", 400.0)));

    List<Path> written = Plots.latency(results, dir);

    assertThat(written).containsExactly(dir.resolve("latency-percentiles.png"));
    assertChart(written.get(0), Plots.WIDTH, Plots.HEIGHT);
  }

  @Test
  void soakDrawsHeapStateAndCheckpointsOverTime() throws IOException {
    Map<String, Object> results = Map.of("samples", List.of(
        Map.of("minute", 1.0, "heap_after_gc_mb", 130.0, "state_bytes", 400_000, "checkpoint_ms", 15),
        Map.of("minute", 2.0, "heap_after_gc_mb", 132.0, "state_bytes", 390_000, "checkpoint_ms", 12),
        Map.of("minute", 3.0, "heap_after_gc_mb", 131.0, "state_bytes", 395_000, "checkpoint_ms", 20)));

    List<Path> written = Plots.soak(results, dir);

    assertThat(written).containsExactly(dir.resolve("soak-over-time.png"));
    assertChart(written.get(0), Plots.WIDTH, Plots.HEIGHT);
  }

  @Test
  void historyDrawsBytesPerItem() throws IOException {
    Map<String, Object> results = Map.of("history_items_bound", 1000, "heap_bytes_per_item", 270.0,
        "checkpoint_bytes_per_item", 44.0);

    List<Path> written = Plots.history(results, dir);

    assertThat(written).containsExactly(dir.resolve("history-bytes-per-item.png"));
    assertChart(written.get(0), Plots.WIDTH, Plots.HEIGHT);
  }

  private static Map<String, Object> point(String x, double xValue, String y, double yValue) {
    return Map.of(x, xValue, y, yValue);
  }

  /** A k × k confusion with {@code diagonal} on the diagonal and the rest spread evenly. */
  private static List<List<Double>> confusion(int k, double diagonal) {
    List<List<Double>> rows = new java.util.ArrayList<>();
    for (int c = 0; c < k; c++) {
      List<Double> row = new java.util.ArrayList<>();
      for (int j = 0; j < k; j++) {
        row.add(c == j ? diagonal : (1 - diagonal) / (k - 1));
      }
      rows.add(row);
    }
    return rows;
  }

  /**
   * The PNG decodes, has the size asked for and is a picture: many colours (text, lines and their antialiasing),
   * and a good share of pixels unlike the top-left one, the background.
   */
  static void assertChart(Path png, int width, int height) throws IOException {
    assertThat(png).isRegularFile();
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image).as(png + " decodes as an image").isNotNull();
    assertThat(image.getWidth()).as("width").isEqualTo(width);
    assertThat(image.getHeight()).as("height").isEqualTo(height);
    int background = image.getRGB(0, 0);
    Set<Integer> colours = new HashSet<>();
    long drawn = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y);
        colours.add(rgb);
        drawn += rgb != background ? 1 : 0;
      }
    }
    assertThat(colours.size()).as(png + ": distinct colours").isGreaterThan(16);
    assertThat((double) drawn / ((long) width * height)).as(png + ": share of pixels unlike the background")
        .isGreaterThan(0.02);
  }
}
