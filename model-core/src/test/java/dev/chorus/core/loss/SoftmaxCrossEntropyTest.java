package dev.chorus.core.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SoftmaxCrossEntropyTest {

  private final SoftmaxCrossEntropy loss = SoftmaxCrossEntropy.INSTANCE;

  @Test
  void handComputedWeightedLossAndGradient() {
    // Row 1: logits (1, 2, 3), label 0: loss = log(e + e² + e³) − 1 = 2.4076059644...
    //   softmax = (0.0900305732, 0.2447284711, 0.6652409558).
    // Row 2: logits (0, 0, 0), label 2: loss = log 3 = 1.0986122887...
    // Weights 1 and 3: mean = (2.4076059644 + 3 × 1.0986122887) / 4 = 1.4258607076.
    float[] logits = {1, 2, 3, 0, 0, 0};
    float[] gradient = new float[6];
    double mean = loss.lossAndGradient(logits, 2, 3, new int[] {0, 2}, new float[] {1, 3}, gradient);
    assertThat(mean).isCloseTo(1.4258607076, within(1e-7));
    assertThat(gradient).containsExactly(new float[] {
        (0.0900305732f - 1) / 4, 0.2447284711f / 4, 0.6652409558f / 4,
        0.25f, 0.25f, -0.5f}, within(1e-7f));
  }

  @Test
  void unweightedMeanAndZeroTotalWeight() {
    float[] logits = {1, 2, 3, 0, 0, 0};
    float[] gradient = new float[6];
    assertThat(loss.lossAndGradient(logits, 2, 3, new int[] {0, 2}, null, gradient))
        .isCloseTo((2.4076059644 + 1.0986122887) / 2, within(1e-7));
    assertThat(loss.lossAndGradient(logits, 2, 3, new int[] {0, 2}, new float[] {0, 0}, gradient)).isZero();
    assertThat(gradient).containsOnly(0f);
  }

  @Test
  void extremeLogitsStayFiniteAndProbabilitiesSumToOne() {
    float[] logits = {1000, -1000, 0, -1000, -1000, -1000};
    float[] gradient = new float[6];
    double mean = loss.lossAndGradient(logits, 2, 3, new int[] {1, 0}, null, gradient);
    // Row 1: 1000 − (−1000) = 2000; row 2: uniform over 3 classes, log 3.
    assertThat(mean).isFinite().isCloseTo((2000 + Math.log(3)) / 2, within(1e-9));
    for (float g : gradient) {
      assertThat(g).isFinite();
    }
    for (int row = 0; row < 2; row++) {
      float[] p = new float[3];
      loss.probabilities(logits, row * 3, 3, p);
      assertThat(p[0] + p[1] + p[2]).isCloseTo(1f, within(1e-6f));
      for (float v : p) {
        assertThat(v).isFinite().isBetween(0f, 1f);
      }
    }
    float[] p = new float[3];
    loss.probabilities(logits, 0, 3, p);
    assertThat(p).containsExactly(1f, 0f, 0f);
  }
}
