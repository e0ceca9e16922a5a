package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.EvolutionRoundTrips.toArray;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AvroSingleObjectCodecTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.chorus.schemas.codec.RecordSamples#all")
    <T extends SpecificRecord> void everyRecordTypeRoundTrips(String description, T record) {
        @SuppressWarnings("unchecked")
        RecordCodec<T> codec = WireFormat.AVRO.codec((Class<T>) record.getClass());

        T decoded = codec.decode(codec.encode(record));

        assertThat(decoded).isInstanceOf(record.getClass()).isEqualTo(record);
    }

    @Test
    void bytesAreTheSpecsSingleObjectEncoding() {
        Example example = RecordSamples.exampleWithEverything();

        byte[] bytes = new AvroSingleObjectCodec<>(Example.class).encode(example);

        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        assertThat(ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong())
                .isEqualTo(SchemaNormalization.parsingFingerprint64(Example.getClassSchema()));
        // Avro's own generated encoder writes the same bytes.
        assertThat(bytes).isEqualTo(toArray(encodeWithGeneratedEncoder(example)));
    }

    @Test
    void encodingDoesNotMoveTheRecordsBuffers() {
        Example example = RecordSamples.exampleWithEverything();
        AvroSingleObjectCodec<Example> codec = new AvroSingleObjectCodec<>(Example.class);

        byte[] first = codec.encode(example);
        byte[] second = codec.encode(example);

        assertThat(example.getFeatures().position()).isZero();
        assertThat(second).isEqualTo(first);
    }

    @Test
    void readsBytesWrittenWithAnOlderSchemaThatItWasGiven() throws IOException {
        Schema withoutWeight = olderExampleSchema();
        byte[] oldBytes = toArray(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), withoutWeight)
                .encode(olderExample(withoutWeight)));

        Example decoded = new AvroSingleObjectCodec<>(Example.class, withoutWeight).decode(oldBytes);

        assertThat(decoded.getWeight()).isEqualTo(1.0f);
        assertThat(decoded.getId()).isEqualTo("old-1");
        assertThat(decoded.getTask()).isEqualTo("fashion");
        assertThat(Float32.unpack(decoded.getFeatures())).containsExactly(0.25f, 0.75f);
        assertThat(decoded.getLabel()).isEqualTo(4);
        assertThat(decoded.getAnnotator()).isEqualTo("ann-1");
        assertThat(decoded.getEventTime()).isEqualTo(1_600_000_000_000L);
    }

    @Test
    void rejectsBytesFromAnOlderSchemaItWasNotGiven() throws IOException {
        Schema withoutWeight = olderExampleSchema();
        byte[] oldBytes = toArray(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), withoutWeight)
                .encode(olderExample(withoutWeight)));

        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class,
                () -> new AvroSingleObjectCodec<>(Example.class).decode(oldBytes));

        assertThat(e).hasMessageStartingWith(String.format("unknown schema fingerprint 0x%016x: ",
                        SchemaNormalization.parsingFingerprint64(withoutWeight)))
                .hasMessageContaining("writer schema not known to this reader")
                .hasMessageContaining(String.format("known: Example (current) fingerprint 0x%016x",
                        SchemaNormalization.parsingFingerprint64(Example.getClassSchema())));
        assertThat(e.field()).isNull();
    }

    @Test
    void refusesAnOlderSchemaTheCurrentOneCannotRead() {
        Schema unrelated = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Example\","
                + "\"namespace\":\"dev.chorus.schemas\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}");

        assertThatThrownBy(() -> new AvroSingleObjectCodec<>(Example.class, unrelated))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read data written with writer schema 0x");
    }

    @Test
    void jsonBytesAreNotAvro() {
        byte[] json = "{\"id\":\"a1\"}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> codec().decode(json))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessageStartingWith("not Avro single-object encoding: expected header C3 01, got 7B 22")
                .hasMessageContaining("looks like JSON");
    }

    @Test
    void garbageBytesAreNotAvro() {
        assertThatThrownBy(() -> codec().decode(new byte[] {0x00, (byte) 0xFF, 0x10, 0x20, 1, 2, 3, 4, 5, 6, 7}))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessage("not Avro single-object encoding: expected header C3 01, got 00 FF");
    }

    @Test
    void emptyBytesAreNotAvro() {
        assertThatThrownBy(() -> codec().decode(new byte[0]))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessage("not Avro single-object encoding: expected header C3 01, got empty input");
    }

    @Test
    void headerWithoutAWholeFingerprintIsTruncated() {
        assertThatThrownBy(() -> codec().decode(new byte[] {(byte) 0xC3, 0x01, 0x12, 0x34}))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessageStartingWith("truncated Avro single-object header: expected 10 bytes")
                .hasMessageEndingWith("got 4");
    }

    @Test
    void validHeaderWithUnknownFingerprintNamesBothFingerprints() {
        byte[] bytes = codec().encode(RecordSamples.exampleWithEverything());
        ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(2, 0x1234abcd5678ef90L);

        assertThatThrownBy(() -> codec().decode(bytes))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessageStartingWith("unknown schema fingerprint 0x1234abcd5678ef90: writer schema not known"
                        + " to this reader (known: Example (current) fingerprint 0x");
    }

    @Test
    void truncatedRecordSaysSoAndKeepsTheCause() {
        byte[] whole = codec().encode(RecordSamples.exampleWithEverything());
        byte[] cut = Arrays.copyOf(whole, whole.length - 3);

        RecordDecodingException e = catchThrowableOfType(RecordDecodingException.class, () -> codec().decode(cut));

        assertThat(e).hasMessageStartingWith("truncated Avro Example record: ")
                .hasMessageEndingWith("(" + cut.length + " bytes in all)")
                .hasRootCauseInstanceOf(java.io.EOFException.class);
    }

    @Test
    void corruptLengthFailsWithoutAllocatingWhatItDeclares() {
        AvroSingleObjectCodec<Example> codec = codec();
        byte[] bytes = Arrays.copyOf(codec.encode(RecordSamples.exampleWithEverything()), 16);
        // The body starts with the id's length, a zig-zag varint: claim 1.5 billion bytes.
        long zigZag = 1_500_000_000L << 1;
        int at = 10;
        for (; zigZag >= 0x80; zigZag >>>= 7) {
            bytes[at++] = (byte) (zigZag | 0x80);
        }
        bytes[at] = (byte) zigZag;
        codec.decode(codec.encode(RecordSamples.exampleWithEverything()));
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();

        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessageStartingWith("truncated Avro Example record");
        assertThat(threads.getCurrentThreadAllocatedBytes() - allocatedBefore).isLessThan(1 << 20);
    }

    @Test
    void lengthsUnionIndexesAndUtf8AreCheckedWithTheFieldNamed() {
        AvroSingleObjectCodec<Example> codec = codec();
        byte[] good = codec.encode(Example.newBuilder().setId("ab").setTask("t")
                .setFeatures(Float32.pack(new float[] {1})).setEventTime(1).build());
        // Body: id (length 2 as zig-zag 4, "ab"), task (2, "t"), features, indices (union index), ...
        byte[] negative = good.clone();
        negative[10] = 9; // zig-zag -5
        assertThatThrownBy(() -> codec.decode(negative)).isInstanceOf(RecordDecodingException.class)
                .hasMessageContaining("field 'id': expected a length in [0, ").hasMessageEndingWith("got -5")
                .extracting(e -> ((RecordDecodingException) e).field()).isEqualTo("id");
        byte[] badUtf8 = good.clone();
        badUtf8[11] = (byte) 0xFF;
        assertThatThrownBy(() -> codec.decode(badUtf8)).isInstanceOf(RecordDecodingException.class)
                .hasMessageContaining("field 'id': expected UTF-8 text, got invalid UTF-8 in 2 bytes");
        byte[] union = good.clone();
        union[10 + 3 + 2 + 1 + 4] = 14; // indices: union index 7 of ["null", array]
        assertThatThrownBy(() -> codec.decode(union)).isInstanceOf(RecordDecodingException.class)
                .hasMessageContaining("field 'indices': expected a union branch index in [0, 2), got 7");
    }

    /**
     * The train job decodes every record it reads: the checks before Avro's reader (lengths, union indexes, UTF-8)
     * must cost next to nothing beside the record itself. They copied each string, decoded it into a fresh
     * CharBuffer with a fresh CharsetDecoder, and built every field's and element's path, wanted only for an error.
     */
    @Test
    void checkingARecordAllocatesLittleBesideReadingIt() throws Exception {
        AvroSingleObjectCodec<Example> codec = codec();
        java.util.Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("name", "chorus-streaming-pipeline");
        fields.put("description", "a streaming machine-learning pipeline on Flink and Kafka, trained online");
        fields.put("depends", java.util.stream.IntStream.range(0, 40).mapToObj(i -> "libdependency" + i).toList());
        fields.put("maintainer", "Chorus Maintainers <dev@chorus.example.org>");
        byte[] bytes = codec.encode(Example.newBuilder().setId("package-1").setTask("packages")
                .setFeatures(ByteBuffer.allocate(0)).setFields(fields).setLabel(1).setEventTime(1).build());
        org.apache.avro.specific.SpecificDatumReader<Example> plain =
                new org.apache.avro.specific.SpecificDatumReader<>(Example.class);
        org.apache.avro.io.DecoderFactory decoders = org.apache.avro.io.DecoderFactory.get();
        org.apache.avro.io.BinaryDecoder[] reuse = new org.apache.avro.io.BinaryDecoder[1];
        assertThat(codec.decode(bytes).getFields()).hasSize(4);

        double reading = Allocations.bytesPerCall(20_000, () -> plain.read(null,
                reuse[0] = decoders.binaryDecoder(bytes, 10, bytes.length - 10, reuse[0])));
        double decoding = Allocations.bytesPerCall(20_000, () -> codec.decode(bytes));

        assertThat(decoding / reading).as("bytes allocated decoding, per byte allocated reading alone")
                .isLessThan(1.25);
    }

    @Test
    void trailingBytesAfterTheRecordAreRejected() {
        byte[] whole = codec().encode(RecordSamples.exampleWithEverything());
        byte[] longer = Arrays.copyOf(whole, whole.length + 2);

        assertThatThrownBy(() -> codec().decode(longer))
                .isInstanceOf(RecordDecodingException.class)
                .hasMessage("trailing bytes after Avro Example record: 2 of " + longer.length + " bytes left unread");
    }

    @Test
    void corruptBodiesAlwaysFailWithRecordDecodingException() {
        AvroSingleObjectCodec<Example> codec = codec();
        byte[] valid = codec.encode(RecordSamples.exampleWithEverything());
        Random random = new Random(20240917);
        for (int trial = 0; trial < 20_000; trial++) {
            byte[] corrupt = Arrays.copyOf(valid, 11 + random.nextInt(valid.length - 10));
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                corrupt[10 + random.nextInt(corrupt.length - 10)] = (byte) random.nextInt(256);
            }
            try {
                codec.decode(corrupt);
            } catch (RecordDecodingException expected) {
                // Decoding either succeeds (a flip inside a string or float) or fails with our exception.
            }
        }
    }

    @Test
    void survivesJavaSerialisationAsFlinkDoes() throws Exception {
        Schema withoutWeight = olderExampleSchema();
        AvroSingleObjectCodec<Example> original = new AvroSingleObjectCodec<>(Example.class, withoutWeight);
        Example example = RecordSamples.exampleWithEverything();
        byte[] before = original.encode(example);

        RecordCodec<Example> copy = roundTripThroughJavaSerialisation(original);

        assertThat(copy.decode(before)).isEqualTo(example);
        assertThat(copy.recordType()).isEqualTo(Example.class);
        assertThat(copy.format()).isEqualTo(WireFormat.AVRO);
        byte[] oldBytes = toArray(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), withoutWeight)
                .encode(olderExample(withoutWeight)));
        assertThat(copy.decode(oldBytes).getWeight()).isEqualTo(1.0f);
    }

    private static AvroSingleObjectCodec<Example> codec() {
        return new AvroSingleObjectCodec<>(Example.class);
    }

    static Schema olderExampleSchema() throws IOException {
        try (InputStream avsc = AvroSingleObjectCodecTest.class.getResourceAsStream(
                "/evolution/Example-without-weight.avsc")) {
            return new Schema.Parser().parse(avsc);
        }
    }

    private static GenericRecord olderExample(Schema schema) {
        GenericRecord record = new GenericData.Record(schema);
        record.put("id", "old-1");
        record.put("task", "fashion");
        record.put("features", Float32.pack(new float[] {0.25f, 0.75f}));
        record.put("indices", null);
        record.put("label", 4);
        record.put("target", null);
        record.put("annotator", "ann-1");
        record.put("eventTime", 1_600_000_000_000L);
        return record;
    }

    private static ByteBuffer encodeWithGeneratedEncoder(Example example) {
        try {
            return Example.getEncoder().encode(example);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @SuppressWarnings("unchecked")
    static <C> C roundTripThroughJavaSerialisation(C object) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(object);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (C) in.readObject();
        }
    }
}
