package dev.chorus.cli.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import net.jpountz.xxhash.StreamingXXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Decompresses the LZ4 frame format (lz4.org's frame spec, version 01), as apt stores its package lists, including
 * linked blocks (a match may reach into the previous 64 KiB of output), which lz4-java's own frame stream refuses.
 * Block and content checksums are verified with lz4-java's xxHash32 (Kafka's client brings it). Concatenated
 * frames are read one after the other, and skippable frames (magic 0x184D2A50 to 0x184D2A5F, a 4-byte
 * little-endian size, then that many bytes of user data) are skipped wherever a frame may start, as the spec asks of
 * decoders. Corrupt input is an {@link IOException} naming the block.
 */
final class Lz4FrameInputStream extends InputStream {

  static final int MAGIC = 0x184D2204;
  /** The first of the sixteen skippable frame magics; the last four bits are the writer's to choose. */
  static final int SKIPPABLE_MAGIC = 0x184D2A50;
  private static final int WINDOW = 64 * 1024;

  private final DataInputStream in;
  private final XXHashFactory xxHash = XXHashFactory.fastestJavaInstance();
  private byte[] buffer = new byte[0];
  private byte[] block = new byte[0];
  private int position;
  private int limit;
  private int blockMax;
  private boolean blockChecksums;
  private StreamingXXHash32 contentHash;
  private long blocks;
  private boolean finished;
  private long skippableFrames;

  Lz4FrameInputStream(InputStream in) throws IOException {
    this.in = new DataInputStream(in);
    if (!readFrameHeader()) {
      if (skippableFrames == 0) {
        throw new IOException("LZ4 frame: empty input, expected the magic 0x184D2204");
      }
      // Only skippable frames: there is nothing to decode.
      finished = true;
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    while (position == limit) {
      if (finished || !nextBlock()) {
        finished = true;
        return -1;
      }
    }
    int n = Math.min(len, limit - position);
    System.arraycopy(buffer, position, b, off, n);
    position += n;
    return n;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /** Reads a frame header, skipping any skippable frames before it; false at the end of the input. */
  private boolean readFrameHeader() throws IOException {
    int magic;
    while (true) {
      byte[] bytes = in.readNBytes(4);
      if (bytes.length == 0) {
        return false;
      }
      if (bytes.length < 4) {
        throw new IOException("LZ4 frame: input ends after " + bytes.length + " of the 4 bytes of a frame magic");
      }
      magic = littleEndian(bytes);
      if (!isSkippable(magic)) {
        break;
      }
      skipFrame(magic);
    }
    if (magic != MAGIC) {
      throw new IOException(String.format("LZ4 frame: magic 0x%08X, expected 0x%08X", magic, MAGIC));
    }
    int flags = in.readUnsignedByte();
    int descriptor = in.readUnsignedByte();
    if ((flags >>> 6) != 1) {
      throw new IOException("LZ4 frame: version " + (flags >>> 6) + ", expected 1");
    }
    int sizeCode = (descriptor >>> 4) & 7;
    if (sizeCode < 4) {
      throw new IOException("LZ4 frame: block size code " + sizeCode + ", expected 4 to 7");
    }
    blockMax = 1 << (8 + 2 * sizeCode);
    blockChecksums = (flags & 0x10) != 0;
    contentHash = (flags & 0x04) != 0 ? xxHash.newStreamingHash32(0) : null;
    in.skipNBytes(((flags & 0x08) != 0 ? 8 : 0) + ((flags & 0x01) != 0 ? 4 : 0) + 1);
    if (buffer.length < WINDOW + blockMax) {
      buffer = new byte[WINDOW + blockMax];
      block = new byte[blockMax];
    }
    position = 0;
    limit = 0;
    return true;
  }

  /** Skips a skippable frame's 4-byte little-endian size and that many bytes of user data, after its magic. */
  private void skipFrame(int magic) throws IOException {
    String frame = String.format("LZ4 frame: skippable frame 0x%08X", magic);
    byte[] bytes = in.readNBytes(4);
    if (bytes.length < 4) {
      throw new IOException(frame + " ends after " + bytes.length + " of the 4 bytes of its size");
    }
    long size = Integer.toUnsignedLong(littleEndian(bytes));
    long skipped = 0;
    while (skipped < size) {
      long n = in.skip(size - skipped);
      if (n <= 0) {
        // skip may return 0 before the end; reading one byte tells.
        if (in.read() < 0) {
          throw new IOException(frame + " ends after " + skipped + " of its " + size + " bytes of user data");
        }
        n = 1;
      }
      skipped += n;
    }
    skippableFrames++;
  }

  private static int littleEndian(byte[] bytes) {
    return (bytes[0] & 0xff) | (bytes[1] & 0xff) << 8 | (bytes[2] & 0xff) << 16 | (bytes[3] & 0xff) << 24;
  }

  /** Whether {@code magic}, read little-endian, is one of the sixteen skippable frame magics. */
  static boolean isSkippable(int magic) {
    return (magic & 0xFFFFFFF0) == SKIPPABLE_MAGIC;
  }

  /** Decodes the next block into {@link #buffer} after the last 64 KiB of output; false at the end of input. */
  private boolean nextBlock() throws IOException {
    int size = Integer.reverseBytes(in.readInt());
    if (size == 0) {
      if (contentHash != null) {
        int expected = Integer.reverseBytes(in.readInt());
        if (contentHash.getValue() != expected) {
          throw new IOException("LZ4 frame: content checksum mismatch after block " + blocks);
        }
      }
      return readFrameHeader();
    }
    boolean stored = size < 0;
    size &= 0x7fffffff;
    if (size > blockMax) {
      throw new IOException("LZ4 frame: block " + blocks + " has " + size + " bytes, the frame allows " + blockMax);
    }
    in.readFully(block, 0, size);
    if (blockChecksums) {
      int expected = Integer.reverseBytes(in.readInt());
      if (xxHash.hash32().hash(block, 0, size, 0) != expected) {
        throw new IOException("LZ4 frame: checksum mismatch in block " + blocks);
      }
    }
    if (limit > WINDOW) {
      System.arraycopy(buffer, limit - WINDOW, buffer, 0, WINDOW);
      limit = WINDOW;
    }
    position = limit;
    if (stored) {
      System.arraycopy(block, 0, buffer, limit, size);
      limit += size;
    } else {
      limit = decode(size);
    }
    if (contentHash != null) {
      contentHash.update(buffer, position, limit - position);
    }
    blocks++;
    return true;
  }

  /** LZ4 block format: sequences of a token, literals, a 2-byte offset and a match; returns the output's end. */
  private int decode(int size) throws IOException {
    int at = 0;
    int out = limit;
    int end = limit + blockMax;
    try {
      while (true) {
        int token = block[at++] & 0xff;
        int literals = token >>> 4;
        if (literals == 15) {
          for (int b = 255; b == 255; literals += b) {
            b = block[at++] & 0xff;
          }
        }
        if (literals > size - at || literals > end - out) {
          throw corrupt("literals run past the block");
        }
        System.arraycopy(block, at, buffer, out, literals);
        at += literals;
        out += literals;
        if (at == size) {
          return out;
        }
        int offset = (block[at++] & 0xff) | (block[at++] & 0xff) << 8;
        int match = (token & 15) + 4;
        if ((token & 15) == 15) {
          for (int b = 255; b == 255; match += b) {
            b = block[at++] & 0xff;
          }
        }
        if (offset == 0 || offset > out || match > end - out) {
          throw corrupt("match of " + match + " bytes at offset " + offset + " outside the window");
        }
        // Byte by byte: a match may overlap the bytes it produces.
        for (int from = out - offset, stop = out + match; out < stop; ) {
          buffer[out++] = buffer[from++];
        }
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      throw corrupt("truncated sequence");
    }
  }

  private IOException corrupt(String what) {
    return new IOException("LZ4 frame: corrupt block " + blocks + ": " + what);
  }

  /** Whether a stream starting with these four bytes, read big-endian, is an LZ4 frame or a skippable frame. */
  static boolean startsFrame(int head) {
    int magic = Integer.reverseBytes(head);
    return magic == MAGIC || isSkippable(magic);
  }
}
