package dev.chorus.cli.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: a magic number {@code 0x0000TTDD} (type
 * {@code TT}, {@code 0x08} = unsigned byte, and {@code DD} dimensions), {@code DD} big-endian int sizes,
 * then the data. Input may be gzip-compressed or raw; the gzip magic decides. Only unsigned-byte images
 * (3 dimensions) and labels (1 dimension) are supported. Errors name the source, what was expected and
 * what was found.
 */
public final class IdxReader {

  /** Magic of unsigned-byte data with 3 dimensions: images × rows × columns. */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic of unsigned-byte data with 1 dimension: labels. */
  public static final int LABELS_MAGIC = 0x00000801;

  /**
   * Images as one row-major array of {@code count × rows × cols} pixels scaled to {@code [0, 1]}; image
   * {@code i} starts at {@code i * pixelsPerImage()}.
   */
  public record Images(int count, int rows, int cols, float[] pixels) {

    public int pixelsPerImage() {
      return rows * cols;
    }
  }

  private IdxReader() {}

  /** Reads an images file; pixel bytes {@code 0..255} become {@code b / 255f}. */
  public static Images readImages(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file); DataInputStream data = decompressIfNeeded(in, file.toString())) {
      return readImages(data, file.toString());
    }
  }

  /** Reads images from {@code in}, which the caller closes; {@code source} names it in errors. */
  public static Images readImages(InputStream in, String source) throws IOException {
    return readImages(decompressIfNeeded(in, source), source);
  }

  private static Images readImages(DataInputStream data, String source) throws IOException {
    requireMagic(source, data, IMAGES_MAGIC, "unsigned-byte images with 3 dimensions");
    int count = readDimension(source, data, "image count");
    int rows = readDimension(source, data, "rows");
    int cols = readDimension(source, data, "columns");
    long size = (long) count * rows * cols;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IOException(source + ": " + count + " × " + rows + " × " + cols + " = " + size
          + " pixels exceed the largest Java array");
    }
    byte[] bytes = readData(source, data, (int) size, count + " × " + rows + " × " + cols + " images");
    float[] pixels = new float[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      pixels[i] = (bytes[i] & 0xFF) / 255f;
    }
    return new Images(count, rows, cols, pixels);
  }

  /** Reads a labels file; each byte is one label. */
  public static int[] readLabels(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file); DataInputStream data = decompressIfNeeded(in, file.toString())) {
      return readLabels(data, file.toString());
    }
  }

  /** Reads labels from {@code in}, which the caller closes; {@code source} names it in errors. */
  public static int[] readLabels(InputStream in, String source) throws IOException {
    return readLabels(decompressIfNeeded(in, source), source);
  }

  private static int[] readLabels(DataInputStream data, String source) throws IOException {
    requireMagic(source, data, LABELS_MAGIC, "unsigned-byte labels with 1 dimension");
    int count = readDimension(source, data, "label count");
    byte[] bytes = readData(source, data, count, count + " labels");
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      labels[i] = bytes[i] & 0xFF;
    }
    return labels;
  }

  private static DataInputStream decompressIfNeeded(InputStream in, String source) throws IOException {
    return new DataInputStream(TextInput.decompressIfNeeded(in, source));
  }

  private static void requireMagic(String source, DataInputStream in, int expected, String what) throws IOException {
    int magic;
    try {
      magic = in.readInt();
    } catch (EOFException e) {
      throw new IOException(source + ": truncated before the 4-byte IDX magic number", e);
    }
    if (magic != expected) {
      throw new IOException(String.format("%s: IDX magic 0x%08X, expected 0x%08X (%s)", source, magic, expected, what));
    }
  }

  private static int readDimension(String source, DataInputStream in, String name) throws IOException {
    int value;
    try {
      value = in.readInt();
    } catch (EOFException e) {
      throw new IOException(source + ": truncated in the header while reading the " + name, e);
    }
    if (value < 1) {
      throw new IOException(source + ": " + name + " must be >= 1, header says " + value);
    }
    return value;
  }

  private static byte[] readData(String source, DataInputStream in, int size, String what) throws IOException {
    byte[] bytes = in.readNBytes(size);
    if (bytes.length != size) {
      throw new IOException(source + ": truncated: header announces " + what + " (" + size + " data bytes), found "
          + bytes.length);
    }
    if (in.read() != -1) {
      throw new IOException(source + ": more data than the header announces (" + what + ", " + size + " data bytes)");
    }
    return bytes;
  }
}
