package dev.chorus.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The prequential accuracy, log loss, MSE and confusion matrix: values, copies and exact state round trips. */
class PrequentialMetricsTest {

  @FunctionalInterface
  private interface Writer {
    void writeTo(DataOutput out) throws IOException;
  }

  private static byte[] bytes(Writer writer) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    writer.writeTo(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }

  private static DataInputStream in(byte[] bytes) {
    return new DataInputStream(new ByteArrayInputStream(bytes));
  }

  @Test
  void accuracySlidesOrFades() {
    PrequentialAccuracy sliding = PrequentialAccuracy.sliding(2);
    PrequentialAccuracy fading = PrequentialAccuracy.fading(0.5);
    for (int[] pair : new int[][] {{1, 1}, {0, 1}, {2, 2}}) {
      sliding.add(pair[0], pair[1]);
      fading.add(pair[0], pair[1]);
    }
    // Window of 2: wrong, right → 1/2. Fading: outcomes 1, 0, 1 → (1 + 0.25) / 1.75 = 5/7.
    assertThat(sliding.value()).isEqualTo(0.5);
    assertThat(sliding.weight()).isEqualTo(2);
    assertThat(fading.value()).isCloseTo(5.0 / 7, within(1e-15));
    assertThat(fading.weight()).isEqualTo(1.75);
  }

  @Test
  void accuracyStateRoundTripIsExactAndCopiesAreIndependent() throws IOException {
    for (PrequentialAccuracy accuracy : new PrequentialAccuracy[] {PrequentialAccuracy.sliding(5), PrequentialAccuracy.fading(0.9)}) {
      SplittableRandom random = new SplittableRandom(1);
      for (int i = 0; i < 8; i++) {
        accuracy.add(random.nextInt(3), random.nextInt(3));
      }
      byte[] state = bytes(accuracy::writeTo);
      PrequentialAccuracy restored = PrequentialAccuracy.readFrom(in(state));
      PrequentialAccuracy copy = accuracy.copy();
      assertThat(bytes(restored::writeTo)).isEqualTo(state);
      assertThat(bytes(copy::writeTo)).isEqualTo(state);
      copy.add(0, 1);
      assertThat(bytes(accuracy::writeTo)).isEqualTo(state);
      for (int i = 0; i < 10; i++) {
        int predicted = random.nextInt(3);
        int actual = random.nextInt(3);
        accuracy.add(predicted, actual);
        restored.add(predicted, actual);
        assertThat(restored.value()).isEqualTo(accuracy.value());
      }
    }
    assertThatThrownBy(() -> PrequentialAccuracy.readFrom(in(new byte[] {0}))).isInstanceOf(IOException.class)
        .hasMessage("PrequentialAccuracy state: kind byte must be 1 (sliding) or 2 (fading), stream has 0");
  }

  @Test
  void logLossAveragesTheClippedPerExampleLoss() throws IOException {
    PrequentialLogLoss logLoss = PrequentialLogLoss.sliding(2);
    float[] rows = {0.5f, 0.5f, 0.25f, 0.75f, 0f, 1f};
    logLoss.add(rows, 0, 2, 0);
    logLoss.add(rows, 2, 2, 1);
    // ln 2 and −ln 0.75
    assertThat(logLoss.value()).isCloseTo((Math.log(2) - Math.log(0.75)) / 2, within(1e-12));
    logLoss.add(rows, 4, 2, 0);
    // The window now holds −ln 0.75 and the clipped −ln 1e-15.
    assertThat(logLoss.value()).isCloseTo((-Math.log(0.75) - Math.log(1e-15)) / 2, within(1e-12));
    byte[] state = bytes(logLoss::writeTo);
    assertThat(bytes(PrequentialLogLoss.readFrom(in(state))::writeTo)).isEqualTo(state);
    PrequentialLogLoss copy = logLoss.copy();
    copy.add(rows, 0, 2, 0);
    assertThat(bytes(logLoss::writeTo)).isEqualTo(state);
  }

  @Test
  void mseAveragesSquaredErrorsWithFading() throws IOException {
    PrequentialMse mse = PrequentialMse.fading(0.5);
    mse.add(1, 3);
    mse.add(2, 2);
    // Squared errors 4 then 0: S = 0 + 0.5·4 = 2, N = 1.5.
    assertThat(mse.value()).isCloseTo(2 / 1.5, within(1e-15));
    byte[] state = bytes(mse::writeTo);
    PrequentialMse restored = PrequentialMse.readFrom(in(state));
    assertThat(restored.value()).isEqualTo(mse.value());
    assertThat(restored.weight()).isEqualTo(1.5);
    assertThat(mse.copy().value()).isEqualTo(mse.value());
    assertThatIllegalArgumentException().isThrownBy(() -> mse.add(Double.NaN, 1))
        .withMessage("PrequentialMse: expected finite values, got predicted=NaN, actual=1.0");
  }

  @Test
  void slidingConfusionKeepsTheLastWindowOfPairs() throws IOException {
    PrequentialConfusion confusion = PrequentialConfusion.sliding(2, 3);
    // (predicted, actual): (0,0) (1,0) (1,1) (0,1); the first pair leaves the window with the fourth.
    confusion.add(0, 0);
    confusion.add(1, 0);
    confusion.add(1, 1);
    confusion.add(0, 1);
    ConfusionMatrix m = confusion.snapshot();
    // Rows = actual: true 0 → [0 1], true 1 → [1 1].
    assertThat(m.counts()).containsExactly(0, 1, 1, 1);
    assertThat(m.precision(1)).isEqualTo(0.5);
    assertThat(m.recall(1)).isEqualTo(0.5);
    assertThat(m.precision(0)).isZero();
    byte[] state = bytes(confusion::writeTo);
    PrequentialConfusion restored = PrequentialConfusion.readFrom(in(state));
    assertThat(bytes(restored::writeTo)).isEqualTo(state);
    restored.add(0, 0);
    confusion.add(0, 0);
    assertThat(restored.snapshot().counts()).containsExactly(confusion.snapshot().counts());
  }

  @Test
  void fadingConfusionFadesEveryCellPerPair() throws IOException {
    PrequentialConfusion confusion = PrequentialConfusion.fading(2, 0.5);
    confusion.add(0, 0);
    confusion.add(1, 0);
    confusion.add(1, 1);
    // Cell (0,0): 1 → 0.5 → 0.25; cell (0,1): 1 → 0.5; cell (1,1): 1. Total = 1.75 = N of FadingMean.
    ConfusionMatrix m = confusion.snapshot();
    assertThat(m.counts()).containsExactly(0.25, 0.5, 0, 1);
    assertThat(m.total()).isEqualTo(1.75);
    assertThat(m.accuracy()).isCloseTo(1.25 / 1.75, within(1e-15));
    // Precision of class 1: 1 / (1 + 0.5); recall of class 0: 0.25 / 0.75.
    assertThat(m.precision(1)).isCloseTo(2.0 / 3, within(1e-15));
    assertThat(m.recall(0)).isCloseTo(1.0 / 3, within(1e-15));
    byte[] state = bytes(confusion::writeTo);
    assertThat(bytes(PrequentialConfusion.readFrom(in(state))::writeTo)).isEqualTo(state);
    PrequentialConfusion copy = confusion.copy();
    copy.add(0, 0);
    assertThat(bytes(confusion::writeTo)).isEqualTo(state);
  }

  /**
   * A fading matrix's macro averages count a class only while the faded weight of its pairs (as true or predicted
   * class) is at least 1/e: a class the stream left, whose faded cells keep their ratios (here a recall of 0), stops
   * pulling the averages once it has faded; one pair counts for 1/(−ln α) pairs, about the effective window.
   */
  @Test
  void fadingConfusionMacroAveragesLeaveOutClassesThatHaveFadedAway() {
    PrequentialConfusion confusion = PrequentialConfusion.fading(3, 0.9);
    for (int i = 0; i < 3; i++) {
      confusion.add(0, 2);
    }
    for (int i = 0; i < 100; i++) {
      confusion.add(i % 3 == 0 ? 1 : 0, 0);
      confusion.add(1, 1);
    }
    ConfusionMatrix m = confusion.snapshot();
    assertThat(m.presence(2)).as("class 2's faded weight, three pairs 200 pairs ago").isPositive()
        .isLessThan(1e-8);
    assertThat(m.present(2)).isFalse();
    assertThat(m.recall(2)).as("its ratio has not faded").isZero();
    assertThat(m.present(0)).isTrue();
    assertThat(m.present(1)).isTrue();
    assertThat(m.macroRecall()).isEqualTo((m.recall(0) + m.recall(1)) / 2);
    assertThat(m.macroPrecision()).isEqualTo((m.precision(0) + m.precision(1)) / 2);
    assertThat(m.macroF1()).isEqualTo((m.f1(0) + m.f1(1)) / 2);
    assertThat(m.macroSpecificity()).isEqualTo((m.specificity(0) + m.specificity(1)) / 2);
    assertThat(ConfusionMatrix.ofCounts(3, m.counts()).macroRecall()).as("counting class 2, as before")
        .isCloseTo(m.macroRecall() * 2 / 3, within(1e-12));
    assertThat(m.copy().macroRecall()).as("a copy counts the same classes").isEqualTo(m.macroRecall());

    // One pair of class 2: 0.9^9 = 0.387 >= 1/e, 0.9^10 = 0.349 below; 1/(-ln 0.9) = 9.5.
    confusion.add(2, 2);
    for (int k = 1; k <= 10; k++) {
      confusion.add(0, 0);
      assertThat(confusion.snapshot().present(2)).as("%d pairs after class 2's", k).isEqualTo(k <= 9);
    }

    PrequentialConfusion cumulative = PrequentialConfusion.fading(3, 1);
    cumulative.add(0, 2);
    for (int i = 0; i < 1000; i++) {
      cumulative.add(1, 1);
    }
    assertThat(cumulative.snapshot().present(2)).as("alpha 1 fades nothing").isTrue();
    PrequentialConfusion window = PrequentialConfusion.sliding(3, 4);
    window.add(0, 2);
    for (int i = 0; i < 4; i++) {
      assertThat(window.snapshot().present(2)).as("in the window").isEqualTo(i < 4);
      window.add(1, 1);
    }
    assertThat(window.snapshot().present(2)).as("out of the window").isFalse();
  }

  @Test
  void confusionRejectsBadArgumentsAndState() throws IOException {
    assertThatIllegalArgumentException().isThrownBy(() -> PrequentialConfusion.sliding(3, 0))
        .withMessage("PrequentialConfusion: window must be in [1, 16777216], got 0");
    assertThatIllegalArgumentException().isThrownBy(() -> PrequentialConfusion.fading(3, 1.5))
        .withMessage("PrequentialConfusion: alpha must be in (0, 1], got 1.5");
    assertThatIllegalArgumentException().isThrownBy(() -> PrequentialConfusion.fading(3, 0.5).add(3, 0))
        .withMessage("PrequentialConfusion: classes must be in [0, 3), got predicted=3, actual=0");
    PrequentialConfusion confusion = PrequentialConfusion.sliding(2, 4);
    confusion.add(1, 1);
    byte[] state = bytes(confusion::writeTo);
    // Layout: kind, numClasses, window, next, count, then cells; the only cell becomes 9 (of 4).
    state[state.length - 1] = 9;
    assertThatThrownBy(() -> PrequentialConfusion.readFrom(in(state))).isInstanceOf(IOException.class)
        .hasMessage("PrequentialConfusion state: cell 0 must be in [0, 4), stream has 9");
  }
}
