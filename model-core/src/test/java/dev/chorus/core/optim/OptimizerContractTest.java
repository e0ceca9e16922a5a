package dev.chorus.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The contract every optimizer keeps: independent copies, a reset equal to a fresh start, exact state I/O. */
class OptimizerContractTest {

  static Stream<OptimizerSpec> specs() {
    return Stream.of(new SgdSpec(0.1), new MomentumSpec(0.05, 0.9, false), new MomentumSpec(0.05, 0.8, true),
        new AdaGradSpec(0.1, 1e-8), new RmsPropSpec(0.01, 0.9, 1e-8), AdamSpec.withLearningRate(0.01),
        new FtrlSpec(0.1, 1, 0.01, 0.1),
        new AdamSpec(0.05, 0.5, 0.9, 1e-6));
  }

  private static ParameterSet parameters(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Parameter> list = new ArrayList<>();
    list.add(Parameter.zeros("weights", 3, 4, true));
    list.add(Parameter.zeros("bias", 1, 4, false));
    ParameterSet set = new ParameterSet(list);
    for (int p = 0; p < set.size(); p++) {
      float[] v = set.get(p).value().data();
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) random.nextDouble(-1, 1);
      }
    }
    return set;
  }

  private static ParameterSet copyOf(ParameterSet set) {
    List<Parameter> list = new ArrayList<>();
    for (int p = 0; p < set.size(); p++) {
      list.add(set.get(p).copy());
    }
    return new ParameterSet(list);
  }

  /** Sets gradients to a deterministic function of the values and the round, like a real loss would. */
  private static void fillGradients(ParameterSet set, int round) {
    for (int p = 0; p < set.size(); p++) {
      float[] v = set.get(p).value().data();
      float[] g = set.get(p).gradient().data();
      for (int i = 0; i < v.length; i++) {
        g[i] = (float) Math.sin(3 * v[i] + round + i);
      }
    }
  }

  private static void train(Optimizer optimizer, ParameterSet set, int fromRound, int rounds) {
    for (int r = fromRound; r < fromRound + rounds; r++) {
      fillGradients(set, r);
      optimizer.step(set);
    }
  }

  private static void assertSameValues(ParameterSet actual, ParameterSet expected) {
    for (int p = 0; p < expected.size(); p++) {
      assertThat(actual.get(p).value()).as(expected.get(p).name()).isEqualTo(expected.get(p).value());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void copyIsIndependentOfTheOriginal(OptimizerSpec spec) {
    Optimizer original = spec.create();
    ParameterSet params = parameters(1);
    train(original, params, 0, 3);
    Optimizer snapshot = original.copy();
    Optimizer copy = original.copy();
    assertThat(copy.steps()).isEqualTo(3);

    train(copy, parameters(99), 0, 5);
    assertThat(original.steps()).isEqualTo(3);

    ParameterSet viaOriginal = copyOf(params);
    ParameterSet viaSnapshot = copyOf(params);
    train(original, viaOriginal, 3, 2);
    train(snapshot, viaSnapshot, 3, 2);
    assertSameValues(viaOriginal, viaSnapshot);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void resetBehavesExactlyLikeAFreshOptimizer(OptimizerSpec spec) {
    Optimizer used = spec.create();
    train(used, parameters(1), 0, 4);
    used.reset();
    assertThat(used.steps()).isZero();

    ParameterSet viaReset = parameters(2);
    ParameterSet viaFresh = parameters(2);
    train(used, viaReset, 0, 3);
    train(spec.create(), viaFresh, 0, 3);
    assertSameValues(viaReset, viaFresh);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void stateRoundTripContinuesBitForBit(OptimizerSpec spec) throws IOException {
    Optimizer optimizer = spec.create();
    ParameterSet params = parameters(1);
    train(optimizer, params, 0, 3);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    optimizer.writeState(new DataOutputStream(bytes));
    Optimizer restored = spec.create();
    restored.readState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), params);
    assertThat(restored.steps()).isEqualTo(3);

    ParameterSet viaOriginal = copyOf(params);
    ParameterSet viaRestored = copyOf(params);
    train(optimizer, viaOriginal, 3, 3);
    train(restored, viaRestored, 3, 3);
    assertSameValues(viaRestored, viaOriginal);
  }

  @Test
  void sgdStepIsLearningRateTimesGradient() {
    ParameterSet set = new ParameterSet(List.of(Parameter.zeros("w", 1, 2, true)));
    set.get(0).value().data()[0] = 1f;
    set.get(0).gradient().data()[0] = 0.5f;
    set.get(0).gradient().data()[1] = -2f;
    new SgdSpec(0.1).create().step(set);
    assertThat(set.get(0).value().data()).containsExactly(new float[] {0.95f, 0.2f}, within(1e-7f));
  }

  @Test
  void adamFirstStepsMatchTheHandComputedUpdate() {
    // t=1: m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025, m̂ = 0.5, v̂ = 0.25, step = 0.1·0.5/(0.5 + 1e-8).
    // t=2, same g: m = 0.095, v = 0.00049975, m̂ = 0.095/0.19 = 0.5, v̂ = 0.00049975/0.001999 = 0.25.
    ParameterSet set = new ParameterSet(List.of(Parameter.zeros("w", 1, 1, true)));
    set.get(0).value().data()[0] = 1f;
    set.get(0).gradient().data()[0] = 0.5f;
    Adam adam = AdamSpec.withLearningRate(0.1).create();
    adam.step(set);
    assertThat(set.get(0).value().data()[0]).isCloseTo(0.9f, within(1e-6f));
    adam.step(set);
    assertThat(set.get(0).value().data()[0]).isCloseTo(0.8f, within(1e-6f));
    assertThat(adam.steps()).isEqualTo(2);
  }

  /** One parameter w = 1 stepped twice with gradient 0.5; returns w after each step. */
  private static float[] twoSteps(OptimizerSpec spec) {
    ParameterSet set = new ParameterSet(List.of(Parameter.zeros("w", 1, 1, true)));
    set.get(0).value().data()[0] = 1f;
    set.get(0).gradient().data()[0] = 0.5f;
    Optimizer optimizer = spec.create();
    optimizer.step(set);
    float first = set.get(0).value().data()[0];
    optimizer.step(set);
    return new float[] {first, set.get(0).value().data()[0]};
  }

  @Test
  void momentumStepsMatchTheHandComputedUpdate() {
    // v = 0.5, w = 1 − 0.1·0.5; then v = 0.9·0.5 + 0.5 = 0.95, w = 0.95 − 0.1·0.95.
    assertThat(twoSteps(new MomentumSpec(0.1, 0.9, false))).containsExactly(new float[] {0.95f, 0.855f}, within(1e-6f));
  }

  @Test
  void nesterovStepsMatchTheHandComputedUpdate() {
    // v = 0.5, w = 1 − 0.1·(0.5 + 0.9·0.5) = 0.905; then v = 0.95, w = 0.905 − 0.1·(0.5 + 0.855) = 0.7695.
    assertThat(twoSteps(new MomentumSpec(0.1, 0.9, true))).containsExactly(new float[] {0.905f, 0.7695f}, within(1e-6f));
  }

  @Test
  void adaGradStepsMatchTheHandComputedUpdate() {
    // G = 0.25, w = 1 − 0.1·0.5/0.5 = 0.9; then G = 0.5, w = 0.9 − 0.1·0.5/√0.5 = 0.8292893.
    assertThat(twoSteps(new AdaGradSpec(0.1, 1e-8))).containsExactly(new float[] {0.9f, 0.8292893f}, within(1e-6f));
  }

  @Test
  void rmsPropStepsMatchTheHandComputedUpdate() {
    // s = 0.1·0.25 = 0.025, w = 1 − 0.01·0.5/√0.025 = 0.9683772; then s = 0.0475, w −= 0.01·0.5/√0.0475.
    assertThat(twoSteps(new RmsPropSpec(0.01, 0.9, 1e-8)))
        .containsExactly(new float[] {0.9683772f, 0.9683772f - 0.0229416f}, within(1e-6f));
  }

  @Test
  void anExplicitLearningRateReplacesTheSpecs() {
    ParameterSet set = new ParameterSet(List.of(Parameter.zeros("w", 1, 1, true)));
    set.get(0).gradient().data()[0] = 2f;
    new SgdSpec(0.1).create().step(set, 0.25f);
    assertThat(set.get(0).value().data()[0]).isEqualTo(-0.5f);
  }

  @Test
  void schedulesFollowTheirFormulas() {
    assertThat(new LearningRateSchedule.Constant().learningRate(0.1, 1000)).isEqualTo(0.1);
    LearningRateSchedule inverse = new LearningRateSchedule.InverseDecay(0.1);
    assertThat(inverse.learningRate(0.1, 0)).isEqualTo(0.1);
    assertThat(inverse.learningRate(0.1, 10)).isCloseTo(0.05, within(1e-15));
    LearningRateSchedule halving = new LearningRateSchedule.StepHalving(List.of(10L, 20L));
    assertThat(halving.learningRate(0.1, 9)).isEqualTo(0.1);
    assertThat(halving.learningRate(0.1, 10)).isEqualTo(0.05);
    assertThat(halving.learningRate(0.1, 25)).isEqualTo(0.025);
    assertThat(new LearningRateSchedule.Exponential(0.5).learningRate(0.1, 3)).isEqualTo(0.0125);
  }

  @Test
  void schedulesRejectBadArguments() {
    assertThatIllegalArgumentException().isThrownBy(() -> new LearningRateSchedule.InverseDecay(-1))
        .withMessage("inverse schedule decay must be finite and >= 0, got -1.0");
    assertThatIllegalArgumentException().isThrownBy(() -> new LearningRateSchedule.StepHalving(List.of(5L, 5L)))
        .withMessage("step schedule steps must be >= 1 and strictly increasing, got [5, 5]");
    assertThatIllegalArgumentException().isThrownBy(() -> new LearningRateSchedule.Exponential(1.5))
        .withMessage("exponential schedule gamma must be in (0, 1], got 1.5");
  }

  @Test
  void clippingScalesTheGlobalNormDownAndLeavesSmallGradientsAlone() {
    ParameterSet set = new ParameterSet(List.of(Parameter.zeros("a", 1, 1, true), Parameter.zeros("b", 1, 1, false)));
    set.get(0).gradient().data()[0] = 3f;
    set.get(1).gradient().data()[0] = -4f;
    assertThat(GradientClipping.clipByGlobalNorm(set, 10)).isEqualTo(5.0);
    assertThat(set.get(0).gradient().data()[0]).isEqualTo(3f);
    assertThat(GradientClipping.clipByGlobalNorm(set, 1)).isEqualTo(5.0);
    assertThat(set.get(0).gradient().data()[0]).isCloseTo(0.6f, within(1e-7f));
    assertThat(set.get(1).gradient().data()[0]).isCloseTo(-0.8f, within(1e-7f));
    assertThat(GradientClipping.globalNorm(set)).isCloseTo(1.0, within(1e-6));
  }

  @Test
  void adamRejectsStateOfTheWrongSize() {
    Adam adam = AdamSpec.withLearningRate(0.1).create();
    adam.step(new ParameterSet(List.of(Parameter.zeros("w", 1, 3, true))));
    assertThatIllegalStateException()
        .isThrownBy(() -> adam.step(new ParameterSet(List.of(Parameter.zeros("w", 2, 3, true)))))
        .withMessage("adam state for parameter 'w' has 3 elements, the parameter has 6");
  }

  @Test
  void adamRefusesStateForUnknownParameters() throws IOException {
    Adam adam = AdamSpec.withLearningRate(0.1).create();
    ParameterSet set = new ParameterSet(List.of(Parameter.zeros("w", 1, 3, true)));
    adam.step(set);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    adam.writeState(new DataOutputStream(bytes));
    ParameterSet other = new ParameterSet(List.of(Parameter.zeros("v", 1, 3, true)));
    assertThatThrownBy(() -> AdamSpec.withLearningRate(0.1).create()
        .readState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), other))
        .isInstanceOf(IOException.class)
        .hasMessage("adam state: moments for unknown parameter 'w'; parameters are [v]");
  }
}
