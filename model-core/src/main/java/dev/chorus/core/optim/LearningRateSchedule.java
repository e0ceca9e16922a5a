package dev.chorus.core.optim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.core.spec.SpecReader;
import java.util.ArrayList;
import java.util.List;

/**
 * The learning rate of each update as a function of the base rate {@code η} (the optimizer spec's) and the
 * number {@code t} of updates already applied, so that it needs no state beyond the saved step count. Each record
 * reads ({@code fromJson}) and writes ({@link #writeJson}) its own keys of a spec's {@code "schedule"} object, and is
 * registered by its type in {@link LearningRateSchedules}.
 */
public sealed interface LearningRateSchedule {

  /** The name used in model specs, e.g. {@code "inverse"}. */
  String type();

  /** The learning rate of update number {@code t} (0 for the first). */
  double learningRate(double base, long t);

  /** Writes {@code type}, then the schedule's own keys. */
  void writeJson(ObjectNode json);

  /** {@code η} throughout. */
  record Constant() implements LearningRateSchedule {
    public static final String TYPE = "constant";

    static Constant fromJson(SpecReader json) {
      json.requireKnownKeys(List.of("type"));
      return new Constant();
    }

    @Override
    public void writeJson(ObjectNode json) {
      json.put("type", TYPE);
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public double learningRate(double base, long t) {
      return base;
    }
  }

  /** {@code η / (1 + decay·t)}: the classic {@code O(1/t)} decay that stochastic approximation needs to converge. */
  record InverseDecay(double decay) implements LearningRateSchedule {
    public static final String TYPE = "inverse";

    static InverseDecay fromJson(SpecReader json) {
      json.requireKnownKeys(List.of("type", "decay"));
      double decay = json.requiredDouble("decay");
      return json.validated(() -> new InverseDecay(decay));
    }

    @Override
    public void writeJson(ObjectNode json) {
      json.put("type", TYPE);
      json.put("decay", decay);
    }

    public InverseDecay {
      if (!(decay >= 0) || Double.isInfinite(decay)) {
        throw new IllegalArgumentException("inverse schedule decay must be finite and >= 0, got " + decay);
      }
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public double learningRate(double base, long t) {
      return base / (1 + decay * t);
    }
  }

  /** {@code η} halved once for every milestone {@code s} with {@code s ≤ t}; milestones strictly increase. */
  record StepHalving(List<Long> milestones) implements LearningRateSchedule {
    public static final String TYPE = "step";

    static StepHalving fromJson(SpecReader json) {
      json.requireKnownKeys(List.of("type", "steps"));
      JsonNode steps = json.node().get("steps");
      if (steps == null || !steps.isArray()) {
        throw json.error("steps", "expected an array of step counts, got "
            + (steps == null ? "nothing (key missing)" : steps.toString()));
      }
      List<Long> milestones = new ArrayList<>();
      for (JsonNode step : steps) {
        if (!step.isIntegralNumber() || !step.canConvertToLong()) {
          throw json.error("steps", "expected integers, got " + step);
        }
        milestones.add(step.longValue());
      }
      return json.validated(() -> new StepHalving(milestones));
    }

    @Override
    public void writeJson(ObjectNode json) {
      json.put("type", TYPE);
      ArrayNode steps = json.putArray("steps");
      milestones.forEach(steps::add);
    }

    public StepHalving {
      milestones = List.copyOf(milestones);
      for (int i = 0; i < milestones.size(); i++) {
        long s = milestones.get(i);
        if (s < 1 || (i > 0 && s <= milestones.get(i - 1))) {
          throw new IllegalArgumentException(
              "step schedule steps must be >= 1 and strictly increasing, got " + milestones);
        }
      }
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public double learningRate(double base, long t) {
      double rate = base;
      for (int i = 0; i < milestones.size() && milestones.get(i) <= t; i++) {
        rate *= 0.5;
      }
      return rate;
    }
  }

  /** {@code η·γᵗ}. */
  record Exponential(double gamma) implements LearningRateSchedule {
    public static final String TYPE = "exponential";

    static Exponential fromJson(SpecReader json) {
      json.requireKnownKeys(List.of("type", "gamma"));
      double gamma = json.requiredDouble("gamma");
      return json.validated(() -> new Exponential(gamma));
    }

    @Override
    public void writeJson(ObjectNode json) {
      json.put("type", TYPE);
      json.put("gamma", gamma);
    }

    public Exponential {
      if (!(gamma > 0 && gamma <= 1)) {
        throw new IllegalArgumentException("exponential schedule gamma must be in (0, 1], got " + gamma);
      }
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public double learningRate(double base, long t) {
      return base * Math.pow(gamma, t);
    }
  }
}
