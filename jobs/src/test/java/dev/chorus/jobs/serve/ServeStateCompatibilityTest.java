package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.example;
import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static dev.chorus.jobs.serve.ServeFunctionTest.tombstone;
import static dev.chorus.jobs.serve.ServeStateFixture.champion;
import static dev.chorus.jobs.serve.ServeStateFixture.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The serve operator's state from before the held-champion-restarts state ({@code serve-v1}, {@link
 * ServeStateFixture}) restores: its models, champion and waiting example are there, the new state starts empty,
 * and a restart of the champion is then held as in {@link ChampionRestartHoldTest}; {@code serve-v2}'s held restart
 * restores with the generation it asks for; {@code serve-v3}'s waiting examples restore with where they were read;
 * {@code serve-v4}'s two holds of one task (state {@code held-champion-restart-variants}) restore, and so does a
 * {@code serve-v3} hold (one per task, state {@code held-champion-restarts}) beside a new hold of another variant;
 * {@code serve-v5}'s standings of a task's latest champion record (state {@code champion-standings}) restore.
 */
class ServeStateCompatibilityTest {

    @Test
    void theStateOfAServeJobFromBeforeTheHoldRestoresAndHoldsTheNextRestart() throws Exception {
        try (var h = ServeStateFixture.harness()) {
            h.initializeState(OperatorSnapshotUtil.readStateHandle(
                    "src/test/resources/savepoints/serve-v1/" + ServeStateFixture.FILE));
            h.open();
            h.processElement(sourced(example(1)), 10);
            h.processBroadcastElement(model("u", "default", 2, 2), 11);
            h.processBroadcastElement(champion("u", "default", 1), 11);
            h.processBroadcastElement(tombstone("t/a", 3), 12);
            h.processBroadcastElement(model("t", "a", 0, 4), 13);
            h.processElement(sourced(example(2)), 14);
            h.processBroadcastElement(champion("t", "b", 2), 15);

            assertThat(h.extractOutputValues()).extracting(Prediction::getId, Prediction::getVariant,
                    Prediction::getModelVersion).containsExactly(tuple(example(1).getId(), "a", 5L),
                            tuple(ServeStateFixture.waiting().getId(), "default", 2L),
                            tuple(example(2).getId(), "b", 12L));
            assertThat(ServeFunctionTest.deadLetters(h)).isEmpty();
        }
    }

    /**
     * Task u's example waits in every fixture: the end of the input makes it a dead letter, never drops it, and from
     * {@code serve-v3} on the letter names the partition and offset it was read from (before, they were not kept).
     */
    @ParameterizedTest
    @CsvSource({"serve-v1, -1, -1", "serve-v2, -1, -1", "serve-v3, " + ServeStateFixture.WAITING_PARTITION + ", "
            + ServeStateFixture.WAITING_OFFSET, "serve-v4, " + ServeStateFixture.WAITING_PARTITION + ", "
            + ServeStateFixture.WAITING_OFFSET, "serve-v5, " + ServeStateFixture.WAITING_PARTITION + ", "
            + ServeStateFixture.WAITING_OFFSET})
    void aWaitingExampleOfEveryLayoutIsDeadLetteredAtTheEndOfTheInput(String fixture, int partition, long offset)
            throws Exception {
        try (var h = ServeStateFixture.harness()) {
            h.initializeState(OperatorSnapshotUtil.readStateHandle(
                    "src/test/resources/savepoints/" + fixture + "/" + ServeStateFixture.FILE));
            h.open();
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));

            assertThat(ServeFunctionTest.deadLetters(h))
                    .filteredOn(d -> d.getKey().equals(ByteBuffer.wrap(ServeStateFixture.waiting().getId()
                            .getBytes(StandardCharsets.UTF_8))))
                    .singleElement().satisfies(d -> {
                        assertThat(d.getReason())
                                .contains("no model for task \"u\"", "arrived before the end of the input");
                        assertThat(d.getPartition()).isEqualTo(partition);
                        assertThat(d.getOffset()).isEqualTo(offset);
                    });
        }
    }

    /**
     * {@code serve-v2} holds champion a's restart asking generation 20: a champion record of the generations before it
     * changes nothing, one of the restart's answers, and the waiting example is served by the variant it names.
     */
    @Test
    void aHeldRestartAndTheGenerationItAsksForRestore() throws Exception {
        try (var h = ServeStateFixture.harness()) {
            h.initializeState(OperatorSnapshotUtil.readStateHandle(
                    "src/test/resources/savepoints/serve-v2/" + ServeStateFixture.FILE));
            h.open();
            h.processBroadcastElement(champion("t", "b", ServeStateFixture.BEFORE_RESET, 2), 10);
            h.processElement(sourced(example(2)), 11);
            assertThat(h.extractOutputValues()).isEmpty();

            h.processBroadcastElement(champion("t", "b", ServeStateFixture.AFTER_RESET, 3), 12);

            assertThat(h.extractOutputValues()).extracting(Prediction::getId, Prediction::getVariant,
                    Prediction::getModelVersion).containsExactlyInAnyOrder(tuple(example(1).getId(), "b", 12L),
                            tuple(example(2).getId(), "b", 12L));
        }
    }

    /**
     * {@code serve-v4} holds a's restart (asking generation 20) and wanted c's (asking none): c's version 0 neither
     * serves nor becomes the champion, a champion record from before c's restart vets nothing, and one after both
     * restarts serves c's version 0 to the waiting example.
     */
    @Test
    void aHoldPerVariantRestores() throws Exception {
        try (var h = ServeStateFixture.harness()) {
            h.initializeState(OperatorSnapshotUtil.readStateHandle(
                    "src/test/resources/savepoints/serve-v4/" + ServeStateFixture.FILE));
            h.open();
            h.processBroadcastElement(model("t", "c", 0, 30, 6), 10);
            h.processElement(sourced(example(2)), 11);
            h.processBroadcastElement(champion("t", "c", Map.of("a", 20L, "b", 11L, "c", 25L), 2), 12);
            assertThat(h.extractOutputValues()).isEmpty();

            h.processBroadcastElement(champion("t", "c", Map.of("a", 20L, "b", 11L, "c", 30L), 3), 13);

            assertThat(h.extractOutputValues()).extracting(Prediction::getId, Prediction::getVariant,
                    Prediction::getModelVersion).containsExactlyInAnyOrder(tuple(example(1).getId(), "c", 0L),
                            tuple(example(2).getId(), "c", 0L));
            assertThat(ServeFunctionTest.deadLetters(h)).isEmpty();
        }
    }

    /**
     * {@code serve-v3}'s one hold (a's restart, asking generation 20), restored, stays beside a hold of wanted c that
     * follows: c's tombstone does not take a's hold, so a's unvetted version 0 answers nothing.
     */
    @Test
    void aHoldOfTheOneHoldPerTaskLayoutStaysBesideANewHold() throws Exception {
        try (var h = ServeStateFixture.harness()) {
            h.initializeState(OperatorSnapshotUtil.readStateHandle(
                    "src/test/resources/savepoints/serve-v3/" + ServeStateFixture.FILE));
            h.open();
            ServeStateFixture.holdWantedRestart(h);
            h.processElement(sourced(example(2)), 11);
            h.processBroadcastElement(model("t", "c", 0, 30, 6), 12);
            assertThat(h.extractOutputValues()).isEmpty();

            h.processBroadcastElement(champion("t", "a", Map.of("a", 20L, "b", 11L, "c", 30L), 2), 13);

            assertThat(h.extractOutputValues()).extracting(Prediction::getId, Prediction::getVariant,
                    Prediction::getModelVersion).containsExactlyInAnyOrder(tuple(example(1).getId(), "a", 0L),
                            tuple(example(2).getId(), "a", 0L));
        }
    }

    /**
     * {@code serve-v5}'s standings of task u (state {@code champion-standings}) restore: retired r's snapshot of the
     * retired generation is not stored, the wanted champion's first model answers the example that waited.
     */
    @Test
    void theStandingsOfTheLatestChampionRecordRestore() throws Exception {
        try (var h = ServeStateFixture.harness()) {
            h.initializeState(OperatorSnapshotUtil.readStateHandle(
                    "src/test/resources/savepoints/serve-v5/" + ServeStateFixture.FILE));
            h.open();
            h.processBroadcastElement(model("u", "r", 4, 30, 7), 10);
            h.processBroadcastElement(model("u", "default", 2, 8), 11);

            assertThat(h.getBroadcastState(ServeFunction.MODELS).get("u/r")).isNull();
            assertThat(h.extractOutputValues()).extracting(Prediction::getId, Prediction::getVariant,
                    Prediction::getModelVersion).containsExactly(tuple(ServeStateFixture.waiting().getId(), "default",
                            2L));
            assertThat(ServeFunctionTest.deadLetters(h)).isEmpty();
        }
    }
}
