package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.example;
import static dev.chorus.jobs.serve.ServeFunctionTest.record;
import static dev.chorus.jobs.serve.ServeFunctionTest.snapshot;
import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static dev.chorus.jobs.serve.ServeFunctionTest.tombstone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantStanding;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.Test;

/**
 * Following the champion, {@code --max-variants-per-task} bounds the live variants of a task ({@link ServeBounds}):
 * the models of variants the latest champion record retired are forgotten and not stored again, a variant no record
 * names gives way to a live one, any but the serving one to the champion, so a task whose search and forks retired
 * many variants still serves its new champion.
 */
class ChampionVariantBoundTest {
    private static final String PREFIX = "flink_taskmanager_job_task_operator_";

    private static ServeSettings settings() {
        return ServeFunctionTest.settings().variant(ServeSettings.CHAMPION);
    }

    private static double counter(RegisteredMetrics metrics, String name) {
        return metrics.find(PREFIX + name, Map.of()).get(0).value();
    }

    /** Variant {@code variant}'s snapshot at {@code version}, made at {@code createdAt}, of {@code generation}. */
    static ModelSnapshot model(String task, String variant, long version, long createdAt, Long generation) {
        ModelSnapshot s = snapshot(task, version);
        s.setVariant(variant);
        s.setCreatedAt(createdAt);
        s.setGeneration(generation);
        return s;
    }

    static KafkaRecord modelRecord(String task, String variant, long version, long createdAt, long offset) {
        return record(model(task, variant, version, createdAt, null), offset);
    }

    /** A champion record of {@code task} naming {@code champion}, with each variant's status in the standings. */
    static KafkaRecord champion(String task, String champion, Map<String, StandingStatus> standings,
            Map<String, Long> generations, long offset) {
        List<VariantStanding> named = new ArrayList<>();
        standings.forEach((variant, status) -> named.add(VariantStanding.newBuilder().setVariant(variant)
                .setStatus(status).setLabelledExamples(10).setLossMean(0.5).setLossStandardError(0.1)
                .setModelVersion(1).build()));
        Champion c = Champion.newBuilder().setTask(task).setVariant(champion).setModelVersion(0L).setSince(0L)
                .setStandings(named).setUpdatedAt(0L).setGenerations(generations).build();
        return new KafkaRecord(settings().championsTopic().name(), 0, offset, 0, task.getBytes(StandardCharsets.UTF_8),
                settings().championsTopic().codec().encode(c));
    }

    private static List<String> keysHeld(ServeHarness h) throws Exception {
        List<String> keys = new ArrayList<>();
        h.getBroadcastState(ServeFunction.MODELS).entries().forEach(e -> keys.add(e.getKey()));
        return keys;
    }

    /**
     * The review's case: default, a search's eight variants and seven forks hold task t's sixteen places; the search's
     * rungs retired four, drift patience three forks. Their models go with the champion record that names them
     * retired (and a retired variant's parts waiting for assembly with them), so a new fork is stored, and the champion
     * record that names it has it answer at once; a retired variant's late snapshot is not stored again.
     */
    @Test
    void theModelsOfRetiredVariantsLeaveTheirPlaceToANewChampion() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        Map<String, StandingStatus> standings = new LinkedHashMap<>();
        standings.put("default", StandingStatus.CHAMPION);
        for (int i = 0; i < 8; i++) {
            standings.put("default-s" + i, i < 4 ? StandingStatus.RETIRED : StandingStatus.CHALLENGER);
        }
        for (int i = 1; i <= 7; i++) {
            standings.put("default-f" + i, i <= 3 ? StandingStatus.RETIRED : StandingStatus.CHALLENGER);
        }
        try (var h = new ServeHarness(settings(), metrics.environment())) {
            h.open();
            long offset = 0;
            for (String variant : standings.keySet()) {
                h.processBroadcastElement(modelRecord("t", variant, 5, 0, offset++), 0);
            }
            // Half of a newer version of the retired default-s3, chunked, waits for assembly.
            ModelSnapshot big = model("t", "default-s3", 9, 0, null);
            List<ModelSnapshot> parts = SnapshotChunks.split(big, big.getParameters().remaining() / 3 + 1);
            h.processBroadcastElement(ChunkedSnapshotServeTest.record(parts.get(0), offset++), 0);
            h.processBroadcastElement(ChunkedSnapshotServeTest.record(parts.get(1), offset++), 0);
            assertThat(keysHeld(h)).hasSize(16);

            h.processBroadcastElement(champion("t", "default", standings, null, offset++), 0);
            h.processBroadcastElement(modelRecord("t", "default-f8", 3, 1, offset++), 0);
            standings.put("default-f8", StandingStatus.CHAMPION);
            standings.put("default", StandingStatus.CHALLENGER);
            h.processBroadcastElement(champion("t", "default-f8", standings, null, offset++), 0);
            h.processBroadcastElement(modelRecord("t", "default-s0", 6, 2, offset++), 0);
            h.processElement(sourced(example(0)), 1);

            assertThat(h.extractOutputValues()).singleElement().satisfies(p -> {
                assertThat(p.getVariant()).isEqualTo("default-f8");
                assertThat(p.getModelVersion()).isEqualTo(3L);
            });
            assertThat(h.deadLetters()).isEmpty();
            assertThat(keysHeld(h)).containsExactlyInAnyOrder("t/default", "t/default-s4", "t/default-s5",
                    "t/default-s6", "t/default-s7", "t/default-f4", "t/default-f5", "t/default-f6", "t/default-f7",
                    "t/default-f8");
            assertThat(h.getBroadcastState(SnapshotAssembly.PENDING).entries()).isEmpty();
            assertThat(h.getBroadcastState(ServeFunction.WANTED).entries()).isEmpty();
            assertThat(counter(metrics, "modelsEvicted")).isEqualTo(7);
            assertThat(counter(metrics, "snapshotPartsDropped")).isEqualTo(2);
            assertThat(counter(metrics, "modelsOfRetiredVariants")).isEqualTo(1);
            assertThat(counter(metrics, "modelsRefused")).isZero();
        }
    }

    /**
     * Replaying compacted topics, the champion record may come first and the models of variants the race forgot long
     * ago (named by no record) before the live ones: a live variant's model takes the place of the oldest of those, a
     * model of one more unnamed variant is refused, and the retired variant's is not stored.
     */
    @Test
    void variantsNoRecordNamesGiveWayToLiveOnesOldestFirst() throws Exception {
        Map<String, StandingStatus> standings = new LinkedHashMap<>();
        standings.put("c", StandingStatus.CHAMPION);
        standings.put("d", StandingStatus.CHALLENGER);
        standings.put("r", StandingStatus.RETIRED);
        try (var h = new ServeHarness(settings().maxVariantsPerTask(4), new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(champion("t", "c", standings, null, 0), 0);
            h.processBroadcastElement(modelRecord("t", "old2", 5, 200, 0), 0);
            h.processBroadcastElement(modelRecord("t", "old1", 5, 100, 1), 0);
            h.processBroadcastElement(modelRecord("t", "old3", 5, 300, 2), 0);
            h.processBroadcastElement(modelRecord("t", "r", 5, 50, 3), 0);
            h.processBroadcastElement(modelRecord("t", "c", 5, 1000, 4), 0);
            h.processBroadcastElement(modelRecord("t", "d", 5, 1000, 5), 0);
            h.processBroadcastElement(modelRecord("t", "new", 5, 1000, 6), 0);
            h.processElement(sourced(example(0)), 1);

            assertThat(keysHeld(h)).containsExactlyInAnyOrder("t/old2", "t/old3", "t/c", "t/d");
            assertThat(h.extractOutputValues()).extracting(Prediction::getVariant).containsExactly("c");
            assertThat(h.deadLetters()).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("variant");
                assertThat(d.getReason()).startsWith("model \"t/new\": expected at most 4 variants of task \"t\""
                        + " (--max-variants-per-task), got one more, and none gives way to it");
            });
        }
    }

    /**
     * A serve job's bound below the train job's live variants: the champion's model takes the place of a live
     * challenger's (never the serving variant's) rather than be wanted for good.
     */
    @Test
    void theChampionTakesThePlaceOfALiveChallengerWhenLiveOnesFillTheBound() throws Exception {
        Map<String, StandingStatus> standings = new LinkedHashMap<>();
        standings.put("a", StandingStatus.CHAMPION);
        standings.put("b", StandingStatus.CHALLENGER);
        standings.put("c", StandingStatus.CHALLENGER);
        try (var h = new ServeHarness(settings().maxVariantsPerTask(2), new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(modelRecord("t", "a", 5, 0, 0), 0);
            h.processBroadcastElement(modelRecord("t", "b", 5, 10, 1), 0);
            h.processBroadcastElement(champion("t", "a", standings, null, 0), 0);
            h.processBroadcastElement(modelRecord("t", "c", 5, 20, 2), 0);
            assertThat(h.deadLetters()).as("a challenger past the bound is refused").singleElement()
                    .satisfies(d -> assertThat(d.getField()).isEqualTo("variant"));

            standings.put("a", StandingStatus.CHALLENGER);
            standings.put("c", StandingStatus.CHAMPION);
            h.processBroadcastElement(champion("t", "c", standings, null, 1), 0);
            h.processElement(sourced(example(0)), 1);
            h.processBroadcastElement(modelRecord("t", "c", 6, 30, 3), 0);
            h.processElement(sourced(example(1)), 2);

            assertThat(h.extractOutputValues()).extracting(Prediction::getVariant, Prediction::getModelVersion)
                    .containsExactly(tuple("a", 5L),
                            tuple("c", 6L));
            assertThat(keysHeld(h)).containsExactlyInAnyOrder("t/a", "t/c");
            assertThat(h.deadLetters()).hasSize(1);
        }
    }

    /**
     * A retired variant revived after the record (a later generation than it names, or a tombstone of its key after
     * it) is kept; a restored job still knows which variants the latest records retired.
     */
    @Test
    void aRevivedVariantIsKeptAndARestoredJobStillKnowsWhichRetired() throws Exception {
        Map<String, StandingStatus> standings = new LinkedHashMap<>();
        standings.put("a", StandingStatus.CHAMPION);
        standings.put("r", StandingStatus.RETIRED);
        standings.put("x", StandingStatus.RETIRED);
        OperatorSubtaskState checkpoint;
        try (var h = new ServeHarness(settings(), new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(modelRecord("t", "a", 5, 0, 0), 0);
            h.processBroadcastElement(champion("t", "a", standings, Map.of("a", 1L, "r", 7L), 0), 0);
            h.processBroadcastElement(record(model("t", "r", 8, 0, 7L), 1), 0);
            assertThat(keysHeld(h)).as("r's model of the retired generation").containsExactly("t/a");
            h.processBroadcastElement(record(model("t", "r", 0, 0, 9L), 2), 0);
            assertThat(keysHeld(h)).as("r revived at generation 9").containsExactlyInAnyOrder("t/a", "t/r");
            checkpoint = h.snapshot(1, 1);
        }
        var metrics = new RegisteredMetrics();
        try (var h = new ServeHarness(settings(), metrics.environment())) {
            h.initializeState(checkpoint);
            h.open();
            h.processBroadcastElement(modelRecord("t", "x", 3, 0, 3), 0);
            assertThat(keysHeld(h)).containsExactlyInAnyOrder("t/a", "t/r");
            assertThat(counter(metrics, "modelsOfRetiredVariants")).isEqualTo(1);
            h.processBroadcastElement(tombstone("t/x", 4), 0);
            h.processBroadcastElement(modelRecord("t", "x", 0, 0, 5), 0);
            assertThat(keysHeld(h)).as("x's tombstone (its revival) came after the record")
                    .containsExactlyInAnyOrder("t/a", "t/r", "t/x");
            assertThat(h.deadLetters()).isEmpty();
        }
    }

    /** A malformed part of a live variant is refused before it could make another variant's model give way. */
    @Test
    void aMalformedPartMakesNoModelGiveWay() throws Exception {
        Map<String, StandingStatus> standings = new LinkedHashMap<>();
        standings.put("a", StandingStatus.CHAMPION);
        standings.put("b", StandingStatus.CHALLENGER);
        try (var h = new ServeHarness(settings().maxVariantsPerTask(2), new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(modelRecord("t", "a", 5, 0, 0), 0);
            h.processBroadcastElement(modelRecord("t", "x", 5, 0, 1), 0);
            h.processBroadcastElement(champion("t", "a", standings, null, 0), 0);
            ModelSnapshot part = model("t", "b", 9, 0, null);
            part = SnapshotChunks.split(part, part.getParameters().remaining() / 3 + 1).get(0);
            part.setChunks(0);
            h.processBroadcastElement(ChunkedSnapshotServeTest.record(part, 2), 0);

            assertThat(keysHeld(h)).containsExactlyInAnyOrder("t/a", "t/x");
            assertThat(h.deadLetters()).singleElement().satisfies(d -> assertThat(d.getField()).isEqualTo("chunks"));
        }
    }

    private static Map<String, StandingStatus> standings(Object... variantsAndStatuses) {
        Map<String, StandingStatus> standings = new LinkedHashMap<>();
        for (int i = 0; i < variantsAndStatuses.length; i += 2) {
            standings.put((String) variantsAndStatuses[i], (StandingStatus) variantsAndStatuses[i + 1]);
        }
        return standings;
    }

    /**
     * A drift reset of challenger r in place: the selection names r's new generation, then sends "r retired, generation
     * 9", then "r challenger". Whether the train job's tombstone and r's version 0 (generation 9) come before the
     * reset's records or between them, r's fresh model is kept; a later record that retires r at generation 9 retires
     * it.
     */
    @Test
    void aResetVariantsFreshModelIsNotTakenForARetiredOne() throws Exception {
        var metrics = new RegisteredMetrics();
        try (var h = new ServeHarness(settings(), metrics.environment())) {
            h.open();
            long offset = 0;
            for (String task : List.of("t", "u")) {
                h.processBroadcastElement(record(model(task, "a", 5, 0, 1L), offset++), 0);
                h.processBroadcastElement(record(model(task, "r", 5, 0, 8L), offset++), 0);
                h.processBroadcastElement(champion(task, "a", standings("a", StandingStatus.CHAMPION,
                        "r", StandingStatus.CHALLENGER), Map.of("a", 1L, "r", 8L), offset++), 0);
            }
            KafkaRecord retiredAt9 = champion("t", "a", standings("a", StandingStatus.CHAMPION,
                    "r", StandingStatus.RETIRED), Map.of("a", 1L, "r", 9L), offset++);
            KafkaRecord challengerAt9 = champion("t", "a", standings("a", StandingStatus.CHAMPION,
                    "r", StandingStatus.CHALLENGER), Map.of("a", 1L, "r", 9L), offset++);
            // t: the tombstone and version 0 first, then the reset's records.
            h.processBroadcastElement(tombstone("t/r", offset++), 0);
            h.processBroadcastElement(record(model("t", "r", 0, 0, 9L), offset++), 0);
            h.processBroadcastElement(retiredAt9, 0);
            h.processBroadcastElement(challengerAt9, 0);
            // u: the tombstone, the reset's retirement, version 0, the reset's challenger record.
            h.processBroadcastElement(tombstone("u/r", offset++), 0);
            h.processBroadcastElement(champion("u", "a", standings("a", StandingStatus.CHAMPION,
                    "r", StandingStatus.RETIRED), Map.of("a", 1L, "r", 9L), offset++), 0);
            h.processBroadcastElement(record(model("u", "r", 0, 0, 9L), offset++), 0);
            h.processBroadcastElement(champion("u", "a", standings("a", StandingStatus.CHAMPION,
                    "r", StandingStatus.CHALLENGER), Map.of("a", 1L, "r", 9L), offset++), 0);

            assertThat(keysHeld(h)).containsExactlyInAnyOrder("t/a", "t/r", "u/a", "u/r");
            assertThat(counter(metrics, "modelsEvicted")).isZero();
            assertThat(counter(metrics, "modelsOfRetiredVariants")).isZero();

            // Named live since its reset, r retired at generation 9 is retired.
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION,
                    "r", StandingStatus.RETIRED), Map.of("a", 1L, "r", 9L), offset++), 0);
            assertThat(keysHeld(h)).containsExactlyInAnyOrder("t/a", "u/a", "u/r");
            assertThat(h.deadLetters()).isEmpty();
        }
    }

    /**
     * A drift reset of champion r: its tombstone holds the task, r's version 0 (generation 9) is stored, then the
     * succession ("a champion, r retired at generation 9") and "r challenger": r's fresh model is kept.
     */
    @Test
    void aResetChampionsFreshModelOutlivesItsSuccession() throws Exception {
        var metrics = new RegisteredMetrics();
        try (var h = new ServeHarness(settings(), metrics.environment())) {
            h.open();
            h.processBroadcastElement(record(model("t", "a", 5, 0, 1L), 0), 0);
            h.processBroadcastElement(record(model("t", "r", 5, 0, 8L), 1), 0);
            h.processBroadcastElement(champion("t", "r", standings("r", StandingStatus.CHAMPION,
                    "a", StandingStatus.CHALLENGER), Map.of("a", 1L, "r", 8L), 2), 0);
            h.processBroadcastElement(tombstone("t/r", 3), 0);
            h.processBroadcastElement(record(model("t", "r", 0, 0, 9L), 4), 0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION,
                    "r", StandingStatus.RETIRED), Map.of("a", 1L, "r", 9L), 5), 0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION,
                    "r", StandingStatus.CHALLENGER), Map.of("a", 1L, "r", 9L), 6), 0);
            h.processElement(sourced(example(0)), 1);

            assertThat(keysHeld(h)).containsExactlyInAnyOrder("t/a", "t/r");
            assertThat(counter(metrics, "modelsEvicted")).isZero();
            assertThat(h.extractOutputValues()).singleElement()
                    .satisfies(p -> assertThat(p.getVariant()).isEqualTo("a"));
        }
    }

    /**
     * A restore from a savepoint before the standings (serve-v1..v4) leaves them empty but keeps the wanted champion:
     * with the variant bound full, its model takes the place of the oldest other one rather than being refused.
     */
    @Test
    void aWantedChampionFindsRoomWhenItsTaskHasNoStandings() throws Exception {
        try (var h = new ServeHarness(settings().maxVariantsPerTask(2), new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(modelRecord("t", "a", 5, 2, 0), 0);
            h.processBroadcastElement(modelRecord("t", "b", 5, 1, 1), 0);
            h.processBroadcastElement(champion("t", "c", standings("c", StandingStatus.CHAMPION,
                    "a", StandingStatus.CHALLENGER, "b", StandingStatus.CHALLENGER), null, 2), 0);
            h.getBroadcastState(ServeBounds.STANDINGS).clear(); // as a restored serve-v4 savepoint has them
            h.processBroadcastElement(modelRecord("t", "c", 1, 3, 3), 0);
            h.processElement(sourced(example(0)), 1);

            assertThat(keysHeld(h)).containsExactlyInAnyOrder("t/a", "t/c");
            assertThat(h.extractOutputValues()).singleElement()
                    .satisfies(p -> assertThat(p.getVariant()).isEqualTo("c"));
            assertThat(h.deadLetters()).isEmpty();
        }
    }

    /**
     * Retired with no generation (a --spec default, or records of selection jobs before generations), r is revived:
     * its tombstone, then version 0 of generation 9. A stale record written before the revival, naming r retired with no
     * generation, arrives later: r's fresh model is kept.
     */
    @Test
    void aRevivedVariantWithNoGenerationOutlivesALateStaleRecord() throws Exception {
        try (var h = new ServeHarness(settings(), new RegisteredMetrics().environment())) {
            h.open();
            KafkaRecord stale = champion("t", "a", standings("a", StandingStatus.CHAMPION,
                    "r", StandingStatus.RETIRED), Map.of("a", 1L), 1);
            h.processBroadcastElement(record(model("t", "a", 5, 0, 1L), 0), 0);
            h.processBroadcastElement(stale, 0);
            h.processBroadcastElement(tombstone("t/r", 2), 0);
            h.processBroadcastElement(record(model("t", "r", 0, 0, 9L), 3), 0);
            h.processBroadcastElement(stale, 0);
            h.processBroadcastElement(record(model("t", "r", 1, 0, 9L), 4), 0);

            assertThat(keysHeld(h)).containsExactlyInAnyOrder("t/a", "t/r");
            assertThat(h.getBroadcastState(ServeFunction.MODELS).get("t/r").getVersion()).isEqualTo(1L);
        }
    }

    /** A record naming a negative generation for a retired variant does not make it live (-2 was the live mark). */
    @Test
    void aNegativeGenerationInARecordDoesNotNameAVariantLive() throws Exception {
        try (var h = new ServeHarness(settings(), new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(record(model("t", "a", 5, 0, 1L), 0), 0);
            h.processBroadcastElement(record(model("t", "r", 5, 0, null), 1), 0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION,
                    "r", StandingStatus.RETIRED), Map.of("a", 1L, "r", -2L), 2), 0);

            assertThat(keysHeld(h)).containsExactly("t/a");
        }
    }

    /** One record naming thousands of retired variants leaves a bounded entry in the standings. */
    @Test
    void aRecordNamingThousandsOfVariantsLeavesBoundedStandings() throws Exception {
        Map<String, StandingStatus> standings = new LinkedHashMap<>();
        standings.put("a", StandingStatus.CHAMPION);
        for (int i = 0; i < 5_000; i++) {
            standings.put("r" + i, i % 2 == 0 ? StandingStatus.RETIRED : StandingStatus.CHALLENGER);
        }
        try (var h = new ServeHarness(settings().maxVariantsPerTask(4), new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(record(model("t", "a", 5, 0, 1L), 0), 0);
            h.processBroadcastElement(champion("t", "a", standings, null, 1), 0);

            Map<String, Long> kept = h.getBroadcastState(ServeBounds.STANDINGS).get("t");
            assertThat(kept).hasSizeLessThanOrEqualTo(4 + dev.chorus.core.select.ChampionRace.MAX_RETIRED)
                    .containsEntry("a", ServeBounds.LIVE);
            assertThat(keysHeld(h)).containsExactly("t/a");
        }
    }

    /**
     * With --max-tasks 1, task t is served by a alone; a's reset (its tombstone) leaves t with no model, but t is
     * served and held, so keeps its place: another task's snapshot in between is refused, a's version 0 is stored.
     */
    @Test
    void aServedTaskKeepsItsPlaceThroughItsChampionsReset() throws Exception {
        ServeSettings settings = settings().taskBound(new dev.chorus.jobs.TaskBound(1, List.of()));
        try (var h = new ServeHarness(settings, new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(record(model("t", "a", 5, 0, 1L), 0), 0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION), Map.of("a", 1L), 1),
                    0);
            h.processBroadcastElement(tombstone("t/a", 2), 0);
            h.processBroadcastElement(record(model("u", "a", 5, 0, 1L), 3), 0);
            h.processBroadcastElement(record(model("t", "a", 0, 0, 2L), 4), 0);

            assertThat(keysHeld(h)).containsExactly("t/a");
            assertThat(h.deadLetters()).singleElement().satisfies(d -> assertThat(d.getField()).isEqualTo("task"));
        }
    }

    /**
     * With --max-tasks 1, task t is served by a until the train job retires every variant of t (the champion record
     * names a retired and none live) and {@code chorus models reset t/a} forgets its model: t then holds nothing and
     * gives its place up. Before, t was served for good, with no model, and kept its place: u's snapshot was refused
     * after the tombstone as before it, and every new task for good. A task that gave its place up and comes back
     * (a's revival: its tombstone, then version 0) takes one again under the bound, as a new task does.
     */
    @Test
    void aTaskWhoseVariantsAllRetiredGivesItsPlaceUpWithItsLastModel() throws Exception {
        ServeSettings settings = settings().taskBound(new dev.chorus.jobs.TaskBound(1, List.of()));
        try (var h = new ServeHarness(settings, new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(record(model("t", "a", 5, 0, 1L), 0), 0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION), Map.of("a", 1L), 1),
                    0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.RETIRED), Map.of("a", 1L), 2),
                    0);
            h.processBroadcastElement(record(model("u", "a", 5, 0, 1L), 3), 0);
            assertThat(keysHeld(h)).as("t still served by its retired champion's model").containsExactly("t/a");

            h.processBroadcastElement(tombstone("t/a", 4), 0);
            h.processBroadcastElement(record(model("u", "a", 6, 0, 1L), 5), 0);
            h.processBroadcastElement(tombstone("t/a", 6), 0);
            h.processBroadcastElement(record(model("t", "a", 0, 0, 7L), 7), 0);

            assertThat(keysHeld(h)).containsExactly("u/a");
            assertThat(h.getBroadcastState(ServeFunction.SERVING).contains("t")).isFalse();
            assertThat(h.deadLetters()).extracting(d -> d.getField(), d -> d.getTopic()).containsExactly(
                    tuple("task", settings.modelsTopic().name()), tuple("task", settings.modelsTopic().name()));
        }
        try (var h = new ServeHarness(settings, new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(record(model("t", "a", 5, 0, 1L), 0), 0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.RETIRED), Map.of("a", 1L), 1),
                    0);
            h.processBroadcastElement(tombstone("t/a", 2), 0);
            h.processBroadcastElement(record(model("t", "a", 0, 0, 7L), 3), 0);
            h.processBroadcastElement(record(model("u", "a", 5, 0, 1L), 4), 0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION), Map.of("a", 7L), 5),
                    0);
            h.processElement(sourced(example(0)), 6);

            assertTServedByAsFreshModelAndURefused(h, "t's revival took the place again", 4);
        }
    }

    /**
     * With --max-tasks 1, t's only variant a is reset in place (control offset 7) and then retired: the selection names
     * a retired at generation 7 (the reset's own retirement of the old model), live at 7, and, once retired for real,
     * retired at 7 again. Here both records of the reset come before its tombstone and fresh model (the two topics
     * reach the serve job in no fixed order), so the tombstone is one the records answered already: the last record
     * is the train job's retirement, and {@code chorus models reset t/a} gives t's place up, as it does without a reset.
     * Before, the tombstone left a mark that read the real retirement as the reset's own: a stayed unnamed, t kept its
     * place for good and u's snapshot was refused. With the real retirement before the tombstone (as it freed the
     * place before too), the tombstone leaves the retirement standing, and a's fresh model is not stored.
     */
    @Test
    void aRetirementAfterAResetWhoseRecordsCameFirstIsARetirement() throws Exception {
        ServeSettings settings = settings().taskBound(new dev.chorus.jobs.TaskBound(1, List.of()));
        for (boolean retiredBeforeTombstone : new boolean[] {false, true}) {
            try (var h = new ServeHarness(settings, new RegisteredMetrics().environment())) {
                h.open();
                h.processBroadcastElement(record(model("t", "a", 5, 0, 1L), 0), 0);
                h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION), Map.of("a", 1L),
                        1), 0);
                h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.RETIRED), Map.of("a", 7L),
                        2), 0);
                h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION), Map.of("a", 7L),
                        3), 0);
                KafkaRecord retirement = champion("t", "a", standings("a", StandingStatus.RETIRED), Map.of("a", 7L), 4);
                if (retiredBeforeTombstone) {
                    h.processBroadcastElement(retirement, 0);
                }
                h.processBroadcastElement(tombstone("t/a", 5), 0);
                h.processBroadcastElement(record(model("t", "a", 0, 0, 7L), 6), 0);
                if (!retiredBeforeTombstone) {
                    h.processBroadcastElement(retirement, 0);
                }
                h.processBroadcastElement(tombstone("t/a", 7), 0);
                h.processBroadcastElement(record(model("u", "a", 5, 0, 1L), 8), 0);

                assertThat(keysHeld(h)).as("retired before the tombstone: %s", retiredBeforeTombstone)
                        .containsExactly("u/a");
                assertThat(h.getBroadcastState(ServeFunction.SERVING).contains("t")).isFalse();
                assertThat(h.deadLetters()).isEmpty();
            }
        }
    }

    /**
     * With --max-tasks 1, a champion record names a for task t before any model of a came: the wish holds t's place.
     * The train job retires a (the next record names it retired at the generation it was live at): no model of a
     * comes but one written before, which is not kept, so the wish goes and u's snapshot takes the place. Before, the
     * wish held it for good. A reset's own retirement (retired at a later generation than a was live at, a record
     * naming it live at that generation to follow) keeps the wish: then u's snapshot is refused, and a's fresh model
     * serves.
     */
    @Test
    void aWishForAChampionRetiredBeforeItsFirstModelGivesTheTasksPlaceUp() throws Exception {
        ServeSettings settings = settings().taskBound(new dev.chorus.jobs.TaskBound(1, List.of()));
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new ServeHarness(settings, metrics.environment())) {
            h.open();
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION), Map.of("a", 1L), 0),
                    0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.RETIRED), Map.of("a", 1L), 1),
                    0);
            h.processBroadcastElement(record(model("u", "a", 5, 0, 1L), 2), 0);
            h.processBroadcastElement(record(model("t", "a", 3, 0, 1L), 3), 0);

            assertThat(h.getBroadcastState(ServeFunction.WANTED).contains("t")).isFalse();
            assertThat(keysHeld(h)).containsExactly("u/a");
            assertThat(h.deadLetters()).isEmpty();
            assertThat(counter(metrics, "modelsOfRetiredVariants")).isEqualTo(1);
        }
        try (var h = new ServeHarness(settings, new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION), Map.of("a", 1L), 0),
                    0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.RETIRED), Map.of("a", 7L), 1),
                    0);
            h.processBroadcastElement(record(model("u", "a", 5, 0, 1L), 2), 0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION), Map.of("a", 7L), 3),
                    0);
            h.processBroadcastElement(record(model("t", "a", 0, 0, 7L), 4), 0);
            h.processElement(sourced(example(0)), 5);

            assertTServedByAsFreshModelAndURefused(h, "t holds the place", 2);
        }
    }

    /**
     * With --max-tasks 1: t holds the place ({@code as}), u's snapshot at models offset {@code uOffset} was refused
     * for it, and t's example was answered by a's fresh model (version 0).
     */
    private static void assertTServedByAsFreshModelAndURefused(ServeHarness h, String as, int uOffset)
            throws Exception {
        assertThat(keysHeld(h)).as(as).containsExactly("t/a");
        assertThat(h.deadLetters()).singleElement().satisfies(d -> assertThat(d.getReason()).endsWith(
                "whose models the serve job holds, got \"u\" (at chorus.models-0@" + uOffset + ")"));
        assertThat(h.extractOutputValues()).extracting(Prediction::getTask, Prediction::getVariant,
                Prediction::getModelVersion).containsExactly(tuple("t", "a", 0L));
    }

    /** A retired variant's chunked snapshot, not stored, counts once in modelsOfRetiredVariants, not once per part. */
    @Test
    void aRetiredVariantsChunkedSnapshotCountsOnce() throws Exception {
        var metrics = new RegisteredMetrics();
        try (var h = new ServeHarness(settings(), metrics.environment())) {
            h.open();
            h.processBroadcastElement(record(model("t", "a", 5, 0, 1L), 0), 0);
            h.processBroadcastElement(champion("t", "a", standings("a", StandingStatus.CHAMPION,
                    "r", StandingStatus.RETIRED), Map.of("a", 1L, "r", 7L), 1), 0);
            ModelSnapshot big = model("t", "r", 9, 0, 7L);
            long offset = 2;
            for (ModelSnapshot part : SnapshotChunks.split(big, big.getParameters().remaining() / 3 + 1)) {
                h.processBroadcastElement(ChunkedSnapshotServeTest.record(part, offset++), 0);
            }

            assertThat(keysHeld(h)).containsExactly("t/a");
            assertThat(counter(metrics, "modelsOfRetiredVariants")).isEqualTo(1);
        }
    }
}
