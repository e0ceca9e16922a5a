package dev.chorus.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.Example;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

class ExampleSerializerTest {

    private static Example dense() {
        return Example.newBuilder().setId("item-7").setTask("fashion-mnist")
                .setFeatures(ByteBuffer.wrap(new byte[] {0, 0, -128, 63, 0, 0, 0, 64})).setLabel(3)
                .setAnnotator("expert-1").setEventTime(1_700_000_000_123L).setWeight(0.5f).build();
    }

    private static Example sparseRegression() {
        return Example.newBuilder().setId("ü-ö").setTask("house-prices")
                .setFeatures(ByteBuffer.wrap(new byte[] {0, 0, -128, 63})).setIndices(List.of(41))
                .setTarget(-2.5).setEventTime(-1L).build();
    }

    private static Example unlabeled() {
        return Example.newBuilder().setId("").setTask("t").setFeatures(ByteBuffer.allocate(0)).setEventTime(0L)
                .build();
    }

    private static Example namedFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("user", "u123");
        fields.put("words", List.of("free", "money"));
        fields.put("amount", 12.5);
        fields.put("empty", List.of());
        return Example.newBuilder().setId("c1").setTask("clicks").setFeatures(ByteBuffer.allocate(0)).setLabel(1)
                .setEventTime(5L).setFields(fields).build();
    }

    private static <T> byte[] bytes(TypeSerializer<T> serializer, T value) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(value, out);
        return out.getCopyOfBuffer();
    }

    @Test
    void everyFieldSurvivesTheRoundTrip() throws IOException {
        for (Example example : List.of(dense(), sparseRegression(), unlabeled(), namedFields())) {
            Example back = ExampleSerializer.INSTANCE.deserialize(
                    new DataInputDeserializer(bytes(ExampleSerializer.INSTANCE, example)));
            assertThat(back).isEqualTo(example);
            assertThat(back.getLabel()).isEqualTo(example.getLabel());
            assertThat(back.getTarget()).isEqualTo(example.getTarget());
            assertThat(back.getAnnotator()).isEqualTo(example.getAnnotator());
            assertThat(back.getIndices()).isEqualTo(example.getIndices());
            assertThat(back.getFields()).isEqualTo(example.getFields());
        }
    }

    /**
     * Latin-1 text (nearly every id, task, field name and token) is its length and bytes, read back without Flink's
     * string codec, which looks up a thread-local buffer per string (the first cost of the trainer's and the
     * router's input in a profile of the train job); other text keeps that codec, every char as it was, a lone
     * surrogate included.
     */
    @Test
    void latin1TextIsItsLengthAndBytesAndOtherTextSurvivesAsItIs() throws IOException {
        Example example = Example.newBuilder(unlabeled()).setId("é1").setTask("t\u20ac\ud83d\ude00\ud800x").build();
        byte[] bytes = bytes(ExampleSerializer.INSTANCE, example);

        assertThat(java.util.Arrays.copyOf(bytes, 6)).containsExactly(0, 0, 0, 2, 0xE9, '1');
        assertThat(java.util.Arrays.copyOfRange(bytes, 6, 10)).as("not Latin-1: -1, then Flink's codec")
                .containsExactly(-1, -1, -1, -1);
        assertThat(ExampleSerializer.INSTANCE.deserialize(new DataInputDeserializer(bytes)).getTask())
                .isEqualTo("t\u20ac\ud83d\ude00\ud800x");
    }

    @Test
    void writesOnlyTheFeaturesAfterTheBufferPosition() throws IOException {
        Example example = dense();
        ByteBuffer shifted = ByteBuffer.wrap(new byte[] {9, 9, 0, 0, -128, 63, 0, 0, 0, 64}, 2, 8).slice();
        example.setFeatures(ByteBuffer.wrap(new byte[] {1, 1, 0, 0, -128, 63, 0, 0, 0, 64}).position(2));
        Example back = ExampleSerializer.INSTANCE.deserialize(
                new DataInputDeserializer(bytes(ExampleSerializer.INSTANCE, example)));
        assertThat(back.getFeatures()).isEqualTo(shifted);
        assertThat(back.getFeatures().remaining()).isEqualTo(8);
    }

    @Test
    void sourcedExamplesKeepTheirKafkaCoordinates() throws IOException {
        Sourced<Example> sourced = new Sourced<>(dense(), 3, 1L << 40);
        Sourced<Example> back = SourcedExampleSerializer.INSTANCE.deserialize(
                new DataInputDeserializer(bytes(SourcedExampleSerializer.INSTANCE, sourced)));
        assertThat(back.partition()).isEqualTo(3);
        assertThat(back.offset()).isEqualTo(1L << 40);
        assertThat(back.value()).isEqualTo(sourced.value());

        Sourced<Example> copy = SourcedExampleSerializer.INSTANCE.copy(sourced);
        assertThat(copy.value()).isEqualTo(sourced.value()).isNotSameAs(sourced.value());
        assertThat(copy.value().getFeatures().array()).isNotSameAs(sourced.value().getFeatures().array());
    }

    @Test
    void receivedExamplesKeepTheirKafkaRecordByteForByte() throws IOException {
        KafkaRecord record = new KafkaRecord("examples", 2, 1L << 40, 17, new byte[] {1, 2}, new byte[] {3, 4, 5});
        Received<Example> received = new Received<>(dense(), record);
        Received<Example> back = ReceivedExampleSerializer.INSTANCE.deserialize(
                new DataInputDeserializer(bytes(ReceivedExampleSerializer.INSTANCE, received)));
        assertThat(back.record()).isEqualTo(record);
        assertThat(back.value()).isEqualTo(received.value());
        assertThat(back.sourced()).isEqualTo(new Sourced<>(received.value(), 2, 1L << 40));

        Received<Example> keyless = new Received<>(dense(), new KafkaRecord("examples", 0, 0, 0, null, new byte[0]));
        assertThat(ReceivedExampleSerializer.INSTANCE.deserialize(new DataInputDeserializer(
                bytes(ReceivedExampleSerializer.INSTANCE, keyless))).record()).isEqualTo(keyless.record());

        Received<Example> copy = ReceivedExampleSerializer.INSTANCE.copy(received);
        assertThat(copy.record()).isEqualTo(record);
        assertThat(copy.record().value).isNotSameAs(record.value);
        assertThat(copy.value()).isEqualTo(received.value()).isNotSameAs(received.value());
    }

    @Test
    void sourcedIsImmutable() {
        // Its fields are read on the trainer after the decoder built it; nothing may change them in between.
        assertThat(Sourced.class.getDeclaredFields()).isNotEmpty().allSatisfy(field -> {
            assertThat(Modifier.isFinal(field.getModifiers())).as(field + " is final").isTrue();
            assertThat(Modifier.isPublic(field.getModifiers())).as(field + " is public").isFalse();
        });
    }

    @Test
    void copyingBetweenViewsWritesTheSameBytes() throws IOException {
        byte[] written = bytes(ExampleSerializer.INSTANCE, sparseRegression());
        DataOutputSerializer out = new DataOutputSerializer(64);
        ExampleSerializer.INSTANCE.copy(new DataInputDeserializer(written), out);
        assertThat(out.getCopyOfBuffer()).isEqualTo(written);
    }

    @Test
    void typeInformationSnapshotAndJavaSerialisationAllGiveTheSameSerializer() throws Exception {
        assertThat(SerializerTypeInfo.EXAMPLE.createSerializer(new SerializerConfigImpl()))
                .isSameAs(ExampleSerializer.INSTANCE);
        assertThat(SerializerTypeInfo.SOURCED_EXAMPLE.createSerializer(new SerializerConfigImpl()))
                .isSameAs(SourcedExampleSerializer.INSTANCE);
        assertThat(SerializerTypeInfo.EXAMPLE).isNotEqualTo(SerializerTypeInfo.SOURCED_EXAMPLE);
        assertThat(SerializerTypeInfo.RECEIVED_EXAMPLE.createSerializer(new SerializerConfigImpl()))
                .isSameAs(ReceivedExampleSerializer.INSTANCE);

        TypeSerializerSnapshot<Example> snapshot = ExampleSerializer.INSTANCE.snapshotConfiguration();
        assertThat(snapshot.restoreSerializer()).isEqualTo(ExampleSerializer.INSTANCE);
        TypeSerializerSchemaCompatibility<Example> compatibility =
                ExampleSerializer.INSTANCE.snapshotConfiguration().resolveSchemaCompatibility(snapshot);
        assertThat(compatibility.isCompatibleAsIs()).isTrue();

        TypeSerializer<Example> cloned = InstantiationUtil.clone(ExampleSerializer.INSTANCE);
        Example back = cloned.deserialize(new DataInputDeserializer(bytes(cloned, dense())));
        assertThat(back).isEqualTo(dense());
    }
}
