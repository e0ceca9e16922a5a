package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.optim.AdamSpec;
import java.util.List;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * States saved by earlier builds must keep loading and predicting the same. Each {@code online-learner-vN.bin}
 * resource is frozen once written; a new format version adds a new file instead of replacing one.
 *
 * <p>{@code online-learner-v1.bin}: softmax regression, inputDim 4, 3 classes, batch 8, Adam(0.05), l2 0.01,
 * seed 5, standardised, trained on 3 minibatches where example {@code i} has label {@code i % 3} and feature
 * {@code f = sin(3i + f)·(f + 1) + label}. Its sizes are below the BLAS small-operation thresholds, so the
 * numbers do not depend on the backend.
 *
 * <p>{@code online-learner-v2.bin}: an mlp, inputDim 4, 3 classes, one hidden layer of 6 ReLU units with batch
 * norm (before the activation) and dropout 0.25, batch 8, Adam(0.05), l2 0.01, seed 5, standardised, trained
 * on the same 3 minibatches as v1 and probed with the first three training examples. Its sizes are below the
 * thresholds too.
 */
class SavedStateCompatibilityTest {

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = SavedStateCompatibilityTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return in.readAllBytes();
    }
  }

  @Test
  void formatVersion1StillLoadsAndPredictsTheSame() throws IOException {
    byte[] saved = resource("online-learner-v1.bin");
    OnlineLearner learner = OnlineLearner.fromBytes(saved);

    assertThat(learner.spec()).isEqualTo(ModelSpec.softmaxRegression(4, 3).withBatchSize(8)
        .withOptimizer(AdamSpec.withLearningRate(0.05)).withL2(0.01).withSeed(5));
    assertThat(learner.steps()).isEqualTo(3);
    assertThat(learner.examplesSeen()).isEqualTo(24);
    float[][] expected = {
        {0.4471004f, 0.32289207f, 0.23000753f},
        {0.32870644f, 0.40544498f, 0.26584858f},
        {0.2284065f, 0.48117548f, 0.29041803f}};
    int[] expectedClass = {0, 1, 1};
    float[] p = new float[3];
    for (int k = 0; k < 3; k++) {
      float[] probe = {k, -k, 0.5f * k, 1};
      learner.predictProba(probe, 0, p);
      assertThat(p).as("probe %d", k).containsExactly(expected[k], within(1e-6f));
      assertThat(learner.predict(probe, 0)).isEqualTo(expectedClass[k]);
    }
    if (OnlineLearner.FORMAT_VERSION == 1) {
      assertThat(learner.toBytes()).as("the current writer still writes format 1 byte for byte").isEqualTo(saved);
    }
  }

  @Test
  void formatVersion2MlpWithBatchNormAndDropoutLoadsAndPredictsTheSame() throws IOException {
    byte[] saved = resource("online-learner-v2.bin");
    OnlineLearner learner = OnlineLearner.fromBytes(saved);

    assertThat(learner.spec()).isEqualTo(ModelSpec.mlp(4, 3,
            List.of(HiddenLayerSpec.of(6, ActivationFunction.RELU).withBatchNorm().withDropout(0.25)))
        .withBatchSize(8).withOptimizer(AdamSpec.withLearningRate(0.05)).withL2(0.01).withSeed(5));
    assertThat(learner.steps()).isEqualTo(3);
    assertThat(learner.examplesSeen()).isEqualTo(24);
    float[][] expected = {
        {0.50146884f, 0.2715946f, 0.22693653f},
        {0.33942506f, 0.32207754f, 0.3384974f},
        {0.16823468f, 0.7055585f, 0.12620682f}};
    int[] expectedClass = {0, 0, 1};
    float[] p = new float[3];
    for (int k = 0; k < 3; k++) {
      float[] probe = new float[4];
      for (int f = 0; f < 4; f++) {
        probe[f] = (float) (Math.sin(3 * k + f) * (f + 1) + k);
      }
      learner.predictProba(probe, 0, p);
      assertThat(p).as("probe %d", k).containsExactly(expected[k], within(1e-6f));
      assertThat(learner.predict(probe, 0)).isEqualTo(expectedClass[k]);
    }
    if (OnlineLearner.FORMAT_VERSION == 2) {
      assertThat(learner.toBytes()).as("the current writer still writes format 2 byte for byte").isEqualTo(saved);
    }
  }
}
