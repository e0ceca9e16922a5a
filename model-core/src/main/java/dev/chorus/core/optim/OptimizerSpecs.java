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
}
