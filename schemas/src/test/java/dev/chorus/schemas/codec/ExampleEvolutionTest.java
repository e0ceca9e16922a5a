package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.EvolutionRoundTrips.history;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.toArray;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
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
 * Example gained {@code fields} (named features, optional, default null): examples written before are still read,
 * in both wire formats, and a reader of the previous schema still reads the new ones.
 */
class ExampleEvolutionTest {

    @Test
    void theCurrentReaderReadsExamplesOfThePreviousSchema() throws Exception {
        Schema previous = history("Example-1.avsc");
        GenericRecord old = new GenericData.Record(previous);
        old.put("id", "old-1");
        old.put("task", "clicks");
        old.put("features", Float32.pack(new float[] {0.5f}));
        old.put("indices", null);
        old.put("label", 1);
        old.put("target", null);
        old.put("annotator", null);
        old.put("eventTime", 5L);
        old.put("weight", 2.0f);
        byte[] avro = toArray(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), previous).encode(old));

        Example read = WireFormat.AVRO.codec(Example.class).decode(avro);

        assertThat(read.getId()).isEqualTo("old-1");
        assertThat(read.getWeight()).isEqualTo(2.0f);
        assertThat(read.getFields()).isNull();

        String json = "{\"id\":\"a\",\"task\":\"clicks\",\"features\":[],\"eventTime\":1}";
        assertThat(WireFormat.JSON.codec(Example.class).decode(json.getBytes(StandardCharsets.UTF_8)).getFields())
                .isNull();
    }

    @Test
    void aReaderOfThePreviousSchemaReadsExamplesWithFields() throws Exception {
        Schema previous = history("Example-1.avsc");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(previous, Example.getClassSchema()).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        byte[] avro = WireFormat.AVRO.codec(Example.class).encode(clickExample());

        BinaryMessageDecoder<GenericRecord> oldReader = new BinaryMessageDecoder<>(GenericData.get(), previous);
        oldReader.addSchema(Example.getClassSchema());
        GenericRecord read = oldReader.decode(avro);

        assertThat(read.getSchema().getField("fields")).isNull();
        assertThat(read.get("id").toString()).isEqualTo("c1");
        assertThat(read.get("label")).isEqualTo(1);
    }

    @Test
    void namedFieldsRoundTripThroughBothWireFormats() {
        Example example = clickExample();
        for (WireFormat format : WireFormat.values()) {
            RecordCodec<Example> codec = format.codec(Example.class);
            assertThat(codec.decode(codec.encode(example))).as(format.name()).isEqualTo(example);
        }
    }

    @Test
    void plainJsonFieldsReadNumbersStringsAndTokenLists() {
        String json = "{\"id\":\"c1\",\"task\":\"clicks\",\"features\":[],\"eventTime\":1,\"label\":1,"
                + "\"fields\":{\"user\":\"u123\",\"words\":[\"free\",\"money\"],\"amount\":12.5,\"zip\":\"75001\","
                + "\"bad\":\"NaN\"}}";

        Map<String, Object> fields = WireFormat.JSON.codec(Example.class)
                .decode(json.getBytes(StandardCharsets.UTF_8)).getFields();

        assertThat(fields.get("user")).isEqualTo("u123");
        assertThat(fields.get("words")).isEqualTo(List.of("free", "money"));
        assertThat(fields.get("amount")).isEqualTo(12.5);
        assertThat(fields.get("zip")).isEqualTo("75001");
        assertThat(fields.get("bad")).isEqualTo(Double.NaN);
    }

    private static Example clickExample() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("user", "u123");
        fields.put("country", "FR");
        fields.put("words", List.of("free", "money"));
        fields.put("amount", 12.5);
        return Example.newBuilder().setId("c1").setTask("clicks").setFeatures(ByteBuffer.allocate(0))
                .setLabel(1).setEventTime(7L).setFields(fields).build();
    }
}
