package dev.chorus.core.io;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Exact binary encoding of the arrays and strings that make up saved model state. Floats and doubles are
 * written as their raw IEEE 754 bits, so every value (NaN payloads included) round-trips bit for bit.
 * Lengths are written before arrays and checked on read against what the reader expects, so a corrupt or
 * mismatched stream fails with a message instead of allocating garbage.
 *
 * <p>Saved bytes read through {@link Bytes} know how many bytes are left, and readers check each size a stream
 * declares against that ({@link #requireFits}) before allocating it: what a reader allocates stays within a
 * small multiple of the bytes it was given, however large the sizes a corrupt or forged stream declares.
 */
public final class BinaryState {

  /** Longest string {@link #readString} accepts; model specs are far shorter. */
  public static final int MAX_STRING_BYTES = 1 << 20;

  private BinaryState() {}

  /** Writes saved state to a stream. */
  @FunctionalInterface
  public interface Writer {
    void write(DataOutput out) throws IOException;
  }

  /** Reads saved state from a stream. */
  @FunctionalInterface
  public interface Reader<T> {
    T read(Bytes in) throws IOException;
  }

  /** What {@code writer} writes, as bytes (writing to memory cannot fail). */
  public static byte[] toBytes(Writer writer) {
    return toBytes(32, writer);
  }

  /**
   * As {@link #toBytes(Writer)}, into a buffer of {@code sizeHint} bytes: with the exact size, the bytes are written
   * once and never copied (an unsized buffer doubles and copies its MBs about log2(size / 32) times, then once more).
   */
  public static byte[] toBytes(int sizeHint, Writer writer) {
    SizedBytes bytes = new SizedBytes(sizeHint);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen: writing to memory", e);
    }
    return bytes.bytes();
  }

  /** A byte buffer that hands over its own array when that is exactly full. */
  private static final class SizedBytes extends ByteArrayOutputStream {
    SizedBytes(int size) {
      super(size);
    }

    byte[] bytes() {
      return count == buf.length ? buf : toByteArray();
    }
  }

  /**
   * Reads all of {@code bytes} with {@code reader}.
   *
   * @throws IllegalArgumentException naming {@code what} if they are not one whole saved state (corrupt, truncated
   *     or followed by trailing bytes)
   */
  public static <T> T fromBytes(byte[] bytes, String what, Reader<T> reader) {
    try (Bytes in = new Bytes(bytes)) {
      T state = reader.read(in);
      if (in.remaining() > 0) {
        throw new IOException(in.remaining() + " trailing bytes");
      }
      return state;
    } catch (IOException e) {
      throw new IllegalArgumentException("corrupt " + what + " bytes: " + e.getMessage(), e);
    }
  }

  /** Saved state held in memory, which knows exactly how many of its bytes are left to read. */
  public static final class Bytes extends DataInputStream {
    private final ByteArrayInputStream source;

    public Bytes(byte[] bytes) {
      this(new ByteArrayInputStream(bytes));
    }

    private Bytes(ByteArrayInputStream source) {
      super(source);
      this.source = source;
    }

    /** Bytes not read yet. */
    public int remaining() {
      return source.available();
    }
  }

  /**
   * The bytes left in {@code in} if it is a {@link Bytes}; for any other input (a checkpoint stream, which the
   * job wrote itself) the amount is unknown and this is {@link Long#MAX_VALUE}, so no check refuses it.
   */
  public static long remaining(DataInput in) {
    return in instanceof Bytes bytes ? bytes.remaining() : Long.MAX_VALUE;
  }

  /**
   * Checks, before anything of that size is allocated, that {@code count} items of at least {@code bytesEach}
   * bytes each can be in what remains of {@code in}; {@code what} names the declared size in the message.
   */
  public static void requireFits(DataInput in, long count, int bytesEach, String what) throws IOException {
    long remaining = remaining(in);
    if (count < 0 || count > remaining / bytesEach) {
      throw new IOException(what + ": expected at most " + remaining / bytesEach + " (" + bytesEach
          + " bytes each in the " + remaining + " bytes that remain), got " + count);
    }
  }

  /** Writes {@code values.length} then each value's raw bits. */
  public static void writeFloats(DataOutput out, float[] values) throws IOException {
    out.writeInt(values.length);
    // The same big-endian bytes as writeInt per value, handed over in chunks: one call per value cost a
    // synchronised write per byte on a stream-backed DataOutput, which showed in the train thread's profile for MLP
    // snapshots (docs/BENCHMARKS.md, "Profiles behind design choices").
    byte[] chunk = new byte[Math.min(values.length, FLOAT_CHUNK) * Float.BYTES];
    ByteBuffer buffer = ByteBuffer.wrap(chunk).order(ByteOrder.BIG_ENDIAN);
    for (int from = 0; from < values.length; from += FLOAT_CHUNK) {
      int n = Math.min(FLOAT_CHUNK, values.length - from);
      buffer.clear();
      buffer.asFloatBuffer().put(values, from, n);
      out.write(chunk, 0, n * Float.BYTES);
    }
  }

  /** Floats per chunk of {@link #writeFloats}: 16 KiB of bytes. */
  private static final int FLOAT_CHUNK = 4096;

  /** Reads an array written by {@link #writeFloats} into {@code into}, whose length must match; {@code what} names it. */
  public static void readFloats(DataInput in, float[] into, String what) throws IOException {
    readLength(in, into.length, what);
    byte[] chunk = new byte[Math.min(into.length, FLOAT_CHUNK) * Float.BYTES];
    ByteBuffer buffer = ByteBuffer.wrap(chunk).order(ByteOrder.BIG_ENDIAN);
    for (int from = 0; from < into.length; from += FLOAT_CHUNK) {
      int n = Math.min(FLOAT_CHUNK, into.length - from);
      in.readFully(chunk, 0, n * Float.BYTES);
      buffer.clear();
      buffer.asFloatBuffer().get(into, from, n);
    }
  }

  /** Writes {@code values.length} then each value's raw bits. */
  public static void writeDoubles(DataOutput out, double[] values) throws IOException {
    out.writeInt(values.length);
    for (double v : values) {
      out.writeLong(Double.doubleToRawLongBits(v));
    }
  }

  /** Reads an array written by {@link #writeDoubles} into {@code into}, whose length must match; {@code what} names it. */
  public static void readDoubles(DataInput in, double[] into, String what) throws IOException {
    readLength(in, into.length, what);
    for (int i = 0; i < into.length; i++) {
      into[i] = Double.longBitsToDouble(in.readLong());
    }
  }

  /** Reads a length prefix and checks it equals {@code expected}. */
  public static void readLength(DataInput in, int expected, String what) throws IOException {
    int length = in.readInt();
    if (length != expected) {
      throw new IOException(what + ": expected " + expected + " elements, stream has " + length);
    }
  }

  /** Writes a UTF-8 string with an int byte-length prefix (no 64 KiB limit, unlike {@link DataOutput#writeUTF}). */
  public static void writeString(DataOutput out, String value) throws IOException {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  /** Reads a string written by {@link #writeString}; {@code what} names it in errors. */
  public static String readString(DataInput in, String what) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_STRING_BYTES) {
      throw new IOException(what + ": expected a string of 0.." + MAX_STRING_BYTES + " bytes, stream says " + length);
    }
    if (length > remaining(in)) {
      throw new IOException(what + ": expected a string of at most the " + remaining(in)
          + " bytes that remain, stream says " + length);
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
