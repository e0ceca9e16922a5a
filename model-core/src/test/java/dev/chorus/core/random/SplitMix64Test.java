package dev.chorus.core.random;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SplitMix64Test {

  @Test
  void matchesTheJdkSplittableRandomSequence() {
    SplitMix64 ours = SplitMix64.seeded(42);
    SplittableRandom jdk = new SplittableRandom(42);
    for (int i = 0; i < 1000; i++) {
      assertThat(ours.nextLong()).as("draw %d", i).isEqualTo(jdk.nextLong());
    }
  }

  @Test
  void stateRestoresTheSequenceExactly() {
    SplitMix64 rng = SplitMix64.seeded(7);
    rng.nextLong();
    SplitMix64 restored = SplitMix64.fromState(rng.state());
    SplitMix64 copy = rng.copy();
    for (int i = 0; i < 100; i++) {
      long next = rng.nextLong();
      assertThat(restored.nextLong()).isEqualTo(next);
      assertThat(copy.nextLong()).isEqualTo(next);
    }
  }

  @Test
  void floatsAreInRange() {
    SplitMix64 rng = SplitMix64.seeded(1);
    for (int i = 0; i < 10_000; i++) {
      assertThat(rng.nextFloat()).isGreaterThanOrEqualTo(0f).isLessThan(1f);
      assertThat(rng.nextDouble()).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
      assertThat(rng.nextSymmetric(0.5f)).isGreaterThanOrEqualTo(-0.5f).isLessThan(0.5f);
    }
  }
}
