package dev.chorus.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PrequentialMeanTest {

  @Test
  void fadingMeanFollowsGamasRecurrence() {
    // α = 0.5 over 1, 0, 1: S = 1, 0 + 0.5·1 = 0.5, 1 + 0.5·0.5 = 1.25; N = 1, 1.5, 1.75; S/N = 5/7.
    FadingMean mean = new FadingMean(0.5);
    assertThat(mean.value()).isNaN();
    mean.add(1);
    mean.add(0);
    assertThat(mean.sum()).isEqualTo(0.5);
    assertThat(mean.weight()).isEqualTo(1.5);
    mean.add(1);
    assertThat(mean.sum()).isEqualTo(1.25);
    assertThat(mean.weight()).isEqualTo(1.75);
    assertThat(mean.value()).isCloseTo(5.0 / 7, within(1e-15));
  }

  @Test
  void fadingMeanEqualsTheExplicitlyWeightedMean() {
    // Σ αᵏ·x(i−k) / Σ αᵏ over all past values, computed directly.
    double alpha = 0.9;
    FadingMean mean = new FadingMean(alpha);
    SplittableRandom random = new SplittableRandom(3);
    double[] values = new double[300];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextDouble(-5, 5);
      mean.add(values[i]);
      double sum = 0;
      double weight = 0;
      for (int k = 0; k <= i; k++) {
        sum += Math.pow(alpha, k) * values[i - k];
        weight += Math.pow(alpha, k);
      }
      assertThat(mean.value()).isCloseTo(sum / weight, within(1e-12));
    }
    // N converges to 1 / (1 − α).
    assertThat(mean.weight()).isCloseTo(10, within(1e-9));
  }

  @Test
  void fadingFactorOneIsTheCumulativeMean() {
    FadingMean mean = new FadingMean(1);
    for (int i = 1; i <= 4; i++) {
      mean.add(i);
    }
    assertThat(mean.value()).isEqualTo(2.5);
  }

  @Test
  void slidingMeanMatchesABruteForceWindowAcrossManyWraps() {
    int window = 7;
    SlidingMean mean = new SlidingMean(window);
    SplittableRandom random = new SplittableRandom(5);
    double[] values = new double[100];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextDouble(-1e6, 1e6);
      mean.add(values[i]);
      int from = Math.max(0, i + 1 - window);
      double sum = 0;
      for (int j = from; j <= i; j++) {
        sum += values[j];
      }
      assertThat(mean.weight()).isEqualTo(i + 1 - from);
      assertThat(mean.value()).as("after %d values", i + 1).isCloseTo(sum / (i + 1 - from), within(1e-6));
    }
  }

  @Test
  void slidingMeanRecomputesItsSumWhenTheRingWraps() {
    // 1e16 + 1 − 1e16 loses the 1 in a running sum; after the wrap the sum is rebuilt from the ring.
    SlidingMean mean = new SlidingMean(2);
    mean.add(1e16);
    mean.add(1);
    mean.add(2);
    mean.add(3);
    assertThat(mean.value()).isEqualTo(2.5);
  }

  @Test
  void stateRoundTripIsExactForBothKinds() throws IOException {
    for (PrequentialMean original : new PrequentialMean[] {PrequentialMean.sliding(5), PrequentialMean.fading(0.97)}) {
      for (int values = 0; values < 12; values++) {
        PrequentialMean mean = original.copy();
        SplittableRandom random = new SplittableRandom(values);
        for (int i = 0; i < values; i++) {
          mean.add(random.nextDouble());
        }
        byte[] bytes = write(mean);
        PrequentialMean restored = PrequentialMean.readFrom(in(bytes));
        assertThat(restored).isInstanceOf(original.getClass());
        assertThat(write(restored)).isEqualTo(bytes);
        for (int i = 0; i < 20; i++) {
          double value = random.nextDouble();
          mean.add(value);
          restored.add(value);
          assertThat(restored.value()).isEqualTo(mean.value());
          assertThat(restored.weight()).isEqualTo(mean.weight());
        }
      }
    }
  }

  @Test
  void copiesAreIndependent() {
    for (PrequentialMean original : new PrequentialMean[] {PrequentialMean.sliding(3), PrequentialMean.fading(0.5)}) {
      original.add(1);
      PrequentialMean copy = original.copy();
      copy.add(0);
      assertThat(original.value()).isEqualTo(1.0);
      assertThat(original.weight()).isEqualTo(1.0);
      assertThat(copy.value()).isLessThan(1.0);
    }
  }

  @Test
  void rejectsBadParametersValuesAndState() throws IOException {
    assertThatIllegalArgumentException().isThrownBy(() -> new FadingMean(0))
        .withMessage("FadingMean: alpha must be in (0, 1], got 0.0");
    assertThatIllegalArgumentException().isThrownBy(() -> new SlidingMean(0))
        .withMessage("SlidingMean: window must be in [1, 16777216], got 0");
    assertThatIllegalArgumentException().isThrownBy(() -> new FadingMean(0.5).add(Double.POSITIVE_INFINITY))
        .withMessage("FadingMean: value must be finite, got Infinity");
    assertThatThrownBy(() -> PrequentialMean.readFrom(in(new byte[] {7})))
        .isInstanceOf(IOException.class)
        .hasMessage("PrequentialMean state: kind byte must be 1 (sliding) or 2 (fading), stream has 7");
    SlidingMean sliding = new SlidingMean(4);
    sliding.add(2);
    byte[] bytes = write(sliding);
    // Layout: kind (1), window (4), next (4), count (4): claim two values where one is stored.
    ByteBuffer.wrap(bytes).putInt(9, 2);
    assertThatThrownBy(() -> PrequentialMean.readFrom(in(bytes))).isInstanceOf(IOException.class)
        .hasMessage("SlidingMean state is inconsistent: window=4, next=1, count=2, sum=2.0");
    byte[] fading = write(new FadingMean(0.5));
    ByteBuffer.wrap(fading).putDouble(1, 1.5);
    assertThatThrownBy(() -> PrequentialMean.readFrom(in(fading))).isInstanceOf(IOException.class)
        .hasMessageStartingWith("FadingMean state is inconsistent: expected 0 < alpha <= 1");
  }

  static byte[] write(PrequentialMean mean) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    mean.writeTo(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }

  static DataInputStream in(byte[] bytes) {
    return new DataInputStream(new ByteArrayInputStream(bytes));
  }
}
