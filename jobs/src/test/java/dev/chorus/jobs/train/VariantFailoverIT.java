package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two variants of one task across a failover: the TaskManager is killed twice mid-stream, and afterwards each
 * variant has trained on exactly the examples produced and predicted each exactly once.
 */
class VariantFailoverIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.restarts(20));

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final int N = 3200; // 200 minibatches of 16 per variant; the last is a snapshot (every 25)
    static final String TASK = "blobs";

    @Test
    void twoVariantsSurviveKilledTaskManagersExactly(@InjectMiniCluster MiniCluster cluster) throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("variant-failover-it")
                .specs(TaskSpecs.ofDefault(VariantControlIT.SPEC))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(25)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("variant-failover-it");
        try (var producer = VariantProbes.producer(KAFKA.broker())) {
            VariantControlIT.control(producer, settings, TASK + "/fast",
                    VariantControlIT.spec(TASK, "fast", VariantStatus.LIVE, VariantControlIT.FAST));
            VariantProbes.await(KAFKA.broker(), producer, settings, TASK, "probe-", "fast", true);
        }

        LabeledDataset data = SyntheticBlobs.generate(N, 8, 3, 21);
        // Rows after each kill are sent only once it is done, so both variants' restored models train on; each phase
        // ends with an open minibatch of 4 rows per variant.
        JobTestSupport.produceThroughKills(cluster, job, KAFKA.broker(), settings.predictionsTopic(),
                p -> p.getId().startsWith("ex-"), N, new int[] {1204, 2404}, new int[] {1600, 4000},
                (from, to) -> produceSlowly(settings, data, from, to));
        for (String variant : List.of("default", "fast")) {
            JobTestSupport.awaitCommitted(KAFKA.broker(), settings.modelsTopic(),
                    m -> m.getVariant().equals(variant) && m.getExamplesSeen() >= N, 1);
        }
        var graph = cluster.getExecutionGraph(job.getJobID()).get();
        JobTestSupport.cancel(job);
        assertThat(graph.getAllExecutionVertices()).as("every task recovered from both kills")
                .allSatisfy(v -> assertThat(v.getCurrentExecutionAttempt().getAttemptNumber()).isGreaterThanOrEqualTo(2));

        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic()).stream()
                .filter(p -> p.getId().startsWith("ex-")).toList();
        assertThat(predictions.stream().collect(Collectors.groupingBy(Prediction::getVariant, Collectors.counting())))
                .as("one prediction per example and variant").isEqualTo(Map.of("default", (long) N, "fast", (long) N));
        assertThat(predictions.stream().map(p -> p.getVariant() + "/" + p.getId()).distinct()).hasSize(2 * N);
        List<ModelSnapshot> models = JobTestSupport.read(KAFKA.broker(), settings.modelsTopic());
        for (String variant : List.of("default", "fast")) {
            List<ModelSnapshot> mine = models.stream().filter(m -> m.getVariant().equals(variant)).toList();
            assertThat(mine).as("examples trained by %s", variant).extracting(ModelSnapshot::getExamplesSeen)
                    .contains((long) N).allMatch(seen -> seen <= N);
            assertThat(mine.stream().mapToLong(ModelSnapshot::getVersion).max().orElseThrow()).isEqualTo(N / 16);
            for (int i = 1; i < mine.size(); i++) {
                assertThat(mine.get(i).getVersion()).as("versions of %s increase", variant)
                        .isGreaterThan(mine.get(i - 1).getVersion());
            }
        }
    }

    /** Rows {@code from} to {@code to} of {@code data} at about 1,600 examples/s. */
    private static void produceSlowly(TrainSettings settings, LabeledDataset data, int from, int to) {
        var codec = settings.examplesTopic().codec();
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            for (int row = from; row < to; row++) {
                Example e = ExampleProducer.example(data, row, TASK, "ex", 0);
                producer.sendRaw(settings.examplesTopic().name(), e.getId(), codec.encode(e));
                if (row % 16 == 15) {
                    LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
                }
            }
            producer.flush();
        }
    }
}
