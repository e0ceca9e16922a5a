package dev.chorus.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.cli.RecordKind;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** One topic's reader against a {@link MockConsumer}: records into the view, and what the page says of the topic. */
class TopicFollowerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "chorus.annotators";
    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);

    private final DashboardView view = new DashboardView();
    private final MockConsumer<byte[], byte[]> kafka = new MockConsumer<>("earliest");
    private final TopicFollower follower =
            new TopicFollower(view, "broker:9092", "annotators", TOPIC, RecordKind.ANNOTATOR, kafka);

    @Test
    void aTopicKafkaDoesNotHaveIsSaidNotToExistYetAndOnceItHasItIsReadFromTheBeginning() throws Exception {
        assertThat(follower.locate()).isFalse();
        assertThat(status().get("problem").asText()).isEqualTo("topic does not exist (yet) at broker:9092");

        kafka.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, null, null, null)));
        kafka.updateBeginningOffsets(Map.of(PARTITION, 0L));
        assertThat(follower.locate()).isTrue();
        assertThat(status().get("problem").isNull()).as("read").isTrue();
        kafka.addRecord(new ConsumerRecord<>(TOPIC, 0, 0L, "t/ann".getBytes(StandardCharsets.UTF_8),
                WireFormat.AVRO.codec(AnnotatorModel.class).encode(
                        DashboardViewTest.annotator("t", "ann", 2, new float[] {0.9f, 0.1f, 0.2f, 0.8f}))));
        follower.poll();
        assertThat(JSON.readTree(view.toJson()).get("tasks").get(0).get("annotators")).hasSize(1);
    }

    @Test
    void anAnnotatorRecordTheViewRefusesIsCountedOnItsTopicLikeAnUndecodableOne() throws Exception {
        view.following("annotators", TOPIC);
        AnnotatorModel truncated = DashboardViewTest.annotator("t", "ann", 3, new float[9]);
        truncated.setConfusion(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        byte[] value = WireFormat.AVRO.codec(AnnotatorModel.class).encode(truncated);

        follower.accept(new ConsumerRecord<>(TOPIC, 0, 5L, "t/ann".getBytes(StandardCharsets.UTF_8), value));

        JsonNode json = JSON.readTree(view.toJson());
        JsonNode topic = json.get("topics").get(0);
        assertThat(topic.get("undecodable").asLong()).isEqualTo(1);
        assertThat(topic.get("lastUndecodable").asText())
                .isEqualTo("0@5: confusion: expected numClasses² = 9 float32 values (36 bytes), got 3 bytes");
        assertThat(json.get("tasks")).isEmpty();
    }

    /** What the view says of the topic. */
    private JsonNode status() throws Exception {
        JsonNode topics = JSON.readTree(view.toJson()).get("topics");
        assertThat(topics).hasSize(1);
        return topics.get(0);
    }
}
