package dev.chorus.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ConfusionMatrixTest {

  private static final double EXACT = 1e-12;

  /**
   * Ten examples over three classes. Rows are true classes, columns predictions:
   * <pre>
   *            pred 0  pred 1  pred 2
   *   true 0      3       1       0
   *   true 1      1       1       0
   *   true 2      1       0       3
   * </pre>
   * class 0: TP 3, FP 1+1 = 2, FN 1, TN 10−6 = 4 → P 3/5, R 3/4, specificity 4/6, F1 6/9
   * class 1: TP 1, FP 1, FN 1, TN 7 → P 1/2, R 1/2, specificity 7/8, F1 2/4
   * class 2: TP 3, FP 0, FN 1, TN 6 → P 1, R 3/4, specificity 6/6, F1 6/7
   */
  private static ConfusionMatrix threeClasses() {
    int[] actual = {0, 0, 0, 1, 1, 2, 2, 2, 2, 0};
    int[] predicted = {0, 1, 0, 1, 0, 2, 2, 0, 2, 0};
    return ConfusionMatrix.of(predicted, actual, 3);
  }

  @Test
  void countsRowsAsTrueClassesAndColumnsAsPredictions() {
    ConfusionMatrix m = threeClasses();
    assertThat(m.counts()).containsExactly(3, 1, 0, 1, 1, 0, 1, 0, 3);
    assertThat(m.count(0, 1)).isEqualTo(1);
    assertThat(m.count(1, 0)).isEqualTo(1);
    assertThat(m.total()).isEqualTo(10);
    assertThat(m.truePositives(0)).isEqualTo(3);
    assertThat(m.falsePositives(0)).isEqualTo(2);
    assertThat(m.falseNegatives(0)).isEqualTo(1);
    assertThat(m.trueNegatives(0)).isEqualTo(4);
  }

  @Test
  void perClassAndMacroMetricsMatchHandComputedValues() {
    ConfusionMatrix m = threeClasses();
    assertThat(m.accuracy()).isCloseTo(0.7, within(EXACT));
    assertThat(new double[] {m.precision(0), m.precision(1), m.precision(2)}).containsExactly(0.6, 0.5, 1.0);
    assertThat(new double[] {m.recall(0), m.recall(1), m.recall(2)}).containsExactly(0.75, 0.5, 0.75);
    assertThat(m.specificity(0)).isCloseTo(4.0 / 6, within(EXACT));
    assertThat(m.specificity(1)).isCloseTo(7.0 / 8, within(EXACT));
    assertThat(m.specificity(2)).isEqualTo(1.0);
    assertThat(m.f1(0)).isCloseTo(6.0 / 9, within(EXACT));
    assertThat(m.f1(1)).isCloseTo(0.5, within(EXACT));
    assertThat(m.f1(2)).isCloseTo(6.0 / 7, within(EXACT));
    // (0.6 + 0.5 + 1) / 3, (0.75 + 0.5 + 0.75) / 3, (2/3 + 7/8 + 1) / 3 = 61/72, (2/3 + 1/2 + 6/7) / 3 = 85/126
    assertThat(m.macroPrecision()).isCloseTo(0.7, within(EXACT));
    assertThat(m.macroRecall()).isCloseTo(2.0 / 3, within(EXACT));
    assertThat(m.macroSpecificity()).isCloseTo(61.0 / 72, within(EXACT));
    assertThat(m.macroF1()).isCloseTo(85.0 / 126, within(EXACT));
  }

  /**
   * Four classes; class 2 occurs twice but is never predicted, class 3 never occurs at all:
   * <pre>
   *   true 0: [1 0 0 0]   true 1: [0 1 0 0]   true 2: [1 1 0 0]   true 3: [0 0 0 0]
   * </pre>
   * class 2: TP 0 and TP + FP = 0, so its precision is 0 by convention; recall 0/2; F1 0/(0+0+2) = 0;
   * specificity TN/(TN+FP) = 2/2. Class 3 is absent, so the macro averages run over classes 0, 1, 2:
   * P (1/2 + 1/2 + 0)/3 = 1/3, R (1 + 1 + 0)/3 = 2/3, F1 (2/3 + 2/3 + 0)/3 = 4/9, as scikit-learn with
   * zero_division=0.
   */
  @Test
  void classNeverPredictedHasPrecisionZeroAndAbsentClassesStayOutOfMacroAverages() {
    ConfusionMatrix m = ConfusionMatrix.of(new int[] {0, 1, 1, 0}, new int[] {0, 1, 2, 2}, 4);
    assertThat(m.precision(2)).isZero();
    assertThat(m.recall(2)).isZero();
    assertThat(m.f1(2)).isZero();
    assertThat(m.specificity(2)).isEqualTo(1.0);
    assertThat(m.precision(3)).isZero();
    assertThat(m.recall(3)).isZero();
    assertThat(m.macroPrecision()).isCloseTo(1.0 / 3, within(EXACT));
    assertThat(m.macroRecall()).isCloseTo(2.0 / 3, within(EXACT));
    assertThat(m.macroF1()).isCloseTo(4.0 / 9, within(EXACT));
  }

  @Test
  void specificityIsZeroWhenEveryExampleIsOfThatClassAndEmptyMatrixIsNaN() {
    // Both examples are class 0: TN = 0 and FP = 0 for class 0.
    ConfusionMatrix allZero = ConfusionMatrix.of(new int[] {0, 1}, new int[] {0, 0}, 2);
    assertThat(allZero.specificity(0)).isZero();
    ConfusionMatrix empty = new ConfusionMatrix(3);
    assertThat(empty.accuracy()).isNaN();
    assertThat(empty.precision(0)).isNaN();
    assertThat(empty.macroF1()).isNaN();
  }

  /**
   * Weighted counts (predicted 0 for an actual 0 and an actual 1): TN is summed from its cells, so it is exactly 0
   * where none holds a count, not the rounding of total − TP − FP − FN (2.8e-17 here), and specificity is 0, not 1.
   */
  @Test
  void trueNegativesAreExactlyZeroWhereNoCellHoldsAny() {
    ConfusionMatrix weighted = new ConfusionMatrix(2);
    weighted.add(0, 0, 0.1);
    weighted.add(0, 1, 0.2);
    assertThat(weighted.trueNegatives(0)).isZero();
    assertThat(weighted.specificity(0)).isZero();
    weighted.add(1, 1, 0.3);
    assertThat(weighted.trueNegatives(0)).isEqualTo(0.3);
    assertThat(weighted.trueNegatives(1)).isEqualTo(0.1);
  }

  @Test
  void weightsAndCopiesAreIndependent() {
    ConfusionMatrix m = new ConfusionMatrix(2);
    m.add(1, 1, 2.5);
    m.add(0, 1, 0.5);
    ConfusionMatrix copy = m.copy();
    copy.add(0, 0);
    assertThat(m.total()).isEqualTo(3.0);
    assertThat(m.recall(1)).isCloseTo(2.5 / 3, within(EXACT));
    assertThat(copy.total()).isEqualTo(4.0);
    assertThat(ConfusionMatrix.ofCounts(2, m.counts()).counts()).containsExactly(m.counts());
  }

  @Test
  void rejectsBadClassesWeightsAndShapes() {
    ConfusionMatrix m = new ConfusionMatrix(3);
    assertThatIllegalArgumentException().isThrownBy(() -> m.add(3, 0))
        .withMessage("ConfusionMatrix: predicted class must be in [0, 3), got 3");
    assertThatIllegalArgumentException().isThrownBy(() -> m.add(0, -1))
        .withMessage("ConfusionMatrix: actual class must be in [0, 3), got -1");
    assertThatIllegalArgumentException().isThrownBy(() -> m.add(0, 0, Double.NaN))
        .withMessage("ConfusionMatrix.add: weight must be finite and >= 0, got NaN");
    assertThatIllegalArgumentException().isThrownBy(() -> ConfusionMatrix.ofCounts(2, 1, 2, 3))
        .withMessage("ConfusionMatrix.ofCounts: expected 2 × 2 = 4 counts, got 3");
    assertThatIllegalArgumentException().isThrownBy(() -> ConfusionMatrix.of(new int[2], new int[3], 2))
        .withMessage("ConfusionMatrix.of: predicted has 2 labels, actual has 3; expected equal lengths");
    assertThatIllegalArgumentException().isThrownBy(() -> new ConfusionMatrix(1))
        .withMessage("ConfusionMatrix: numClasses must be >= 2, got 1");
  }

  /**
   * Faded counts with a minimum presence: a class counts in the macro averages when TP + FP + FN is at least the
   * minimum; the copy keeps it; with no class present the averages are NaN; a minimum that is not a weight is refused.
   */
  @Test
  void fadedCountsCountOnlyClassesPresentAtTheMinimum() {
    // Class 0: TP 2, FN 1, FP 0.25; class 1: TP 1, FP 1; class 2: FN 0.25 (its true class, predicted as 0).
    double[] counts = {2, 1, 0, 0, 1, 0, 0.25, 0, 0};
    ConfusionMatrix m = ConfusionMatrix.ofFadedCounts(3, 0.5, counts);
    assertThat(m.presence(2)).isEqualTo(0.25);
    assertThat(m.present(2)).isFalse();
    assertThat(m.macroRecall()).isCloseTo((2.0 / 3 + 1) / 2, within(EXACT));
    assertThat(m.copy().macroRecall()).isEqualTo(m.macroRecall());
    assertThat(ConfusionMatrix.ofCounts(3, counts).macroRecall()).as("any weight above 0 is present")
        .isCloseTo((2.0 / 3 + 1 + 0) / 3, within(EXACT));
    assertThat(ConfusionMatrix.ofFadedCounts(3, 10, counts).macroF1()).as("no class present").isNaN();
    assertThat(ConfusionMatrix.ofFadedCounts(3, 10, counts).accuracy()).isCloseTo(3 / 4.25, within(EXACT));
    assertThatIllegalArgumentException().isThrownBy(() -> ConfusionMatrix.ofFadedCounts(3, Double.NaN, counts))
        .withMessage("ConfusionMatrix.ofFadedCounts: minimumPresence must be finite and >= 0, got NaN");
  }
}
