package dev.chorus.core.optim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/** Hyperparameters of plain {@link Sgd}. */
public record SgdSpec(double learningRate) implements OptimizerSpec {

  public static final String TYPE = "sgd";
  /** Suits standardised features; one prequential pass over Fashion-MNIST does about as well as Adam's default. */
  public static final double DEFAULT_LEARNING_RATE = 0.05;

  public SgdSpec {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("sgd learningRate must be finite and > 0, got " + learningRate);
    }
  }

  /** Reads {@code {"type":"sgd","learningRate":0.05}}; a missing key takes its default. */
  static SgdSpec fromJson(SpecReader json) {
    json.requireKnownKeys(List.of("type", "learningRate"));
    double learningRate = json.doubleValue("learningRate", DEFAULT_LEARNING_RATE);
    return json.validated(() -> new SgdSpec(learningRate));
  }

  @Override
  public void writeJson(ObjectNode json) {
    json.put("type", TYPE);
    json.put("learningRate", learningRate);
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Sgd create() {
    return new Sgd(this);
  }
}
