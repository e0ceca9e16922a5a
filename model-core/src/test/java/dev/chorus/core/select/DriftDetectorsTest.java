package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.random.SplitMix64;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Both detectors on seeded Bernoulli loss streams (a 0/1 loss, as a classifier's error is). */
class DriftDetectorsTest {

  private static final int STATIONARY = 60_000;

  /**
   * Examples after the jump from 0.2 to 0.6 (after 20,000 at 0.2) within which each detector fires: measured at most
   * 312 (Page–Hinkley) and 96 (ADWIN, which looks every 32) over seeds 1..300, bounded here with margin.
   */
  private static final int PAGE_HINKLEY_DELAY_BOUND = 500;
  private static final int ADWIN_DELAY_BOUND = 200;

  private static DriftDetector create(String detector) {
    return DriftDetectors.create(DriftSpec.defaults(detector));
  }

  @ParameterizedTest
  @ValueSource(strings = {"page-hinkley", "adwin"})
  void noDetectionOnALongStationaryStream(String detector) {
    for (long seed = 1; seed <= 20; seed++) {
      DriftDetector drift = create(detector);
      SplitMix64 random = SplitMix64.seeded(seed);
      int detections = 0;
      for (int i = 0; i < STATIONARY; i++) {
        detections += drift.add(bernoulli(random, 0.2)) ? 1 : 0;
      }
      assertThat(detections).as("%s detections on seed %d", detector, seed).isZero();
      assertThat(drift.examples()).isEqualTo(STATIONARY);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"page-hinkley", "adwin"})
  void detectsAJumpOfTheMeanLossWithinItsBound(String detector) {
    int bound = detector.equals("adwin") ? ADWIN_DELAY_BOUND : PAGE_HINKLEY_DELAY_BOUND;
    for (long seed = 1; seed <= 5; seed++) {
      DriftDetector drift = create(detector);
      SplitMix64 random = SplitMix64.seeded(seed);
      for (int i = 0; i < 20_000; i++) {
        assertThat(drift.add(bernoulli(random, 0.2))).isFalse();
      }
      int delay = delayAfterJump(drift, random);
      assertThat(delay).as("%s delay on seed %d", detector, seed).isBetween(1, bound);
    }
  }

  /**
   * A detection drives a reaction, so a detector signals a rise of the loss only: a fresh model's learning curve (its
   * error rate falling linearly from 0.6 to 0.1 over 3,000 examples, then holding) is no drift, and the same ramp
   * upwards is one. ADWIN still drops the older part of its window on the fall.
   */
  @ParameterizedTest
  @ValueSource(strings = {"page-hinkley", "adwin"})
  void aFallingLossIsNoDriftAndARisingOneIs(String detector) {
    for (long seed = 1; seed <= 20; seed++) {
      DriftDetector falling = create(detector);
      DriftDetector rising = create(detector);
      SplitMix64 random = SplitMix64.seeded(seed);
      int fallDetections = 0;
      int riseDetections = 0;
      for (int i = 0; i < 3_000; i++) {
        fallDetections += falling.add(bernoulli(random, 0.6 - 0.5 * i / 3_000)) ? 1 : 0;
        riseDetections += rising.add(bernoulli(random, 0.1 + 0.5 * i / 3_000)) ? 1 : 0;
      }
      for (int i = 0; i < 3_000; i++) {
        fallDetections += falling.add(bernoulli(random, 0.1)) ? 1 : 0;
      }
      assertThat(fallDetections).as("%s detections of the fall on seed %d", detector, seed).isZero();
      assertThat(riseDetections).as("%s detections of the rise on seed %d", detector, seed).isPositive();
      if (falling instanceof Adwin adwin) {
        assertThat(adwin.width()).as("the fall shrank the window on seed %d", seed).isLessThan(6_000);
      }
    }
  }

  @Test
  void adwinsWindowShrinksAfterTheChange() {
    Adwin adwin = (Adwin) create("adwin");
    SplitMix64 random = SplitMix64.seeded(3);
    for (int i = 0; i < 20_000; i++) {
      adwin.add(bernoulli(random, 0.2));
    }
    assertThat(adwin.width()).isEqualTo(20_000);
    assertThat(adwin.mean()).isBetween(0.18, 0.22);
    int delay = delayAfterJump(adwin, random);
    assertThat(adwin.width()).isLessThan(delay + 1_000);
    for (int i = 0; i < 2_000; i++) {
      adwin.add(bernoulli(random, 0.6));
    }
    assertThat(adwin.mean()).isBetween(0.55, 0.65);
  }

  @Test
  void adwinsMemoryIsLogarithmicInItsWindow() {
    Adwin adwin = (Adwin) create("adwin");
    SplitMix64 random = SplitMix64.seeded(4);
    for (int i = 0; i < STATIONARY; i++) {
      adwin.add(bernoulli(random, 0.2));
    }
    // M + 1 buckets at most in each of about log2(W / M) rows.
    assertThat(adwin.buckets()).isLessThanOrEqualTo((Adwin.DEFAULT_MAX_BUCKETS + 1) * 15);
    assertThat(adwin.width()).isEqualTo(STATIONARY);
  }

  @ParameterizedTest
  @ValueSource(strings = {"page-hinkley", "adwin", "none"})
  void savedStateGivesIdenticalDecisions(String detector) throws IOException {
    DriftDetector original = create(detector);
    SplitMix64 random = SplitMix64.seeded(9);
    for (int i = 0; i < 5_003; i++) {
      original.add(bernoulli(random, 0.2));
    }
    byte[] saved = bytes(original);
    DriftDetector copy = DriftDetectors.readFrom(new BinaryState.Bytes(saved));
    assertThat(bytes(copy)).isEqualTo(saved);
    int detections = 0;
    for (int i = 0; i < 5_000; i++) {
      double loss = bernoulli(random, i < 1_000 ? 0.2 : 0.7);
      boolean fired = original.add(loss);
      assertThat(copy.add(loss)).as("decision %d", i).isEqualTo(fired);
      detections += fired ? 1 : 0;
    }
    assertThat(detections > 0).isEqualTo(!detector.equals("none"));
    assertThat(bytes(copy)).isEqualTo(bytes(original));
    assertThat(copy.examples()).isEqualTo(10_003);
  }

  @Test
  void resetForgetsTheStream() throws IOException {
    DriftDetector adwin = create("adwin");
    DriftDetector fresh = create("adwin");
    SplitMix64 random = SplitMix64.seeded(2);
    for (int i = 0; i < 1_000; i++) {
      adwin.add(bernoulli(random, 0.5));
    }
    adwin.reset();
    assertThat(adwin.examples()).isZero();
    assertThat(bytes(adwin)).isEqualTo(bytes(fresh));
  }

  @Test
  void pageHinkleyFollowsItsRecurrence() {
    // delta 0.1, lambda 0.7, one instance: mean 0 then 0.5...; sum = max(0, alpha sum + x - mean - delta).
    PageHinkley ph = new PageHinkley(0.1, 0.7, 1, 1.0);
    assertThat(ph.add(0)).isFalse();
    assertThat(ph.sum()).isZero();
    assertThat(ph.add(1)).isFalse();
    assertThat(ph.sum()).isEqualTo(1 - 0.5 - 0.1);
    assertThat(ph.add(1)).isFalse();
    assertThat(ph.sum()).isEqualTo(0.4 + 1 - 2.0 / 3 - 0.1, org.assertj.core.api.Assertions.within(1e-15));
    assertThat(ph.add(1)).isTrue();
    // A detection starts the statistics afresh.
    assertThat(ph.sum()).isZero();
    assertThat(ph.examples()).isEqualTo(4);
  }

  @Test
  void refusesALossThatIsNotFinite() {
    assertThatIllegalArgumentException().isThrownBy(() -> create("adwin").add(Double.NaN))
        .withMessage("loss: expected a finite number, got NaN");
  }

  @Test
  void refusesCorruptState() {
    assertThatThrownBy(() -> DriftDetectors.readFrom(new BinaryState.Bytes(new byte[] {7})))
        .isInstanceOf(IOException.class)
        .hasMessage("DriftDetector state: expected kind 0 (none), 1 (page-hinkley) or 2 (adwin), stream has 7");
  }

  private static int delayAfterJump(DriftDetector drift, SplitMix64 random) {
    for (int i = 1; i <= 10_000; i++) {
      if (drift.add(bernoulli(random, 0.6))) {
        return i;
      }
    }
    return Integer.MAX_VALUE;
  }

  private static double bernoulli(SplitMix64 random, double p) {
    return random.nextDouble() < p ? 1 : 0;
  }

  private static byte[] bytes(DriftDetector detector) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    detector.writeTo(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }
}
