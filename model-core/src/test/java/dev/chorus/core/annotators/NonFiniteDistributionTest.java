package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NonFiniteUpdateException;
import org.junit.jupiter.api.Test;

/**
 * A class distribution that is not finite (a network's forward pass that overflowed: a Doctor Net's heads over
 * finite features near float's largest value, mixed signs, under tanh) made an annotator's confusion and the class
 * prior NaN for good, and every consensus its labels weighed in: {@link ConfusionEstimates} refuses it, and the label
 * model's {@code train} rolls the minibatch back.
 */
class NonFiniteDistributionTest {

  private static final int K = 3;

  @Test
  void aNonFiniteDistributionIsRefusedAndChangesNothing() {
    ConfusionEstimates estimates = new ConfusionEstimates(K, 2, 0.8, ConfusionEstimates.DEFAULT_PRIOR_COUNT,
        ConfusionEstimates.DEFAULT_MIN_STEP);
    estimates.mStep(0, 1, new float[] {0.2f, 0.7f, 0.1f});
    estimates.observeClass(new float[] {0.2f, 0.7f, 0.1f});
    double[] confusions = estimates.confusions().clone();
    double[] prior = estimates.classPrior();

    assertThatThrownBy(() -> estimates.mStep(0, 1, new float[] {Float.NaN, 0.5f, 0.5f}))
        .isInstanceOf(NonFiniteUpdateException.class)
        .hasMessage("annotator confusion update refused: class distribution [NaN, 0.5, 0.5] is not finite");
    assertThatThrownBy(() -> estimates.observeClass(new float[] {0.5f, Float.POSITIVE_INFINITY, 0f}))
        .isInstanceOf(NonFiniteUpdateException.class);
    assertThat(estimates.confusions()).isEqualTo(confusions);
    assertThat(estimates.classPrior()).isEqualTo(prior);
  }

  @Test
  void aDoctorNetRollsBackAMinibatchWhoseHeadsOverflow() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":4,\"numClasses\":3,\"layers\":[{\"units\":6,"
        + "\"activation\":\"tanh\"}],\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.01}}");
    LabelModel model = LabelModels.create(spec, new LabelModelSpec("doctor-net", 4, 100, 8, 3));
    float[] x = new float[6 * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(i);
    }
    long[] items = {0, 1, 2, 3, 4, 5};
    String[] annotators = {"a0", "a1", "a2", "a0", "a1", "a2"};
    int[] labels = {0, 1, 2, 0, 1, 2};
    model.train(x, items, annotators, labels, 6);
    byte[] before = model.toBytes();

    float[] poisoned = x.clone();
    for (int j = 0; j < 4; j++) {
      poisoned[3 * 4 + j] = j % 2 == 0 ? Float.MAX_VALUE : -Float.MAX_VALUE;
    }
    ConfusionEstimates estimates = ((DoctorNetLabelModel) model).estimates;
    try {
      model.train(poisoned, new long[] {6, 7, 8, 9, 10, 11}, annotators, labels, 6);
    } catch (NonFiniteUpdateException rejected) {
      assertThat(model.toBytes()).as("rolled back").isEqualTo(before);
    }
    assertThat(java.util.Arrays.stream(estimates.confusions()).allMatch(Double::isFinite))
        .as("every annotator's confusion finite: %s", java.util.Arrays.toString(estimates.confusions())).isTrue();
    assertThat(java.util.Arrays.stream(estimates.classPrior()).allMatch(Double::isFinite))
        .as("the class prior finite: %s", java.util.Arrays.toString(estimates.classPrior())).isTrue();
  }
}
