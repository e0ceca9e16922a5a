package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.EvolutionRoundTrips.history;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * Prediction gained topClasses and topProbabilities (optional, default null) for tasks of up to 10^6 classes, whose
 * probabilities it cannot carry: predictions written before read with both null, and a reader of the first schema
 * reads a top-k prediction as one with its predicted class and empty probabilities.
 */
class PredictionEvolutionTest {

    @Test
    void theCurrentReaderReadsPredictionsOfTheFirstSchemaWithoutTopClasses() throws Exception {
        Schema first = history("Prediction-1.avsc");
        GenericRecord old = new GenericData.Record(first);
        old.put("id", "e1");
        old.put("task", "t");
        old.put("variant", "default");
        old.put("modelVersion", 3L);
        old.put("predictedClass", 1);
        old.put("probabilities", Float32.pack(new float[] {0.25f, 0.75f}));
        old.put("eventTime", 5L);
        old.put("producedAt", 6L);
        ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), first).encode(old);
        byte[] avro = new byte[encoded.remaining()];
        encoded.get(avro);

        Prediction read = WireFormat.AVRO.codec(Prediction.class).decode(avro);

        assertThat(read.getPredictedClass()).isEqualTo(1);
        assertThat(Float32.unpack(read.getProbabilities())).containsExactly(0.25f, 0.75f);
        assertThat(read.getTopClasses()).isNull();
        assertThat(read.getTopProbabilities()).isNull();
    }

    @Test
    void aReaderOfTheFirstSchemaReadsATopKPredictionWithItsClassAndNoProbabilities() throws Exception {
        Schema first = history("Prediction-1.avsc");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(first, Prediction.getClassSchema()).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(Prediction.getClassSchema(), first).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        Prediction top = Prediction.newBuilder().setId("e2").setTask("t").setVariant("default").setModelVersion(9)
                .setPredictedClass(70_001).setProbabilities(ByteBuffer.allocate(0)).setEventTime(1).setProducedAt(2)
                .setTopClasses(List.of(70_001, 4, 99_999))
                .setTopProbabilities(Float32.pack(new float[] {0.5f, 0.25f, 0.125f})).build();
        byte[] avro = WireFormat.AVRO.codec(Prediction.class).encode(top);

        Prediction again = WireFormat.AVRO.codec(Prediction.class).decode(avro);
        assertThat(again.getTopClasses()).containsExactly(70_001, 4, 99_999);
        assertThat(Float32.unpack(again.getTopProbabilities())).containsExactly(0.5f, 0.25f, 0.125f);

        BinaryMessageDecoder<GenericRecord> oldReader = new BinaryMessageDecoder<>(GenericData.get(), first);
        oldReader.addSchema(Prediction.getClassSchema());
        GenericRecord read = oldReader.decode(avro);
        assertThat(read.getSchema().getFields()).hasSize(12);
        assertThat(read.get("predictedClass")).isEqualTo(70_001);
        assertThat(read.get("probabilities")).isEqualTo(ByteBuffer.allocate(0));
    }
}
