package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.optim.AdamSpec;
import dev.chorus.core.optim.FtrlSpec;
import dev.chorus.core.optim.SgdSpec;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LearnerWarmStartTest {

  private static final int DIM = 6;
  private static final int CLASSES = 3;
  private static final GaussianBlobs DATA = GaussianBlobs.generate(256, DIM, CLASSES, 3);
  private static final ModelSpec SPEC = ModelSpec.mlp(DIM, CLASSES, List.of(new HiddenLayerSpec(8,
          dev.chorus.core.nn.ActivationFunction.RELU, ModelSpec.DEFAULT_INIT, 0, true, false, 0.9, 0)))
      .withBatchSize(32).withSeed(7).withOptimizer(AdamSpec.withLearningRate(0.01));

  /** A learner trained on {@code batches} minibatches of 32. */
  private static OnlineLearner trained(ModelSpec spec, int batches) {
    OnlineLearner learner = OnlineLearner.create(spec);
    for (int b = 0; b < batches; b++) {
      step(learner, b);
    }
    return learner;
  }

  private static void step(OnlineLearner learner, int b) {
    learner.trainMinibatch(Arrays.copyOfRange(DATA.x(), b * 32 * DIM, (b + 1) * 32 * DIM),
        Arrays.copyOfRange(DATA.labels(), b * 32, (b + 1) * 32), null, 32);
  }

  private static float[] probabilities(Predictor model) {
    float[] out = new float[DATA.rows() * CLASSES];
    model.predictProbaBatch(DATA.x(), DATA.rows(), out);
    return out;
  }

  @Test
  void aCarriedStartPredictsAndTrainsOnAsTheSavedLearnerWouldFromVersionZero() {
    OnlineLearner source = trained(SPEC.withSeed(99), 4);
    OnlineLearner warm = LearnerWarmStart.start(SPEC, source.toBytes(), true);

    assertThat(probabilities(warm)).containsExactly(probabilities(source));
    assertThat(warm.steps()).isZero();
    assertThat(warm.examplesSeen()).isZero();
    assertThat(warm.optimizer().steps()).isEqualTo(4);
    step(source, 4);
    step(warm, 4);
    assertThat(probabilities(warm)).as("the carried optimizer takes the step the saved one would")
        .containsExactly(probabilities(source));
    assertThat(warm.steps()).isEqualTo(1);
  }

  /**
   * A carried start goes on with the saved learner's learning-rate schedule, which follows the optimizer's step count:
   * SGD at 0.1 decaying by half a step, 20 steps, then a fork whose next step is the saved learner's 21st, at
   * 0.1·2^-20. Before, the schedule followed the model's count, which a warm start restarts: the fork stepped at 0.1,
   * 10^6 times the saved learner's step. A reset start restarts the schedule with the optimizer.
   */
  @Test
  void aCarriedStartGoesOnWithTheSchedulesStepAndAResetOneRestartsIt() {
    ModelSpec decaying = ModelSpec.parse(SPEC.withOptimizer(new SgdSpec(0.1)).toJson()
        .replace("{\"type\":\"constant\"}", "{\"type\":\"exponential\",\"gamma\":0.5}"));
    assertThat(decaying.schedule().learningRate(0.1, 20)).isEqualTo(0.1 * Math.pow(0.5, 20));
    OnlineLearner source = OnlineLearner.create(decaying);
    for (int s = 0; s < 20; s++) {
      step(source, s % 8);
    }
    OnlineLearner carried = LearnerWarmStart.start(decaying, source.toBytes(), true);
    OnlineLearner reset = LearnerWarmStart.start(decaying, source.toBytes(), false);
    OnlineLearner constant = LearnerWarmStart.start(SPEC.withOptimizer(new SgdSpec(0.1)), source.toBytes(), false);
    step(source, 0);
    step(carried, 0);
    step(reset, 0);
    step(constant, 0);

    assertThat(probabilities(carried)).as("the saved learner's 21st step").containsExactly(probabilities(source));
    assertThat(carried.steps()).isEqualTo(1);
    assertThat(probabilities(reset)).as("a first step at 0.1").containsExactly(probabilities(constant));
  }

  @Test
  void aResetStartKeepsTheWeightsAndStartsTheOptimizerAfresh() {
    OnlineLearner source = trained(SPEC, 4);
    OnlineLearner warm = LearnerWarmStart.start(SPEC.withOptimizer(new SgdSpec(0.1)), source.toBytes(), false);

    assertThat(probabilities(warm)).containsExactly(probabilities(source));
    assertThat(warm.optimizer().steps()).isZero();
    assertThat(warm.spec().optimizer().type()).isEqualTo("sgd");
  }

  /**
   * A reset start with FTRL, which a dense spec may name, moves each parameter from its saved value (batch norm's γ
   * included) by less than α at its first step. Before, FTRL's z = n = 0 forgot every weight it had not put there.
   */
  @Test
  void aResetFtrlStartMovesEachParameterFromItsSavedValue() {
    OnlineLearner source = trained(SPEC, 4);
    OnlineLearner warm = LearnerWarmStart.start(SPEC.withOptimizer(new FtrlSpec(0.001, 1, 0, 0)), source.toBytes(),
        false);
    step(warm, 4);

    int moved = 0;
    for (int p = 0; p < source.network().parameters().size(); p++) {
      float[] before = source.network().parameters().get(p).value().data();
      float[] after = warm.network().parameters().get(p).value().data();
      for (int i = 0; i < before.length; i++) {
        assertThat(after[i]).as("%s[%d]", source.network().parameters().get(p).name(), i)
            .isCloseTo(before[i], within(0.001f));
        moved += after[i] != before[i] ? 1 : 0;
      }
    }
    assertThat(moved).isGreaterThan(0);
  }

  @Test
  void aSavedModelOfAnotherShapeOrOptimizerIsRefusedNamingTheKey() {
    byte[] saved = trained(SPEC, 1).toBytes();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> LearnerWarmStart.start(ModelSpec.softmaxRegression(DIM + 1, CLASSES), saved, false))
        .withMessage("key 'algorithm': expected softmax-regression (the variant's spec), got mlp (the saved model's)");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> LearnerWarmStart.start(SPEC.withLayers(List.of(new HiddenLayerSpec(9,
            dev.chorus.core.nn.ActivationFunction.RELU, ModelSpec.DEFAULT_INIT, 0, true, false, 0.9, 0))), saved, true))
        .withMessage("key 'layers': expected [9 RELU batchNorm] (the variant's spec), got [8 RELU batchNorm] "
            + "(the saved model's)");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> LearnerWarmStart.start(SPEC.withOptimizer(new SgdSpec(0.1)), saved, true))
        .withMessageStartingWith("key 'optimizer.type': expected sgd (the variant's spec), got adam");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> LearnerWarmStart.start(SPEC, new byte[] {1, 2, 3}, true))
        .withMessageStartingWith("expected a saved OnlineLearner (a Chorus model file or a snapshot's parameters), "
            + "got 3 bytes that do not read: ");
  }
}
