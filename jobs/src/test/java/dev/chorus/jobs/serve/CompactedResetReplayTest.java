package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.WideExamples;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.train.MinibatchSgdFunction;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.TrainerHarness;
import dev.chorus.jobs.train.VariantExample;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A hashed variant whose snapshots travel in chunks ({@link WideExamples}: version 1 in 3 chunks, version 2 in 4) is
 * reset in place, and its fresh model's version 1 takes 3 chunks again. The train job's records, compacted past
 * {@code delete.retention.ms} (each key's newest record kept, tombstones gone), replay into the serve job as the
 * fresh model alone: the reset also tombstoned the old model's chunk keys, so no chunk of the old version 2 is left
 * to refuse the fresh model's lower chunked versions.
 */
class CompactedResetReplayTest {
    static final String REVIVED = WideExamples.SPEC.substring(0, WideExamples.SPEC.lastIndexOf('}'))
            + ",\"revive\":true}";

    /** The train job's models output: two minibatches, the reset, one minibatch of the fresh model. */
    static List<Either<String, ModelSnapshot>> written;

    @BeforeAll
    static void trainResetAndTrainAgain() throws Exception {
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.of(null, Map.of("clicks", WideExamples.SPEC)))
                .snapshotEveryBatches(1).snapshotIntervalMs(0).batchTimeoutMs(0);
        try (var h = new TrainerHarness(settings)) {
            h.open();
            h.processBroadcastElement(new SpecChange("clicks", "default", WideExamples.SPEC), 0);
            train(h, WideExamples.stream("clicks", 0, 32), 1);
            h.processBroadcastElement(new SpecChange("clicks", "default", REVIVED), 40);
            train(h, WideExamples.stream("clicks", 100, 116), 41);
            written = h.getSideOutput(MinibatchSgdFunction.MODEL_SNAPSHOTS).stream().map(StreamRecord::getValue)
                    .toList();
        }
    }

    private static void train(TrainerHarness h, List<Example> examples, long from) throws Exception {
        for (int i = 0; i < examples.size(); i++) {
            h.processElement(new VariantExample("default", new Sourced<>(examples.get(i), 0, from + i), null), from + i);
        }
    }

    @Test
    void theResetTombstonesTheKeyAndEveryChunkKeyTheOldModelWroteThenPublishesTheFreshModel() {
        List<String> keys = written.stream().map(m -> m.isLeft() ? "tombstone " + m.left()
                : SnapshotChunks.key(m.right()) + "@" + m.right().getVersion()).toList();
        assertThat(keys).containsExactly(
                "clicks/default#0@1", "clicks/default#1@1", "clicks/default#2@1", "clicks/default@1",
                "clicks/default#0@2", "clicks/default#1@2", "clicks/default#2@2", "clicks/default#3@2",
                "clicks/default@2",
                "tombstone clicks/default", "tombstone clicks/default#0", "tombstone clicks/default#1",
                "tombstone clicks/default#2", "tombstone clicks/default#3",
                "clicks/default@0",
                "clicks/default#0@1", "clicks/default#1@1", "clicks/default#2@1", "clicks/default@1");
    }

    @Test
    void theCompactedTopicReplaysIntoTheServeJobAsTheFreshModel() throws Exception {
        List<KafkaRecord> topic = new ArrayList<>();
        var codec = ServeFunctionTest.settings().modelsTopic().codec();
        String name = ServeFunctionTest.settings().modelsTopic().name();
        for (Either<String, ModelSnapshot> m : written) {
            String key = m.isLeft() ? m.left() : SnapshotChunks.key(m.right());
            topic.add(new KafkaRecord(name, 0, topic.size(), 0, key.getBytes(StandardCharsets.UTF_8),
                    m.isLeft() ? null : codec.encode(m.right())));
        }
        try (var h = ChunkedSnapshotServeTest.harness()) {
            h.open();
            for (KafkaRecord r : compacted(topic)) {
                h.processBroadcastElement(r, 0);
            }
            h.processElement(sourced(WideExamples.example("clicks", 200)), 1);

            assertThat(ServeFunctionTest.deadLetters(h)).as("serve dead letters").extracting(DeadLetter::getReason)
                    .isEmpty();
            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsExactly(1L);
        }
    }

    /** What compaction leaves once tombstones are past {@code delete.retention.ms}: each key's newest value. */
    private static List<KafkaRecord> compacted(List<KafkaRecord> topic) {
        Map<String, Long> newest = new HashMap<>();
        topic.forEach(r -> newest.put(new String(r.key, StandardCharsets.UTF_8), r.offset));
        return topic.stream().filter(r -> r.value != null
                && newest.get(new String(r.key, StandardCharsets.UTF_8)) == r.offset).toList();
    }
}
