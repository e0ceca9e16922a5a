package dev.chorus.core.optim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/** Hyperparameters of {@link RmsProp}; the decay {@code ρ = 0.9} is the lecture's, the learning rate the usual 0.001. */
public record RmsPropSpec(double learningRate, double rho, double epsilon) implements OptimizerSpec {

  public static final String TYPE = "rmsprop";
  public static final double DEFAULT_LEARNING_RATE = 0.001;
  public static final double DEFAULT_RHO = 0.9;
  public static final double DEFAULT_EPSILON = 1e-8;

  public RmsPropSpec {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("rmsprop learningRate must be finite and > 0, got " + learningRate);
    }
    if (!(rho >= 0 && rho < 1)) {
      throw new IllegalArgumentException("rmsprop rho must be in [0, 1), got " + rho);
    }
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("rmsprop epsilon must be finite and > 0, got " + epsilon);
    }
    OptimizerSpecs.requireBelowOneInFloat32("rmsprop rho", rho);
    OptimizerSpecs.requireNormalInFloat32("rmsprop epsilon", epsilon);
  }

  /** Reads {@code {"type":"rmsprop","learningRate":0.001,"rho":0.9,"epsilon":1e-8}}. */
  static RmsPropSpec fromJson(SpecReader json) {
    json.requireKnownKeys(List.of("type", "learningRate", "rho", "epsilon"));
    double learningRate = json.doubleValue("learningRate", DEFAULT_LEARNING_RATE);
    double rho = json.doubleValue("rho", DEFAULT_RHO);
    double epsilon = json.doubleValue("epsilon", DEFAULT_EPSILON);
    return json.validated(() -> new RmsPropSpec(learningRate, rho, epsilon));
  }

  @Override
  public void writeJson(ObjectNode json) {
    json.put("type", TYPE);
    json.put("learningRate", learningRate);
    json.put("rho", rho);
    json.put("epsilon", epsilon);
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public RmsProp create() {
    return new RmsProp(this);
  }
}
