package dev.chorus.core.optim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/**
 * Hyperparameters of {@link Momentum}: type {@code "momentum"} (classical) or {@code "nesterov"}. The
 * default learning rate is {@link SgdSpec}'s divided by the {@code 1/(1 − μ) = 10} that momentum
 * multiplies steady steps by.
 */
public record MomentumSpec(double learningRate, double momentum, boolean nesterov) implements OptimizerSpec {

  public static final String TYPE = "momentum";
  public static final String NESTEROV_TYPE = "nesterov";
  public static final double DEFAULT_LEARNING_RATE = 0.005;
  public static final double DEFAULT_MOMENTUM = 0.9;

  public MomentumSpec {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException(type(nesterov) + " learningRate must be finite and > 0, got " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException(type(nesterov) + " momentum must be in [0, 1), got " + momentum);
    }
    OptimizerSpecs.requireBelowOneInFloat32(type(nesterov) + " momentum", momentum);
  }

  /** Reads {@code {"type":"momentum"|"nesterov","learningRate":0.005,"momentum":0.9}}. */
  static MomentumSpec fromJson(SpecReader json) {
    json.requireKnownKeys(List.of("type", "learningRate", "momentum"));
    double learningRate = json.doubleValue("learningRate", DEFAULT_LEARNING_RATE);
    double momentum = json.doubleValue("momentum", DEFAULT_MOMENTUM);
    boolean nesterov = json.string("type").equals(NESTEROV_TYPE);
    return json.validated(() -> new MomentumSpec(learningRate, momentum, nesterov));
  }

  @Override
  public void writeJson(ObjectNode json) {
    json.put("type", type());
    json.put("learningRate", learningRate);
    json.put("momentum", momentum);
  }

  private static String type(boolean nesterov) {
    return nesterov ? NESTEROV_TYPE : TYPE;
  }

  @Override
  public String type() {
    return type(nesterov);
  }

  @Override
  public Momentum create() {
    return new Momentum(this);
  }
}
