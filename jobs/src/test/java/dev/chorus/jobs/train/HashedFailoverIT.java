package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link TrainFailoverIT} for a hashed FTRL task: the TaskManager is killed twice while named-field click examples
 * flow; after recovery every example has exactly one committed prediction, and the published model (weights and
 * FTRL's z and n per coordinate) is bit-identical to model-core's {@code SparseLinearModel} trained on the same
 * input without interruption, its open minibatch of sparse rows included in every checkpoint.
 */
class HashedFailoverIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.restarts(20));

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final int N = 3200; // 800 minibatches of 4: the last one is also a snapshot (every 25)
    static final String TASK = "clicks";

    @Test
    void killedTaskManagersCostAHashedFtrlTaskNothing(@InjectMiniCluster MiniCluster cluster) throws Exception {
        List<Example> clicks = ClickExamples.stream(TASK, N, 21);
        ModelSnapshot last = trainThroughTwoKills(cluster, KAFKA.broker(), "hashed-failover-it", ClickExamples.SPEC,
                clicks);
        assertThat(JobTestSupport.bytes(last.getParameters())).as("bit-identical to an uninterrupted run")
                .isEqualTo(ClickExamples.reference(ClickExamples.SPEC, clicks, false).model().toBytes());
    }

    /**
     * Trains {@code spec} (minibatches of 4) on task {@value #TASK} from the {@value #N} {@code clicks}, sent slowly,
     * while the TaskManager is killed twice; checks that every task recovered from both kills, that each example has
     * exactly one committed prediction and none is a dead letter; returns the model snapshot of all of them.
     */
    static ModelSnapshot trainThroughTwoKills(MiniCluster cluster, EmbeddedKafkaBroker broker, String name,
            String spec, List<Example> clicks) throws Exception {
        return trainThroughTwoKills(cluster, broker, name, spec, clicks, TrainSettings.HashedState.VALUE,
                new Configuration());
    }

    /**
     * As above, with hashed tasks' state in {@code layout} and the job configured by {@code job} (its state backend);
     * an incremental one must have restored from, and uploaded less than the whole state in, some checkpoint.
     */
    static ModelSnapshot trainThroughTwoKills(MiniCluster cluster, EmbeddedKafkaBroker broker, String name,
            String spec, List<Example> clicks, TrainSettings.HashedState layout, Configuration job) throws Exception {
        TrainSettings settings = new TrainSettings()
                .hashedState(layout)
                .bootstrapServers(broker.bootstrapServers())
                .groupId(name)
                .specs(TaskSpecs.of(null, Map.of(TASK, spec)))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(25)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .parallelism(1);
        JobTestSupport.createTopics(broker, settings, 1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        env.configure(job);
        JobClient client = env.executeAsync(name);

        JobTestSupport.produceThroughKills(cluster, client, broker, settings.predictionsTopic(), p -> true,
                clicks.size(), new int[] {clicks.size() * 3 / 8, clicks.size() * 3 / 4}, new int[] {600, 1800},
                (from, to) -> JobTestSupport.produceSlowly(broker, settings.examplesTopic(), clicks.subList(from, to),
                        16));
        ModelSnapshot last = JobTestSupport.awaitCommitted(broker, settings.modelsTopic(),
                m -> m.getExamplesSeen() >= N, 1).get(0);
        var graph = cluster.getExecutionGraph(client.getJobID()).get();
        JobTestSupport.cancel(client);
        assertThat(graph.getAllExecutionVertices()).as("every task recovered from both kills")
                .allSatisfy(v -> assertThat(v.getCurrentExecutionAttempt().getAttemptNumber()).isGreaterThanOrEqualTo(2));
        if (job.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)) {
            assertThat(graph.getStateBackendName()).as("state backend")
                    .hasValueSatisfying(b -> assertThat(b).containsIgnoringCase("rocksdb"));
            assertThat(graph.getCheckpointStatsSnapshot().getLatestRestoredCheckpoint()).as("restored").isNotNull();
            assertThat(graph.getCheckpointStatsSnapshot().getHistory().getCheckpoints())
                    .as("a checkpoint that uploaded only part of its state")
                    .anySatisfy(c -> assertThat(c.getCheckpointedSize()).isPositive().isLessThan(c.getStateSize()));
        }

        List<Prediction> predictions = JobTestSupport.read(broker, settings.predictionsTopic());
        Map<String, Long> perExample = predictions.stream()
                .collect(Collectors.groupingBy(Prediction::getId, Collectors.counting()));
        assertThat(perExample).hasSize(N);
        assertThat(predictions).as("exactly one committed prediction per example").hasSize(N);
        assertThat(JobTestSupport.read(broker, settings.deadLetterTopic())).as("dead letters").isEmpty();
        assertThat(last.getExamplesSeen()).isEqualTo(N);
        assertThat(last.getVersion()).isEqualTo(N / 4);
        return last;
    }
}
