package dev.chorus.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.cli.RecordKind;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** One topic's reader against a {@link MockConsumer}: records into the view, and what the page says of the topic. */
class TopicFollowerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "chorus.annotators";
    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);

    private final DashboardView view = new DashboardView();
    private final Kafka kafka = new Kafka();
    private final AtomicLong now = new AtomicLong(Instant.parse("2026-01-02T03:04:05Z").toEpochMilli());
    private final TopicFollower follower =
            new TopicFollower(view, "broker:9092", "annotators", TOPIC, RecordKind.ANNOTATOR, kafka, now::get);

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

    /**
     * A partition added to the topic while it is followed (kafka-topics --alter --partitions) is read from its
     * beginning once the follower looks the topic up again, and the partitions it read already go on where they were.
     */
    @Test
    void aPartitionAddedToAFollowedTopicIsReadFromItsBeginningAndTheOthersGoOn() throws Exception {
        TopicPartition added = new TopicPartition(TOPIC, 1);
        kafka.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, null, null, null)));
        kafka.updateBeginningOffsets(Map.of(PARTITION, 0L));
        kafka.updateEndOffsets(Map.of(PARTITION, 1L, added, 0L));
        assertThat(follower.locate()).isTrue();
        kafka.addRecord(annotatorRecord(0, 0L, "a0"));
        follower.poll();

        kafka.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, null, null, null),
                new PartitionInfo(TOPIC, 1, null, null, null)));
        kafka.updateBeginningOffsets(Map.of(added, 0L));
        now.addAndGet(TopicFollower.PARTITIONS_CHECK.toMillis() - 1);
        follower.poll();
        assertThat(kafka.assignment()).as("not looked up again yet").containsExactly(PARTITION);
        now.incrementAndGet();
        follower.poll();
        assertThat(kafka.assignment()).containsExactlyInAnyOrder(PARTITION, added);

        kafka.addRecord(annotatorRecord(1, 0L, "a1"));
        kafka.addRecord(annotatorRecord(0, 1L, "a2"));
        follower.poll();
        assertThat(JSON.readTree(view.toJson()).get("tasks").get(0).get("annotators").findValuesAsText("annotator"))
                .containsExactly("a0", "a1", "a2");
        assertThat(kafka.position(PARTITION)).as("partition 0 went on where it was").isEqualTo(2);
    }

    private static ConsumerRecord<byte[], byte[]> annotatorRecord(int partition, long offset, String annotator) {
        return new ConsumerRecord<>(TOPIC, partition, offset, ("t/" + annotator).getBytes(StandardCharsets.UTF_8),
                WireFormat.AVRO.codec(AnnotatorModel.class).encode(
                        DashboardViewTest.annotator("t", annotator, 2, new float[] {0.9f, 0.1f, 0.2f, 0.8f})));
    }

    @Test
    void aLookUpKafkaDoesNotAnswerSaysKafkaIsUnreachableNotThatTheTopicIsMissing() throws Exception {
        kafka.down = true;
        assertThat(follower.locate()).isFalse();
        assertThat(status().get("problem").asText())
                .isEqualTo("Kafka at broker:9092 does not answer (no answer in 10 s to a look-up of the topic); "
                        + "still trying");
    }

    @Test
    void aFollowedTopicWhosePollsBringNothingIsCheckedAfterAWhileAndFlaggedWhileKafkaDoesNotAnswer() throws Exception {
        kafka.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, null, null, null)));
        kafka.updateBeginningOffsets(Map.of(PARTITION, 0L));
        kafka.updateEndOffsets(Map.of(PARTITION, 0L));
        assertThat(follower.locate()).isTrue();
        long located = now.get();

        kafka.down = true;
        now.addAndGet(TopicFollower.QUIET.toMillis() - 1);
        follower.poll();
        assertThat(kafka.endOffsetQueries).as("a quiet topic is not asked about before it was quiet a while").isZero();
        assertThat(status().get("problem").isNull()).isTrue();

        now.incrementAndGet();
        follower.poll();
        assertThat(kafka.endOffsetQueries).isEqualTo(1);
        assertThat(status().get("problem").asText()).isEqualTo("Kafka at broker:9092 has not answered since "
                + Instant.ofEpochMilli(located) + " (no answer in 10 s to a look-up of the topic's end); still trying");

        kafka.down = false;
        now.addAndGet(1_000);
        follower.poll();
        assertThat(kafka.endOffsetQueries).as("asked again while it did not answer").isEqualTo(2);
        assertThat(status().get("problem").isNull()).as("answered: read again").isTrue();
        now.addAndGet(1_000);
        follower.poll();
        assertThat(kafka.endOffsetQueries).as("not asked again until quiet a while").isEqualTo(2);
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

    @Test
    void aModelRecordTheViewRefusesIsCountedOnItsTopicToo() throws Exception {
        TopicFollower models = new TopicFollower(view, "broker:9092", "models", "chorus.models", RecordKind.MODEL,
                kafka, now::get);
        view.following("models", "chorus.models");
        byte[] value = WireFormat.AVRO.codec(ModelSnapshot.class)
                .encode(DashboardViewTest.snapshot("t", "v", 1, 10, Map.of()));
        byte[] key = "t/".concat("v".repeat(DashboardView.MAX_KEY_CHARS)).getBytes(StandardCharsets.UTF_8);

        models.accept(new ConsumerRecord<>("chorus.models", 0, 9L, key, value));

        JsonNode json = JSON.readTree(view.toJson());
        assertThat(json.get("topics").get(0).get("lastUndecodable").asText())
                .isEqualTo("0@9: key: expected at most 1024 characters, got 1026");
        assertThat(json.get("tasks")).isEmpty();
    }

    /** A MockConsumer whose look-ups time out, as a KafkaConsumer's do, while Kafka is down. */
    private static final class Kafka extends MockConsumer<byte[], byte[]> {
        boolean down;
        int endOffsetQueries;

        Kafka() {
            super("earliest");
        }

        @Override
        public List<PartitionInfo> partitionsFor(String topic, Duration timeout) {
            if (down) {
                throw new TimeoutException("Timeout expired while fetching topic metadata");
            }
            return super.partitionsFor(topic, timeout);
        }

        @Override
        public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
            endOffsetQueries++;
            if (down) {
                throw new TimeoutException("Failed to get offsets by times in " + timeout.toMillis() + "ms");
            }
            return super.endOffsets(partitions, timeout);
        }
    }

    /** What the view says of the topic. */
    private JsonNode status() throws Exception {
        JsonNode topics = JSON.readTree(view.toJson()).get("topics");
        assertThat(topics).hasSize(1);
        return topics.get(0);
    }
}
