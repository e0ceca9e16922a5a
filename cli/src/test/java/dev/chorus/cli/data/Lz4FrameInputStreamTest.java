package dev.chorus.cli.data;

import static dev.chorus.cli.data.PackageCatalogueTest.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Lz4FrameInputStreamTest {

  /** A skippable frame with magic 0x184D2A50 and the five bytes "hello" as its user data. */
  private static final byte[] SKIPPABLE_HELLO = concat(
      new byte[] {0x50, 0x2A, 0x4D, 0x18, 0x05, 0x00, 0x00, 0x00}, "hello".getBytes(StandardCharsets.US_ASCII));

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] decompress(byte[] bytes) throws IOException {
    try (InputStream in = TextInput.decompressIfNeeded(new ByteArrayInputStream(bytes), "test")) {
      return in.readAllBytes();
    }
  }

  @Test
  void aSkippableFrameAtTheStartIsRecognisedAsLz4AndSkipped() throws IOException {
    byte[] frame = Files.readAllBytes(fixture("Packages.lz4"));
    byte[] text = Files.readAllBytes(fixture("Packages"));
    assertThat(decompress(concat(SKIPPABLE_HELLO, frame))).isEqualTo(text);
  }

  @Test
  void skippableFramesBetweenAndAfterFramesAreSkipped() throws IOException {
    byte[] frame = Files.readAllBytes(fixture("Packages.lz4"));
    byte[] text = Files.readAllBytes(fixture("Packages"));
    // The last of the sixteen magics, with no user data.
    byte[] emptySkippable = {0x5F, 0x2A, 0x4D, 0x18, 0x00, 0x00, 0x00, 0x00};
    assertThat(decompress(concat(frame, SKIPPABLE_HELLO, emptySkippable, frame, SKIPPABLE_HELLO)))
        .isEqualTo(concat(text, text));
  }

  @Test
  void onlySkippableFramesDecodeToNothing() throws IOException {
    assertThat(decompress(concat(SKIPPABLE_HELLO, SKIPPABLE_HELLO))).isEmpty();
  }

  @Test
  void aTruncatedSkippableFrameNamesWhatIsMissing() throws IOException {
    byte[] frame = Files.readAllBytes(fixture("Packages.lz4"));
    assertThatThrownBy(() -> decompress(concat(SKIPPABLE_HELLO, frame, new byte[] {0x52, 0x2A, 0x4D, 0x18, 0x05})))
        .isInstanceOf(IOException.class)
        .hasMessage("LZ4 frame: skippable frame 0x184D2A52 ends after 1 of the 4 bytes of its size");
    assertThatThrownBy(() -> decompress(Arrays.copyOf(SKIPPABLE_HELLO, 11)))
        .isInstanceOf(IOException.class)
        .hasMessage("test: starts like LZ4 but cannot be decompressed: "
            + "LZ4 frame: skippable frame 0x184D2A50 ends after 3 of its 5 bytes of user data");
  }
}
