package dev.chorus.core.optim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/** Hyperparameters of {@link AdaGrad}; the defaults are the common ones (TensorFlow, PyTorch use 0.01 too). */
public record AdaGradSpec(double learningRate, double epsilon) implements OptimizerSpec {

  public static final String TYPE = "adagrad";
  public static final double DEFAULT_LEARNING_RATE = 0.01;
  public static final double DEFAULT_EPSILON = 1e-8;

  public AdaGradSpec {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("adagrad learningRate must be finite and > 0, got " + learningRate);
    }
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("adagrad epsilon must be finite and > 0, got " + epsilon);
    }
    OptimizerSpecs.requireNormalInFloat32("adagrad epsilon", epsilon);
  }

  /** Reads {@code {"type":"adagrad","learningRate":0.01,"epsilon":1e-8}}. */
  static AdaGradSpec fromJson(SpecReader json) {
    json.requireKnownKeys(List.of("type", "learningRate", "epsilon"));
    double learningRate = json.doubleValue("learningRate", DEFAULT_LEARNING_RATE);
    double epsilon = json.doubleValue("epsilon", DEFAULT_EPSILON);
    return json.validated(() -> new AdaGradSpec(learningRate, epsilon));
  }

  @Override
  public void writeJson(ObjectNode json) {
    json.put("type", TYPE);
    json.put("learningRate", learningRate);
    json.put("epsilon", epsilon);
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public AdaGrad create() {
    return new AdaGrad(this);
  }
}
