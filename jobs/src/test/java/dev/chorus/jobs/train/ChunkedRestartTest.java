package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.models;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.ModelSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

/**
 * A restart whose fresh model is too big for one record publishes its version 0 as chunks (a dense model of 2.4
 * million weights, before it ever trains): the next restart of the variant tombstones those chunk keys too, whether
 * the variant had keyed state or not (reset before its first example, or revived after a retirement), also after a
 * restore at another parallelism. Otherwise a fresh version 0 with fewer chunks would leave the old one's higher
 * chunks on the compacted topic, a version 0 with another digest that never completes.
 */
class ChunkedRestartTest {
    static final String BIG = """
            {"algorithm":"softmax-regression","inputDim":300000,"numClasses":8,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":3}""";
    static final String REVIVED = BIG.substring(0, BIG.lastIndexOf('}')) + ",\"revive\":true}";
    private static final String KEY = "t/w";

    static TrainSettings settings() {
        return new TrainSettings().specs(TaskSpecs.of(null, Map.of("t", BIG))).snapshotEveryBatches(1)
                .snapshotIntervalMs(0).batchTimeoutMs(0);
    }

    /** The models output since {@code from}: tombstones by key, parts by key and version. */
    private static List<String> written(TrainerHarness h, int from) {
        List<Either<String, ModelSnapshot>> all = models(h);
        return all.subList(from, all.size()).stream().map(m -> m.isLeft() ? "tombstone " + m.left()
                : SnapshotChunks.key(m.right()) + "@" + m.right().getVersion()).toList();
    }

    /** The key's tombstone, those of its chunk keys below {@code chunks}, then a version 0 in {@code chunks} chunks. */
    private static List<String> restart(int chunks) {
        List<String> expected = new ArrayList<>(List.of("tombstone " + KEY));
        IntStream.range(0, chunks).forEach(k -> expected.add("tombstone " + SnapshotChunks.chunkKey(KEY, k)));
        IntStream.range(0, chunks).forEach(k -> expected.add(SnapshotChunks.chunkKey(KEY, k) + "@0"));
        expected.add(KEY + "@0");
        return expected;
    }

    /** How many chunks the restart's version 0 took: it must be more than one record for this test to say anything. */
    private static int chunksOfVersion0(TrainerHarness h) {
        int chunks = models(h).stream().filter(Either::isRight).map(Either::right)
                .filter(m -> m.getVersion() == 0 && m.getChunk() == null).findFirst().orElseThrow().getChunks();
        assertThat(chunks).isGreaterThan(1);
        return chunks;
    }

    @Test
    void aSecondResetBeforeAnyExampleTombstonesTheChunksOfTheFirstOnesVersion0() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", BIG), 0);
            h.processBroadcastElement(new SpecChange("t", "w", REVIVED), 1);
            int chunks = chunksOfVersion0(h);
            int before = models(h).size();
            h.processBroadcastElement(new SpecChange("t", "w", REVIVED), 2);

            assertThat(written(h, before)).containsExactlyElementsOf(restart(chunks));
        }
    }

    @Test
    void aSecondRevivalTombstonesTheChunksOfTheFirstOnesVersion0() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", BIG), 0);
            h.processBroadcastElement(new SpecChange("t", "w", null), 1);
            h.processBroadcastElement(new SpecChange("t", "w", BIG), 2);
            int chunks = chunksOfVersion0(h);
            h.processBroadcastElement(new SpecChange("t", "w", null), 3);
            int before = models(h).size();
            h.processBroadcastElement(new SpecChange("t", "w", BIG), 4);

            assertThat(written(h, before)).containsExactlyElementsOf(restart(chunks));
        }
    }

    @Test
    void theChunkedVersion0IsCountedAcrossARestoreAtAnotherParallelism() throws Exception {
        OperatorSubtaskState saved;
        int chunks;
        try (var h = new TrainerHarness(settings(), 128, 1, 0)) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", BIG), 0);
            h.processBroadcastElement(new SpecChange("t", "w", REVIVED), 1);
            chunks = chunksOfVersion0(h);
            saved = h.snapshot(1, 2);
        }
        int owner = KeyGroupRangeAssignment.assignKeyToParallelOperator(Variants.key("t", "w"), 128, 2);
        for (int subtask = 0; subtask < 2; subtask++) {
            try (var h = new TrainerHarness(settings(), 128, 2, subtask)) {
                h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(saved, 128, 1, 2, subtask));
                h.open();
                h.processBroadcastElement(new SpecChange("t", "w", REVIVED), 3);

                assertThat(written(h, 0)).as("subtask %s", subtask)
                        .isEqualTo(subtask == owner ? restart(chunks) : List.of());
            }
        }
    }
}
