package dev.chorus.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PlainJsonCodecTest {

    private final PlainJsonCodec<Example> examples = new PlainJsonCodec<>(Example.class);

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.chorus.schemas.codec.RecordSamples#all")
    <T extends SpecificRecord> void everyRecordTypeRoundTrips(String description, T record) {
        @SuppressWarnings("unchecked")
        RecordCodec<T> codec = WireFormat.JSON.codec((Class<T>) record.getClass());

        byte[] json = codec.encode(record);

        assertThat(codec.decode(json)).isInstanceOf(record.getClass()).isEqualTo(record);
        assertThat(new String(json, StandardCharsets.UTF_8)).doesNotContain("\n").startsWith("{").endsWith("}");
    }

    /**
     * Named fields are a union (number, string, list of strings): a string or list value must not cost a failed
     * read, with its exception, stack trace and message, per branch tried before the right one. Measured as bytes
     * allocated decoding, per byte of Jackson's tree of the same text, which decoding builds and then reads.
     */
    @Test
    void stringAndListFieldsAreReadWithoutFailedBranches() throws Exception {
        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        for (int f = 0; f < 20; f++) {
            fields.put("text" + f, "value " + f);
            fields.put("list" + f, java.util.List.of("a" + f, "b" + f));
        }
        byte[] json = examples.encode(Example.newBuilder().setId("e").setTask("t").setFeatures(ByteBuffer.allocate(0))
                .setFields(fields).setLabel(1).setEventTime(1).build());
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(examples.decode(json).getFields()).hasSize(40);

        double tree = Allocations.bytesPerCall(5_000, () -> mapper.readTree(json));
        double decoding = Allocations.bytesPerCall(5_000, () -> examples.decode(json));

        assertThat(decoding / tree).as("bytes allocated decoding, per byte of the JSON tree alone")
                .isLessThan(3);
    }

    @Test
    void decodesTheLineAPersonTypesIntoKcat() {
        Example decoded = decode(
                "{\"id\":\"a1\",\"task\":\"fashion\",\"features\":[0,0.5,1],\"label\":3,\"eventTime\":1700000000000}");

        assertThat(decoded).isEqualTo(Example.newBuilder()
                .setId("a1").setTask("fashion").setFeatures(Float32.pack(new float[] {0f, 0.5f, 1f}))
                .setIndices(null).setLabel(3).setTarget(null).setAnnotator(null)
                .setEventTime(1_700_000_000_000L).setWeight(1.0f).build());
        assertThat(decoded.getWeight()).isEqualTo(1.0f);
        assertThat(decoded.getAnnotator()).isNull();
        assertThat(decoded.getIndices()).isNull();
    }

    @Test
    void writesTheDocumentedShape() {
        Example example = Example.newBuilder()
                .setId("a1").setTask("fashion").setFeatures(Float32.pack(new float[] {0f, 0.5f, 1f}))
                .setLabel(3).setAnnotator("ann-7").setEventTime(1_700_000_000_000L).build();

        assertThat(new String(examples.encode(example), StandardCharsets.UTF_8)).isEqualTo(
                "{\"id\":\"a1\",\"task\":\"fashion\",\"features\":[0.0,0.5,1.0],\"indices\":null,\"label\":3,"
                        + "\"target\":null,\"annotator\":\"ann-7\",\"eventTime\":1700000000000,\"weight\":1.0,"
                        + "\"fields\":null}");
    }

    @Test
    void missingRequiredFieldIsNamed() {
        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class,
                () -> decode("{\"id\":\"a1\",\"features\":[1],\"eventTime\":1}"));

        assertThat(e).hasMessage("field 'task': missing, expected string (the schema gives no default)");
        assertThat(e.field()).isEqualTo("task");
    }

    /** A value cut for the message at an emoji's first half would leave a reason that is not Unicode text. */
    @Test
    void aLongValueIsCutForTheMessageBetweenCharactersNotInsideOne() {
        String label = "a".repeat(39) + "\uD83D\uDE00tail";
        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class, () -> decode(
                "{\"id\":\"a1\",\"task\":\"t\",\"features\":[1],\"label\":\"" + label + "\",\"eventTime\":1}"));

        assertThat(e).hasMessage("field 'label': expected int or null, got string \"" + "a".repeat(39)
                + "\"... (45 characters)");
        assertThat(UnicodeText.firstUnpairedSurrogate(e.getMessage())).isEqualTo(-1);
    }

    /** Overlong forms and CESU-8, which Jackson reads as the characters they would mean, are not UTF-8. */
    @Test
    void overlongAndCesu8BytesAreInvalidUtf8() {
        byte[][] ids = {{(byte) 0xC0, (byte) 0x80}, {(byte) 0xE0, (byte) 0x80, (byte) 0x80}, {(byte) 0xC1, (byte) 0xBF},
                {(byte) 0xED, (byte) 0xA0, (byte) 0xBD, (byte) 0xED, (byte) 0xB8, (byte) 0x80},
                {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}};
        for (byte[] id : ids) {
            byte[] json = concat(utf8("{\"id\":\"a"), id, utf8("\",\"task\":\"t\",\"features\":[1],\"eventTime\":1}"));
            assertThatThrownBy(() -> examples.decode(json)).as("%02X", id[0] & 0xFF)
                    .isInstanceOf(RecordDecodingException.class)
                    .hasMessageStartingWith("not valid JSON: expected UTF-8 text, got invalid UTF-8 "
                            + String.format("%02X", id[0] & 0xFF)).hasMessageContaining(" at byte 8; input: ");
        }
        assertThat(decode("{\"id\":\"caf\u00e9 \uD83D\uDE00\",\"task\":\"t\",\"features\":[1],\"eventTime\":1}")
                .getId()).as("real UTF-8 still reads").isEqualTo("caf\u00e9 \uD83D\uDE00");
    }

    /**
     * Jackson takes leading 00 bytes for UTF-32 or UTF-16 and reads such text, or throws an IOException that is no
     * parse error (CharConversionException: an unsupported UCS-4 byte order, a UTF-32 code point past U+10FFFF), which
     * escaped as UncheckedIOException; UTF-8 JSON text never holds a raw 00, so every one is a decoding error.
     */
    @Test
    void aZeroByteIsNotUtf8JsonTextWhateverEncodingJacksonWouldGuess() {
        byte[][] values = {{0, 0, (byte) 0xFF, (byte) 0xFE}, {0, 0, 0, 0x7B, 0, 0x11, 0, 0}, {0, 0, 0, 0x7B}};
        for (byte[] value : values) {
            RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class,
                    () -> examples.decode(value));
            assertThat(e).as("%s", java.util.Arrays.toString(value)).isNotNull()
                    .hasMessageStartingWith("not valid JSON: expected UTF-8 JSON text, got byte 00 at offset 0;"
                            + " input: ");
            assertThat(e.field()).isNull();
        }

        byte[] utf16 = "{\"id\":\"a1\",\"task\":\"t\",\"features\":[1],\"eventTime\":1}"
                .getBytes(StandardCharsets.UTF_16LE);
        assertThatThrownBy(() -> examples.decode(utf16)).isInstanceOf(RecordDecodingException.class)
                .hasMessageStartingWith("not valid JSON: expected UTF-8 JSON text, got byte 00 at offset 1;");
        byte[] late = utf8("{\"id\":\"a1\",\"task\":\"t\",\"features\":[1],\"eventTime\":1}  ");
        late[late.length - 1] = 0;
        assertThatThrownBy(() -> examples.decode(late)).isInstanceOf(RecordDecodingException.class)
                .hasMessageStartingWith("not valid JSON: expected UTF-8 JSON text, got byte 00 at offset "
                        + (late.length - 1) + ";");
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    @Test
    void quotedAndEscapedWriteWhatAReasonMustNotCarryRawAsEscapes() {
        String text = "a\"\\\u001B\u009B\u202E\uD800\uD83D\uDE00\uDC00z";
        assertThat(UnicodeText.quoted(text, 100))
                .isEqualTo("\"a\\u0022\\u005C\\u001B\\u009B\\u202E\\uD800\uD83D\uDE00\\uDC00z\"");
        assertThat(UnicodeText.escaped(text)).isEqualTo("a\"\\\\u001B\\u009B\\u202E\\uD800\uD83D\uDE00\\uDC00z");
        assertThat(UnicodeText.quoted("ab\uD83D\uDE00", 3)).isEqualTo("\"ab\"... (4 characters)");
        assertThat(UnicodeText.quoted(null, 3)).isEqualTo("null");
        assertThat(UnicodeText.escaped("plain")).isEqualTo("plain");
    }

    @Test
    void cutKeepsSurrogatePairsWhole() {
        String smile = "\uD83D\uDE00";
        assertThat(UnicodeText.cut("ab" + smile, 3)).isEqualTo(2);
        assertThat(UnicodeText.cut("ab" + smile, 4)).isEqualTo(4);
        assertThat(UnicodeText.cut("abc" + smile, 3)).isEqualTo(3);
        assertThat(UnicodeText.cut("ab", 5)).isEqualTo(2);
    }

    @Test
    void wrongTypeNamesFieldExpectedAndActual() {
        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class, () -> decode(
                "{\"id\":\"a1\",\"task\":\"t\",\"features\":[1],\"label\":\"cat\",\"eventTime\":1}"));

        assertThat(e).hasMessage("field 'label': expected int or null, got string \"cat\"");
        assertThat(e.field()).isEqualTo("label");
    }

    /**
     * A JSON escape can write half a surrogate pair, which UTF-8 cannot hold: kept, it would turn into '?' where the
     * text is written again (a checkpoint's annotator registry then holds two '?' and no longer restores).
     */
    @Test
    void anUnpairedSurrogateIsRefusedNamingItsFieldAndAPairIsText() {
        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class, () -> decode(
                "{\"id\":\"a1\",\"task\":\"t\",\"features\":[1],\"annotator\":\"ab\\ud800\",\"eventTime\":1}"));
        assertThat(e).hasMessage("field 'annotator': expected Unicode text, got an unpaired surrogate (U+D800 at "
                + "position 2)");
        assertThat(e.field()).isEqualTo("annotator");

        RecordDecodingException key = catchThrowableOfType(RecordDecodingException.class, () -> decode(
                "{\"id\":\"a1\",\"task\":\"t\",\"features\":[],\"fields\":{\"\\udc00x\":\"y\"},\"eventTime\":1}"));
        assertThat(key).hasMessage("field 'fields': expected Unicode text, got an unpaired surrogate (U+DC00 at "
                + "position 0)");

        assertThat(decode("{\"id\":\"a1\",\"task\":\"t\",\"features\":[1],\"annotator\":\"\\ud83d\\ude00\","
                + "\"eventTime\":1}").getAnnotator()).isEqualTo("\uD83D\uDE00");
    }

    /**
     * A reason and field quote what the producer wrote: a string value, a map key, a parser's unexpected character.
     * Raw, a lone surrogate made the dead letter unwritable as UTF-8 (on a JSON dead-letter topic it read back as no
     * Unicode text, so Chorus refused its own dead letter) and an ESC or CSI reached logs and terminals.
     */
    @ParameterizedTest
    @MethodSource("producerTextInReasons")
    void aReasonAndFieldQuoteProducerTextEscapedAndTheirDeadLetterRoundTrips(String description, byte[] json,
            Class<? extends SpecificRecord> type) {
        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class,
                () -> new PlainJsonCodec<>(type).decode(json));

        assertThat(e).as(description).isNotNull();
        for (String text : new String[] {e.getMessage(), e.field()}) {
            if (text != null) {
                assertThat(UnicodeText.firstUnpairedSurrogate(text)).as(text).isEqualTo(-1);
                assertThat(text.codePoints().filter(c -> Character.isISOControl(c)
                        || Character.getType(c) == Character.FORMAT)).as(text).isEmpty();
            }
        }
        DeadLetter letter = DeadLetter.newBuilder().setOriginal(ByteBuffer.wrap(json)).setTopic("chorus.examples")
                .setPartition(0).setOffset(1).setReason("undecodable record: " + e.getMessage()).setField(e.field())
                .setTime(1).build();
        RecordCodec<DeadLetter> letters = WireFormat.JSON.codec(DeadLetter.class);
        assertThat(letters.decode(letters.encode(letter))).isEqualTo(letter);
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> producerTextInReasons() {
        String required = "\"task\":\"t\",\"variant\":\"v\",\"version\":1,\"algorithm\":\"a\",\"spec\":\"\","
                + "\"parametersFormat\":1,\"parameters\":\"\",\"examplesSeen\":0,\"createdAt\":0";
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("a string value where a number goes", utf8(
                        "{\"id\":\"a1\",\"task\":\"t\",\"features\":[1],\"label\":\"\\ud800\\u001b[2J\u009b\u202e\","
                                + "\"eventTime\":1}"), Example.class),
                org.junit.jupiter.params.provider.Arguments.of("a map key", utf8(
                        "{" + required + ",\"metrics\":{\"acc\\u001b]0;x\\u0007\u009b\":true}}"), ModelSnapshot.class),
                org.junit.jupiter.params.provider.Arguments.of("a parser's unrecognised token", utf8(
                        "{\"id\":x\u009b\u202e1}"), Example.class),
                org.junit.jupiter.params.provider.Arguments.of("a parser's duplicated field", utf8(
                        "{\"id\":\"a\",\"x\\u001b\\ud800\":1,\"x\\u001b\\ud800\":2}"), Example.class));
    }

    @Test
    void wholeNumberWrittenAsDecimalIsAnInt() {
        assertThat(decode("{\"id\":\"a1\",\"task\":\"t\",\"features\":[],\"label\":3.0,\"eventTime\":1}").getLabel())
                .isEqualTo(3);
    }

    @Test
    void fractionIsNotAnInt() {
        assertThatThrownBy(() -> decode("{\"id\":\"a1\",\"task\":\"t\",\"features\":[],\"label\":3.5,\"eventTime\":1}"))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessage("field 'label': expected int or null, got number 3.5");
    }

    @Test
    void intBeyondRangeIsRejected() {
        assertThatThrownBy(() -> decode("{\"id\":\"a1\",\"task\":\"t\",\"features\":[],\"label\":3000000000,"
                + "\"eventTime\":1}"))
                .hasMessage("field 'label': expected int or null, got number 3000000000");
    }

    @Test
    void longGivenAsAStringIsRejected() {
        assertThatThrownBy(() -> decode("{\"id\":\"a1\",\"task\":\"t\",\"features\":[],\"eventTime\":\"1700000000000\"}"))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessage("field 'eventTime': expected long, got string \"1700000000000\"");
    }

    @Test
    void nullWhereTheSchemaForbidsItIsRejected() {
        assertThatThrownBy(() -> decode("{\"id\":null,\"task\":\"t\",\"features\":[],\"eventTime\":1}"))
                .hasMessage("field 'id': expected string, got null");
    }

    @Test
    void badFeatureElementIsNamedByIndex() {
        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class,
                () -> decode("{\"id\":\"a1\",\"task\":\"t\",\"features\":[1,\"x\"],\"eventTime\":1}"));

        assertThat(e).hasMessage("field 'features[1]': expected float, got string \"x\"");
        assertThat(e.field()).isEqualTo("features[1]");
    }

    @Test
    void nonFiniteFeaturesAreAcceptedAsTokensAndStringsAndRoundTrip() {
        Example decoded = decode("{\"id\":\"a1\",\"task\":\"t\",\"eventTime\":1,"
                + "\"features\":[NaN,Infinity,-Infinity,\"NaN\",\"Infinity\",\"-Infinity\",2]}");

        float[] features = Float32.unpack(decoded.getFeatures());
        assertThat(features).containsExactly(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 2f);
        String encoded = new String(examples.encode(decoded), StandardCharsets.UTF_8);
        assertThat(encoded).contains("\"features\":[\"NaN\",\"Infinity\",\"-Infinity\",\"NaN\",\"Infinity\","
                + "\"-Infinity\",2.0]");
        assertThat(decode(encoded)).isEqualTo(decoded);
    }

    @Test
    void nonFiniteDoublesRoundTrip() {
        Example example = RecordSamples.exampleWithEverything();
        example.setTarget(Double.NEGATIVE_INFINITY);
        example.setWeight(Float.NaN);

        Example decoded = examples.decode(examples.encode(example));

        // Avro's record equality says NaN != NaN, so compare the fields themselves.
        assertThat(decoded.getTarget()).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(decoded.getWeight()).isNaN();
    }

    @Test
    void everyFloatBitPatternRoundTrips() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        float[] values = new float[10_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = Float.intBitsToFloat(random.nextInt());
        }
        Example example = RecordSamples.exampleWithEverything();
        example.setFeatures(Float32.pack(values));
        example.setIndices(null);

        float[] back = Float32.unpack(examples.decode(examples.encode(example)).getFeatures());

        for (int i = 0; i < values.length; i++) {
            if (!Float.isNaN(values[i])) {
                assertThat(Float.floatToIntBits(back[i])).as("value %s", values[i])
                        .isEqualTo(Float.floatToIntBits(values[i]));
            }
        }
    }

    @Test
    void unknownFieldsAreIgnored() {
        Example decoded = decode("{\"id\":\"a1\",\"task\":\"t\",\"features\":[],\"eventTime\":1,"
                + "\"addedLater\":{\"nested\":[1,2,3]},\"colour\":\"blue\"}");

        assertThat(decoded.getId()).isEqualTo("a1");
    }

    @Test
    void fieldGivenTwiceIsRejected() {
        assertThatThrownBy(() -> decode("{\"id\":\"a1\",\"id\":\"a2\",\"task\":\"t\",\"features\":[],\"eventTime\":1}"))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessageContaining("Duplicate field 'id'");
    }

    @Test
    void bytesAreBase64AndMapsAreObjects() {
        ModelSnapshot snapshot = ModelSnapshot.newBuilder()
                .setTask("t").setVariant("v").setVersion(1L).setAlgorithm("a").setSpec("{}").setParametersFormat(1)
                .setParameters(ByteBuffer.wrap(new byte[] {(byte) 0xFB, (byte) 0xFF, 0x00}))
                .setExamplesSeen(2L).setMetrics(Map.of("accuracy", 0.5)).setCreatedAt(3L)
                .setProvenance(Map.of()).build();
        PlainJsonCodec<ModelSnapshot> codec = new PlainJsonCodec<>(ModelSnapshot.class);

        String json = new String(codec.encode(snapshot), StandardCharsets.UTF_8);

        assertThat(json).contains("\"parameters\":\"+/8A\"").contains("\"metrics\":{\"accuracy\":0.5}")
                .contains("\"provenance\":{}");
    }

    @Test
    void badBase64IsNamed() {
        assertThatThrownBy(() -> new PlainJsonCodec<>(ModelSnapshot.class).decode(utf8("{\"task\":\"t\","
                + "\"variant\":\"v\",\"version\":1,\"algorithm\":\"a\",\"spec\":\"\",\"parametersFormat\":1,"
                + "\"parameters\":\"not base64!\",\"examplesSeen\":0,\"createdAt\":0}")))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessageStartingWith("field 'parameters': expected base64 string, got string \"not base64!\"");
    }

    @Test
    void mapDefaultsApplyAndBadMapValuesAreNamedByKey() {
        PlainJsonCodec<ModelSnapshot> codec = new PlainJsonCodec<>(ModelSnapshot.class);
        String required = "\"task\":\"t\",\"variant\":\"v\",\"version\":1,\"algorithm\":\"a\",\"spec\":\"\","
                + "\"parametersFormat\":1,\"parameters\":\"\",\"examplesSeen\":0,\"createdAt\":0";

        ModelSnapshot decoded = codec.decode(utf8("{" + required + "}"));
        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class,
                () -> codec.decode(utf8("{" + required + ",\"metrics\":{\"accuracy\":true}}")));

        assertThat(decoded.getMetrics()).isEmpty();
        assertThat(decoded.getProvenance()).isEmpty();
        assertThat(e).hasMessage("field 'metrics.accuracy': expected double, got boolean true");
    }

    @Test
    void sparseIndicesAreAnArray() {
        Example decoded = decode("{\"id\":\"a1\",\"task\":\"t\",\"features\":[0.5,2],\"indices\":[3,10],"
                + "\"eventTime\":1}");

        assertThat(decoded.getIndices()).containsExactly(3, 10);
        assertThatThrownBy(() -> decode("{\"id\":\"a1\",\"task\":\"t\",\"features\":[1],\"indices\":[1.5],"
                + "\"eventTime\":1}")).hasMessage("field 'indices[0]': expected int, got number 1.5");
        assertThatThrownBy(() -> decode("{\"id\":\"a1\",\"task\":\"t\",\"features\":[1],\"indices\":7,"
                + "\"eventTime\":1}")).hasMessage("field 'indices': expected array of int or null, got number 7");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello there", "id=a1,task=fashion", "{\"id\":\"a1\",", "{id:\"a1\"}"})
    void textThatIsNotJsonIsRejectedWithAnExcerpt(String text) {
        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class, () -> decode(text));

        assertThat(e).hasMessageStartingWith("not valid JSON: ")
                .hasMessageContaining("; input: \"" + text.replace("\"", "\\\"") + "\"");
        assertThat(e.getCause()).isNotNull();
        assertThat(e.field()).isNull();
    }

    @Test
    void avroBytesOnAJsonTopicSayWhichFormatTheyAre() {
        byte[] avro = WireFormat.AVRO.codec(Example.class).encode(RecordSamples.exampleWithEverything());

        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class, () -> examples.decode(avro));

        assertThat(e).hasMessage("not valid JSON: expected a JSON object, got C3 01 at byte 0, the marker of Avro "
                + "single-object encoding (this looks like Avro: is the topic's wire format avro?)");
        assertThat(e.field()).isNull();
    }

    @Test
    void excerptIsShortAndEscaped() {
        String text = "nope\t\"quoted\"\n" + "x".repeat(100);

        assertThatThrownBy(() -> decode(text))
                .hasMessageEndingWith("; input: \"nope\\t\\\"quoted\\\"\\n" + "x".repeat(26) + "\"...");
    }

    @Test
    void arrayAtTopLevelIsRejected() {
        assertThatThrownBy(() -> decode("[{\"id\":\"a1\"}]"))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessage("expected a JSON object (Example) at top level, got array of 1 elements;"
                        + " input: \"[{\\\"id\\\":\\\"a1\\\"}]\"");
    }

    @Test
    void trailingContentIsRejected() {
        String valid = "{\"id\":\"a1\",\"task\":\"t\",\"features\":[],\"eventTime\":1}";

        assertThatThrownBy(() -> decode(valid + " {\"id\":\"a2\"}"))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessageStartingWith("trailing content after the JSON object: START_OBJECT at line 1, column 52");
        assertThatThrownBy(() -> decode(valid + " garbage"))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessageStartingWith("trailing content after the JSON object: Unrecognized token 'garbage'");
        assertThat(decode(valid + " \n")).isNotNull();
    }

    @Test
    void emptyInputIsRejected() {
        assertThatThrownBy(() -> decode(""))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessage("empty input: expected a JSON object (Example)");
        assertThatThrownBy(() -> decode("  \n")).hasMessage("empty input: expected a JSON object (Example)");
    }

    @Test
    void encodingAFeatureBufferOfBadLengthNamesTheField() {
        Example example = RecordSamples.exampleWithEverything();
        example.setFeatures(ByteBuffer.allocate(6));

        assertThatThrownBy(() -> examples.encode(example))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("field 'features' of Example: packed float32 length must be a multiple of 4 bytes,"
                        + " got 6 bytes");
    }

    @Test
    void encodingANullRequiredFieldNamesTheField() {
        Example example = RecordSamples.exampleWithEverything();
        example.setTask(null);

        assertThatThrownBy(() -> examples.encode(example))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("null value for non-nullable string field 'task' of Example");
    }

    @Test
    void encodingLeavesTheRecordsBuffersWhereTheyWere() {
        Example example = RecordSamples.exampleWithEverything();
        ByteBuffer features = example.getFeatures();
        features.position(4);

        String json = new String(examples.encode(example), StandardCharsets.UTF_8);

        assertThat(features.position()).isEqualTo(4);
        assertThat(json).contains("\"features\":[0.5,");
    }

    @Test
    void survivesJavaSerialisationAsFlinkDoes() throws Exception {
        Example example = RecordSamples.exampleWithEverything();
        examples.encode(example);

        RecordCodec<Example> copy = AvroSingleObjectCodecTest.roundTripThroughJavaSerialisation(examples);

        assertThat(copy.decode(copy.encode(example))).isEqualTo(example);
        assertThat(copy.format()).isEqualTo(WireFormat.JSON);
        assertThat(copy.recordType()).isEqualTo(Example.class);
    }

    private Example decode(String json) {
        return examples.decode(utf8(json));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
