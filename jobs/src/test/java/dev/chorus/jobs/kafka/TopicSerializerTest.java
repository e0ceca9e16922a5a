package dev.chorus.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import org.apache.flink.types.Either;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class TopicSerializerTest {

    static final Topic<AnnotatorModel> ANNOTATORS = new Topic<>("t.annotators", AnnotatorModel.class, WireFormat.AVRO);

    static AnnotatorModel annotator() {
        return AnnotatorModel.newBuilder().setTask("crowd").setAnnotator("a7").setVersion(3).setNumClasses(1)
                .setConfusion(Float32.pack(new float[] {1f})).setReliability(1.0).setLabelsSeen(5)
                .setUpdatedAt(1).build();
    }

    @Test
    void aLeftIsATombstoneForItsKeyAndARightIsTheRecordUnderItsKey() {
        TopicSerializer.WithTombstones<AnnotatorModel> serializer = new TopicSerializer.WithTombstones<>(ANNOTATORS,
                a -> a.getTask() + "/" + a.getAnnotator());

        ProducerRecord<byte[], byte[]> tombstone = serializer.serialize(Either.Left("crowd/a3"), null, 0L);
        assertThat(tombstone.topic()).isEqualTo("t.annotators");
        assertThat(new String(tombstone.key(), StandardCharsets.UTF_8)).isEqualTo("crowd/a3");
        assertThat(tombstone.value()).isNull();

        ProducerRecord<byte[], byte[]> record = serializer.serialize(Either.Right(annotator()), null, 0L);
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("crowd/a7");
        assertThat(ANNOTATORS.codec().decode(record.value())).isEqualTo(annotator());
        assertThat(record.timestamp()).as("the producer stamps the time").isNull();
    }
}
