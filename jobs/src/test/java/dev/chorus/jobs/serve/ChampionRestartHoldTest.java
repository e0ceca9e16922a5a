package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.example;
import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static dev.chorus.jobs.serve.ServeFunctionTest.tombstone;
import static dev.chorus.jobs.serve.ServeStateFixture.champion;
import static dev.chorus.jobs.serve.ServeStateFixture.harness;
import static dev.chorus.jobs.serve.ServeStateFixture.AFTER_RESET;
import static dev.chorus.jobs.serve.ServeStateFixture.BEFORE_RESET;
import static dev.chorus.jobs.serve.ServeStateFixture.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/**
 * Following the champion, a reset champion's version 0 (the train job's restart writes the key's tombstone, then
 * the fresh model at version 0) never answers until a champion record arrives after the tombstone or the variant
 * trains to version 1: the task's examples wait meanwhile. Records that carry generations (the control topic's offset
 * of the record that started each variant's model) release it only if they answer that restart: a champion record
 * written before the reset, replayed or reordered after it, changes nothing.
 */
class ChampionRestartHoldTest {

    private static List<Tuple> answers(KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> h) {
        return h.extractOutputValues().stream()
                .map(p -> tuple(p.getId(), p.getVariant(), p.getModelVersion())).toList();
    }

    /** Champion a serving version 5, b there at 12; then a's restart: its tombstone and version 0; one example. */
    private static KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> restartedChampion()
            throws Exception {
        var h = harness();
        h.open();
        h.processBroadcastElement(model("t", "a", 5, 0), 0);
        h.processBroadcastElement(model("t", "b", 12, 1), 0);
        h.processBroadcastElement(champion("t", "a", 0), 0);
        h.processElement(sourced(example(0)), 1);
        h.processBroadcastElement(tombstone("t/a", 2), 2);
        h.processBroadcastElement(model("t", "a", 0, 3), 3);
        h.processElement(sourced(example(1)), 4);
        return h;
    }

    @Test
    void aResetChampionsVersionZeroDoesNotAnswerUntilAChampionRecordNamesAnother() throws Exception {
        try (var h = restartedChampion()) {
            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 5L));

            h.processBroadcastElement(champion("t", "b", 1), 5);
            h.processElement(sourced(example(2)), 6);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 5L),
                    tuple(example(1).getId(), "b", 12L), tuple(example(2).getId(), "b", 12L));
            assertThat(ServeFunctionTest.deadLetters(h)).isEmpty();
        }
    }

    @Test
    void aResetChampionAnswersOnceItHasTrainedToVersionOne() throws Exception {
        try (var h = restartedChampion()) {
            h.processBroadcastElement(model("t", "a", 1, 4), 5);
            h.processElement(sourced(example(2)), 6);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 5L),
                    tuple(example(1).getId(), "a", 1L), tuple(example(2).getId(), "a", 1L));
        }
    }

    @Test
    void aChampionRecordNamingTheResetChampionAgainServesItsVersionZero() throws Exception {
        try (var h = restartedChampion()) {
            h.processBroadcastElement(champion("t", "a", 1), 5);
            h.processElement(sourced(example(2)), 6);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 5L),
                    tuple(example(1).getId(), "a", 0L), tuple(example(2).getId(), "a", 0L));
        }
    }

    @Test
    void aChampionRecordNamingAVariantWithNoModelYetKeepsTheHoldUntilItsModelArrives() throws Exception {
        try (var h = restartedChampion()) {
            h.processBroadcastElement(champion("t", "c", 1), 5);
            h.processElement(sourced(example(2)), 6);
            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 5L));

            h.processBroadcastElement(model("t", "c", 3, 4), 7);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 5L),
                    tuple(example(1).getId(), "c", 3L), tuple(example(2).getId(), "c", 3L));
        }
    }

    @Test
    void theHoldAndTheWaitingExamplesSurviveARestore() throws Exception {
        OperatorSubtaskState state;
        try (var h = restartedChampion()) {
            state = h.snapshot(1, 5);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            h.processElement(sourced(example(2)), 6);
            assertThat(h.extractOutputValues()).isEmpty();

            h.processBroadcastElement(champion("t", "b", 1), 7);

            assertThat(answers(h)).containsExactlyInAnyOrder(tuple(example(1).getId(), "b", 12L),
                    tuple(example(2).getId(), "b", 12L));
        }
    }

    @Test
    void replayingAChampionRecordThatPrecedesTheTombstoneHoldsTheVersionZero() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(champion("t", "a", 0), 0);
            h.processBroadcastElement(tombstone("t/a", 0), 0);
            h.processBroadcastElement(model("t", "a", 0, 1), 0);
            h.processElement(sourced(example(0)), 1);
            assertThat(h.extractOutputValues()).isEmpty();

            h.processBroadcastElement(model("t", "a", 1, 2), 2);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 1L));
        }
    }

    @Test
    void replayingAChampionRecordThatFollowsTheTombstoneServesTheVersionZeroWhateverItsPlace() throws Exception {
        for (List<KafkaRecord> order : List.of(
                List.of(model("t", "a", 5, 0), tombstone("t/a", 1), champion("t", "a", 0), model("t", "a", 0, 2)),
                List.of(model("t", "a", 5, 0), tombstone("t/a", 1), model("t", "a", 0, 2), champion("t", "a", 0)),
                List.of(tombstone("t/a", 1), model("t", "a", 0, 2), champion("t", "a", 0)))) {
            try (var h = harness()) {
                h.open();
                for (KafkaRecord r : order) {
                    h.processBroadcastElement(r, 0);
                }
                h.processElement(sourced(example(0)), 1);

                assertThat(answers(h)).as("%s", order).containsExactly(tuple(example(0).getId(), "a", 0L));
            }
        }
    }

    @Test
    void replayingTheCompactedTopicsServesTheChampionsNewestSnapshotInEitherOrder() throws Exception {
        // Compaction keeps each key's newest record: a's version 0 superseded its tombstone.
        for (List<KafkaRecord> order : List.of(List.of(champion("t", "a", 0), model("t", "a", 0, 2), model("t", "b", 12, 3)),
                List.of(model("t", "a", 0, 2), model("t", "b", 12, 3), champion("t", "a", 0)))) {
            try (var h = harness()) {
                h.open();
                for (KafkaRecord r : order) {
                    h.processBroadcastElement(r, 0);
                }
                h.processElement(sourced(example(0)), 1);

                assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 0L));
            }
        }
    }

    /** Champion a serving version 5, b there at 12, then a's reset at generation 20: tombstone, version 0; one example. */
    private static KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> resetAtGeneration20()
            throws Exception {
        var h = harness();
        h.open();
        h.processBroadcastElement(model("t", "a", 5, 10, 0), 0);
        h.processBroadcastElement(model("t", "b", 12, 11, 1), 0);
        h.processBroadcastElement(champion("t", "a", BEFORE_RESET, 0), 0);
        h.processElement(sourced(example(0)), 1);
        h.processBroadcastElement(tombstone("t/a", 2), 2);
        h.processBroadcastElement(model("t", "a", 0, 20, 3), 3);
        h.processElement(sourced(example(1)), 4);
        return h;
    }

    @Test
    void aChampionRecordFromBeforeTheResetArrivingAfterItsVersionZeroReleasesNothing() throws Exception {
        try (var h = resetAtGeneration20()) {
            h.processBroadcastElement(champion("t", "a", BEFORE_RESET, 1), 5);
            h.processBroadcastElement(champion("t", "b", BEFORE_RESET, 2), 5);
            h.processElement(sourced(example(2)), 6);

            assertThat(answers(h)).as("neither the stale vetting of a nor the stale choice of b answers")
                    .containsExactly(tuple(example(0).getId(), "a", 5L));

            h.processBroadcastElement(champion("t", "b", AFTER_RESET, 3), 7);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 5L),
                    tuple(example(1).getId(), "b", 12L), tuple(example(2).getId(), "b", 12L));
        }
    }

    @Test
    void aChampionRecordFromAfterTheResetNamingItServesItsVersionZero() throws Exception {
        try (var h = resetAtGeneration20()) {
            h.processBroadcastElement(champion("t", "a", Map.of("a", 20L), 1), 5);
            h.processElement(sourced(example(2)), 6);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 5L),
                    tuple(example(1).getId(), "a", 0L), tuple(example(2).getId(), "a", 0L));
        }
    }

    @Test
    void aChampionRecordFromBeforeTheResetArrivingBeforeItsVersionZeroReleasesNothing() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(model("t", "a", 5, 10, 0), 0);
            h.processBroadcastElement(champion("t", "a", BEFORE_RESET, 0), 0);
            h.processBroadcastElement(tombstone("t/a", 1), 1);
            h.processBroadcastElement(champion("t", "a", BEFORE_RESET, 1), 2);
            h.processBroadcastElement(model("t", "a", 0, 20, 2), 3);
            h.processElement(sourced(example(0)), 4);
            assertThat(h.extractOutputValues()).as("one past the forgotten model's generation 10 is asked").isEmpty();

            h.processBroadcastElement(champion("t", "a", AFTER_RESET, 2), 5);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 0L));
        }
    }

    @Test
    void aChampionRecordWithoutGenerationsReleasesTheHoldAsBefore() throws Exception {
        try (var h = resetAtGeneration20()) {
            h.processBroadcastElement(ServeStateFixture.champion("t", "b", 1), 5);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 5L),
                    tuple(example(1).getId(), "b", 12L));
        }
    }

    @Test
    void theGenerationAHoldAsksForSurvivesARestore() throws Exception {
        OperatorSubtaskState state;
        try (var h = resetAtGeneration20()) {
            state = h.snapshot(1, 5);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            h.processBroadcastElement(champion("t", "b", BEFORE_RESET, 1), 6);
            h.processElement(sourced(example(2)), 7);
            assertThat(h.extractOutputValues()).isEmpty();

            h.processBroadcastElement(champion("t", "b", AFTER_RESET, 2), 8);

            assertThat(answers(h)).containsExactlyInAnyOrder(tuple(example(1).getId(), "b", 12L),
                    tuple(example(2).getId(), "b", 12L));
        }
    }

    /**
     * Champion a serving, c wanted (no model of it yet); c's restart, then a's: each variant keeps its own hold, so
     * c's version 0, unvetted, neither serves nor becomes the champion when it arrives (before, a's tombstone took
     * the task's one hold from c), a champion record from before c's restart vets nothing, and one from after both
     * restarts naming c serves its version 0.
     */
    @Test
    void theWantedAndTheServingVariantsRestartsAreEachHeld() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(model("t", "a", 5, 10, 0), 0);
            h.processBroadcastElement(champion("t", "a", BEFORE_RESET, 0), 0);
            h.processBroadcastElement(champion("t", "c", BEFORE_RESET, 1), 0);
            h.processElement(sourced(example(0)), 1);
            h.processBroadcastElement(tombstone("t/c", 1), 2);
            h.processBroadcastElement(tombstone("t/a", 2), 2);
            h.processBroadcastElement(model("t", "c", 0, 30, 3), 3);
            h.processElement(sourced(example(1)), 4);
            h.processBroadcastElement(model("t", "a", 0, 31, 4), 5);
            h.processBroadcastElement(champion("t", "c", Map.of("a", 31L, "c", 25L), 2), 6);
            h.processElement(sourced(example(2)), 7);

            assertThat(answers(h)).as("c's version 0 is held, and so is a's").containsExactly(
                    tuple(example(0).getId(), "a", 5L));

            h.processBroadcastElement(champion("t", "c", Map.of("a", 31L, "c", 30L), 3), 8);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 5L),
                    tuple(example(1).getId(), "c", 0L), tuple(example(2).getId(), "c", 0L));
            assertThat(ServeFunctionTest.deadLetters(h)).isEmpty();
        }
    }

    /** With a and c both held, a's version 1 ends a's hold alone: a answers, c's version 0 still does not. */
    @Test
    void aHeldVariantsVersionOneEndsItsOwnHoldOnly() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(model("t", "a", 5, 10, 0), 0);
            h.processBroadcastElement(champion("t", "a", BEFORE_RESET, 0), 0);
            h.processBroadcastElement(champion("t", "c", BEFORE_RESET, 1), 0);
            h.processBroadcastElement(tombstone("t/c", 1), 2);
            h.processBroadcastElement(tombstone("t/a", 2), 2);
            h.processBroadcastElement(model("t", "a", 1, 31, 3), 3);
            h.processBroadcastElement(model("t", "c", 0, 30, 4), 4);
            h.processElement(sourced(example(0)), 5);

            assertThat(answers(h)).containsExactly(tuple(example(0).getId(), "a", 1L));
        }
    }
}
