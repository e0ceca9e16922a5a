package dev.chorus.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RegressionMetricsTest {

  // Errors ŷ − y: −0.5, 0.5, 0, 1.
  private static final double[] PREDICTED = {2.5, 0.0, 2, 8};
  private static final double[] ACTUAL = {3, -0.5, 2, 7};

  @Test
  void mseAndMaeOfHandComputedErrors() {
    // (0.25 + 0.25 + 0 + 1) / 4 and (0.5 + 0.5 + 0 + 1) / 4
    assertThat(RegressionMetrics.mse(PREDICTED, ACTUAL)).isEqualTo(0.375);
    assertThat(RegressionMetrics.mae(PREDICTED, ACTUAL)).isEqualTo(0.5);
  }

  @Test
  void r2ComparesResidualsWithTheSpreadAroundTheMean() {
    // ȳ = 11.5 / 4 = 2.875; Σ(y − ȳ)² = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875;
    // Σ(y − ŷ)² = 1.5; R² = 1 − 1.5 / 29.1875.
    assertThat(RegressionMetrics.r2(PREDICTED, ACTUAL)).isCloseTo(1 - 1.5 / 29.1875, within(1e-12));
    assertThat(RegressionMetrics.r2(ACTUAL, ACTUAL)).isEqualTo(1.0);
    // Always predicting the mean scores 0; worse than that is negative.
    assertThat(RegressionMetrics.r2(new double[] {2.875, 2.875, 2.875, 2.875}, ACTUAL)).isCloseTo(0, within(1e-12));
    assertThat(RegressionMetrics.r2(new double[] {0, 0, 0, 0}, ACTUAL)).isNegative();
  }

  @Test
  void r2OfConstantTargetsIsOneWhenPerfectElseZero() {
    assertThat(RegressionMetrics.r2(new double[] {1, 1}, new double[] {1, 1})).isEqualTo(1.0);
    assertThat(RegressionMetrics.r2(new double[] {1, 2}, new double[] {1, 1})).isEqualTo(0.0);
  }

  @Test
  void rejectsMismatchedEmptyOrNonFiniteInput() {
    assertThatIllegalArgumentException().isThrownBy(() -> RegressionMetrics.mse(new double[1], new double[2]))
        .withMessage("mse: predicted has 1 values, actual has 2; expected equal lengths");
    assertThatIllegalArgumentException().isThrownBy(() -> RegressionMetrics.mae(new double[0], new double[0]))
        .withMessage("mae: expected at least one value, got none");
    assertThatIllegalArgumentException().isThrownBy(() -> RegressionMetrics.r2(new double[] {Double.NaN}, new double[] {1}))
        .withMessage("r2: expected finite values, got predicted=NaN, actual=1.0 at index 0");
  }
}
