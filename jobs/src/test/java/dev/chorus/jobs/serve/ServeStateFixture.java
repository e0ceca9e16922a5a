package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.example;
import static dev.chorus.jobs.serve.ServeFunctionTest.record;
import static dev.chorus.jobs.serve.ServeFunctionTest.snapshot;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;

/**
 * Makes the serve operator's state fixture that {@link ServeStateCompatibilityTest} restores: a serve function
 * following the champion ({@link #SETTINGS}) holding task {@code t}'s variants {@code a} at version 5 and {@code b}
 * at 12, champion {@code a}, and one example of task {@code u} waiting for a first model ({@link #waiting}).
 * {@code serve-v1} was made by the serve function before the held-champion-restarts state existed. Committed under
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

    static KafkaRecord champion(String task, String variant, long offset) {
        Champion c = Champion.newBuilder().setTask(task).setVariant(variant).setModelVersion(0L).setSince(0L)
                .setStandings(List.of()).setUpdatedAt(0L).build();
        return new KafkaRecord(SETTINGS.championsTopic().name(), 0, offset, 0, task.getBytes(StandardCharsets.UTF_8),
                SETTINGS.championsTopic().codec().encode(c));
    }

    static Example waiting() {
        return ServeFunctionTest.ofTask("u", 7);
    }

    static KeyedBroadcastOperatorTestHarness<String, Example, KafkaRecord, Prediction> harness() throws Exception {
        return new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(new ServeFunction(SETTINGS),
                ServeJob.BROADCAST_STATES), Example::getTask, Types.STRING, 1, 1, 0);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        try (var h = harness()) {
            h.open();
            h.processBroadcastElement(model("t", "a", 5, 0), 0);
            h.processBroadcastElement(model("t", "b", 12, 1), 0);
            h.processBroadcastElement(champion("t", "a", 0), 0);
            h.processElement(example(0), 1);
            h.processElement(waiting(), 2);
            OperatorSnapshotUtil.writeStateHandle(h.snapshot(1, 3), dir.resolve(FILE).toString());
        }
    }
}
