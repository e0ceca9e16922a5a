package dev.chorus.core.optim;

import dev.chorus.core.spec.SpecReader;
import dev.chorus.core.spec.SpecTypes;
import java.util.List;

/**
 * The schedules a spec's {@code "schedule"} object may name by its {@code "type"}: adding one is its record in
 * {@link LearningRateSchedule} (with {@code fromJson} and {@code writeJson}) and one line here.
 */
public final class LearningRateSchedules {

  private static final SpecTypes<LearningRateSchedule> TYPES =
      new SpecTypes<LearningRateSchedule>("{\"type\":\"inverse\",\"decay\":1e-4}")
          .add(LearningRateSchedule.Constant.TYPE, LearningRateSchedule.Constant::fromJson)
          .add(LearningRateSchedule.InverseDecay.TYPE, LearningRateSchedule.InverseDecay::fromJson)
          .add(LearningRateSchedule.StepHalving.TYPE, LearningRateSchedule.StepHalving::fromJson)
          .add(LearningRateSchedule.Exponential.TYPE, LearningRateSchedule.Exponential::fromJson);

  private LearningRateSchedules() {}

  /** The type names, in the order messages list them. */
  public static List<String> types() {
    return TYPES.types();
  }

  /** The schedule at {@code json}, an object like {@code {"type":"inverse","decay":1e-4}}. */
  public static LearningRateSchedule fromJson(SpecReader json) {
    return TYPES.read(json);
  }
}
