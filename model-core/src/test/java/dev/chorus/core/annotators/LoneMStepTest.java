package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.io.BinaryState;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * {@link ConfusionEstimates#loneMStep}: a lone label of an annotator that items with several labels have not shaped
 * keeps its confusion one-coin; {@link ConfusionEstimates#countShared} shapes it, smoothly; the counts are saved.
 */
class LoneMStepTest {

  private static final int K = 4;
  private static final float[] UNSURE = {0.1f, 0.2f, 0.6f, 0.1f};

  private static ConfusionEstimates estimates() {
    return new ConfusionEstimates(K, 3);
  }

  @Test
  void anUnshapedAnnotatorsConfusionIsOneCoinWithTheFullMStepsPooledDiagonal() {
    ConfusionEstimates lone = estimates();
    ConfusionEstimates full = estimates();
    lone.loneMStep(0, 2, UNSURE, lone.shaped(0));
    full.mStep(0, 2, UNSURE);
    double[][] fullMatrix = full.matrix(0);
    double pooled = 0;
    double held = 0;
    for (int c = 0; c < K; c++) {
      double weight = UNSURE[c] + ConfusionEstimates.DEFAULT_PRIOR_COUNT;
      pooled += weight * fullMatrix[c][c];
      held += weight;
    }
    pooled /= held;
    double[][] confusion = lone.matrix(0);
    for (int c = 0; c < K; c++) {
      for (int j = 0; j < K; j++) {
        assertThat(confusion[c][j]).as("entry %d,%d", c, j)
            .isCloseTo(c == j ? pooled : (1 - pooled) / (K - 1), within(1e-12));
      }
    }
    // The full M-step put row 0's error on the label: the classifier's doubt booked as a preference for class 2.
    assertThat(fullMatrix[0][2]).isGreaterThan(fullMatrix[0][1] + 0.01);
  }

  @Test
  void aShapedAnnotatorTakesTheFullMStep() {
    ConfusionEstimates lone = estimates();
    ConfusionEstimates full = estimates();
    for (int i = 0; i < ConfusionEstimates.SHAPING_LABELS; i++) {
      assertThat(lone.shaped(0)).isLessThan(1);
      lone.countShared(0);
    }
    assertThat(lone.shaped(0)).isEqualTo(1);
    lone.countShared(0);
    assertThat(lone.shaped(0)).as("the count stops at SHAPING_LABELS").isEqualTo(1);
    lone.loneMStep(0, 2, UNSURE, lone.shaped(0));
    full.mStep(0, 2, UNSURE);
    assertThat(lone.confusions()).containsExactly(full.confusions());
  }

  /**
   * An annotator seen alone for a thousand labels, then on items with others: the confusion it learned is the running
   * average the full M-steps continue from, so no step moves an entry by more than its share of the row mass.
   */
  @Test
  void anAnnotatorThatStartsAloneMovesToTheFullEstimateWithoutAJump() {
    ConfusionEstimates estimates = estimates();
    for (int i = 0; i < 1000; i++) {
      estimates.loneMStep(0, i % K, UNSURE, estimates.shaped(0));
    }
    double largest = 0;
    for (int i = 0; i < 2 * ConfusionEstimates.SHAPING_LABELS; i++) {
      double[] before = estimates.confusions().clone();
      estimates.countShared(0);
      estimates.loneMStep(0, 1, UNSURE, estimates.shaped(0));
      for (int e = 0; e < K * K; e++) {
        largest = Math.max(largest, Math.abs(estimates.confusions()[e] - before[e]));
      }
    }
    assertThat(estimates.shaped(0)).isEqualTo(1);
    // Row masses of about 250 per row: a step moves an entry by about 1/250 of its distance, the blend by 1/10 of it.
    assertThat(largest).as("largest change of an entry in one step").isLessThan(0.01);
  }

  @Test
  void rollbackCopyAndResetKeepTheCountsWithTheirSlot() {
    ConfusionEstimates estimates = estimates();
    estimates.countShared(1);
    estimates.mark();
    estimates.countShared(1);
    estimates.countShared(2);
    ConfusionEstimates copy = estimates.copy();
    estimates.rollback();
    assertThat(estimates.shaped(1)).isEqualTo(1 / ConfusionEstimates.SHAPING_LABELS);
    assertThat(estimates.shaped(2)).isZero();
    assertThat(copy.shaped(1)).isEqualTo(2 / ConfusionEstimates.SHAPING_LABELS);
    copy.reset(1);
    assertThat(copy.shaped(1)).as("a slot given to a new annotator").isZero();
  }

  @Test
  void theCountsAreSavedAndFormatsBeforeFiveReadAnnotatorsWithAnMStepAsShaped() throws IOException {
    ConfusionEstimates estimates = estimates();
    estimates.countShared(0);
    estimates.mStep(1, 0, UNSURE);
    byte[] counts = BinaryState.toBytes(estimates::writeSharedLabels);

    ConfusionEstimates read = estimates();
    read.readSharedLabels(new BinaryState.Bytes(counts), 5);
    assertThat(read.shaped(0)).isEqualTo(1 / ConfusionEstimates.SHAPING_LABELS);
    assertThat(read.shaped(1)).isZero();

    ConfusionEstimates old = ConfusionEstimates.readFrom(new BinaryState.Bytes(BinaryState.toBytes(estimates::writeTo)));
    old.readSharedLabels(new BinaryState.Bytes(new byte[0]), 4);
    assertThat(old.shaped(0)).as("no M-step yet: a new annotator").isZero();
    assertThat(old.shaped(1)).as("an M-step taken: shaped, so it learns as it did").isEqualTo(1);
    assertThat(old.shaped(2)).isZero();
  }

  @Test
  void aCountOutsideItsRangeIsRefused() {
    byte[] bad = BinaryState.toBytes(out -> BinaryState.writeDoubles(out, new double[] {0, 11, 0}));
    assertThatThrownBy(() -> estimates().readSharedLabels(new BinaryState.Bytes(bad), 5))
        .isInstanceOf(IOException.class)
        .hasMessage("confusion estimates: expected shared label counts in [0, 10.0], stream has 11.0");
  }
}
