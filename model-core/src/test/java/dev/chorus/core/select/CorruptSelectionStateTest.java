package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.metrics.SlidingAccuracy;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * State read back from a checkpoint is checked as a saved model is: numbers its writer could never have written are
 * refused with what was expected, never taken in to silence a detector, inflate an accuracy or size a list.
 */
class CorruptSelectionStateTest {

  interface Writes {
    void write(DataOutputStream out) throws IOException;
  }

  static BinaryState.Bytes bytes(Writes writes) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    writes.write(new DataOutputStream(bytes));
    return new BinaryState.Bytes(bytes.toByteArray());
  }

  @Test
  void anAdwinDeltaOutsideTheOpenUnitIntervalIsRefused() {
    for (double delta : new double[] {0, 1, Double.NaN, -0.5}) {
      assertThatThrownBy(() -> Adwin.readState(bytes(out -> {
        out.writeLong(Double.doubleToLongBits(delta));
        out.writeInt(5);
      }))).isInstanceOf(IOException.class).hasMessageStartingWith("Adwin state: expected delta in (0, 1)");
    }
  }

  @Test
  void pageHinkleyParametersItsSpecRefusesAreRefused() {
    double[][] bad = {{Double.NaN, 50, 30, 1}, {0.005, -1, 30, 1}, {0.005, 50, 0, 1}, {0.005, 50, 30, 0},
        {0.005, Double.POSITIVE_INFINITY, 30, 1}};
    for (double[] p : bad) {
      assertThatThrownBy(() -> PageHinkley.readState(bytes(out -> {
        out.writeLong(Double.doubleToLongBits(p[0]));
        out.writeLong(Double.doubleToLongBits(p[1]));
        out.writeInt((int) p[2]);
        out.writeLong(Double.doubleToLongBits(p[3]));
        out.writeLong(0);
        out.writeLong(0);
        out.writeLong(0);
        out.writeLong(0);
      }))).isInstanceOf(IOException.class).hasMessageStartingWith("PageHinkley state: expected delta >= 0");
    }
  }

  @Test
  void aSearchDeclaringMoreLiveVariantsThanItsBytesHoldIsRefusedBeforeAnyListIsSized() {
    assertThatThrownBy(() -> SuccessiveHalving.readFrom(bytes(out -> {
      out.writeByte(1);
      out.writeInt(Integer.MAX_VALUE - 8);
      out.writeLong(Long.MAX_VALUE);
      out.writeBoolean(true);
      out.writeInt(0);
      out.writeLong(0);
      out.writeInt(Integer.MAX_VALUE - 8);
    }))).isInstanceOf(IOException.class).hasMessageStartingWith("SuccessiveHalving state: live variants: expected "
        + "at most 0");
  }

  @Test
  void anAccuracyWithOutcomesOutsideItsWindowIsRefused() {
    // Window 10, one outcome seen (position 0), but bits at 0 and 5: two "correct" of one.
    assertThatThrownBy(() -> SlidingAccuracy.readFrom(bytes(out -> {
      out.writeInt(10);
      out.writeInt(1);
      out.writeInt(1);
      out.writeInt(2);
      out.writeLong(0b100001L);
    }))).isInstanceOf(IOException.class).hasMessageStartingWith("SlidingAccuracy state is inconsistent");
    // A full window of 10 with a bit at position 12, past it.
    assertThatThrownBy(() -> SlidingAccuracy.readFrom(bytes(out -> {
      out.writeInt(10);
      out.writeInt(3);
      out.writeInt(10);
      out.writeInt(2);
      out.writeLong(1L | (1L << 12));
    }))).isInstanceOf(IOException.class).hasMessageStartingWith("SlidingAccuracy state is inconsistent");
  }
}
