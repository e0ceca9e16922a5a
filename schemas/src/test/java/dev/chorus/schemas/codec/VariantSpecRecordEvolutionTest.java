package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.EvolutionRoundTrips.history;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * VariantSpecRecord gained initialModel (optional, default null: a warm start's saved model): control records written
 * before still read, in both wire formats, without one, and a reader of the first schema still reads the new ones.
 */
class VariantSpecRecordEvolutionTest {

    @Test
    void theCurrentReaderReadsControlRecordsOfTheFirstSchema() throws Exception {
        Schema first = history("VariantSpecRecord-1.avsc");
        GenericRecord old = new GenericData.Record(first);
        old.put("task", "iris");
        old.put("variant", "fast");
        old.put("status", new GenericData.EnumSymbol(first.getField("status").schema(), "LIVE"));
        old.put("spec", "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}");
        old.put("updatedAt", 1_700_000_000_000L);
        old.put("source", "cli");
        ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), first).encode(old);
        byte[] avro = new byte[encoded.remaining()];
        encoded.get(avro);

        VariantSpecRecord read = WireFormat.AVRO.codec(VariantSpecRecord.class).decode(avro);

        assertThat(read.getVariant()).isEqualTo("fast");
        assertThat(read.getStatus()).isEqualTo(VariantStatus.LIVE);
        assertThat(read.getInitialModel()).isNull();

        String json = "{\"task\":\"iris\",\"variant\":\"slow\",\"status\":\"LIVE\",\"spec\":\"{}\","
                + "\"updatedAt\":1700000000000,\"source\":\"kcat\"}";
        VariantSpecRecord fromJson = WireFormat.JSON.codec(VariantSpecRecord.class)
                .decode(json.getBytes(StandardCharsets.UTF_8));
        assertThat(fromJson.getInitialModel()).isNull();
    }

    @Test
    void aReaderOfTheFirstSchemaReadsARecordWithAnInitialModel() throws Exception {
        Schema first = history("VariantSpecRecord-1.avsc");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(first, VariantSpecRecord.getClassSchema())
                .getType()).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        VariantSpecRecord current = VariantSpecRecord.newBuilder().setTask("iris").setVariant("warm")
                .setStatus(VariantStatus.LIVE).setSpec("{}").setUpdatedAt(2).setSource("cli")
                .setInitialModel(ByteBuffer.wrap(new byte[] {1, 2, 3})).build();
        byte[] avro = WireFormat.AVRO.codec(VariantSpecRecord.class).encode(current);

        BinaryMessageDecoder<GenericRecord> oldReader = new BinaryMessageDecoder<>(GenericData.get(), first);
        oldReader.addSchema(VariantSpecRecord.getClassSchema());
        GenericRecord read = oldReader.decode(avro);

        assertThat(read.getSchema().getFields()).hasSize(6);
        assertThat(read.get("variant").toString()).isEqualTo("warm");
        String json = new String(WireFormat.JSON.codec(VariantSpecRecord.class).encode(current), StandardCharsets.UTF_8);
        assertThat(json).contains("\"initialModel\":\"AQID\"");
        assertThat(WireFormat.JSON.codec(VariantSpecRecord.class).decode(json.getBytes(StandardCharsets.UTF_8))
                .getInitialModel()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    }
}
