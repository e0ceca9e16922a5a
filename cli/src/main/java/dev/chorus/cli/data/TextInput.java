package dev.chorus.cli.data;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * What the readers share: gzip detection, line reading with positions, strict decimal numbers and
 * {@code source:line:column: message} errors (1-based line and column, the format compilers use, which
 * editors and terminals turn into links).
 */
final class TextInput {

  private static final int GZIP_MAGIC = 0x1f8b;
  private static final int BUFFER_BYTES = 1 << 16;
  private static final char BYTE_ORDER_MARK = '\uFEFF';

  private TextInput() {}

  /**
   * {@code in}, decompressed if it starts with the gzip or the LZ4 frame magic (the format apt stores
   * its lists in, {@link Lz4FrameInputStream}) or an LZ4 skippable frame's; the caller closes {@code in}.
   */
  static InputStream decompressIfNeeded(InputStream in, String source) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(in, BUFFER_BYTES);
    buffered.mark(4);
    int head = 0;
    for (int i = 0; i < 4; i++) {
      head = head << 8 | (buffered.read() & 0xff);
    }
    buffered.reset();
    try {
      if (head >>> 16 == GZIP_MAGIC) {
        return new GZIPInputStream(buffered, BUFFER_BYTES);
      }
      if (Lz4FrameInputStream.startsFrame(head)) {
        return new BufferedInputStream(new Lz4FrameInputStream(buffered), BUFFER_BYTES);
      }
    } catch (IOException e) {
      throw new IOException(source + ": starts like " + (Lz4FrameInputStream.startsFrame(head) ? "LZ4" : "gzip")
          + " but cannot be decompressed: " + e.getMessage(), e);
    }
    return buffered;
  }

  /** UTF-8 lines of {@code in}, decompressed if gzip. */
  static BufferedReader utf8Lines(InputStream in, String source) throws IOException {
    return new BufferedReader(new InputStreamReader(decompressIfNeeded(in, source), StandardCharsets.UTF_8), BUFFER_BYTES);
  }

  /** Reads the next line, dropping a byte-order mark at the very start of the input. */
  static String readLine(BufferedReader reader, int lineNumber) throws IOException {
    String line = reader.readLine();
    if (line != null && lineNumber == 1 && !line.isEmpty() && line.charAt(0) == BYTE_ORDER_MARK) {
      return line.substring(1);
    }
    return line;
  }

  static BufferedReader buffered(Reader reader) {
    return reader instanceof BufferedReader b ? b : new BufferedReader(reader, BUFFER_BYTES);
  }

  static IOException error(String source, int line, int column, String message) {
    return new IOException(source + ":" + line + ":" + column + ": " + message);
  }

  /**
   * Whether {@code text[from, to)} is a plain decimal number: optional sign, digits with an optional
   * fraction, optional exponent. Java's own parsers also accept {@code NaN}, {@code Infinity}, hexadecimal
   * and a trailing {@code f} or {@code d}, none of which belongs in a data file.
   */
  static boolean isDecimal(String text, int from, int to) {
    int i = from;
    if (i < to && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
      i++;
    }
    int digits = 0;
    while (i < to && isDigit(text.charAt(i))) {
      i++;
      digits++;
    }
    if (i < to && text.charAt(i) == '.') {
      i++;
      while (i < to && isDigit(text.charAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      return false;
    }
    if (i < to && (text.charAt(i) == 'e' || text.charAt(i) == 'E')) {
      i++;
      if (i < to && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
        i++;
      }
      int exponentDigits = 0;
      while (i < to && isDigit(text.charAt(i))) {
        i++;
        exponentDigits++;
      }
      if (exponentDigits == 0) {
        return false;
      }
    }
    return i == to;
  }

  /** Whether {@code text[from, to)} is a non-empty run of ASCII digits. */
  static boolean isDigits(String text, int from, int to) {
    if (from >= to) {
      return false;
    }
    for (int i = from; i < to; i++) {
      if (!isDigit(text.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** A growable float array, so that reading does not box or copy per row. */
  static final class Floats {
    private float[] data = new float[1024];
    private int size;

    void add(float value) {
      if (size == data.length) {
        data = Arrays.copyOf(data, grow(size));
      }
      data[size++] = value;
    }

    int size() {
      return size;
    }

    float[] toArray() {
      return Arrays.copyOf(data, size);
    }
  }

  /** A growable double array. */
  static final class Doubles {
    private double[] data = new double[256];
    private int size;

    void add(double value) {
      if (size == data.length) {
        data = Arrays.copyOf(data, grow(size));
      }
      data[size++] = value;
    }

    int size() {
      return size;
    }

    double[] toArray() {
      return Arrays.copyOf(data, size);
    }
  }

  /** A growable int array. */
  static final class Ints {
    private int[] data = new int[1024];
    private int size;

    void add(int value) {
      if (size == data.length) {
        data = Arrays.copyOf(data, grow(size));
      }
      data[size++] = value;
    }

    int size() {
      return size;
    }

    int[] toArray() {
      return Arrays.copyOf(data, size);
    }
  }

  private static int grow(int size) {
    if (size >= Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("more than " + size + " values: larger than the largest Java array");
    }
    return (int) Math.min((long) size * 2, Integer.MAX_VALUE - 8);
  }
}
