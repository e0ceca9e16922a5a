package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.example;
import static dev.chorus.jobs.serve.ServeFunctionTest.record;
import static dev.chorus.jobs.serve.ServeFunctionTest.snapshot;
import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static dev.chorus.jobs.serve.ServeFunctionTest.tombstone;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;

/**
 * Makes the serve operator's state fixture that {@link ServeStateCompatibilityTest} restores: a serve function
 * following the champion ({@link #SETTINGS}) holding task {@code t}'s variants {@code a} at version 5 and {@code b}
 * at 12, champion {@code a}, and one example of task {@code u} waiting for a first model ({@link #waiting}).
 * {@code serve-v1} was made by the serve function before the held-champion-restarts state existed; {@code serve-v2}
 * also holds a restart of champion {@code a}: its tombstone and its version 0 of generation 20, held, asking
 * generation 20 of a champion record, with example 1 of task t waiting ({@link #holdRestart}); {@code serve-v3}
 * holds the same as {@code serve-v2}, each waiting example kept with its partition and offset (state
 * {@code waiting-sourced-examples}), the one of task u read from {@link #WAITING_PARTITION}@{@link #WAITING_OFFSET}.
 * Committed under
 * {@code serve-v4} (state {@code held-champion-restart-variants}, one hold per variant) also wants variant {@code c}, which
 * has no model, by a champion record after a's reset ({@link #AFTER_RESET}), and holds c's restart too, asking no
 * generation: its tombstone came with no model of c to forget ({@link #holdWantedRestart}); {@code serve-v5} (state
 * {@code champion-standings}) also holds task u's champion record, naming default (no model yet) and variant r retired
 * at generation 30 ({@link #retireInWaitingTask}). Committed under
 * {@code src/test/resources/savepoints/serve-vN/operator-state}; make a new one only when the state changes, and keep
 * every older one restoring. Run from the repository root, after {@code ./mvnw -B -ntp -q -pl jobs -am test-compile},
 * with the jobs module's test classpath: {@code java -cp 'jobs/target/test-classes:jobs/target/classes:<its
 * dependencies>' dev.chorus.jobs.serve.ServeStateFixture jobs/src/test/resources/savepoints/serve-vN}.
 */
public final class ServeStateFixture {
    static final ServeSettings SETTINGS = ServeFunctionTest.settings().variant(ServeSettings.CHAMPION);
    static final String FILE = "operator-state";

    private ServeStateFixture() {}

    static KafkaRecord model(String task, String variant, long version, long offset) {
        ModelSnapshot s = snapshot(task, version);
        s.setVariant(variant);
        return record(s, offset);
    }

    /** Variant {@code variant}'s snapshot at {@code version} of the model the control record at {@code generation} started. */
    static KafkaRecord model(String task, String variant, long version, long generation, long offset) {
        ModelSnapshot s = snapshot(task, version);
        s.setVariant(variant);
        s.setGeneration(generation);
        return record(s, offset);
    }

    static KafkaRecord champion(String task, String variant, long offset) {
        return champion(task, variant, null, offset);
    }

    /** A champion record naming {@code variant}, written when the variants' models were of {@code generations}. */
    static KafkaRecord champion(String task, String variant, Map<String, Long> generations, long offset) {
        Champion c = Champion.newBuilder().setTask(task).setVariant(variant).setModelVersion(0L).setSince(0L)
                .setStandings(List.of()).setUpdatedAt(0L).setGenerations(generations).build();
        return new KafkaRecord(SETTINGS.championsTopic().name(), 0, offset, 0, task.getBytes(StandardCharsets.UTF_8),
                SETTINGS.championsTopic().codec().encode(c));
    }

    static Example waiting() {
        return ServeFunctionTest.ofTask("u", 7);
    }

    static final int WAITING_PARTITION = 1;
    static final long WAITING_OFFSET = 7;

    static KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> harness() throws Exception {
        return new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(new ServeFunction(SETTINGS),
                ServeJob.BROADCAST_STATES), ServeFunctionTest::taskOf, Types.STRING, 1, 1, 0);
    }

    /** Before a's reset (its control record at offset 20): a of generation 10, b of 11. */
    static final Map<String, Long> BEFORE_RESET = Map.of("a", 10L, "b", 11L);
    static final Map<String, Long> AFTER_RESET = Map.of("a", 20L, "b", 11L);

    /** Champion a (at version 5, b at 12, as in every fixture) reset at generation 20: held; example 1 of t waits. */
    static void holdRestart(KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> h)
            throws Exception {
        h.processBroadcastElement(tombstone("t/a", 3), 3);
        h.processBroadcastElement(model("t", "a", 0, 20, 4), 3);
        h.processElement(sourced(example(1)), 4);
    }

    /** After {@link #holdRestart}: champion c wanted (no model of it yet), then c's tombstone: a and c both held. */
    static void holdWantedRestart(KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> h)
            throws Exception {
        h.processBroadcastElement(champion("t", "c", AFTER_RESET, 1), 5);
        h.processBroadcastElement(tombstone("t/c", 5), 5);
    }

    /** Task u's champion record: default champion, wanted (no model yet), r retired at generation 30. */
    static void retireInWaitingTask(KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> h)
            throws Exception {
        h.processBroadcastElement(ChampionVariantBoundTest.champion("u", "default", Map.of("default",
                dev.chorus.schemas.StandingStatus.CHAMPION, "r", dev.chorus.schemas.StandingStatus.RETIRED),
                Map.of("r", 30L), 6), 6);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(model("t", "a", 5, 0), 0);
            h.processBroadcastElement(model("t", "b", 12, 1), 0);
            h.processBroadcastElement(champion("t", "a", 0), 0);
            h.processElement(sourced(example(0)), 1);
            h.processElement(new Sourced<>(waiting(), WAITING_PARTITION, WAITING_OFFSET), 2);
            String fixture = dir.getFileName().toString();
            if (!fixture.equals("serve-v1")) {
                holdRestart(h);
            }
            if (fixture.compareTo("serve-v4") >= 0) {
                holdWantedRestart(h);
            }
            if (fixture.compareTo("serve-v5") >= 0) {
                retireInWaitingTask(h);
            }
            OperatorSnapshotUtil.writeStateHandle(h.snapshot(1, 5), dir.resolve(FILE).toString());
        }
    }
}
