package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
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
 * Nothing lost, nothing doubled with the production default {@code --batch-timeout-ms 5000}: the stream comes in
 * bursts whose size is not a multiple of the minibatch, with pauses longer than the timeout, so open minibatches
 * close by their processing-time timers, and the TaskManager is killed twice mid-stream (two partitions,
 * parallelism 2, a plain task and a Dawid–Skene task). Minibatch boundaries then depend on timing, so parameters are
 * not compared with a replay (that is {@link TrainFailoverIT}, count-only minibatches); what holds exactly is the
 * accounting: one committed prediction per example, each task's model has seen exactly its input and counted
 * exactly its predictions, every annotator exactly its labels, and no example went to the dead letters.
 */
class TrainFailoverBatchTimeoutIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.restarts(20));

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TASK = "blobs";
    static final String CROWD = "crowd";
    static final int ANNOTATORS = 5;
    /** Rows per burst: 1,000 = 62 minibatches of 16 and 8 rows left open for the timeout to close. */
    static final int BURST = 1000;
    static final int BURSTS = 4;
    /**
     * Rows sent at the very end of the last burst, without a pause: a kill whose recovery outlasts a pause can send
     * the job the bursts on either side of it at once, so that none of their rows waits for a timer, but as
     * {@link #N} is not a multiple of 16 the job's last minibatch can only be closed by its timer. A multiple of
     * {@link #ANNOTATORS}, so that each annotator labels as many rows.
     */
    static final int TAIL = 10;
    static final int N = BURST * BURSTS + TAIL;
    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.02},"standardize":true,"seed":11}""";
    static final String CROWD_SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.02},"standardize":true,"seed":11,
             "labelModel":{"method":"dawid-skene","maxAnnotators":8}}""";

    @Test
    void killedTaskManagersLoseAndDoubleNothingWithTheDefaultBatchTimeout(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("failover-timeout-it")
                .specs(TaskSpecs.of(SPEC, Map.of(CROWD, CROWD_SPEC)))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(25)
                .snapshotIntervalMs(1000)
                .parallelism(2);
        assertThat(settings.batchTimeoutMs()).as("the production default").isEqualTo(5000);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("failover-timeout-it");

        LabeledDataset data = SyntheticBlobs.generate(N, 8, 3, 23);
        // The first kill comes once the first burst's full minibatches are committed, while its open ones wait for
        // their timers (or just after they fired); the second once the full minibatches of the first half of the
        // third burst are. The rows after each kill are sent only once it is done, so every restored task trains on.
        int[] sentBeforeKill = {BURST, 2 * BURST + BURST / 2};
        int[] killAfter = {2 * (BURST / 16 * 16), 2 * (2 * BURST + BURST / 2 / 16 * 16)};
        JobTestSupport.produceThroughKills(cluster, job, KAFKA.broker(), settings.predictionsTopic(), p -> true, N,
                sentBeforeKill, killAfter, (from, to) -> produceInBursts(settings, data, from, to));
        for (String task : List.of(TASK, CROWD)) {
            JobTestSupport.awaitCommitted(KAFKA.broker(), settings.modelsTopic(),
                    m -> m.getTask().equals(task) && m.getExamplesSeen() >= N, 1);
        }
        var graph = cluster.getExecutionGraph(job.getJobID()).get();
        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        List<ModelSnapshot> snapshots = JobTestSupport.read(KAFKA.broker(), settings.modelsTopic());
        List<AnnotatorModel> annotators = JobTestSupport.read(KAFKA.broker(), settings.annotatorsTopic());
        List<DeadLetter> deadLetters = JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic());
        JobTestSupport.cancel(job);
        assertThat(graph.getAllExecutionVertices()).as("every task recovered from both kills")
                .allSatisfy(v -> assertThat(v.getCurrentExecutionAttempt().getAttemptNumber()).isGreaterThanOrEqualTo(2));

        Map<String, Long> perExample = predictions.stream().collect(Collectors.groupingBy(
                p -> p.getTask() + "/" + p.getId() + "/" + p.getAnnotator(), Collectors.counting()));
        assertThat(perExample).as("every example of both tasks predicted").hasSize(2 * N);
        assertThat(perExample.entrySet()).as("no example predicted twice")
                .allSatisfy(e -> assertThat(e.getValue()).as(e.getKey()).isEqualTo(1L));
        assertThat(deadLetters).as("nothing dead-lettered").isEmpty();

        for (String task : List.of(TASK, CROWD)) {
            List<ModelSnapshot> mine = snapshots.stream().filter(m -> m.getTask().equals(task)).toList();
            assertThat(mine).extracting(ModelSnapshot::getVersion).as("%s: versions strictly increase", task)
                    .isSorted().doesNotHaveDuplicates();
            ModelSnapshot last = mine.stream().max(Comparator.comparingLong(ModelSnapshot::getVersion)).orElseThrow();
            assertThat(last.getExamplesSeen()).as("%s: examples seen", task).isEqualTo(N);
            assertThat(last.getMetrics().get("predictions")).as("%s: predictions counted in state", task)
                    .isEqualTo((double) N);
            // N is not a multiple of 16: at least the last minibatch was closed by its timer.
            assertThat(last.getVersion()).as("%s: more minibatches than by count alone (timeouts closed some)", task)
                    .isGreaterThan(N / 16);
        }
        Map<String, AnnotatorModel> latest = new HashMap<>();
        for (AnnotatorModel a : annotators) {
            latest.merge(a.getAnnotator(), a, (x, y) -> y.getVersion() > x.getVersion() ? y : x);
        }
        assertThat(latest).hasSize(ANNOTATORS);
        assertThat(latest.values()).as("exact label counts after two failovers")
                .allSatisfy(a -> assertThat(a.getLabelsSeen()).isEqualTo(N / ANNOTATORS));
    }

    /**
     * Rows {@code from} to {@code to} in bursts of {@link #BURST} rows of each task at about 1,600 rows/s, each burst
     * after the first preceded by a pause longer than the batch timeout, so that every burst leaves minibatches that
     * only their timers close; the last burst ends with the {@link #TAIL}.
     */
    private static void produceInBursts(TrainSettings settings, LabeledDataset data, int from, int to) {
        RecordCodec<Example> codec = settings.examplesTopic().codec();
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            for (int row = from; row < to; row++) {
                if (row > 0 && row % BURST == 0 && row < BURST * BURSTS) {
                    producer.flush();
                    LockSupport.parkNanos(Duration.ofMillis(6500).toNanos());
                }
                Example e = ExampleProducer.example(data, row, TASK, "ex", 0);
                producer.sendRaw(settings.examplesTopic().name(), e.getId(), codec.encode(e));
                Example c = JobTestSupport.crowdExample(data, row, CROWD, ANNOTATORS);
                producer.sendRaw(settings.examplesTopic().name(), c.getId(), codec.encode(c));
                if (row % 16 == 15) {
                    LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
                }
            }
            producer.flush();
        }
    }
}
