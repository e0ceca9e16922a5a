package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** Shared settings and helpers of the job integration tests. */
public final class JobTestSupport {
    private JobTestSupport() {}

    /** Bounds each wait for output so that a broken job fails its test instead of hanging it; not a timing assertion. */
    public static final Duration PATIENCE = Duration.ofSeconds(90);

    /**
     * A job that fails in a test should fail the test, not restart forever (the default with checkpointing):
     * two quick restarts, then the job fails.
     */
    public static Configuration failFast() {
        return restarts(2);
    }

    /** Restart a failed job up to {@code attempts} times, 200 ms apart (failover tests need several). */
    public static Configuration restarts(int attempts) {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, attempts);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        return conf;
    }

    /** A MiniCluster of one TaskManager with {@code slots} slots and {@code configuration}, one per test class. */
    public static MiniClusterExtension miniCluster(int slots, Configuration configuration) {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(slots)
                .setConfiguration(configuration)
                .build());
    }

    /** The train job of {@code settings}, submitted as {@code name}; restored from {@code savepoint} (a URI) if any. */
    public static JobClient startTrain(TrainSettings settings, String savepoint, String name) throws Exception {
        StreamExecutionEnvironment env = restoring(savepoint);
        TrainJob.build(env, settings);
        return env.executeAsync(name);
    }

    /**
     * A checkpoint interval longer than any test runs, and as long as an exactly-once job accepts: the interval plus
     * the checkpoint timeout and {@link dev.chorus.jobs.JobEnvironment#RECOVERY_ALLOWANCE} stay below the sinks'
     * transaction timeout.
     */
    public static final long NO_CHECKPOINT_INTERVAL_MS = 360_000;

    /**
     * {@link #startTrain} with no checkpoint while a test runs: the interval {@link #NO_CHECKPOINT_INTERVAL_MS}, and,
     * as Flink takes the first periodic checkpoint at a random delay between the minimum pause and the interval, the
     * minimum pause as long, so that it cannot come early.
     */
    public static JobClient startTrainWithoutCheckpoints(TrainSettings settings, String name) throws Exception {
        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS, Duration.ofMillis(NO_CHECKPOINT_INTERVAL_MS));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        TrainJob.build(env, settings.checkpointIntervalMs(NO_CHECKPOINT_INTERVAL_MS));
        return env.executeAsync(name);
    }

    /** The serve job of {@code settings}, submitted as {@code name}; restored from {@code savepoint} (a URI) if any. */
    public static JobClient startServe(ServeSettings settings, String savepoint, String name) throws Exception {
        StreamExecutionEnvironment env = restoring(savepoint);
        ServeJob.build(env, settings);
        return env.executeAsync(name);
    }

    private static StreamExecutionEnvironment restoring(String savepoint) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (savepoint != null) {
            Configuration conf = new Configuration();
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            env.configure(conf);
        }
        return env;
    }

    /**
     * The topics of {@code settings}: examples with the given partitions, predictions 2, models (compacted) and
     * dead letters 1, and for the train job annotators (compacted) 1.
     */
    public static void createTopics(EmbeddedKafkaBroker kafka, JobSettings<?> settings, int examplesPartitions) {
        kafka.createTopics(ChorusTopic.newTopics(settings, role -> switch (role) {
            case EXAMPLES -> examplesPartitions;
            case PREDICTIONS -> 2;
            default -> 1;
        }));
    }

    /**
     * Label event {@code row} of a crowd task: item {@code row / 2} (the features of data row {@code row / 2 * 2}),
     * labelled by annotator {@code a<row % annotators>}; the last annotator always answers the next class.
     */
    public static Example crowdExample(LabeledDataset data, int row, String task, int annotators) {
        Example c = ExampleProducer.example(data, row / 2 * 2, task, "item", 0);
        c.setId("item-" + row / 2);
        c.setEventTime(row);
        c.setAnnotator("a" + row % annotators);
        if (row % annotators == annotators - 1) {
            c.setLabel((c.getLabel() + 1) % data.numClasses());
        }
        return c;
    }

    /**
     * Sends {@code examples} in order, pausing 10 ms after every {@code perPause} of them, so that the stream is still
     * flowing when a failover test strikes.
     */
    public static void produceSlowly(EmbeddedKafkaBroker kafka, Topic<Example> topic, List<Example> examples,
            int perPause) {
        var codec = topic.codec();
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            for (int i = 0; i < examples.size(); i++) {
                producer.sendRaw(topic.name(), examples.get(i).getId(), codec.encode(examples.get(i)));
                if (i % perPause == perPause - 1) {
                    LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
                }
            }
            producer.flush();
        }
    }

    /** The bytes left in {@code buffer}, leaving its position as it is. */
    public static byte[] bytes(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }

    /** How long {@link #read} waits for a finished transaction's markers before reading what is committed so far. */
    private static final Duration SETTLE = Duration.ofSeconds(10);

    /**
     * Every committed record of {@code topic}, decoded, read once the topic has settled: a transaction's commit
     * markers reach the partitions after {@code commitTransaction} returns, so right after a bounded job finishes a
     * committed reader can still stop short of its last transaction. Waits (at most {@link #SETTLE}) until every
     * partition's last stable offset has reached its high watermark; a running job keeps a transaction open, so
     * then it reads what is committed, as before.
     */
    public static <T extends SpecificRecord> List<T> read(EmbeddedKafkaBroker kafka, Topic<T> topic) {
        TopicReader.awaitSettled(kafka.bootstrapServers(), Map.of(), topic.name(), SETTLE);
        return readNow(kafka, topic);
    }

    /** The committed records of {@code topic} now, without waiting for it to settle. */
    public static <T extends SpecificRecord> List<T> readNow(EmbeddedKafkaBroker kafka, Topic<T> topic) {
        var codec = topic.codec();
        return TopicReader.readAll(kafka.bootstrapServers(), Map.of(), topic.name(), codec::decode);
    }

    /** Waits until at least {@code n} committed records of {@code topic} match, and returns the matching ones. */
    public static <T extends SpecificRecord> List<T> awaitCommitted(EmbeddedKafkaBroker kafka, Topic<T> topic,
            Predicate<T> which, int n) throws InterruptedException {
        return awaitCommitted(() -> readNow(kafka, topic), topic, which, n);
    }

    /**
     * {@link #awaitCommitted} on a compacted topic (models, annotators) whose tombstones, which have no record to
     * decode, are passed over.
     */
    public static <T extends SpecificRecord> List<T> awaitCommittedValues(EmbeddedKafkaBroker kafka, Topic<T> topic,
            Predicate<T> which, int n) throws InterruptedException {
        var codec = topic.codec();
        return awaitCommitted(() -> TopicReader.readAll(kafka.bootstrapServers(), Map.of(), topic.name(),
                v -> v == null ? null : codec.decode(v)).stream().filter(Objects::nonNull).toList(), topic, which, n);
    }

    private static <T extends SpecificRecord> List<T> awaitCommitted(Supplier<List<T>> read, Topic<T> topic,
            Predicate<T> which, int n) throws InterruptedException {
        Instant deadline = Instant.now().plus(PATIENCE);
        List<T> matching = List.of();
        while (Instant.now().isBefore(deadline)) {
            matching = read.get().stream().filter(which).toList();
            if (matching.size() >= n) {
                return matching;
            }
            Thread.sleep(100); // polling interval while the job commits its next checkpoint
        }
        assertThat(matching).as("committed records of %s within %s", topic.name(), PATIENCE).hasSizeGreaterThanOrEqualTo(n);
        return matching;
    }

    /**
     * Waits until consumer group {@code group} has committed its offset of {@code partition} of {@code topic} up to
     * the partition's end as of the call: a job's Kafka source commits the offsets of a checkpoint once it completes,
     * after the sinks may have committed that checkpoint's transactions, so seeing a job's output is no sign that its
     * source's offsets are committed.
     */
    public static void awaitGroupCaughtUp(EmbeddedKafkaBroker kafka, String group, String topic, int partition)
            throws Exception {
        TopicPartition tp = new TopicPartition(topic, partition);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
            Instant deadline = Instant.now().plus(PATIENCE);
            long committed = -1;
            while (Instant.now().isBefore(deadline)) {
                OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                        .get(tp);
                committed = offset == null ? -1 : offset.offset();
                if (committed >= end) {
                    return;
                }
                Thread.sleep(100); // polling interval while the job completes its next checkpoint
            }
            assertThat(committed).as("group %s's committed offset of %s within %s", group, tp, PATIENCE)
                    .isGreaterThanOrEqualTo(end);
        }
    }

    /** Sends the input rows {@code from} (inclusive) to {@code to} (exclusive) of a failover test. */
    @FunctionalInterface
    public interface RowProducer {
        void send(int from, int to);
    }

    /**
     * Sends rows {@code 0} to {@code rows} of a failover test's input in phases, killing the TaskManager running
     * {@code job} between them: phase {@code k} ends at row {@code sentBeforeKill[k]}, then once {@code killAfter[k]}
     * committed predictions match {@code counted}, TaskManager {@code k} is killed (when every task runs on it) and a
     * new one started. The rows after each kill are sent only once it is done, so every restored task trains on:
     * one that had trained on all the input before the kill would test little of what it restored.
     */
    public static void produceThroughKills(MiniCluster cluster, JobClient job, EmbeddedKafkaBroker kafka,
            Topic<Prediction> predictions, Predicate<Prediction> counted, int rows, int[] sentBeforeKill,
            int[] killAfter, RowProducer producer) throws Exception {
        int sent = 0;
        for (int kill = 0; kill < killAfter.length; kill++) {
            producer.send(sent, sentBeforeKill[kill]);
            sent = sentBeforeKill[kill];
            awaitCommitted(kafka, predictions, counted, killAfter[kill]);
            // Each kill must hit the tasks: the job runs again, on the TaskManager started after the last kill
            // (MiniCluster numbers TaskManagers in start order).
            awaitRunning(cluster, job, kill);
            cluster.terminateTaskManager(kill).get();
            cluster.startTaskManager();
        }
        producer.send(sent, rows);
    }

    /** Waits (bounded) until every task of {@code job} runs again in attempt {@code attempt} or later. */
    private static void awaitRunning(MiniCluster cluster, JobClient job, int attempt) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            var vertices = cluster.getExecutionGraph(job.getJobID()).get().getAllExecutionVertices();
            boolean running = true;
            for (var v : vertices) {
                running &= v.getCurrentExecutionAttempt().getAttemptNumber() >= attempt
                        && v.getExecutionState() == ExecutionState.RUNNING;
            }
            if (running) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the job's tasks did not all run in attempt " + attempt + " within 120 s");
            }
            Thread.sleep(50);
        }
    }

    /**
     * Cancels {@code job} and waits until it is canceled, i.e. every task has closed, its Kafka producers included. A
     * test that returned at the cancel's acknowledgement let the broker stop (its extension closes first) under
     * producers still aborting their open transactions, each of which then blocked on the gone broker for
     * {@code max.block.ms} (60 s) before the MiniCluster could close: a minute of a CI run, now and then.
     */
    public static void cancel(JobClient job) throws Exception {
        job.cancel().get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!job.getJobStatus().get().isGloballyTerminalState()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("job " + job.getJobID() + " was not canceled within 120 s of the request");
            }
            Thread.sleep(50); // polling interval while the tasks close
        }
    }
}
