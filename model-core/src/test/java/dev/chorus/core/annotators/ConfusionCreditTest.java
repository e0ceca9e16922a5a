package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** {@link ConfusionEstimates#credit}: a signed change to what a label credited its annotator's confusion rows. */
class ConfusionCreditTest {

  @Test
  void aCreditTakenBackLeavesTheRowsAsBefore() {
    ConfusionEstimates estimates = ConfusionEstimates.labelOnly(3, 2);
    estimates.mStep(0, 1, new float[] {0.2f, 0.7f, 0.1f});
    double[][] before = estimates.matrix(0);
    estimates.credit(0, 2, new float[] {0.3f, 0.5f, 0.2f});
    assertThat(estimates.matrix(0)[1][2]).isGreaterThan(before[1][2]);
    estimates.credit(0, 2, new float[] {-0.3f, -0.5f, -0.2f});
    for (int c = 0; c < 3; c++) {
      assertThat(estimates.matrix(0)[c]).containsExactly(before[c], within(1e-7));
    }
  }

  /**
   * {@link ConfusionEstimates#withdraw} of what an M-step and the class prior took, after other labels: the rows and
   * the class prior are as if that label had never come.
   */
  @Test
  void aLabelWithdrawnLeavesTheEstimatesAsWithoutIt() {
    float[] credited = {0.6f, 0.3f, 0.1f};
    float[] other = {0.1f, 0.2f, 0.7f};
    ConfusionEstimates withdrawn = ConfusionEstimates.labelOnly(3, 2);
    withdrawn.observeClass(credited);
    withdrawn.mStep(0, 0, credited);
    withdrawn.observeClass(other);
    withdrawn.mStep(0, 2, other);
    withdrawn.withdraw(0, 0, credited);
    ConfusionEstimates without = ConfusionEstimates.labelOnly(3, 2);
    without.observeClass(other);
    without.mStep(0, 2, other);
    for (int c = 0; c < 3; c++) {
      assertThat(withdrawn.matrix(0)[c]).containsExactly(without.matrix(0)[c], within(1e-7));
    }
    assertThat(withdrawn.classPrior()).containsExactly(without.classPrior(), within(1e-7));
  }

  /**
   * A withdrawal is an estimate: a row gives back no more than all it was credited on the label, so rows that took no
   * credit for it stay at the prior, and no entry goes below 0 (the train job's fuzzing met -1.3e-17 before).
   */
  @Test
  void aWithdrawalGivesBackNoMoreThanTheRowsWereCredited() {
    ConfusionEstimates estimates = new ConfusionEstimates(3, 1);
    estimates.observeClass(new float[] {1f, 0f, 0f});
    estimates.mStep(0, 0, new float[] {1f, 0f, 0f});
    estimates.withdraw(0, 0, new float[] {0.2f, 0.4f, 0.4f});
    ConfusionEstimates expected = new ConfusionEstimates(3, 1);
    expected.mStep(0, 0, new float[] {0.8f, 0f, 0f});
    for (int c = 0; c < 3; c++) {
      assertThat(estimates.matrix(0)[c]).as("row %d", c).containsExactly(expected.matrix(0)[c], within(1e-7));
      for (double p : estimates.matrix(0)[c]) {
        assertThat(p).isBetween(0.0, 1.0);
      }
    }
    for (double p : estimates.classPrior()) {
      assertThat(p).isBetween(0.0, 1.0);
    }
  }

  /** More taken back than the entry holds: the entry goes to 0, not below, and the row still sums to 1. */
  @Test
  void aCreditNeverTakesAnEntryBelowZero() {
    ConfusionEstimates estimates = ConfusionEstimates.labelOnly(3, 1);
    estimates.credit(0, 1, new float[] {-100f, -100f, -100f});
    for (double[] row : estimates.matrix(0)) {
      assertThat(row[1]).isCloseTo(0, within(1e-12));
      assertThat(row[0] + row[1] + row[2]).isCloseTo(1, within(1e-12));
      for (double p : row) {
        assertThat(p).isBetween(0.0, 1.0);
      }
    }
  }

  @Test
  void aCreditSinceTheMarkRollsBack() {
    ConfusionEstimates estimates = ConfusionEstimates.labelOnly(3, 2);
    estimates.mStep(1, 0, new float[] {0.6f, 0.3f, 0.1f});
    double[] before = estimates.confusions().clone();
    estimates.mark();
    estimates.credit(1, 0, new float[] {0.1f, -0.05f, -0.05f});
    assertThat(estimates.confusions()).isNotEqualTo(before);
    estimates.rollback();
    assertThat(estimates.confusions()).isEqualTo(before);
  }
}
