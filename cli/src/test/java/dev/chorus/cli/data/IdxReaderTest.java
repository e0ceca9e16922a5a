package dev.chorus.cli.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

  private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  @TempDir
  Path dir;

  /** IDX bytes: magic, dimensions, then data. */
  private static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(magic);
    for (int d : dims) {
      out.writeInt(d);
    }
    out.write(data);
    return bytes.toByteArray();
  }

  private Path file(String name, byte[] content, boolean gzip) throws IOException {
    Path path = dir.resolve(name);
    try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(path)) : Files.newOutputStream(path)) {
      out.write(content);
    }
    return path;
  }

  private static byte[] twoImages() {
    // Two 2 × 3 images.
    return new byte[] {0, (byte) 255, 51, 102, (byte) 128, 1, 2, 3, 4, 5, 6, 7};
  }

  @Test
  void readsRawAndGzippedImagesScaledToUnitInterval() throws IOException {
    byte[] content = idx(IdxReader.IMAGES_MAGIC, new int[] {2, 2, 3}, twoImages());
    for (boolean gzip : new boolean[] {false, true}) {
      IdxReader.Images images = IdxReader.readImages(file("images" + gzip, content, gzip));
      assertThat(images.count()).isEqualTo(2);
      assertThat(images.rows()).isEqualTo(2);
      assertThat(images.cols()).isEqualTo(3);
      assertThat(images.pixelsPerImage()).isEqualTo(6);
      assertThat(images.pixels()).hasSize(12);
      assertThat(images.pixels()[0]).isZero();
      assertThat(images.pixels()[1]).isEqualTo(1f);
      assertThat(images.pixels()[2]).isEqualTo(0.2f);
      assertThat(images.pixels()[4]).isEqualTo(128 / 255f);
      assertThat(images.pixels()[11]).isEqualTo(7 / 255f);
    }
  }

  @Test
  void readsRawAndGzippedLabels() throws IOException {
    byte[] content = idx(IdxReader.LABELS_MAGIC, new int[] {4}, new byte[] {9, 0, 3, (byte) 200});
    assertThat(IdxReader.readLabels(file("labels", content, false))).containsExactly(9, 0, 3, 200);
    assertThat(IdxReader.readLabels(file("labels.gz", content, true))).containsExactly(9, 0, 3, 200);
  }

  @Test
  void readsStreamsNamingTheSourceInErrors() throws IOException {
    byte[] labels = idx(IdxReader.LABELS_MAGIC, new int[] {2}, new byte[] {4, 5});
    ByteArrayOutputStream gzipped = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(gzipped)) {
      out.write(labels);
    }
    assertThat(IdxReader.readLabels(new ByteArrayInputStream(gzipped.toByteArray()), "labels.gz")).containsExactly(4, 5);
    assertThatThrownBy(() -> IdxReader.readImages(new ByteArrayInputStream(labels), "classpath:labels"))
        .isInstanceOf(IOException.class)
        .hasMessage("classpath:labels: IDX magic 0x00000801, expected 0x00000803 (unsigned-byte images with 3 dimensions)");
  }

  @Test
  void wrongMagicNamesFileExpectedAndActual() throws IOException {
    Path labels = file("labels", idx(IdxReader.LABELS_MAGIC, new int[] {1}, new byte[] {1}), false);
    assertThatThrownBy(() -> IdxReader.readImages(labels)).isInstanceOf(IOException.class)
        .hasMessage(labels + ": IDX magic 0x00000801, expected 0x00000803 (unsigned-byte images with 3 dimensions)");
  }

  @Test
  void truncatedDataNamesTheSizes() throws IOException {
    byte[] content = idx(IdxReader.IMAGES_MAGIC, new int[] {3, 2, 3}, twoImages());
    Path path = file("short.gz", content, true);
    assertThatThrownBy(() -> IdxReader.readImages(path)).isInstanceOf(IOException.class)
        .hasMessage(path + ": truncated: header announces 3 × 2 × 3 images (18 data bytes), found 12");
    Path header = file("header", new byte[] {0, 0, 8, 3, 0, 0}, false);
    assertThatThrownBy(() -> IdxReader.readImages(header))
        .hasMessage(header + ": truncated in the header while reading the image count");
  }

  @Test
  void badDimensionsAndTrailingBytesAreRejected() throws IOException {
    Path zero = file("zero", idx(IdxReader.IMAGES_MAGIC, new int[] {0, 2, 3}, new byte[0]), false);
    assertThatThrownBy(() -> IdxReader.readImages(zero)).hasMessage(zero + ": image count must be >= 1, header says 0");
    Path longer = file("long", idx(IdxReader.LABELS_MAGIC, new int[] {2}, new byte[] {1, 2, 3}), false);
    assertThatThrownBy(() -> IdxReader.readLabels(longer))
        .hasMessage(longer + ": more data than the header announces (2 labels, 2 data bytes)");
  }

  @Test
  void readsTheFashionMnistTestSetWhenInstalled() throws IOException {
    Path images = FASHION_MNIST.resolve("t10k-images-idx3-ubyte.gz");
    Path labels = FASHION_MNIST.resolve("t10k-labels-idx1-ubyte.gz");
    assumeTrue(Files.isReadable(images) && Files.isReadable(labels),
        "Fashion-MNIST is not installed at " + FASHION_MNIST + "; skipping");
    IdxReader.Images read = IdxReader.readImages(images);
    assertThat(read.count()).isEqualTo(10_000);
    assertThat(read.pixelsPerImage()).isEqualTo(784);
    assertThat(read.pixels()).hasSize(10_000 * 784);
    int[] classes = IdxReader.readLabels(labels);
    assertThat(classes).hasSize(10_000);
    int[] perClass = new int[10];
    for (int label : classes) {
      perClass[label]++;
    }
    assertThat(perClass).containsOnly(1000);
    float max = 0;
    for (float p : read.pixels()) {
      max = Math.max(max, p);
    }
    assertThat(max).isEqualTo(1f);
  }
}
