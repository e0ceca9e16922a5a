package dev.chorus.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SlidingAccuracyTest {

  @Test
  void tracksTheLastWindowOfOutcomes() {
    SlidingAccuracy accuracy = new SlidingAccuracy(3);
    assertThat(accuracy.value()).isNaN();
    assertThat(accuracy.count()).isZero();
    accuracy.add(true);
    accuracy.add(false);
    assertThat(accuracy.value()).isEqualTo(0.5);
    accuracy.add(true);
    assertThat(accuracy.value()).isEqualTo(2.0 / 3);
    accuracy.add(false);
    accuracy.add(false);
    assertThat(accuracy.value()).isEqualTo(1.0 / 3);
    assertThat(accuracy.count()).isEqualTo(3);
    accuracy.add(false);
    assertThat(accuracy.value()).isZero();
  }

  @Test
  void matchesABruteForceWindowAcrossWordBoundaries() {
    int window = 100;
    SlidingAccuracy accuracy = new SlidingAccuracy(window);
    SplittableRandom random = new SplittableRandom(4);
    boolean[] history = new boolean[1000];
    for (int i = 0; i < history.length; i++) {
      history[i] = random.nextDouble() < 0.7;
      accuracy.add(history[i]);
      int from = Math.max(0, i + 1 - window);
      int correct = 0;
      for (int j = from; j <= i; j++) {
        correct += history[j] ? 1 : 0;
      }
      assertThat(accuracy.count()).isEqualTo(i + 1 - from);
      assertThat(accuracy.value()).as("after %d outcomes", i + 1).isEqualTo((double) correct / (i + 1 - from));
    }
  }

  @Test
  void copyIsIndependent() {
    SlidingAccuracy original = new SlidingAccuracy(4);
    original.add(true);
    original.add(false);
    SlidingAccuracy copy = original.copy();
    copy.add(true);
    copy.add(true);
    assertThat(original.value()).isEqualTo(0.5);
    assertThat(original.count()).isEqualTo(2);
    assertThat(copy.value()).isEqualTo(0.75);
    original.add(false);
    assertThat(copy.count()).isEqualTo(4);
  }

  @Test
  void stateRoundTripIsExact() throws IOException {
    for (int outcomes : new int[] {0, 5, 70, 250}) {
      SlidingAccuracy original = new SlidingAccuracy(70);
      SplittableRandom random = new SplittableRandom(outcomes);
      for (int i = 0; i < outcomes; i++) {
        original.add(random.nextBoolean());
      }
      byte[] bytes = write(original);
      SlidingAccuracy restored = SlidingAccuracy.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
      assertThat(write(restored)).isEqualTo(bytes);
      assertThat(restored.count()).isEqualTo(original.count());
      assertThat(restored.window()).isEqualTo(70);
      for (int i = 0; i < 100; i++) {
        boolean outcome = random.nextBoolean();
        original.add(outcome);
        restored.add(outcome);
        assertThat(restored.value()).isEqualTo(original.value());
      }
    }
  }

  @Test
  void rejectsBadWindowsAndInconsistentState() throws IOException {
    assertThatIllegalArgumentException().isThrownBy(() -> new SlidingAccuracy(0))
        .withMessage("SlidingAccuracy window must be in [1, 268435456], got 0");
    SlidingAccuracy accuracy = new SlidingAccuracy(10);
    accuracy.add(true);
    byte[] bytes = write(accuracy);
    ByteBuffer.wrap(bytes).putInt(12, 0);
    assertThatThrownBy(() -> SlidingAccuracy.readFrom(new DataInputStream(new ByteArrayInputStream(bytes))))
        .isInstanceOf(IOException.class)
        .hasMessage("SlidingAccuracy state is inconsistent: window=10, next=1, count=1, correct=0, correct outcomes stored=1");
  }

  private static byte[] write(SlidingAccuracy accuracy) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    accuracy.writeTo(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }
}
