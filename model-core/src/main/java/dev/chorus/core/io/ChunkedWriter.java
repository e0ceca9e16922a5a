package dev.chorus.core.io;

import java.io.DataOutput;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Writes ints, longs and floats to a {@link DataOutput} as exactly the bytes its {@code writeInt}, {@code writeLong}
 * and {@code writeFloat} would (big-endian; a float as {@link Float#floatToIntBits}, so every NaN as the canonical
 * one), laid out in a chunk of bytes that goes to the output in one call when full. A saved model's rows of floats
 * so cost a bulk copy, not a call per value (four synchronised one-byte writes each on a {@code DataOutputStream} over
 * a {@code ByteArrayOutputStream}, in Java 17), which was half the train thread's time in publishing snapshots of the
 * 58-class hashed softmax (docs/BENCHMARKS.md, "bench sparse's e2e track with a real logistic line"). Call
 * {@link #flush} when done: what is still in the chunk is not written before.
 */
public final class ChunkedWriter {

  /** Bytes a chunk holds. */
  static final int CHUNK_BYTES = 1 << 16;
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final DataOutput out;
  private final byte[] chunk = new byte[CHUNK_BYTES];
  private int size;

  public ChunkedWriter(DataOutput out) {
    this.out = out;
  }

  /** As {@link DataOutput#writeInt}. */
  public void writeInt(int value) throws IOException {
    if (size > CHUNK_BYTES - Integer.BYTES) {
      flush();
    }
    INT.set(chunk, size, value);
    size += Integer.BYTES;
  }

  /** As {@link DataOutput#writeLong}. */
  public void writeLong(long value) throws IOException {
    if (size > CHUNK_BYTES - Long.BYTES) {
      flush();
    }
    LONG.set(chunk, size, value);
    size += Long.BYTES;
  }

  /** As {@link DataOutput#writeFloat} on each of {@code values[from ..+ count)} in turn. */
  public void writeFloats(float[] values, int from, int count) throws IOException {
    int end = from + count;
    for (int i = from; i < end; ) {
      if (size > CHUNK_BYTES - Float.BYTES) {
        flush();
      }
      int stop = Math.min(end, i + (CHUNK_BYTES - size) / Float.BYTES);
      for (; i < stop; i++, size += Float.BYTES) {
        INT.set(chunk, size, Float.floatToIntBits(values[i]));
      }
    }
  }

  /** Hands what the chunk holds to the output. */
  public void flush() throws IOException {
    out.write(chunk, 0, size);
    size = 0;
  }
}
