package dev.chorus.core.optim;

import java.util.List;

/**
 * The learning rate of each update as a function of the base rate {@code η} (the optimizer spec's) and the
 * number {@code t} of updates already applied, so that it needs no state beyond the saved step count.
 */
public sealed interface LearningRateSchedule {

  /** The name used in model specs, e.g. {@code "inverse"}. */
  String type();

  /** The learning rate of update number {@code t} (0 for the first). */
  double learningRate(double base, long t);

  /** {@code η} throughout. */
  record Constant() implements LearningRateSchedule {
    public static final String TYPE = "constant";

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
