package dev.chorus.core.optim;

import dev.chorus.core.spec.SpecReader;
import dev.chorus.core.spec.SpecTypes;
import java.util.List;

/**
 * The optimizers a spec's {@code "optimizer"} object may name by its {@code "type"}: adding one is its spec record
 * (with {@code fromJson} and {@code writeJson}) and one line here.
 */
public final class OptimizerSpecs {

  private static final SpecTypes<OptimizerSpec> TYPES = new SpecTypes<OptimizerSpec>("{\"type\":\"adam\"}")
      .add(SgdSpec.TYPE, SgdSpec::fromJson)
      .add(MomentumSpec.TYPE, MomentumSpec::fromJson)
      .add(MomentumSpec.NESTEROV_TYPE, MomentumSpec::fromJson)
      .add(AdaGradSpec.TYPE, AdaGradSpec::fromJson)
      .add(RmsPropSpec.TYPE, RmsPropSpec::fromJson)
      .add(AdamSpec.TYPE, AdamSpec::fromJson)
      .add(FtrlSpec.TYPE, FtrlSpec::fromJson);

  private OptimizerSpecs() {}

  /** The type names, in the order messages list them. */
  public static List<String> types() {
    return TYPES.types();
  }

  /** The optimizer spec at {@code json}, an object like {@code {"type":"adam","learningRate":0.002}}. */
  public static OptimizerSpec fromJson(SpecReader json) {
    return TYPES.read(json);
  }

  /**
   * Refuses a decay (Adam's betas, RMSProp's rho, momentum) that rounds to 1 in float32, in which training runs:
   * with 1 a moment never forgets (a momentum) or a bias correction divides by zero (Adam: every weight NaN).
   *
   * @param what the optimizer and key, as the spec's other messages name them ({@code adam beta2})
   */
  static void requireBelowOneInFloat32(String what, double value) {
    if (!((float) value < 1f)) {
      throw new IllegalArgumentException(what + " must be below 1 in float32, in which training runs (at most "
          + Math.nextDown(1f) + "), got " + value);
    }
  }

  /**
   * Refuses an epsilon that is 0 or subnormal in float32, in which training runs: 0 makes a coordinate without
   * gradient 0 / 0, and a subnormal one overflows a step.
   */
  static void requireNormalInFloat32(String what, double value) {
    if (!((float) value >= Float.MIN_NORMAL)) {
      throw new IllegalArgumentException(what + " must be at least " + Float.MIN_NORMAL + ", float32's smallest "
          + "normal number (training runs in float32), got " + value);
    }
  }
}
