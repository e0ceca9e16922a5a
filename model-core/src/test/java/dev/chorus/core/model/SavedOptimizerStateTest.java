package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.AdaGradSpec;
import dev.chorus.core.optim.AdamSpec;
import dev.chorus.core.optim.FtrlSpec;
import dev.chorus.core.optim.MomentumSpec;
import dev.chorus.core.optim.OptimizerSpec;
import dev.chorus.core.optim.RmsPropSpec;
import dev.chorus.core.saved.SavedModels;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * A saved learner's optimizer state is checked as it is read: every value finite, and the slots that sum or average
 * squares (Adam's second moment, RMSProp's mean square, AdaGrad's sum, FTRL's n) not below 0. Before, a negative
 * second moment read back, the next step made its parameter NaN, and every later minibatch was refused ("minibatch
 * loss is NaN"): the variant was dead.
 */
class SavedOptimizerStateTest {

  /** A softmax regression on 2 features stepped once by {@code optimizer}: its state ends with the bias's last slot. */
  private static byte[] savedAfterOneStep(OptimizerSpec optimizer) {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.softmaxRegression(2, 2).withOptimizer(optimizer));
    learner.trainMinibatch(new float[] {0.5f, -1f}, new int[] {1}, null, 1);
    return learner.toBytes();
  }

  /** {@code bytes} with the float {@code fromEnd} floats before the end set to {@code value}. */
  private static byte[] withFloat(byte[] bytes, int fromEnd, float value) {
    byte[] forged = bytes.clone();
    ByteBuffer.wrap(forged).putFloat(forged.length - 4 * fromEnd, value);
    return forged;
  }

  static Stream<Arguments> slotsOfSquares() {
    return Stream.of(
        Arguments.of(AdamSpec.withLearningRate(0.01), "adam state: second moment"),
        Arguments.of(new RmsPropSpec(0.01, 0.9, 1e-8), "rmsprop state: mean square"),
        Arguments.of(new AdaGradSpec(0.1, 1e-8), "adagrad state: squared-gradient sum"),
        Arguments.of(new FtrlSpec(0.1, 1, 0, 0), "ftrl state: n"));
  }

  @ParameterizedTest
  @MethodSource("slotsOfSquares")
  void aNegativeSumOrAverageOfSquaresIsRefusedNamingTheSlotParameterAndIndex(OptimizerSpec optimizer, String slot) {
    byte[] saved = savedAfterOneStep(optimizer);
    assertThat(OnlineLearner.fromBytes(saved).toBytes()).isEqualTo(saved);

    byte[] forged = withFloat(saved, 1, -1f);
    assertThatIllegalArgumentException().isThrownBy(() -> OnlineLearner.fromBytes(forged))
        .withMessage(slot + " of parameter 'bias' at index 1: expected a finite number >= 0, stream has -1.0");
    assertThatIllegalArgumentException().isThrownBy(() -> SavedModels.read(forged))
        .withMessageContaining("of parameter 'bias' at index 1: expected a finite number >= 0, stream has -1.0");
    byte[] infinite = withFloat(saved, 1, Float.POSITIVE_INFINITY);
    assertThatIllegalArgumentException().isThrownBy(() -> OnlineLearner.fromBytes(infinite))
        .withMessage(slot + " of parameter 'bias' at index 1: expected a finite number >= 0, stream has Infinity");
  }

  /** Slots that may be negative (a first moment, a velocity, FTRL's z) must still be finite. */
  @Test
  void aSignedSlotThatIsNotFiniteIsRefused() {
    // Adam's bias state: [2][m0 m1][2][v0 v1]; m1 is 4 floats before the end.
    byte[] adam = withFloat(savedAfterOneStep(AdamSpec.withLearningRate(0.01)), 4, Float.NaN);
    assertThatIllegalArgumentException().isThrownBy(() -> OnlineLearner.fromBytes(adam))
        .withMessage("adam state: first moment of parameter 'bias' at index 1: expected a finite number, stream has NaN");
    byte[] momentum = withFloat(savedAfterOneStep(new MomentumSpec(0.1, 0.9, false)), 1, Float.NEGATIVE_INFINITY);
    assertThatIllegalArgumentException().isThrownBy(() -> OnlineLearner.fromBytes(momentum))
        .withMessage("momentum state: velocity of parameter 'bias' at index 1: expected a finite number, stream has "
            + "-Infinity");
    byte[] ftrl = withFloat(savedAfterOneStep(new FtrlSpec(0.1, 1, 0, 0)), 4, Float.NaN);
    assertThatIllegalArgumentException().isThrownBy(() -> OnlineLearner.fromBytes(ftrl))
        .withMessage("ftrl state: z of parameter 'bias' at index 1: expected a finite number, stream has NaN");

    byte[] negativeZ = withFloat(savedAfterOneStep(new FtrlSpec(0.1, 1, 0, 0)), 4, -3f);
    assertThat(OnlineLearner.fromBytes(negativeZ).steps()).as("z may be negative").isEqualTo(1);
  }

  /**
   * A live learner whose optimizer state is not finite does not hand it on to a carried warm start (a fork, a rewarm
   * with carry), which names the slot; a reset start leaves that state behind.
   */
  @Test
  void aCarriedStartRefusesASourceWhoseOptimizerStateIsNotFinite() {
    ModelSpec spec = ModelSpec.softmaxRegression(2, 2).withOptimizer(AdamSpec.withLearningRate(0.01));
    OnlineLearner source = OnlineLearner.create(spec);
    ParameterSet parameters = source.network().parameters();
    for (int p = 0; p < parameters.size(); p++) {
      Arrays.fill(parameters.get(p).gradient().data(), 1e30f);
    }
    // Stepped directly, past the guard: g² overflows the second moment, and m / √∞ leaves the weights as they were.
    source.optimizer().step(parameters, 0.01f);
    assertThat(source.firstNonFinite()).isNull();

    assertThatIllegalArgumentException().isThrownBy(() -> LearnerWarmStart.startFrom(spec, source, true))
        .withMessage("expected a saved model whose optimizer state carries (finite, and >= 0 where it sums or averages "
            + "squares), got one whose adam second moment of parameter 'weights' at index 0: expected a finite number "
            + ">= 0, got Infinity; or say \"optimizer\":\"reset\"");
    assertThat(LearnerWarmStart.startFrom(spec, source, false).optimizer().steps()).isZero();
  }
}
