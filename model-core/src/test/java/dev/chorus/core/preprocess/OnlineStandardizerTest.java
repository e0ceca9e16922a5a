package dev.chorus.core.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OnlineStandardizerTest {

  private static final int D = 3;

  /** 1,000 examples: feature 0 ~ U(10, 30), feature 1 ~ U(-0.01, 0.01), feature 2 constant 5. */
  private static float[] data(int rows) {
    SplittableRandom random = new SplittableRandom(5);
    float[] x = new float[rows * D];
    for (int i = 0; i < rows; i++) {
      x[i * D] = (float) random.nextDouble(10, 30);
      x[i * D + 1] = (float) random.nextDouble(-0.01, 0.01);
      x[i * D + 2] = 5f;
    }
    return x;
  }

  /**
   * A batch far from the current mean (the first, around 0; one after a jump) lost digits to the one-pass formula's
   * cancellation: values of 1e8 + 8k, k in 0..3, gave a variance of 59.4 for 80, and the float values around 1e6 a
   * variance of 0. Such a feature's batch sum is taken again around the batch's own mean.
   */
  @Test
  void aBatchFarFromTheMeanKeepsItsVariance() {
    for (double base : new double[] {1e8, 1e7, 1e6}) {
      int rows = 1000;
      float[] x = new float[rows];
      for (int i = 0; i < rows; i++) {
        x[i] = (float) (base + 8 * (i % 4));
      }
      double mean = 0;
      for (float v : x) {
        mean += v;
      }
      mean /= rows;
      double variance = 0;
      for (float v : x) {
        variance += (v - mean) * (v - mean);
      }
      variance /= rows;
      OnlineStandardizer one = new OnlineStandardizer(1);
      one.update(x, rows);
      assertThat(one.variance(0)).as("base %s", base).isCloseTo(variance, within(1e-9 * variance));
    }
  }

  @Test
  void unevenMinibatchesGiveTheTwoPassMeanAndVariance() {
    int rows = 1000;
    float[] x = data(rows);
    OnlineStandardizer standardizer = new OnlineStandardizer(D);
    int[] batchSizes = {1, 7, 64, 128, 300, 500};
    int start = 0;
    for (int size : batchSizes) {
      standardizer.update(Arrays.copyOfRange(x, start * D, (start + size) * D), size);
      start += size;
    }
    assertThat(start).isEqualTo(rows);
    assertThat(standardizer.count()).isEqualTo(rows);
    for (int j = 0; j < D; j++) {
      double mean = 0;
      for (int i = 0; i < rows; i++) {
        mean += x[i * D + j];
      }
      mean /= rows;
      double variance = 0;
      for (int i = 0; i < rows; i++) {
        variance += (x[i * D + j] - mean) * (x[i * D + j] - mean);
      }
      variance /= rows;
      assertThat(standardizer.mean(j)).as("mean %d", j).isCloseTo(mean, within(1e-12 * (1 + Math.abs(mean))));
      assertThat(standardizer.variance(j)).as("variance %d", j).isCloseTo(variance, within(1e-12 * (1 + variance)));
    }
  }

  @Test
  void standardisedFeaturesHaveZeroMeanUnitVarianceAndConstantsStayBounded() {
    int rows = 1000;
    float[] x = data(rows);
    OnlineStandardizer standardizer = new OnlineStandardizer(D);
    standardizer.update(x, rows);
    float[] z = new float[x.length];
    standardizer.transform(x, rows, z);
    double mean0 = 0;
    double square0 = 0;
    for (int i = 0; i < rows; i++) {
      mean0 += z[i * D] / rows;
      square0 += (double) z[i * D] * z[i * D] / rows;
      assertThat(z[i * D + 2]).as("a constant feature standardises to 0").isZero();
    }
    assertThat(mean0).isCloseTo(0, within(1e-4));
    assertThat(square0).isCloseTo(1, within(1e-3));

    // A feature that was constant so far and then moves is scaled by at most 1/sqrt(EPSILON).
    float[] moved = {20f, 0f, 6f};
    float[] out = new float[D];
    standardizer.transform(moved, 0, out, 0);
    assertThat(out[2]).isFinite().isCloseTo((float) (1 / Math.sqrt(OnlineStandardizer.EPSILON)), within(1e-4f));
  }

  @Test
  void nonFiniteValuesAreReportedAndChangeNothingWhileHugeFiniteOnesAreMerged() throws IOException {
    OnlineStandardizer standardizer = new OnlineStandardizer(D);
    assertThat(standardizer.update(data(10), 10)).isTrue();
    ByteArrayOutputStream before = new ByteArrayOutputStream();
    standardizer.writeTo(new DataOutputStream(before));
    float[] probe = {20f, 0f, 5f};
    float[] expected = new float[D];
    standardizer.transform(probe, 0, expected, 0);
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      float[] x = data(4);
      x[3 * D + 1] = bad;
      assertThat(standardizer.update(x, 4)).as("update with %s", bad).isFalse();
      ByteArrayOutputStream after = new ByteArrayOutputStream();
      standardizer.writeTo(new DataOutputStream(after));
      assertThat(after.toByteArray()).as("statistics after %s", bad).isEqualTo(before.toByteArray());
      float[] out = new float[D];
      standardizer.transform(probe, 0, out, 0);
      assertThat(out).as("transform after %s", bad).isEqualTo(expected);
    }

    float[] huge = data(4);
    huge[1] = Float.MAX_VALUE;
    huge[D + 1] = -Float.MAX_VALUE;
    assertThat(standardizer.update(huge, 4)).isTrue();
    assertThat(standardizer.count()).isEqualTo(14);
    assertThat(standardizer.variance(1)).isFinite().isGreaterThan(1e75);
  }

  @Test
  void transformInPlaceAndAtOffsetsMatchesTheFormula() {
    float[] x = data(50);
    OnlineStandardizer standardizer = new OnlineStandardizer(D);
    standardizer.update(x, 50);
    float[] out = new float[2 + 50 * D];
    for (int i = 0; i < 50; i++) {
      standardizer.transform(x, i * D, out, 2 + i * D);
    }
    float[] inPlace = x.clone();
    standardizer.transform(inPlace, 50, inPlace);
    for (int i = 0; i < 50 * D; i++) {
      int j = i % D;
      float scale = (float) (1 / Math.sqrt(standardizer.variance(j) + OnlineStandardizer.EPSILON));
      float z = (x[i] - (float) standardizer.mean(j)) * scale;
      assertThat(out[2 + i]).as("value %d", i).isEqualTo(z);
      assertThat(inPlace[i]).as("value %d in place", i).isEqualTo(z);
    }
  }

  @Test
  void copyAndStateRoundTripAreExact() throws IOException {
    float[] x = data(100);
    OnlineStandardizer original = new OnlineStandardizer(D);
    original.update(x, 60);
    OnlineStandardizer copy = original.copy();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    original.writeTo(new DataOutputStream(bytes));
    OnlineStandardizer restored = new OnlineStandardizer(D);
    restored.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

    float[] rest = Arrays.copyOfRange(x, 60 * D, 100 * D);
    original.update(rest, 40);
    restored.update(rest, 40);
    assertThat(copy.count()).isEqualTo(60);
    copy.update(rest, 40);
    for (int j = 0; j < D; j++) {
      assertThat(restored.mean(j)).isEqualTo(original.mean(j));
      assertThat(restored.variance(j)).isEqualTo(original.variance(j));
      assertThat(copy.variance(j)).isEqualTo(original.variance(j));
    }
  }

  private static byte[] saved(OnlineStandardizer standardizer) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    standardizer.writeTo(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }

  /** {@code bytes} with the double {@code fromEnd} bytes before the end set to {@code value}. */
  private static DataInputStream forged(byte[] bytes, int fromEnd, double value) {
    byte[] forged = bytes.clone();
    java.nio.ByteBuffer.wrap(forged).putDouble(forged.length - fromEnd, value);
    return new DataInputStream(new ByteArrayInputStream(forged));
  }

  /**
   * Saved statistics are checked as they are read: a negative or non-finite sum of squared deviations (a negative
   * variance made every standardised feature NaN), a non-finite mean, and statistics that are not 0 with no example
   * counted are refused naming the feature; the standardiser is left as it was. The bytes end with the means and the sums
   * of squared deviations, each as its length then 3 doubles: sum j is 8·(3 − j) bytes before the end, mean j 28 more.
   */
  @Test
  void invalidSavedStatisticsAreRefusedNamingTheFeature() throws IOException {
    OnlineStandardizer trained = new OnlineStandardizer(3);
    trained.update(new float[] {1, 2, 3, 4, 5, 7}, 2);
    byte[] bytes = saved(trained);
    OnlineStandardizer read = new OnlineStandardizer(3);
    read.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
    assertThat(saved(read)).isEqualTo(bytes);

    OnlineStandardizer target = new OnlineStandardizer(3);
    org.assertj.core.api.Assertions.assertThatIOException().isThrownBy(() -> target.readFrom(forged(bytes, 8, -1)))
        .withMessage("standardizer sum of squared deviations of feature 2: expected a finite number >= 0, stream has "
            + "-1.0");
    org.assertj.core.api.Assertions.assertThatIOException()
        .isThrownBy(() -> target.readFrom(forged(bytes, 24, Double.POSITIVE_INFINITY)))
        .withMessage("standardizer sum of squared deviations of feature 0: expected a finite number >= 0, stream has "
            + "Infinity");
    org.assertj.core.api.Assertions.assertThatIOException().isThrownBy(() -> target.readFrom(forged(bytes, 36, Double.NaN)))
        .withMessage("standardizer mean of feature 2: expected a finite number, stream has NaN");
    assertThat(target.count()).as("unchanged").isZero();
    assertThat(target.mean(2)).isZero();

    byte[] fresh = saved(new OnlineStandardizer(3));
    org.assertj.core.api.Assertions.assertThatIOException().isThrownBy(() -> target.readFrom(forged(fresh, 52, 0.5)))
        .withMessage("standardizer mean of feature 0: expected 0 with an example count of 0, stream has 0.5");
    org.assertj.core.api.Assertions.assertThatIOException().isThrownBy(() -> target.readFrom(forged(fresh, 16, 2)))
        .withMessage("standardizer sum of squared deviations of feature 1: expected 0 with an example count of 0, "
            + "stream has 2.0");
  }
}
