package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.jobs.kafka.SourcedExampleSerializer;
import dev.chorus.jobs.kafka.Sourced;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.types.StringValue;
import org.junit.jupiter.api.Test;

/** The router → trainer edge's format of a {@link VariantExample}. */
class VariantExampleSerializerTest {

    /**
     * A variant name of any length crosses the edge: before, it went by {@code writeUTF}, whose 64 KiB limit made a
     * name of more UTF-8 bytes fail every example of its task (and, from restored broadcast state, every restart).
     */
    @Test
    void aVariantNameOfAnyLengthRoundTrips() throws Exception {
        for (String variant : new String[] {"w", "\u00e9".repeat(40_000), "x".repeat(70_000), "\uD83D\uDE00".repeat(20_000)}) {
            VariantExample sent = new VariantExample(variant, new Sourced<>(example(3), 1, 7), SPEC, new byte[] {1, 2});
            DataOutputSerializer out = new DataOutputSerializer(64);
            VariantExampleSerializer.INSTANCE.serialize(sent, out);
            VariantExample got = VariantExampleSerializer.INSTANCE.deserialize(
                    new DataInputDeserializer(out.getCopyOfBuffer()));

            assertThat(got.variant()).isEqualTo(variant);
            assertThat(got.spec()).isEqualTo(SPEC);
            assertThat(got.initialModel()).containsExactly(1, 2);
            assertThat(got.input().value()).isEqualTo(sent.input().value());
            assertThat(got.input().offset()).isEqualTo(7L);
        }
    }

    private static VariantExample roundTrip(VariantExample sent) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        VariantExampleSerializer.INSTANCE.serialize(sent, out);
        return VariantExampleSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    /** The generation the router routed an envelope under crosses the edge, with or without a spec and model. */
    @Test
    void theGenerationRoundTrips() throws Exception {
        VariantExample announced = roundTrip(new VariantExample("w", new Sourced<>(example(3), 1, 7), SPEC,
                new byte[] {4}, 42));
        assertThat(announced.generation()).isEqualTo(42L);
        assertThat(announced.spec()).isEqualTo(SPEC);
        assertThat(announced.initialModel()).containsExactly(4);
        VariantExample plain = roundTrip(new VariantExample("w", new Sourced<>(example(4), 1, 8), null));
        assertThat(plain.generation()).isEqualTo(VariantExample.NO_GENERATION);
        assertThat(plain.spec()).isNull();
        assertThat(plain.initialModel()).isNull();
        assertThat(plain.input().value()).isEqualTo(example(4));
    }

    /**
     * An envelope in the layout before generations (as an unaligned checkpoint taken before the upgrade holds it in
     * flight, which Flink reads with the new serializer) reads, without a generation.
     */
    @Test
    void anEnvelopeInTheLayoutBeforeGenerationsReads() throws Exception {
        for (byte[] model : new byte[][] {null, {1, 2, 3}}) {
            DataOutputSerializer out = new DataOutputSerializer(64);
            StringValue.writeString("w", out);
            StringValue.writeString(SPEC, out);
            out.writeInt(model == null ? -1 : model.length);
            if (model != null) {
                out.write(model);
            }
            SourcedExampleSerializer.INSTANCE.serialize(new Sourced<>(example(5), 2, 9), out);

            VariantExample got = VariantExampleSerializer.INSTANCE.deserialize(
                    new DataInputDeserializer(out.getCopyOfBuffer()));
            assertThat(got.generation()).isEqualTo(VariantExample.NO_GENERATION);
            assertThat(got.spec()).isEqualTo(SPEC);
            assertThat(got.initialModel()).isEqualTo(model);
            assertThat(got.input().value()).isEqualTo(example(5));
            assertThat(got.input().offset()).isEqualTo(9L);
        }
    }

    @Test
    void aLengthNeitherAModelsNorTheMarkerIsRefusedByName() throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        StringValue.writeString("w", out);
        StringValue.writeString(null, out);
        out.writeInt(-7);
        assertThatThrownBy(() -> VariantExampleSerializer.INSTANCE.deserialize(
                new DataInputDeserializer(out.getCopyOfBuffer()))).isInstanceOf(IOException.class)
                .hasMessage("VariantExample of variant w: expected an initial model's length (-1 for none) or the "
                        + "layout marker -2, got -7");
    }

    /**
     * The snapshot's version says which layout was written: 3 (Flink's SimpleTypeSerializerSnapshot's, the layout
     * before generations) and 4 read as they are, since the serializer reads both layouts; another is refused.
     */
    @Test
    void theSnapshotIsVersion4AndTakesVersion3AsCompatible() throws Exception {
        DataOutputSerializer written = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(written, VariantExampleSerializer.INSTANCE.snapshotConfiguration());
        DataInputDeserializer in = new DataInputDeserializer(written.getCopyOfBuffer());
        assertThat(in.readUTF()).isEqualTo(VariantExampleSerializer.Snapshot.class.getName());
        assertThat(in.readInt()).isEqualTo(4);

        for (int version : new int[] {3, 4}) {
            TypeSerializerSnapshot<VariantExample> old = TypeSerializerSnapshot.readVersionedSnapshot(
                    new DataInputDeserializer(snapshotBytes(version)), getClass().getClassLoader());
            assertThat(VariantExampleSerializer.INSTANCE.snapshotConfiguration().resolveSchemaCompatibility(old)
                    .isCompatibleAsIs()).as("version %s", version).isTrue();
            assertThat(old.restoreSerializer()).isSameAs(VariantExampleSerializer.INSTANCE);
        }
        assertThatThrownBy(() -> TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(snapshotBytes(5)), getClass().getClassLoader()))
                .hasMessageContaining("VariantExampleSerializer snapshot: expected version 3 or 4, got 5");
    }

    /** A snapshot as Flink writes one of this serializer's at {@code version}: its class, the version, no payload. */
    private static byte[] snapshotBytes(int version) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        out.writeUTF(VariantExampleSerializer.Snapshot.class.getName());
        out.writeInt(version);
        return out.getCopyOfBuffer();
    }
}
