package dev.chorus.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import org.junit.jupiter.api.Test;

/**
 * Training runs in float32: a hyperparameter accepted in double must not turn into a weight that is not finite once
 * rounded, nor a schedule's rate decayed past float32's range.
 */
class Float32BoundsTest {

  static final String SOFTMAX = "{\"algorithm\":\"softmax-regression\",\"inputDim\":2,\"numClasses\":2,"
      + "\"standardize\":false,";

  @Test
  void decaysThatRoundToOneAndEpsilonsThatRoundToZeroAreRefusedNamingTheBound() {
    assertThatThrownBy(() -> new AdamSpec(0.01, 0.9, 0.99999999, 1e-8))
        .hasMessage("adam beta2 must be below 1 in float32, in which training runs (at most 0.99999994), got "
            + "0.99999999");
    assertThatThrownBy(() -> new AdamSpec(0.01, 0.99999999, 0.999, 1e-8)).hasMessageStartingWith("adam beta1 ");
    assertThatThrownBy(() -> new AdamSpec(0.01, 0.9, 0.999, 1e-50))
        .hasMessage("adam epsilon must be at least 1.17549435E-38, float32's smallest normal number (training runs "
            + "in float32), got 1.0E-50");
    assertThatThrownBy(() -> new RmsPropSpec(0.01, 0.999999999, 1e-8)).hasMessageStartingWith("rmsprop rho ");
    assertThatThrownBy(() -> new RmsPropSpec(0.01, 0.9, 1e-40)).hasMessageStartingWith("rmsprop epsilon ");
    assertThatThrownBy(() -> new AdaGradSpec(0.01, 1e-45)).hasMessageStartingWith("adagrad epsilon ");
    assertThatThrownBy(() -> new MomentumSpec(0.01, 0.999999999, false)).hasMessageStartingWith("momentum momentum ");
    // The largest below 1 and the smallest normal are fine.
    new AdamSpec(0.01, Math.nextDown(1f), Math.nextDown(1f), Float.MIN_NORMAL);
  }

  @Test
  void adamWithTheLargestDecayAcceptedTrainsFiniteWeights() {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(SOFTMAX
        + "\"optimizer\":{\"type\":\"adam\",\"beta1\":0.99999994,\"beta2\":0.99999994}}"));
    for (int i = 0; i < 5; i++) {
      learner.trainMinibatch(new float[] {1, 2}, new int[] {i % 2}, null, 1);
    }
    assertThat(learner.firstNonFinite()).isNull();
  }

  @Test
  void ftrlWhoseScheduleHasDecayedPastFloat32KeepsItsWeights() {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(SOFTMAX
        + "\"optimizer\":{\"type\":\"ftrl\",\"alpha\":0.1},\"schedule\":{\"type\":\"exponential\",\"gamma\":0.5}}"));
    float[] probe = {0.5f, -1f, 2f, 1f};
    float[] before = new float[4];
    float[] after = new float[4];
    for (int i = 0; i < 200; i++) {
      learner.trainMinibatch(new float[] {1, 2}, new int[] {i % 2}, null, 1);
      if (i == 160) {
        learner.predictProbaBatch(probe, 2, before);
      }
    }
    assertThat(learner.firstNonFinite()).isNull();
    learner.predictProbaBatch(probe, 2, after);
    assertThat(after).as("a rate of 0 moves nothing").containsExactly(before);
  }

  @Test
  void anFtrlStepAtRateZeroChangesNoState() {
    FtrlSpec spec = new FtrlSpec(0.1, 1, 0, 0);
    float[] w = {0.25f};
    float[] z = {-3f};
    float[] n = {4f};
    Ftrl.update(w, z, n, 0, 0f, 0.0, spec);
    Ftrl.update(w, z, n, 0, 1.5f, 0.0, spec);
    assertThat(w[0]).isEqualTo(0.25f);
    assertThat(z[0]).isEqualTo(-3f);
    assertThat(n[0]).isEqualTo(4f);
  }
}
