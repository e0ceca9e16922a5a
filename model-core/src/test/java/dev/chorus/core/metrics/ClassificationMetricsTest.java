package dev.chorus.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {

  private static final double EXACT = 1e-12;

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

  @Test
  void logLossIsTheMeanNegativeLogProbabilityOfTheTrueClass() {
    float[] probabilities = {0.7f, 0.2f, 0.1f, 0.2f, 0.5f, 0.3f};
    // (−ln 0.7 − ln 0.3) / 2, with the float roundings of 0.7 and 0.3
    double expected = (-Math.log(0.7f) - Math.log(0.3f)) / 2;
    assertThat(ClassificationMetrics.logLoss(probabilities, new int[] {0, 2}, 3)).isCloseTo(expected, within(EXACT));
    assertThat(expected).isCloseTo(0.7803238741323343, within(1e-7));
  }

  @Test
  void logLossClipsCertainProbabilities() {
    // p = 0 costs −ln(1e-15) instead of infinity; p = 1 costs −ln(1 − 1e-15), not exactly 0.
    float[] probabilities = {0f, 1f};
    assertThat(ClassificationMetrics.exampleLogLoss(probabilities, 0, 2, 0)).isCloseTo(34.538776394910684, within(1e-12));
    assertThat(ClassificationMetrics.exampleLogLoss(probabilities, 0, 2, 1)).isEqualTo(-Math.log(1 - 1e-15)).isPositive();
    assertThatIllegalArgumentException().isThrownBy(() -> ClassificationMetrics.logLoss(probabilities, new int[] {2}, 2))
        .withMessage("logLoss: actual class must be in [0, 2), got 2");
    assertThatIllegalArgumentException().isThrownBy(() -> ClassificationMetrics.logLoss(probabilities, new int[] {0, 1}, 2))
        .withMessage("logLoss: probabilities must hold 2 × 2 = 4 floats (one row per label), got 2");
  }

  @Test
  void topKLogLossReadsATopClassAndSpreadsTheRestOverTheClassesOutside() {
    int[] classes = {7, 2, 9};
    float[] top = {0.5f, 0.25f, 0.125f}; // exact in float: the rest is exactly 0.125
    assertThat(ClassificationMetrics.exampleTopKLogLoss(classes, top, 1000, 2)).isEqualTo(-Math.log(0.25));
    // 0.125 over the 997 classes outside the top 3
    assertThat(ClassificationMetrics.exampleTopKLogLoss(classes, top, 1000, 0))
        .isCloseTo(Math.log(997 * 8.0), within(EXACT)).isCloseTo(8.98419, within(1e-5));
    // At 10 classes, 7 outside: 0.125 / 7 each, below the third's 0.125.
    assertThat(ClassificationMetrics.exampleTopKLogLoss(classes, top, 10, 0)).isCloseTo(Math.log(7 * 8.0), within(EXACT));
    assertThat(ClassificationMetrics.exampleTopKLogLoss(new int[] {1, 0}, new float[] {0.5f, 0.5f}, 4, 3))
        .as("nothing left: clipped").isCloseTo(34.538776394910684, within(1e-12));
    assertThat(ClassificationMetrics.exampleTopKLogLoss(new int[] {1, 0}, new float[] {0.75f, 0.3f}, 4, 3))
        .as("rounding past 1 leaves nothing, not less").isCloseTo(34.538776394910684, within(1e-12));
    assertThatIllegalArgumentException().isThrownBy(() -> ClassificationMetrics.exampleTopKLogLoss(classes, top, 1000, 1000))
        .withMessage("logLoss: actual class must be in [0, 1000), got 1000");
    assertThatIllegalArgumentException().isThrownBy(() -> ClassificationMetrics.exampleTopKLogLoss(new int[] {1, 1},
        new float[] {0.5f, 0.5f}, 2, 0))
        .withMessage("logLoss: actual class 0 is not among the top 2 of 2 classes, and no class is outside them");
    assertThatIllegalArgumentException().isThrownBy(() -> ClassificationMetrics.exampleTopKLogLoss(classes,
        new float[] {0.5f}, 1000, 7)).withMessage("logLoss: expected a probability for each of the 3 top classes, got 1");
    assertThatIllegalArgumentException().isThrownBy(() -> ClassificationMetrics.exampleTopKLogLoss(classes,
        new float[] {0.5f, Float.NaN, 0.1f}, 1000, 2)).withMessage("logLoss: probability of class 2 at rank 1 is NaN");
    assertThatIllegalArgumentException().isThrownBy(() -> ClassificationMetrics.exampleTopKLogLoss(classes,
        new float[] {0.5f, Float.NaN, 0.1f}, 1000, 0)).withMessage("logLoss: the top 3 probabilities sum to NaN");
  }

  @Test
  void rocAucOfTheTextbookExample() {
    // Positives score 0.35 and 0.8, negatives 0.1 and 0.4: of the 4 pairs only (0.35, 0.4) is misordered.
    assertThat(ClassificationMetrics.rocAuc(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true}))
        .isEqualTo(0.75);
  }

  @Test
  void rocAucCountsTiesAsHalf() {
    // Positives 0.5, 0.9, 0.5; negatives 0.5, 0.2. Pairs: 0.5 vs (0.5, 0.2) = ½ + 1, 0.9 = 2, 0.5 = ½ + 1;
    // U = 5 of 3·2 = 6 pairs. By ranks: 0.2→1, the three 0.5s share (2+3+4)/3 = 3, 0.9→5;
    // R₊ = 3 + 5 + 3 = 11, U = 11 − 3·4/2 = 5.
    double[] scores = {0.5, 0.5, 0.2, 0.9, 0.5};
    boolean[] positive = {true, false, false, true, true};
    assertThat(ClassificationMetrics.rocAuc(scores, positive)).isCloseTo(5.0 / 6, within(EXACT));
    // Every score equal: nothing is ranked, AUC is ½.
    assertThat(ClassificationMetrics.rocAuc(new double[] {1, 1, 1}, new boolean[] {true, false, true})).isEqualTo(0.5);
  }

  @Test
  void rocAucMatchesABruteForcePairCountWithManyTies() {
    SplittableRandom random = new SplittableRandom(11);
    for (int trial = 0; trial < 50; trial++) {
      int n = 2 + random.nextInt(200);
      double[] scores = new double[n];
      boolean[] positive = new boolean[n];
      // Scores from a handful of levels so that ties are frequent; at least one of each class.
      for (int i = 0; i < n; i++) {
        scores[i] = random.nextInt(1 + trial % 7) / 4.0;
        positive[i] = i == 0 || (i != 1 && random.nextBoolean());
      }
      double pairs = 0;
      double wins = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          if (positive[i] && !positive[j]) {
            pairs++;
            wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
          }
        }
      }
      assertThat(ClassificationMetrics.rocAuc(scores, positive)).as("trial %d", trial).isCloseTo(wins / pairs, within(EXACT));
    }
  }

  @Test
  void rocAucRejectsOneClassAndNaN() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ClassificationMetrics.rocAuc(new double[] {0.1, 0.2}, new boolean[] {true, true}))
        .withMessage("rocAuc: needs at least one positive and one negative example, got 2 positive and 0 negative");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ClassificationMetrics.rocAuc(new double[] {0.1, Double.NaN}, new boolean[] {true, false}))
        .withMessage("rocAuc: score of example 1 is NaN");
  }

  @Test
  void oneVsRestAucIsTheMeanOfPerClassAucs() {
    float[] probabilities = {
        0.7f, 0.2f, 0.1f,
        0.2f, 0.5f, 0.3f,
        0.1f, 0.3f, 0.6f,
        0.3f, 0.25f, 0.45f};
    int[] actual = {0, 1, 2, 1};
    // class 0: 0.7 above 0.2, 0.1, 0.3 → 1; class 1: positives 0.5, 0.25 vs negatives 0.2, 0.3 → 3/4;
    // class 2: 0.6 above 0.1, 0.3, 0.45 → 1. Mean 11/12 (scikit-learn's multi_class="ovr" agrees).
    assertThat(ClassificationMetrics.rocAucOneVsRest(probabilities, actual, 3)).isCloseTo(11.0 / 12, within(EXACT));
    // Class 2 never occurs in the first two rows: it has no AUC and is left out; classes 0 and 1 are perfect.
    float[] firstTwo = Arrays.copyOf(probabilities, 6);
    assertThat(ClassificationMetrics.rocAucOneVsRest(firstTwo, new int[] {0, 1}, 3)).isEqualTo(1.0);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ClassificationMetrics.rocAucOneVsRest(new float[] {0.5f, 0.5f}, new int[] {1}, 2))
        .withMessage("rocAucOneVsRest: no class has both positive and negative examples among 1 examples");
  }
}
