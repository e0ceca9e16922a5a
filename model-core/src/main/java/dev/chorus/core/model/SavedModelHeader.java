package dev.chorus.core.model;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The head of the saved bytes of {@link SparseLinearModel}, {@link LargeOutputModel} and {@link WideDeepModel}: the
 * model's magic, its format version, the spec's JSON (int length, then its UTF-8 bytes), then the counts
 * {@code steps} and {@code examplesSeen}. Each model writes its own parts after it.
 */
final class SavedModelHeader {

  private SavedModelHeader() {}

  /** Writes the magic, the format, the spec's JSON and the counts. */
  static void write(DataOutput out, int magic, int version, byte[] specJson, long steps, long examplesSeen)
      throws IOException {
    out.writeInt(magic);
    out.writeInt(version);
    out.writeInt(specJson.length);
    out.write(specJson);
    out.writeLong(steps);
    out.writeLong(examplesSeen);
  }

  /** Reads the magic and the format, refusing any but {@code magic} and {@code version}; errors name {@code model}. */
  static void readMagicAndVersion(DataInput in, String model, int magic, int version) throws IOException {
    readMagicAndVersion(in, model, magic, version, version);
  }

  /**
   * Reads the magic and the format, refusing any but {@code magic} and a format from {@code oldest} to {@code newest};
   * errors name {@code model}.
   *
   * @return the format
   */
  static int readMagicAndVersion(DataInput in, String model, int magic, int oldest, int newest) throws IOException {
    int actualMagic = in.readInt();
    if (actualMagic != magic) {
      throw new IOException(String.format("not a %s: magic 0x%08X, expected 0x%08X", model, actualMagic, magic));
    }
    int actualVersion = in.readInt();
    if (actualVersion < oldest || actualVersion > newest) {
      throw new IOException(model + " format " + actualVersion + " is not readable; expected "
          + (oldest == newest ? String.valueOf(oldest) : oldest + " to " + newest));
    }
    return actualVersion;
  }

  /** Reads the spec's JSON, refusing a length outside [2, 2^20], and parses it; errors name {@code model}. */
  static ModelSpec readSpec(DataInput in, String model) throws IOException {
    int jsonLength = in.readInt();
    if (jsonLength < 2 || jsonLength > 1 << 20) {
      throw new IOException(model + ": spec length must be in [2, 2^20], stream has " + jsonLength);
    }
    byte[] json = new byte[jsonLength];
    in.readFully(json);
    return ModelSpec.parse(new String(json, StandardCharsets.UTF_8));
  }
}
