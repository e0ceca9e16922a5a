package dev.chorus.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each optimizer and schedule reads and writes its own keys, and one registry per kind maps the spec's
 * {@code "type"} to the record that reads it, so adding one is a record and a registry line (issue 15).
 */
class SpecJsonRegistriesTest {

  @Test
  void everyOptimizerTypeIsRegisteredAndRoundTripsThroughItsOwnJson() {
    assertThat(OptimizerSpecs.types()).containsExactly("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "ftrl");
    List<OptimizerSpec> specs = List.of(new SgdSpec(0.1), new MomentumSpec(0.01, 0.5, false),
        new MomentumSpec(0.02, 0.25, true), new AdaGradSpec(0.5, 1e-6), new RmsPropSpec(1e-4, 0.5, 1e-3),
        new AdamSpec(3e-4, 0.1, 0.5, 1), new FtrlSpec(0.2, 0.5, 1e-3, 2));
    assertThat(specs).extracting(OptimizerSpec::type).containsExactlyElementsOf(OptimizerSpecs.types());
    for (OptimizerSpec spec : specs) {
      ObjectNode json = SpecReader.newObject();
      spec.writeJson(json);
      assertThat(json.get("type").asText()).isEqualTo(spec.type());
      assertThat(OptimizerSpecs.fromJson(SpecReader.document("{\"optimizer\":" + json + "}").at("optimizer")))
          .isEqualTo(spec);
    }
  }

  @Test
  void everyScheduleTypeIsRegisteredAndRoundTripsThroughItsOwnJson() {
    assertThat(LearningRateSchedules.types()).containsExactly("constant", "inverse", "step", "exponential");
    List<LearningRateSchedule> schedules = List.of(new LearningRateSchedule.Constant(),
        new LearningRateSchedule.InverseDecay(1e-3), new LearningRateSchedule.StepHalving(List.of(5L, 9L)),
        new LearningRateSchedule.Exponential(0.5));
    assertThat(schedules).extracting(LearningRateSchedule::type)
        .containsExactlyElementsOf(LearningRateSchedules.types());
    for (LearningRateSchedule schedule : schedules) {
      ObjectNode json = SpecReader.newObject();
      schedule.writeJson(json);
      assertThat(LearningRateSchedules.fromJson(SpecReader.document("{\"schedule\":" + json + "}").at("schedule")))
          .isEqualTo(schedule);
    }
  }

  @Test
  void anUnregisteredTypeIsNamedWithTheRegisteredOnes() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> OptimizerSpecs.fromJson(SpecReader.document("{\"optimizer\":{\"type\":\"lion\"}}")
            .at("optimizer")))
        .withMessage("ModelSpec key 'optimizer.type': expected one of [\"sgd\", \"momentum\", \"nesterov\", "
            + "\"adagrad\", \"rmsprop\", \"adam\", \"ftrl\"], got \"lion\"");
  }
}
