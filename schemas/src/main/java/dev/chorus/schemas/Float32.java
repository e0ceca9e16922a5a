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

    /** A view of {@code buf} in little-endian order; {@code buf} itself only when it already is. */
    private static ByteBuffer littleEndian(ByteBuffer buf) {
        return buf.order() == ByteOrder.LITTLE_ENDIAN ? buf : buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }
}
