package dev.chorus.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class Float32Test {

    @Test
    void packThenUnpackRoundTripsEveryBitPattern() {
        float[] values = {0f, -0f, 1.5f, -2.75e-3f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NaN,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

        float[] back = Float32.unpack(Float32.pack(values));

        assertThat(back).hasSize(values.length);
        for (int i = 0; i < values.length; i++) {
            assertThat(Float.floatToRawIntBits(back[i])).as("value %d", i)
                    .isEqualTo(Float.floatToRawIntBits(values[i]));
        }
    }

    @Test
    void packWritesLittleEndianFloat32() {
        ByteBuffer packed = Float32.pack(new float[] {1.0f});

        // 1.0f is 0x3F800000, so its little-endian bytes are 00 00 80 3F.
        assertThat(packed.position()).isZero();
        assertThat(packed.remaining()).isEqualTo(4);
        assertThat(new byte[] {packed.get(0), packed.get(1), packed.get(2), packed.get(3)})
                .containsExactly(0x00, 0x00, 0x80, 0x3F);
    }

    @Test
    void packOfARangeTakesOnlyThatRange() {
        ByteBuffer packed = Float32.pack(new float[] {9f, 1f, 2f, 9f}, 1, 2);

        assertThat(Float32.unpack(packed)).containsExactly(1f, 2f);
    }

    @Test
    void unpackReadsFromPositionToLimitAndLeavesTheBufferAlone() {
        // A big-endian buffer with a 3-byte prefix: what Avro hands out is positioned and big-endian.
        ByteBuffer buffer = ByteBuffer.allocate(3 + 8);
        buffer.position(3);
        buffer.slice().order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 0.5f).putFloat(4, -4f);

        float[] values = Float32.unpack(buffer);

        assertThat(values).containsExactly(0.5f, -4f);
        assertThat(buffer.position()).isEqualTo(3);
        assertThat(buffer.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
        assertThat(Float32.count(buffer)).isEqualTo(2);
    }

    @Test
    void unpackIntoWritesAtTheOffsetAndNothingElse() {
        float[] dst = {7f, 7f, 7f, 7f, 7f};

        Float32.unpackInto(Float32.pack(new float[] {1f, 2f, 3f}), dst, 1);

        assertThat(dst).containsExactly(7f, 1f, 2f, 3f, 7f);
    }

    @Test
    void unpackIntoRejectsADestinationWithoutRoom() {
        assertThatThrownBy(() -> Float32.unpackInto(Float32.pack(new float[] {1f, 2f, 3f}), new float[4], 2))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void lengthThatIsNotAMultipleOfFourIsRejectedWithTheLength() {
        ByteBuffer sevenBytes = ByteBuffer.allocate(7);

        assertThatThrownBy(() -> Float32.count(sevenBytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 4")
                .hasMessageContaining("got 7 bytes");
        assertThatThrownBy(() -> Float32.unpack(sevenBytes)).hasMessageContaining("got 7 bytes");
        assertThatThrownBy(() -> Float32.unpackInto(sevenBytes, new float[8], 0))
                .hasMessageContaining("got 7 bytes");
    }

    @Test
    void emptyBufferHoldsNoValues() {
        assertThat(Float32.count(ByteBuffer.allocate(0))).isZero();
        assertThat(Float32.unpack(Float32.pack(new float[0]))).isEmpty();
    }

    @Test
    void firstAtLeastFindsMagnitudesFromAPowerOfTwoAndNonFiniteValues() {
        float[] values = {0, -0f, 1, Float.MIN_VALUE, Math.nextDown(0x1p64f), -Math.nextDown(0x1p64f), 0x1p63f};
        assertThat(Float32.firstAtLeast(Float32.pack(values), 0x1p64f)).isEqualTo(-1);
        for (float bad : new float[] {0x1p64f, -0x1p64f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.NaN,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] with = java.util.Arrays.copyOf(values, values.length + 1);
            with[values.length] = bad;
            assertThat(Float32.firstAtLeast(Float32.pack(with), 0x1p64f)).as("%s", bad).isEqualTo(values.length);
            ByteBuffer direct = ByteBuffer.allocateDirect(with.length * 4).put(Float32.pack(with)).flip();
            assertThat(Float32.firstAtLeast(direct, 0x1p64f)).as("%s, direct", bad).isEqualTo(values.length);
        }
        assertThat(Float32.firstAtLeast(Float32.pack(new float[] {0.5f, 1f}), 1f)).isEqualTo(1);
        assertThatThrownBy(() -> Float32.firstAtLeast(ByteBuffer.allocate(0), 3f))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void firstNonFiniteFindsNaNAndInfinitiesAndNothingElse() {
        float[] edge = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.MIN_NORMAL, 1e38f, -1e-38f, 3.4028235e38f};
        assertThat(Float32.firstNonFinite(Float32.pack(edge))).isEqualTo(-1);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.intBitsToFloat(0x7FC00001), Float.intBitsToFloat(0xFF800001)}) {
            float[] values = edge.clone();
            values[7] = bad;
            assertThat(Float32.firstNonFinite(Float32.pack(values))).as("%s", bad).isEqualTo(7);
            // Read as little-endian whatever the buffer's declared order, at its position, on or off the heap.
            ByteBuffer big = Float32.pack(values).order(ByteOrder.BIG_ENDIAN);
            assertThat(Float32.firstNonFinite(big)).isEqualTo(7);
            ByteBuffer shifted = ByteBuffer.allocate(4 + values.length * 4);
            shifted.put(new byte[4]).put(Float32.pack(values)).position(4);
            assertThat(Float32.firstNonFinite(shifted)).isEqualTo(7);
            ByteBuffer direct = ByteBuffer.allocateDirect(values.length * 4).put(Float32.pack(values)).flip();
            assertThat(Float32.firstNonFinite(direct)).isEqualTo(7);
        }
        assertThat(Float32.firstNonFinite(ByteBuffer.allocate(0))).isEqualTo(-1);
        assertThatThrownBy(() -> Float32.firstNonFinite(ByteBuffer.allocate(5)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
