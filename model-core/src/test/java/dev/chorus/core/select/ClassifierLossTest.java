package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.metrics.ClassificationMetrics;
import org.junit.jupiter.api.Test;

/** The loss model selection scores a classifier's prediction by. */
class ClassifierLossTest {

  @Test
  void aFiniteRowScoresTheLogLossOfTheTrueClassAndItsPredictedClass() {
    float[] rows = {9, 9, 0.25f, 0.75f};
    assertThat(ClassifierLoss.of(rows, 2, 2, 1, 1))
        .isEqualTo(new ClassifierLoss(-Math.log(0.75f), true));
    assertThat(ClassifierLoss.of(rows, 2, 2, 1, 0).correct()).isFalse();
    assertThat(ClassifierLoss.of(rows, 2, 2, 1, 0).logLoss()).isCloseTo(Math.log(4), within(1e-7));
  }

  @Test
  void aRowThatIsNotFiniteScoresTheWorstWhateverItsArgMaxOrTrueClass() {
    assertThat(ClassifierLoss.of(new float[] {Float.NaN, Float.NaN}, 0, 2, 0, 0)).as("a NaN row's arg max is class 0")
        .isEqualTo(ClassifierLoss.WORST);
    assertThat(ClassifierLoss.of(new float[] {Float.POSITIVE_INFINITY, 0}, 0, 2, 0, 0))
        .as("an infinite probability of the true class would clip to a perfect score").isEqualTo(ClassifierLoss.WORST);
    assertThat(ClassifierLoss.of(new float[] {0.5f, Float.NaN}, 0, 2, 0, 0)).as("any class's, not only the label's")
        .isEqualTo(ClassifierLoss.WORST);
    assertThat(ClassifierLoss.of(new float[] {0.5f, 0.5f, Float.NaN}, 0, 2, 0, 0)).as("only the row counts")
        .isEqualTo(new ClassifierLoss(Math.log(2), true));
    assertThat(ClassifierLoss.ofTopK(new int[] {3, 1}, new float[] {Float.NaN, 0.1f}, 10, 3, 3))
        .isEqualTo(ClassifierLoss.WORST);
    assertThat(ClassifierLoss.WORST.logLoss()).isEqualTo(ClassificationMetrics.WORST_LOG_LOSS)
        .isCloseTo(34.54, within(0.01));
  }

  @Test
  void aTopKPredictionScoresItsTopKLogLoss() {
    assertThat(ClassifierLoss.ofTopK(new int[] {3, 1}, new float[] {0.6f, 0.2f}, 10, 3, 7))
        .isEqualTo(new ClassifierLoss(ClassificationMetrics.exampleTopKLogLoss(new int[] {3, 1},
            new float[] {0.6f, 0.2f}, 10, 7), false));
    assertThat(ClassifierLoss.ofTopK(new int[] {3, 1}, new float[] {0.6f, 0.2f}, 10, 3, 3).correct()).isTrue();
  }
}
