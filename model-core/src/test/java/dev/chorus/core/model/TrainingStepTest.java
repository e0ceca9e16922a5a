package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.loss.L1Penalty;
import dev.chorus.core.loss.L2Penalty;
import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.AdamSpec;
import dev.chorus.core.optim.GradientClipping;
import dev.chorus.core.optim.LearningRateSchedule;
import dev.chorus.core.optim.Optimizer;
import dev.chorus.core.optim.SgdSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one update every learner applies to its parameter groups: L2 gradient, clipping of the global norm over all
 * groups, the numeric guard, the optimizer step at the scheduled rate, the L1 proximal step, in that order.
 */
class TrainingStepTest {

  private static final ModelSpec SPEC = ModelSpec.softmaxRegression(2, 2).withL1(0.01).withL2(0.1).withClipNorm(0.5)
      .withSchedule(new LearningRateSchedule.Exponential(0.5)).withOptimizer(AdamSpec.withLearningRate(0.1));

  private static ParameterSet group(String name, float[] values, float[] gradients) {
    Parameter p = Parameter.zeros(name, 1, values.length, true);
    System.arraycopy(values, 0, p.value().data(), 0, values.length);
    System.arraycopy(gradients, 0, p.gradient().data(), 0, gradients.length);
    return new ParameterSet(List.of(p));
  }

  @Test
  void oneGroupIsUpdatedBitForBitAsTheSequenceOfItsParts() {
    ParameterSet stepped = group("w", new float[] {0.3f, -0.7f, 0.02f}, new float[] {2f, -1f, 0.5f});
    ParameterSet byHand = group("w", new float[] {0.3f, -0.7f, 0.02f}, new float[] {2f, -1f, 0.5f});
    Optimizer[] optimizers = {SPEC.optimizer().create()};
    Optimizer reference = SPEC.optimizer().create();

    String problem = new TrainingStep(SPEC).apply(new ParameterSet[] {stepped}, optimizers, 1, 0.25, 3);

    new L2Penalty(0.1).addPenaltyGradient(byHand);
    GradientClipping.clipByGlobalNorm(byHand, 0.5);
    float rate = (float) SPEC.schedule().learningRate(0.1, 3);
    reference.step(byHand, rate);
    new L1Penalty(0.01).proximalStep(byHand, rate);
    assertThat(problem).isNull();
    assertThat(stepped.get(0).value().data()).isEqualTo(byHand.get(0).value().data());
    assertThat(optimizers[0].steps()).isEqualTo(1);
  }

  @Test
  void clippingScalesEveryGroupByTheirJointNorm() {
    ModelSpec spec = ModelSpec.softmaxRegression(2, 2).withClipNorm(1).withOptimizer(new SgdSpec(1));
    ParameterSet body = group("body", new float[] {0f}, new float[] {3f});
    ParameterSet head = group("head", new float[] {0f}, new float[] {4f});
    Optimizer[] optimizers = {spec.optimizer().create(), spec.optimizer().create()};

    assertThat(new TrainingStep(spec).apply(new ParameterSet[] {body, head}, optimizers, 2, 1.0, 0)).isNull();

    assertThat(body.get(0).value().data()[0]).as("-3/5").isEqualTo(-0.6f);
    assertThat(head.get(0).value().data()[0]).as("-4/5").isEqualTo(-0.8f);
  }

  @Test
  void aNonFiniteGradientIsRefusedBeforeAnyStep() {
    ParameterSet first = group("first", new float[] {1f}, new float[] {1f});
    ParameterSet second = group("second", new float[] {1f, 2f}, new float[] {1f, Float.NaN});
    Optimizer[] optimizers = {SPEC.optimizer().create(), SPEC.optimizer().create()};

    String problem = new TrainingStep(SPEC.withClipNorm(0))
        .apply(new ParameterSet[] {first, second}, optimizers, 2, 0.5, 0);

    assertThat(problem).isEqualTo("the gradient of parameter 'second' is NaN at index 1 (expected a finite value)");
    assertThat(first.get(0).value().data()).containsExactly(1f);
    assertThat(second.get(0).value().data()).containsExactly(1f, 2f);
    assertThat(optimizers[0].steps()).isZero();
    assertThat(optimizers[1].steps()).isZero();
  }

  @Test
  void aStepThatOverflowsIsUndoneWithItsOptimizerState() {
    ModelSpec spec = ModelSpec.softmaxRegression(2, 2).withOptimizer(new SgdSpec(10));
    ParameterSet safe = group("safe", new float[] {1f}, new float[] {1f});
    ParameterSet huge = group("huge", new float[] {-Float.MAX_VALUE}, new float[] {1e38f});
    Optimizer[] optimizers = {spec.optimizer().create(), spec.optimizer().create()};
    Optimizer[] before = optimizers.clone();

    String problem = new TrainingStep(spec).apply(new ParameterSet[] {safe, huge}, optimizers, 2, 0.5, 0);

    assertThat(problem).startsWith("parameter 'huge' would become -Infinity at index 0 after a step with gradients up to 1.0E38");
    assertThat(safe.get(0).value().data()).containsExactly(1f);
    assertThat(huge.get(0).value().data()).containsExactly(-Float.MAX_VALUE);
    assertThat(optimizers[0]).as("the backup, not the stepped optimizer").isNotSameAs(before[0]);
    assertThat(optimizers[0].steps()).isZero();
    assertThat(optimizers[1].steps()).isZero();
  }

  /**
   * A gradient of 1e21 (a feature of 1e10 and a target of 1e11 give such when not standardised) squares past float32's
   * range. Before, the guard looked only past 1e30: Adam's and RMSProp's second moments went infinite and froze the
   * weight for good, AdaGrad's sum too, and FTRL's n, then its weight, went NaN. Now a step that would make an
   * optimizer's state infinite is refused with everything as it was, and the sums that only grow saturate.
   */
  @Test
  void noStepLeavesAnOptimizersStateOrWeightNonFinite() {
    for (dev.chorus.core.optim.OptimizerSpec optimizer : List.of(new dev.chorus.core.optim.FtrlSpec(0.1, 1, 0, 0),
        new dev.chorus.core.optim.AdaGradSpec(0.1, 1e-8), AdamSpec.withLearningRate(0.1),
        new dev.chorus.core.optim.RmsPropSpec(0.1, 0.9, 1e-8))) {
      ModelSpec spec = ModelSpec.softmaxRegression(2, 2).withOptimizer(optimizer);
      ParameterSet w = group("w", new float[] {0.5f}, new float[] {1e21f});
      Optimizer[] optimizers = {spec.optimizer().create()};
      TrainingStep step = new TrainingStep(spec);
      String problem = null;
      for (int t = 0; t < 3; t++) {
        System.arraycopy(new float[] {1e21f}, 0, w.get(0).gradient().data(), 0, 1);
        String p = step.apply(new ParameterSet[] {w}, optimizers, 1, 1.0, t);
        problem = problem == null ? p : problem;
      }
      assertThat(Float.isFinite(w.get(0).value().data()[0])).as(optimizer.type()).isTrue();
      assertThat(optimizers[0].firstNonFiniteState()).as(optimizer.type()).isNull();
      if (optimizer.type().equals("adam") || optimizer.type().equals("rmsprop")) {
        assertThat(problem).as(optimizer.type()).contains("of parameter 'w' is Infinity at index 0");
      }
    }
  }

  /** A finite gradient at an enormous learning rate overflows a parameter: checked too, not only past 1e30. */
  @Test
  void aStepWhoseLearningRateTimesTheGradientOverflowsIsRefused() {
    ModelSpec spec = ModelSpec.softmaxRegression(2, 2).withOptimizer(new SgdSpec(1e10));
    ParameterSet w = group("w", new float[] {0.5f}, new float[] {1e29f});
    Optimizer[] optimizers = {spec.optimizer().create()};

    String problem = new TrainingStep(spec).apply(new ParameterSet[] {w}, optimizers, 1, 1.0, 0);

    assertThat(problem).startsWith("parameter 'w' would become -Infinity at index 0");
    assertThat(w.get(0).value().data()).containsExactly(0.5f);
  }

  /** Squares that only add up (AdaGrad, FTRL) saturate at float32's largest rather than becoming infinite. */
  @Test
  void squaredGradientsThatAddUpSaturateInsteadOfOverflowing() {
    float[] w = {1f};
    float[] sum = {3e38f};
    dev.chorus.core.optim.AdaGrad.update(w, sum, 0, 1e19f, 0.1f, 1e-8f);
    assertThat(sum[0]).isEqualTo(Float.MAX_VALUE);
    assertThat(Float.isFinite(w[0])).isTrue();
    float[] z = {0f};
    float[] n = {3e38f};
    float[] fw = {1f};
    dev.chorus.core.optim.Ftrl.update(fw, z, n, 0, 1e19f, 0.1, new dev.chorus.core.optim.FtrlSpec(0.1, 1, 0, 0));
    assertThat(n[0]).isEqualTo(Float.MAX_VALUE);
    assertThat(Float.isFinite(fw[0])).isTrue();
  }
}
