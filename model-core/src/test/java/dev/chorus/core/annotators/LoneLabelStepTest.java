package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** {@link ConfusionEstimates#loneLabelStep}: a lone label's one-coin step. */
class LoneLabelStepTest {

  private static final int K = 4;

  private static ConfusionEstimates estimates() {
    return new ConfusionEstimates(K, 2, 0.8, ConfusionEstimates.DEFAULT_PRIOR_COUNT, ConfusionEstimates.DEFAULT_MIN_STEP);
  }

  @Test
  void theDiagonalRisesTowardsTheLabelsPosteriorAndTheRestOfTheRowStaysEven() {
    ConfusionEstimates estimates = estimates();
    estimates.loneLabelStep(0, 2, 1.0, 0.5);
    double[][] confusion = estimates.matrix(0);
    assertThat(confusion[2][2]).isCloseTo(0.9, within(1e-12));
    assertThat(confusion[2]).containsExactly(new double[] {0.1 / 3, 0.1 / 3, 0.9, 0.1 / 3}, within(1e-12));
    assertThat(confusion[0][0]).as("another row").isEqualTo(0.8);
    assertThat(estimates.matrix(1)[2][2]).as("another annotator").isEqualTo(0.8);
  }

  @Test
  void itFollowsTheEvidenceBelowThePriorDiagonal() {
    ConfusionEstimates estimates = estimates();
    estimates.loneLabelStep(0, 1, 0.2, 0.5);
    assertThat(estimates.matrix(0)[1][1]).isCloseTo(0.5, within(1e-12));
    for (int i = 0; i < 40; i++) {
      estimates.loneLabelStep(0, 1, 0.2, 0.5);
    }
    assertThat(estimates.matrix(0)[1][1]).isCloseTo(0.2, within(1e-9));
    assertThat(estimates.matrix(0)[1][0]).isCloseTo(0.8 / 3, within(1e-9));
  }

  @Test
  void aRowThatAnMStepShapedIsLeftToMSteps() {
    ConfusionEstimates estimates = estimates();
    estimates.mStep(0, 3, new float[] {0, 0, 0.5f, 0.5f});
    double[] before = estimates.matrix(0)[3].clone();
    estimates.loneLabelStep(0, 3, 1.0, 0.5);
    assertThat(estimates.matrix(0)[3]).containsExactly(before);
  }

  @Test
  void rollbackUndoesIt() {
    ConfusionEstimates estimates = estimates();
    estimates.mark();
    estimates.loneLabelStep(0, 0, 1.0, 0.5);
    assertThat(estimates.matrix(0)[0][0]).isGreaterThan(0.8);
    estimates.rollback();
    assertThat(estimates.matrix(0)[0][0]).isEqualTo(0.8);
  }
}
