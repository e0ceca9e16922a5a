package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.testing.GaussianBlobs;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A poisoned minibatch (finite, so it passes validation, but large enough to overflow the update) is rejected,
 * leaves every bit of the learner as it was, and training goes on exactly as if it had never been offered.
 */
class NumericGuardTest {

  static final GaussianBlobs DATA = GaussianBlobs.generate(96, 6, 3, 9);

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"algorithm\":\"linear-regression\",\"inputDim\":6,\"standardize\":false,\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.01}}",
      "{\"algorithm\":\"mlp\",\"inputDim\":6,\"numClasses\":3,\"standardize\":false,\"layers\":[{\"units\":8,\"activation\":\"relu\",\"batchNorm\":true,\"dropout\":0.25}],\"optimizer\":{\"type\":\"momentum\",\"learningRate\":0.05}}",
      "{\"algorithm\":\"mlp\",\"inputDim\":6,\"numClasses\":3,\"standardize\":false,\"layers\":[{\"units\":8,\"activation\":\"relu\",\"batchNorm\":true,\"dropout\":0.25}],\"optimizer\":{\"type\":\"momentum\",\"learningRate\":0.05},\"averaging\":{\"decay\":0.9}}"})
  void aPoisonedMinibatchIsRejectedAndLeavesNoTrace(String specJson) {
    ModelSpec spec = ModelSpec.parse(specJson);
    OnlineLearner guarded = OnlineLearner.create(spec);
    OnlineLearner reference = OnlineLearner.create(spec);
    train(guarded, 0);
    train(reference, 0);
    byte[] before = guarded.toBytes();

    float[] poison = new float[16 * 6];
    Arrays.fill(poison, Float.MAX_VALUE / 2);
    assertThatThrownBy(() -> train(guarded, poison))
        .isInstanceOf(NonFiniteUpdateException.class)
        .hasMessageContaining("rejected before step " + (guarded.steps() + 1))
        .hasMessageContaining("the model keeps its parameters");
    assertThat(guarded.toBytes()).as("nothing changed").isEqualTo(before);

    train(guarded, 16);
    train(reference, 16);
    assertThat(guarded.toBytes()).as("as if the poisoned batch had never come").isEqualTo(reference.toBytes());
  }

  @org.junit.jupiter.api.Test
  void aFiniteLossWithAnOverflowingGradientNamesTheParameterAndTheIndex() {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(
        "{\"algorithm\":\"linear-regression\",\"inputDim\":6,\"standardize\":false,"
            + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.01}}"));
    train(learner, 0);
    byte[] before = learner.toBytes();
    // Residuals near 1e19 square to a finite double loss, but residual x feature (1e39) overflows the float gradient.
    float[] large = new float[16 * 6];
    Arrays.fill(large, 1e20f);
    assertThatThrownBy(() -> train(learner, large))
        .isInstanceOf(NonFiniteUpdateException.class)
        .hasMessageContaining("the gradient of parameter '")
        .hasMessageContaining(" at index 0 (expected a finite value)");
    assertThat(learner.toBytes()).as("nothing changed").isEqualTo(before);
  }

  @org.junit.jupiter.api.Test
  void standardisedInputsAbsorbHugeFiniteValuesAndTheModelStaysFinite() {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(
        "{\"algorithm\":\"softmax-regression\",\"inputDim\":6,\"numClasses\":3,\"standardize\":true,"
            + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.1}}"));
    train(learner, 0);
    float[] huge = new float[16 * 6];
    Arrays.fill(huge, Float.MAX_VALUE / 2);
    train(learner, huge);
    float[] probabilities = new float[3];
    learner.predictProba(DATA.x(), 0, probabilities);
    for (float p : probabilities) {
      assertThat(p).isBetween(0f, 1f);
    }
    assertThat(learner.steps()).isEqualTo(2);
  }

  private static void train(OnlineLearner learner, int from) {
    train(learner, Arrays.copyOfRange(DATA.x(), from * 6, (from + 16) * 6), from);
  }

  private static void train(OnlineLearner learner, float[] x) {
    train(learner, x, 0);
  }

  private static void train(OnlineLearner learner, float[] x, int from) {
    float[] weights = new float[16];
    Arrays.fill(weights, 1f);
    if (learner.isClassifier()) {
      learner.trainMinibatch(x, Arrays.copyOfRange(DATA.labels(), from, from + 16), weights, 16);
    } else {
      float[] targets = new float[16];
      for (int i = 0; i < 16; i++) {
        targets[i] = DATA.labels()[from + i];
      }
      learner.trainMinibatch(x, targets, weights, 16);
    }
  }
}
