package dev.chorus.schemas;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Packs and unpacks the {@code "chorus.encoding": "float32-le"} byte fields of the Chorus records: packed
 * little-endian IEEE 754 float32 values, four bytes each.
 *
 * <p>Every method reads the bytes between a buffer's position and its limit and leaves the caller's buffer
 * (position, limit, byte order) untouched. These run once per record on hot paths, so copies are bulk copies
 * through a {@link java.nio.FloatBuffer} view, never per-element loops.
 */
public final class Float32 {

    /** Bytes per packed value. */
    public static final int BYTES = Float.BYTES;

    private Float32() {
    }

    /**
     * Packs all of {@code values}.
     *
     * @return a new little-endian heap buffer, position 0, limit {@code 4 * values.length}
     */
    public static ByteBuffer pack(float[] values) {
        return pack(values, 0, values.length);
    }

    /**
     * Packs {@code values[offset, offset + length)}.
     *
     * @return a new little-endian heap buffer, position 0, limit {@code 4 * length}
     * @throws IndexOutOfBoundsException if the range is not inside {@code values}
     */
    public static ByteBuffer pack(float[] values, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, values.length);
        ByteBuffer packed = ByteBuffer.allocate(length * BYTES).order(ByteOrder.LITTLE_ENDIAN);
        packed.asFloatBuffer().put(values, offset, length);
        return packed;
    }

    /**
     * Unpacks every value of {@code buf} into a new array.
     *
     * @throws IllegalArgumentException if the byte length is not a multiple of 4
     */
    public static float[] unpack(ByteBuffer buf) {
        float[] values = new float[count(buf)];
        unpackInto(buf, values, 0);
        return values;
    }

    /**
     * Unpacks every value of {@code buf} into {@code dst} starting at {@code dstOffset}.
     *
     * @throws IllegalArgumentException if the byte length is not a multiple of 4
     * @throws IndexOutOfBoundsException if {@code dst} has no room for {@link #count(ByteBuffer)} values at
     *     {@code dstOffset}
     */
    public static void unpackInto(ByteBuffer buf, float[] dst, int dstOffset) {
        int count = count(buf);
        Objects.checkFromIndexSize(dstOffset, count, dst.length);
        littleEndian(buf).asFloatBuffer().get(dst, dstOffset, count);
    }

    /**
     * Number of packed values in {@code buf}.
     *
     * @throws IllegalArgumentException if the byte length is not a multiple of 4
     */
    public static int count(ByteBuffer buf) {
        int bytes = buf.remaining();
        if (bytes % BYTES != 0) {
            throw new IllegalArgumentException(
                    "packed float32 length must be a multiple of 4 bytes, got " + bytes + " bytes");
        }
        return bytes / BYTES;
    }

    /**
     * The index of the first packed value of {@code buf} that is NaN or infinite, or -1 if all are finite.
     *
     * @throws IllegalArgumentException if the byte length is not a multiple of 4
     */
    public static int firstNonFinite(ByteBuffer buf) {
        return firstOfExponentAtLeast(buf, 0xFF);
    }

    /**
     * The index of the first packed value of {@code buf} whose magnitude is at least {@code powerOfTwo}, or that is
     * NaN or infinite, or -1 if there is none. Reads the exponent bits straight from the bytes, without a float view:
     * this check runs on every example a job decodes.
     *
     * @throws IllegalArgumentException if the byte length is not a multiple of 4, or {@code powerOfTwo} is not a
     *         normal power of two
     */
    public static int firstAtLeast(ByteBuffer buf, float powerOfTwo) {
        if (!(powerOfTwo >= Float.MIN_NORMAL) || Float.isInfinite(powerOfTwo)
                || Math.scalb(1f, Math.getExponent(powerOfTwo)) != powerOfTwo) {
            throw new IllegalArgumentException("expected a normal power of two, got " + powerOfTwo);
        }
        return firstOfExponentAtLeast(buf, Math.getExponent(powerOfTwo) + Float.MAX_EXPONENT);
    }

    /** The first value whose biased exponent is at least {@code biased} (0xFF: NaN and the infinities). */
    private static int firstOfExponentAtLeast(ByteBuffer buf, int biased) {
        int count = count(buf);
        if (!buf.hasArray()) {
            ByteBuffer le = littleEndian(buf);
            for (int i = 0; i < count; i++) {
                int bits = Float.floatToRawIntBits(le.getFloat(le.position() + i * BYTES));
                if ((bits >>> 23 & 0xFF) >= biased) {
                    return i;
                }
            }
            return -1;
        }
        byte[] bytes = buf.array();
        int start = buf.arrayOffset() + buf.position();
        // Packed little-endian (whatever the buffer's own order says): the exponent is the low 7 bits of a value's
        // byte 3 and the high bit of its byte 2.
        for (int i = 0; i < count; i++) {
            int at = start + i * BYTES;
            if (((bytes[at + 3] & 0x7F) << 1 | (bytes[at + 2] & 0xFF) >>> 7) >= biased) {
                return i;
            }
        }
        return -1;
    }

    /** A view of {@code buf} in little-endian order; {@code buf} itself only when it already is. */
    private static ByteBuffer littleEndian(ByteBuffer buf) {
        return buf.order() == ByteOrder.LITTLE_ENDIAN ? buf : buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }
}
