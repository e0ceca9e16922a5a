package dev.chorus.core.features;

/**
 * MurmurHash3 x86_32 (Austin Appleby, public domain, {@code MurmurHash3_x86_32} of smhasher), the hash that
 * scikit-learn's {@code murmurhash3_32}, Guava's {@code murmur3_32_fixed} and Vowpal Wabbit use: little-endian
 * 4-byte blocks, then the tail, then the finaliser. The result is the signed 32-bit value scikit-learn returns with
 * {@code positive=False}.
 */
public final class MurmurHash3 {

  private static final int C1 = 0xcc9e2d51;
  private static final int C2 = 0x1b873593;

  private MurmurHash3() {}

  /** The hash of {@code data[0 .. length)} with {@code seed}. */
  public static int hash32(byte[] data, int length, int seed) {
    int h = seed;
    int blocks = length & ~3;
    for (int i = 0; i < blocks; i += 4) {
      int k = (data[i] & 0xFF) | (data[i + 1] & 0xFF) << 8 | (data[i + 2] & 0xFF) << 16 | (data[i + 3] & 0xFF) << 24;
      h ^= mixK(k);
      h = Integer.rotateLeft(h, 13);
      h = h * 5 + 0xe6546b64;
    }
    int k = 0;
    switch (length & 3) {
      case 3:
        k ^= (data[blocks + 2] & 0xFF) << 16;
      // fall through
      case 2:
        k ^= (data[blocks + 1] & 0xFF) << 8;
      // fall through
      case 1:
        k ^= data[blocks] & 0xFF;
        h ^= mixK(k);
      // fall through
      default:
        break;
    }
    h ^= length;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  private static int mixK(int k) {
    k *= C1;
    k = Integer.rotateLeft(k, 15);
    return k * C2;
  }
}
