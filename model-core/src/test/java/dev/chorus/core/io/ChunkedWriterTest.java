package dev.chorus.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkedWriterTest {

  /** Floats of every kind: ordinary, ±0, ±infinity, subnormal, and NaNs with random payloads and signs. */
  private static float[] floats(Random random, int count) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = switch (random.nextInt(6)) {
        case 0 -> Float.intBitsToFloat(0x7f800001 + random.nextInt(0x7fffff) | (random.nextBoolean() ? 0x80000000 : 0));
        case 1 -> new float[] {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE}[i % 5];
        default -> Float.intBitsToFloat(random.nextInt());
      };
    }
    return values;
  }

  @Test
  void writesTheBytesDataOutputStreamWritesIncludingNaNPayloadsAcrossChunks() throws IOException {
    Random random = new Random(11);
    ByteArrayOutputStream expectedBytes = new ByteArrayOutputStream();
    DataOutputStream expected = new DataOutputStream(expectedBytes);
    ByteArrayOutputStream actualBytes = new ByteArrayOutputStream();
    DataOutputStream actualOut = new DataOutputStream(actualBytes);
    ChunkedWriter actual = new ChunkedWriter(actualOut);
    actualOut.writeInt(-7);
    expected.writeInt(-7);
    int nans = 0;
    for (int row = 0; row < 2_000; row++) {
      int i = random.nextInt();
      long l = random.nextLong();
      // Up to 3 chunks' worth in one call, so that runs start and end at every offset of a chunk.
      float[] values = floats(random, row % 97 == 0 ? ChunkedWriter.CHUNK_BYTES : random.nextInt(70));
      int from = values.length == 0 ? 0 : random.nextInt(values.length);
      actual.writeInt(i);
      actual.writeLong(l);
      actual.writeFloats(values, from, values.length - from);
      expected.writeInt(i);
      expected.writeLong(l);
      for (int v = from; v < values.length; v++) {
        expected.writeFloat(values[v]);
        nans += Float.isNaN(values[v]) && Float.floatToRawIntBits(values[v]) != Float.floatToIntBits(Float.NaN) ? 1 : 0;
      }
    }
    actual.flush();
    assertThat(nans).as("non-canonical NaNs written").isGreaterThan(1_000);
    assertThat(actualBytes.size()).as("more than a chunk").isGreaterThan(3 * ChunkedWriter.CHUNK_BYTES);
    assertThat(actualBytes.toByteArray()).isEqualTo(expectedBytes.toByteArray());
  }

  @Test
  void sizedToBytesGivesTheSameBytesWhateverTheHint() {
    BinaryState.Writer writer = out -> {
      out.writeInt(3);
      BinaryState.writeString(out, "a spec");
      ChunkedWriter rows = new ChunkedWriter(out);
      rows.writeFloats(floats(new Random(3), 10_000), 0, 10_000);
      rows.flush();
    };
    byte[] unsized = BinaryState.toBytes(writer);
    assertThat(unsized).hasSize(4 + 4 + 6 + 40_000);
    for (int hint : new int[] {0, 1, unsized.length - 1, unsized.length, unsized.length + 1, 1 << 20}) {
      assertThat(BinaryState.toBytes(hint, writer)).as("hint %d", hint).isEqualTo(unsized);
    }
  }
}
