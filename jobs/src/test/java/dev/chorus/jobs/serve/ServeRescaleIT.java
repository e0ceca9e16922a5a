package dev.chorus.jobs.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --variant champion} rescaled through savepoints, 2 → 1 → 2, with what its broadcast and keyed state
 * hold at each savepoint: the models it serves, each task's serving variant, a champion record whose model has not
 * arrived (the old champion answers until it does), and examples of a task that has no model yet, waiting (in keyed
 * state, or still on the topic past the savepoint's offsets: either way the restored job must answer them once). Every
 * example is predicted once, by the variant and version serving when it was answered.
 */
class ServeRescaleIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void championStateAndWaitingExamplesComeThroughRescalingSavepoints(@InjectMiniCluster MiniCluster cluster,
            @TempDir Path savepoints) throws Exception {
        ServeSettings settings = new ServeSettings().groupId("serve-rescale-it").variant(ServeSettings.CHAMPION)
                .checkpointIntervalMs(300).bootstrapServers(KAFKA.broker().bootstrapServers());
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        int probes = 0;
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            // Parallelism 2: t is served by a; t's champion becomes c, whose model is not there yet; u's champion is a,
            // but u has no model, so its examples wait.
            JobClient job = start(settings.parallelism(2), null);
            model(producer, settings, "t", "a", 3);
            champion(producer, settings, "t", "a");
            champion(producer, settings, "u", "a");
            send(producer, settings, "t", "first", 0, 40);
            assertThat(await(settings, p -> p.getId().startsWith("t-first-"), 40))
                    .extracting(Prediction::getVariant, Prediction::getModelVersion).containsOnly(Tuple.tuple("a", 3L));
            assertParallelism(cluster, job, 2);
            champion(producer, settings, "t", "c");
            send(producer, settings, "u", "waiting", 0, 20);
            probes += probeUntil(producer, settings, "t", "probe0", "a", 3);
            String savepoint = job.stopWithSavepoint(false, savepoints.resolve("sp0").toUri().toString(),
                    SavepointFormatType.CANONICAL).get();
            assertThat(JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic()))
                    .as("u's examples still wait").noneMatch(p -> p.getTask().equals("u"));

            // Parallelism 1: a still answers t (c has no model); u's model arrives and answers its waiting examples;
            // then c's model arrives and takes over t.
            job = start(settings.parallelism(1), savepoint);
            send(producer, settings, "t", "second", 0, 20);
            assertThat(await(settings, p -> p.getId().startsWith("t-second-"), 20))
                    .extracting(Prediction::getVariant, Prediction::getModelVersion).containsOnly(Tuple.tuple("a", 3L));
            assertParallelism(cluster, job, 1);
            model(producer, settings, "u", "a", 4);
            assertThat(await(settings, p -> p.getId().startsWith("u-waiting-"), 20))
                    .extracting(Prediction::getVariant, Prediction::getModelVersion).containsOnly(Tuple.tuple("a", 4L));
            model(producer, settings, "t", "c", 2);
            probes += probeUntil(producer, settings, "t", "probe1", "c", 2);
            savepoint = job.stopWithSavepoint(false, savepoints.resolve("sp1").toUri().toString(),
                    SavepointFormatType.CANONICAL).get();

            // Parallelism 2 again: both tasks are answered at once by the models and champions restored from state.
            job = start(settings.parallelism(2), savepoint);
            send(producer, settings, "t", "third", 0, 30);
            send(producer, settings, "u", "third", 0, 30);
            assertThat(await(settings, p -> p.getId().startsWith("t-third-"), 30))
                    .extracting(Prediction::getVariant, Prediction::getModelVersion).containsOnly(Tuple.tuple("c", 2L));
            assertThat(await(settings, p -> p.getId().startsWith("u-third-"), 30))
                    .extracting(Prediction::getVariant, Prediction::getModelVersion).containsOnly(Tuple.tuple("a", 4L));
            assertParallelism(cluster, job, 2);
            JobTestSupport.cancel(job);
        }

        List<Prediction> all = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        int expected = 40 + 20 + 20 + 30 + 30 + probes;
        Map<String, Long> counts = all.stream().collect(Collectors.groupingBy(Prediction::getId, Collectors.counting()));
        assertThat(counts).as("every example predicted exactly once").hasSize(expected)
                .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
    }

    private static JobClient start(ServeSettings settings, String savepoint) throws Exception {
        return JobTestSupport.startServe(settings, savepoint, "serve-rescale-it");
    }

    /** The job's serve operator runs {@code parallelism} instances (asked once the job has answered examples). */
    private static void assertParallelism(MiniCluster cluster, JobClient job, int parallelism) throws Exception {
        assertThat(cluster.getExecutionGraph(job.getJobID()).get().getAllVertices().values())
                .filteredOn(v -> v.getName().contains("serve")).singleElement()
                .satisfies(v -> assertThat(v.getParallelism()).as("serve instances").isEqualTo(parallelism));
    }

    private static void model(ExampleProducer producer, ServeSettings settings, String task, String variant,
            long version) {
        ModelSnapshot snapshot = ServeFunctionTest.snapshot(task, version);
        snapshot.setVariant(variant);
        producer.sendRaw(settings.modelsTopic().name(), task + "/" + variant,
                settings.modelsTopic().codec().encode(snapshot));
        producer.flush();
    }

    private static void champion(ExampleProducer producer, ServeSettings settings, String task, String variant) {
        Champion champion = Champion.newBuilder().setTask(task).setVariant(variant).setModelVersion(0L).setSince(0L)
                .setStandings(List.of()).setUpdatedAt(0L).build();
        producer.sendRaw(settings.championsTopic().name(), task, settings.championsTopic().codec().encode(champion));
        producer.flush();
    }

    /** Rows [from, from + count) as examples of {@code task} with ids {@code task-prefix-row}. */
    private static void send(ExampleProducer producer, ServeSettings settings, String task, String prefix, int from,
            int count) {
        var data = ServeFunctionTest.DATA;
        for (int row = from; row < from + count; row++) {
            var example = ExampleProducer.example(data, row % data.size(), task, task + "-" + prefix, 0);
            example.setId(task + "-" + prefix + "-" + row);
            producer.sendRaw(settings.examplesTopic().name(), example.getId(),
                    settings.examplesTopic().codec().encode(example));
        }
        producer.flush();
    }

    /** Sends one probe at a time until {@code variant} at {@code version} answers one; returns how many were sent. */
    private static int probeUntil(ExampleProducer producer, ServeSettings settings, String task, String prefix,
            String variant, long version) throws InterruptedException {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        for (int probe = 0; Instant.now().isBefore(deadline); probe++) {
            send(producer, settings, task, prefix, probe, 1);
            String id = task + "-" + prefix + "-" + probe;
            Prediction answer = await(settings, p -> p.getId().equals(id), 1).get(0);
            if (answer.getVariant().equals(variant) && answer.getModelVersion() == version) {
                return probe + 1;
            }
        }
        throw new AssertionError(variant + " version " + version + " never answered within " + JobTestSupport.PATIENCE);
    }

    private static List<Prediction> await(ServeSettings settings, Predicate<Prediction> which, int n)
            throws InterruptedException {
        List<Prediction> matching = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(), which,
                n);
        assertThat(matching).hasSize(n);
        return matching;
    }
}
