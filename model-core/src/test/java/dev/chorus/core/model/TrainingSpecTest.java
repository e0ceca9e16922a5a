package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.optim.LearningRateSchedule;
import dev.chorus.core.optim.SgdSpec;
import org.junit.jupiter.api.Test;

/** The training settings are one record that a spec holds, while the JSON keeps them flat beside the model's keys. */
class TrainingSpecTest {

  private static final String BASE = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3";

  @Test
  void aSpecHoldsItsTrainingSettingsAsOneRecord() {
    ModelSpec spec = ModelSpec.parse(BASE + ",\"batchSize\":8,\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.1},"
        + "\"schedule\":{\"type\":\"exponential\",\"gamma\":0.5},\"clipNorm\":2.0,\"l1\":0.25,\"l2\":0.5,"
        + "\"standardize\":false,\"seed\":7}");
    TrainingSpec expected = new TrainingSpec(8, new SgdSpec(0.1), new LearningRateSchedule.Exponential(0.5), 2.0,
        0.25, 0.5, 7, false);
    assertThat(spec.training()).isEqualTo(expected);
    assertThat(ModelSpec.parse(BASE + "}").training()).isEqualTo(TrainingSpec.DEFAULTS);
    assertThat(ModelSpec.parse(BASE + "}").withTraining(expected)).isEqualTo(spec);
  }

  @Test
  void theJsonStaysFlat() {
    ModelSpec spec = ModelSpec.parse(BASE + "}").withTraining(TrainingSpec.DEFAULTS.withSeed(3).withBatchSize(5));
    assertThat(spec.toJson()).contains(",\"batchSize\":5,\"optimizer\":{").endsWith(",\"seed\":3}")
        .doesNotContain("training");
  }

  @Test
  void itsChecksNameTheFlatKey() {
    assertThatIllegalArgumentException().isThrownBy(() -> TrainingSpec.DEFAULTS.withL2(-1))
        .withMessage("ModelSpec key 'l2': expected a finite number >= 0, got -1.0");
    assertThatIllegalArgumentException().isThrownBy(() -> TrainingSpec.DEFAULTS.withBatchSize(0))
        .withMessage("ModelSpec key 'batchSize': expected an integer >= 1, got 0");
  }
}
