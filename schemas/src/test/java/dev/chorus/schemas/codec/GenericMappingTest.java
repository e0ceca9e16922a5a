package dev.chorus.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.schemas.Float32;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The mapping is generic over Avro schemas: this covers the types that the five contracts do not use yet
 * (general unions, enums, fixed, nested records, maps of arrays), through the test-only {@code EveryAvroType}.
 */
class GenericMappingTest {

    private static final JsonMapper JSON_TEXT =
            JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private final PlainJsonCodec<EveryAvroType> json = new PlainJsonCodec<>(EveryAvroType.class);

    @ParameterizedTest
    @EnumSource(WireFormat.class)
    void everyBranchOfEveryTypeRoundTrips(WireFormat format) {
        RecordCodec<EveryAvroType> codec = format.codec(EveryAvroType.class);
        for (Object choice : List.of(5, "five", List.of(1.5, -2.0))) {
            EveryAvroType record = sample(choice);
            record.setNullLast(choice instanceof Integer ? null : 9L);

            assertThat(codec.decode(codec.encode(record))).as("choice %s", choice).isEqualTo(record);
        }
    }

    @Test
    void writesPlainValuesWithoutUnionWrappers() {
        assertThat(new String(json.encode(sample("five")), StandardCharsets.UTF_8)).isEqualTo(
                "{\"choice\":\"five\",\"nullLast\":7,\"colour\":\"GREEN\",\"digest\":\"AQID/w==\",\"flag\":true,"
                        + "\"nested\":{\"values\":[0.5],\"tags\":{\"a\":[\"x\",\"y\"]}},"
                        + "\"maybeNested\":{\"values\":[],\"tags\":{}}}");
    }

    @Test
    void unionBranchesAreTriedInSchemaOrder() throws IOException {
        assertThat(decode("\"choice\":3.0").getChoice()).isEqualTo(3);
        assertThat(decode("\"choice\":\"3\"").getChoice()).isEqualTo("3");
        assertThat(decode("\"choice\":[3, NaN]").getChoice()).isEqualTo(List.of(3.0, Double.NaN));
    }

    @Test
    void unionWithNoMatchingBranchListsThemAll() throws IOException {
        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class,
                () -> decode("\"choice\":true"));

        assertThat(e).hasMessage("field 'choice': expected int or string or array of double, got boolean true");
        assertThat(e.getSuppressed()).hasSize(3);
    }

    @Test
    void absentNullableFieldTakesItsNonNullDefault() throws IOException {
        assertThat(decode("\"choice\":1").getNullLast()).isEqualTo(7L);
        assertThat(decode("\"choice\":1,\"nullLast\":null").getNullLast()).isNull();
    }

    @Test
    void enumFixedAndNestedErrorsSayWhatWasExpected() throws IOException {
        assertThatThrownBy(() -> decode("\"choice\":1,\"colour\":\"BLUE\""))
                .hasMessage("field 'colour': expected one of [RED, GREEN], got string \"BLUE\"");
        assertThatThrownBy(() -> decode("\"choice\":1,\"digest\":\"AQID\""))
                .hasMessage("field 'digest': expected base64 string of 4 bytes, got 3 bytes");
        assertThatThrownBy(() -> decode("\"choice\":1,\"nested\":{\"values\":[],\"tags\":{\"a\":[\"x\",1]}}"))
                .hasMessage("field 'nested.tags.a[1]': expected string, got number 1");
        assertThatThrownBy(() -> decode("\"choice\":1,\"maybeNested\":5"))
                .hasMessage("field 'maybeNested': expected object (Nested) or null, got number 5");
        assertThatThrownBy(() -> decode("\"choice\":1,\"nested\":{\"tags\":{}}"))
                .hasMessage("field 'nested.values': missing, expected array of numbers (float32)"
                        + " (the schema gives no default)");
    }

    /** Decodes a record made of {@code fields} and, for the required fields not among them, fixed values. */
    private EveryAvroType decode(String fields) throws IOException {
        ObjectNode record = (ObjectNode) JSON_TEXT.readTree("{\"colour\":\"RED\",\"digest\":\"AAAAAA==\","
                + "\"flag\":false,\"nested\":{\"values\":[],\"tags\":{}}}");
        record.setAll((ObjectNode) JSON_TEXT.readTree("{" + fields + "}"));
        return json.decode(JSON_TEXT.writeValueAsBytes(record));
    }

    private static EveryAvroType sample(Object choice) {
        return EveryAvroType.newBuilder()
                .setChoice(choice)
                .setColour(Colour.GREEN)
                .setDigest(new Digest(new byte[] {1, 2, 3, (byte) 0xFF}))
                .setFlag(true)
                .setNested(Nested.newBuilder().setValues(Float32.pack(new float[] {0.5f}))
                        .setTags(Map.of("a", List.of("x", "y"))).build())
                .setMaybeNested(Nested.newBuilder().setValues(Float32.pack(new float[0])).setTags(Map.of()).build())
                .build();
    }
}
