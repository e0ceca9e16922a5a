package dev.chorus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.optim.LearningRateSchedule;
import dev.chorus.core.select.VariantRace;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.kafka.LabeledDataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The drift track on a small synthetic stream: both learners' figures, and the decayed one's schedule choice. */
class SelectDriftTrackTest {

  private static final int ROWS = 2000;
  private static final int DIM = 12;
  private static final int CLASSES = 10;

  /** Ten classes, each lighting up its own feature (plus noise), pixels in [0, 1] as the inverted stream expects. */
  private static SelectBenchmark.Data data() {
    Random random = new Random(11);
    float[] features = new float[ROWS * DIM];
    int[] labels = new int[ROWS];
    for (int i = 0; i < ROWS; i++) {
      labels[i] = random.nextInt(CLASSES);
      for (int f = 0; f < DIM; f++) {
        features[i * DIM + f] = (f == labels[i] ? 0.6f : 0.1f) + 0.3f * random.nextFloat();
      }
    }
    LabeledDataset train = new LabeledDataset("blobs", features, labels, DIM, CLASSES);
    return new SelectBenchmark.Data(train, ROWS, train);
  }

  @Test
  void reportsTheConstantRateLearnerAsBeforeAndTheDecayedOneUnderItsOwnKeys() {
    SelectBenchmark.Options options = new SelectBenchmark.Options(Path.of("unused"), 42, ROWS, 32,
        Set.of("drift"), 0);
    SelectBenchmark.Data data = data();
    List<String> log = new ArrayList<>();
    Map<String, Object> drift = SelectDriftTrack.run(options, data, log::add);

    // The constant-rate learner's keys, unchanged.
    assertThat(at(drift, "model")).isEqualTo("mlp256");
    for (String prefix : List.of("", "decayed.")) {
      for (String kind : List.of("abrupt", "gradual")) {
        for (String key : List.of("with_handling.accuracy_after", "without_handling.accuracy_after",
            "accuracy_after_gain", "accuracy_after_gain_ceiling")) {
          assertThat(at(drift, prefix + kind + "." + key)).as(prefix + kind + "." + key).isInstanceOf(Double.class);
        }
      }
      assertThat(at(drift, prefix + "stationary.drift_events")).as(prefix).isInstanceOf(Long.class);
      assertThat(at(drift, prefix + "validation")).as(prefix).isInstanceOf(Map.class);
      assertThat(((Map<?, ?>) at(drift, prefix + "validation")).keySet()).extracting(String::valueOf)
          .as("%s candidates", prefix)
          .containsExactlyInAnyOrder("page-hinkley+reset", "page-hinkley+fork", "page-hinkley+rewarm",
              "adwin+reset", "adwin+fork", "adwin+rewarm");
      assertThat((String) at(drift, prefix + "chosen")).as(prefix).contains("+");
    }
    assertThat(ModelSpec.parse((String) at(drift, "spec")).schedule())
        .isInstanceOf(LearningRateSchedule.Constant.class);

    // The decayed learner: the same MLP with the schedule that did best on the stationary validation stream.
    ModelSpec decayed = ModelSpec.parse((String) at(drift, "decayed.spec"));
    assertThat(decayed.schedule()).isNotInstanceOf(LearningRateSchedule.Constant.class);
    assertThat(decayed.withSchedule(new LearningRateSchedule.Constant()).toJson())
        .isEqualTo(ModelSpec.parse((String) at(drift, "spec")).toJson());
    long validationSeed = ((Number) at(drift, "decayed.schedule_choice.validation_seed")).longValue();
    assertThat(validationSeed).as("never the test stream's order").isNotEqualTo(options.seed());
    @SuppressWarnings("unchecked")
    Map<String, Object> candidates = (Map<String, Object>) at(drift, "decayed.schedule_choice.candidates");
    assertThat(candidates).hasSizeGreaterThan(1);
    String best = null;
    double bestAccuracy = -1;
    for (Map.Entry<String, Object> candidate : candidates.entrySet()) {
      double accuracy = (double) candidate.getValue();
      if (accuracy > bestAccuracy) {
        best = candidate.getKey();
        bestAccuracy = accuracy;
      }
    }
    assertThat(at(drift, "decayed.schedule_choice.chosen")).isEqualTo(best);
    // Its figure is the unhandled learner's accuracy over the last examples of the stationary validation stream.
    SelectBenchmark.Outcome validation = SelectDriftTrack.stream(data, validationSeed,
        SelectDriftTrack.Kind.STATIONARY).race(new VariantRace(VariantSpec.parse(decayed.toJson(), 16)), 32);
    int from = ROWS - Math.min(SelectDriftTrack.AFTER, ROWS / 2);
    double wrong = 0;
    for (int i = from; i < ROWS; i++) {
      wrong += validation.servedLoss()[i];
    }
    assertThat(1 - wrong / (ROWS - from)).isEqualTo(bestAccuracy);
    assertThat(log).anyMatch(line -> line.startsWith("drift decayed abrupt: accuracy after"));
  }

  @SuppressWarnings("unchecked")
  private static Object at(Map<String, Object> results, String dotted) {
    Object node = results;
    for (String key : dotted.split("\\.")) {
      assertThat(node).as(dotted + " at " + key).isInstanceOf(Map.class);
      node = ((Map<String, Object>) node).get(key);
    }
    return node;
  }
}
