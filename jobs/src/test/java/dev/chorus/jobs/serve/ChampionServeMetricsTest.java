package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.example;
import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static dev.chorus.jobs.serve.ServeFunctionTest.tombstone;
import static dev.chorus.jobs.serve.ServeStateFixture.champion;
import static dev.chorus.jobs.serve.ServeStateFixture.model;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.ModelSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;

/**
 * Following the champion, what the serve job says and counts about a reset champion's hold
 * ({@link ChampionRestarts}) and about the champion it serves ({@code championChanges}).
 */
class ChampionServeMetricsTest {
    private static final String PREFIX = "flink_taskmanager_job_task_operator_";

    private static double counter(RegisteredMetrics metrics, String name) {
        return metrics.find(PREFIX + name, Map.of()).get(0).value();
    }

    /** Champion a serving version 5, b there at 12; then a's restart: its tombstone and version 0. */
    private static ServeHarness restartedChampion(RegisteredMetrics metrics) throws Exception {
        ServeHarness h = new ServeHarness(ServeStateFixture.SETTINGS, metrics.environment());
        h.open();
        h.processBroadcastElement(model("t", "a", 5, 0), 0);
        h.processBroadcastElement(model("t", "b", 12, 1), 0);
        h.processBroadcastElement(champion("t", "a", 0), 0);
        h.processBroadcastElement(tombstone("t/a", 2), 2);
        h.processBroadcastElement(model("t", "a", 0, 3), 3);
        return h;
    }

    /**
     * A champion record names a task whose model has not come: the task holds its room under --max-tasks from then on,
     * and one past the bound is a dead letter rather than a wish that waits in every instance's state for good.
     */
    @Test
    void championRecordsOfTasksPastTheBoundAreDeadLettersNotWishes() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        ServeSettings settings = ServeFunctionTest.settings().variant(ServeSettings.CHAMPION)
                .taskBound(new dev.chorus.jobs.TaskBound(2, List.of()));
        try (var h = new ServeHarness(settings, metrics.environment())) {
            h.open();
            h.processBroadcastElement(model("t", "a", 5, 0), 0);
            h.processBroadcastElement(champion("t", "a", 1), 1);
            for (int i = 0; i < 50; i++) {
                h.processBroadcastElement(champion("u" + i, "a", 2 + i), 2 + i);
            }
            h.processBroadcastElement(model("u0", "a", 3, 60), 60);

            assertThat(h.getBroadcastState(ServeFunction.WANTED).entries()).as("only u0 waited, and got its model")
                    .isEmpty();
            assertThat(h.getBroadcastState(ServeFunction.SERVING).get("u0")).isEqualTo("a");
            assertThat(h.deadLetters()).hasSize(49).allSatisfy(d -> {
                assertThat(d.getField()).isEqualTo("task");
                assertThat(d.getReason()).contains("maxTasks=2");
            });
            assertThat(counter(metrics, "modelsRefused")).isEqualTo(49);
        }
    }

    @Test
    void aHeldTasksExamplesPastTheBoundSayTheyAreHeldAndAreCountedApart() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = restartedChampion(metrics)) {
            for (int row = 0; row < 4; row++) {
                h.processElement(sourced(example(row)), 4 + row);
            }

            assertThat(h.extractOutputValues()).isEmpty();
            DeadLetter d = h.deadLetters().get(0);
            assertThat(h.deadLetters()).hasSize(1);
            assertThat(d.getField()).isEqualTo("task");
            assertThat(d.getReason()).isEqualTo("task \"t\" is held from its reset champion \"a\", whose version 0 is"
                    + " here but answers only once a champion record for the task or version 1 or later of \"a\""
                    + " arrives: expected at most 3 examples waiting (--max-waiting-per-task), got one more");
            assertThat(counter(metrics, "championRestartsDeadLetters")).isEqualTo(1);
            assertThat(counter(metrics, "deadLetters")).isEqualTo(1);
        }
    }

    @Test
    void aHeldTaskWhoseFreshModelHasNotArrivedSaysSo() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new ServeHarness(ServeStateFixture.SETTINGS, metrics.environment())) {
            h.open();
            h.processBroadcastElement(model("t", "a", 5, 0), 0);
            h.processBroadcastElement(champion("t", "a", 0), 0);
            h.processBroadcastElement(tombstone("t/a", 1), 1);
            for (int row = 0; row < 4; row++) {
                h.processElement(sourced(example(row)), 2 + row);
            }

            assertThat(h.deadLetters()).singleElement().satisfies(d -> assertThat(d.getReason()).isEqualTo(
                    "task \"t\" is held from its reset champion \"a\", whose fresh model has not arrived yet and"
                    + " answers only once a champion record for the task or version 1 or later of \"a\" arrives:"
                    + " expected at most 3 examples waiting (--max-waiting-per-task), got one more"));
            assertThat(counter(metrics, "championRestartsDeadLetters")).isEqualTo(1);
        }
    }

    @Test
    void aHeldTasksExamplesStillWaitingWhenTheInputEndsSayTheyAreHeld() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = restartedChampion(metrics)) {
            h.processElement(sourced(example(0)), 4);
            h.processWatermark(Watermark.MAX_WATERMARK);

            assertThat(h.deadLetters()).singleElement().satisfies(d -> assertThat(d.getReason()).isEqualTo(
                    "task \"t\" is held from its reset champion \"a\", whose version 0 is here but answers only once a"
                    + " champion record for the task or version 1 or later of \"a\" arrives: expected one before the"
                    + " end of the input, got none"));
            assertThat(counter(metrics, "championRestartsDeadLetters")).isEqualTo(1);
        }
    }

    @Test
    void aTaskWithNoModelYetKeepsItsReasonAndIsNotCountedAsHeld() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new ServeHarness(ServeStateFixture.SETTINGS, metrics.environment())) {
            h.open();
            for (int row = 0; row < 4; row++) {
                h.processElement(sourced(example(row)), row);
            }

            assertThat(h.deadLetters()).singleElement().satisfies(d -> assertThat(d.getReason())
                    .startsWith("no model yet for task \"t\""));
            assertThat(counter(metrics, "championRestartsDeadLetters")).isZero();
        }
    }

    @Test
    void aChampionRecordVettingTheServedVariantIsNoChange() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = restartedChampion(metrics)) {
            assertThat(counter(metrics, "championChanges")).isEqualTo(1);

            h.processBroadcastElement(champion("t", "a", 1), 4);
            h.processElement(sourced(example(0)), 5);
            assertThat(h.extractOutputValues()).singleElement().satisfies(p -> assertThat(p.getModelVersion())
                    .isZero());
            assertThat(counter(metrics, "championChanges")).isEqualTo(1);

            h.processBroadcastElement(champion("t", "a", 2), 6);
            assertThat(counter(metrics, "championChanges")).isEqualTo(1);

            h.processBroadcastElement(champion("t", "b", 3), 7);
            assertThat(counter(metrics, "championChanges")).isEqualTo(2);

            h.processBroadcastElement(champion("t", "c", 4), 8);
            h.processBroadcastElement(model("t", "c", 1, 4), 9);
            assertThat(counter(metrics, "championChanges")).isEqualTo(3);
        }
    }

    @Test
    void aChampionRecordFromBeforeTheRestartIsCountedStaleAndTheHeldLettersNameTheGenerationAsked() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new ServeHarness(ServeStateFixture.SETTINGS, metrics.environment())) {
            h.open();
            ModelSnapshot old = ServeFunctionTest.snapshot("t", 5);
            old.setVariant("a");
            old.setGeneration(10L);
            h.processBroadcastElement(ServeFunctionTest.record(old, 0), 0);
            h.processBroadcastElement(champion("t", "a", 0), 0);
            h.processBroadcastElement(tombstone("t/a", 1), 1);
            Champion before = Champion.newBuilder().setTask("t").setVariant("a").setModelVersion(5L).setSince(0L)
                    .setStandings(List.of()).setUpdatedAt(0L).setGenerations(Map.of("a", 10L)).build();
            h.processBroadcastElement(new KafkaRecord(ServeStateFixture.SETTINGS.championsTopic().name(), 0, 1, 0,
                    "t".getBytes(StandardCharsets.UTF_8), ServeStateFixture.SETTINGS.championsTopic().codec()
                            .encode(before)), 2);
            for (int row = 0; row < 4; row++) {
                h.processElement(sourced(example(row)), 3 + row);
            }

            assertThat(counter(metrics, "championRecordsStale")).isEqualTo(1);
            assertThat(h.deadLetters()).singleElement().satisfies(d -> assertThat(d.getReason()).isEqualTo(
                    "task \"t\" is held from its reset champion \"a\", whose fresh model has not arrived yet and"
                    + " answers only once a champion record for the task naming generation 11 or later of \"a\" or version 1"
                    + " or later of \"a\" arrives: expected at most 3 examples waiting (--max-waiting-per-task), got"
                    + " one more"));
        }
    }
}
