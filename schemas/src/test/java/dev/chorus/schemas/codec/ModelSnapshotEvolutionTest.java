package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.EvolutionRoundTrips.history;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.ModelSnapshot;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * ModelSnapshot gained chunk, chunks and digest (optional, default null) for snapshots split over several records:
 * snapshots written before still read as whole snapshots, and a reader of the first schema reads a chunk as a
 * snapshot whose parameters are only a slice (or, for a manifest, empty), which no model loader accepts.
 */
class ModelSnapshotEvolutionTest {

    @Test
    void theCurrentReaderReadsSnapshotsOfTheFirstSchemaAsWholeSnapshots() throws Exception {
        Schema first = history("ModelSnapshot-1.avsc");
        GenericRecord old = new GenericData.Record(first);
        old.put("task", "t");
        old.put("variant", "default");
        old.put("version", 4L);
        old.put("algorithm", "logistic-regression");
        old.put("spec", "{}");
        old.put("parametersFormat", 1);
        old.put("parameters", ByteBuffer.wrap(new byte[] {1, 2, 3}));
        old.put("examplesSeen", 32L);
        old.put("metrics", Map.of());
        old.put("createdAt", 5L);
        old.put("provenance", Map.of());
        ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), first).encode(old);
        byte[] avro = new byte[encoded.remaining()];
        encoded.get(avro);

        ModelSnapshot read = WireFormat.AVRO.codec(ModelSnapshot.class).decode(avro);

        assertThat(read.getVersion()).isEqualTo(4L);
        assertThat(read.getParameters()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(read.getChunk()).isNull();
        assertThat(read.getChunks()).isNull();
        assertThat(read.getDigest()).isNull();
    }

    @Test
    void aReaderOfTheFirstSchemaReadsAChunkAsASnapshotOfItsSliceOnly() throws Exception {
        Schema first = history("ModelSnapshot-1.avsc");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(first, ModelSnapshot.getClassSchema()).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        ModelSnapshot chunk = ModelSnapshot.newBuilder().setTask("t").setVariant("default").setVersion(9)
                .setAlgorithm("logistic-regression").setSpec("{}").setParametersFormat(1)
                .setParameters(ByteBuffer.wrap(new byte[] {7, 8})).setExamplesSeen(1).setCreatedAt(2)
                .setChunk(1).setChunks(3).setDigest(ByteBuffer.wrap(new byte[32])).build();
        byte[] avro = WireFormat.AVRO.codec(ModelSnapshot.class).encode(chunk);

        BinaryMessageDecoder<GenericRecord> oldReader = new BinaryMessageDecoder<>(GenericData.get(), first);
        oldReader.addSchema(ModelSnapshot.getClassSchema());
        GenericRecord read = oldReader.decode(avro);

        assertThat(read.getSchema().getFields()).hasSize(11);
        assertThat(read.get("version")).isEqualTo(9L);
        assertThat(read.get("parameters")).isEqualTo(ByteBuffer.wrap(new byte[] {7, 8}));
    }
}
