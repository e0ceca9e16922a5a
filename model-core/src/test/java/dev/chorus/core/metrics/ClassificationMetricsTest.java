package dev.chorus.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {

  @Test
  void accuracyIsTheFractionOfMatches() {
    assertThat(ClassificationMetrics.accuracy(new int[] {0, 1, 2, 2}, new int[] {0, 2, 2, 1})).isEqualTo(0.5);
    assertThat(ClassificationMetrics.accuracy(new int[] {3}, new int[] {3})).isEqualTo(1.0);
  }

  @Test
  void accuracyRejectsMismatchedOrEmptyInput() {
    assertThatIllegalArgumentException().isThrownBy(() -> ClassificationMetrics.accuracy(new int[2], new int[3]))
        .withMessage("accuracy: predicted has 2 labels, actual has 3; expected equal lengths");
    assertThatIllegalArgumentException().isThrownBy(() -> ClassificationMetrics.accuracy(new int[0], new int[0]))
        .withMessage("accuracy: expected at least one label, got none");
  }
}
