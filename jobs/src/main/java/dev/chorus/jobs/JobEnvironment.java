package dev.chorus.jobs;

import dev.chorus.jobs.kafka.KafkaIO;
import java.time.Duration;
import java.util.Optional;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** How every Chorus job configures its environment. */
public final class JobEnvironment {
    /**
     * What a transaction must outlive beyond its checkpoints: when a job fails after a checkpoint completed but before
     * its sinks committed that checkpoint's transactions, the restarted job commits them from the checkpoint, once
     * the failure is noticed (Flink's heartbeat timeout: 50 s by default, 20 s in deploy/flink), the restart strategy
     * has paused (up to 1 min in deploy/flink) and the state is restored. A transaction the broker aborted by then is
     * lost: Flink's committer logs it and carries on.
     */
    public static final Duration RECOVERY_ALLOWANCE = Duration.ofMinutes(3);

    private JobEnvironment() {}

    /**
     * Exactly-once checkpointing, no Kryo fallback for any type, object reuse, network buffer timeout, parallelism
     * when set.
     *
     * <p>Object reuse: without it, every record passed between two chained operators is deep-copied through its
     * serializer, which for the train job was each Kafka record's bytes (3 KB for 784 features) between the source
     * and the decoder, and each prediction between the trainer and its sink. No Chorus function keeps or changes a
     * record it was given after it returns (decoders build new records, the trainer copies features into its
     * minibatch, the Kafka sinks serialise at once), and records that arrive over the network are always fresh
     * objects, so the copies protected nothing.
     */
    public static void configure(StreamExecutionEnvironment env, JobSettings<?> settings) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(PipelineOptions.OBJECT_REUSE, true);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(settings.checkpointIntervalMs()));
        conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
        Duration interval = Duration.ofMillis(settings.checkpointIntervalMs());
        int tolerable = env.getConfiguration().get(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER);
        Optional<Duration> timeout = env.getConfiguration().getOptional(CheckpointingOptions.CHECKPOINTING_TIMEOUT);
        Duration transactionTimeout = settings.exactlyOnce() ? KafkaIO.transactionTimeout(settings)
                : KafkaIO.TRANSACTION_TIMEOUT;
        if (timeout.isEmpty() && settings.exactlyOnce()) {
            // Flink's default (10 min) would let one slow checkpoint outlive the sinks' transactions: take the
            // longest that cannot, up to that default.
            Duration longest = transactionTimeout.minus(interval).minus(RECOVERY_ALLOWANCE).minusSeconds(1)
                    .dividedBy(tolerable + 1);
            Duration fitting = longest.compareTo(CheckpointingOptions.CHECKPOINTING_TIMEOUT.defaultValue()) < 0
                    ? longest : CheckpointingOptions.CHECKPOINTING_TIMEOUT.defaultValue();
            if (!fitting.isNegative() && !fitting.isZero()) {
                conf.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, fitting);
                timeout = Optional.of(fitting);
            }
        }
        String problem = !settings.exactlyOnce() ? null : checkpointsCommitInTime(timeout.orElse(
                CheckpointingOptions.CHECKPOINTING_TIMEOUT.defaultValue()), tolerable, interval, transactionTimeout);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        env.configure(conf);
        env.setBufferTimeout(settings.bufferTimeoutMs());
        if (settings.parallelism() > 0) {
            env.setParallelism(settings.parallelism());
        }
    }

    /**
     * Why checkpoints taken with {@code timeout}, {@code tolerable} failed checkpoints in a row and {@code interval}
     * between them could let a sink's transaction outlive {@code transactionTimeout} ({@link
     * KafkaIO#transactionTimeout}), or null when they cannot. A transaction opens at one checkpoint's barrier and
     * commits once a later checkpoint completes; with the next one and up to {@code tolerable} more failing (each at
     * most {@code timeout}) before one completes, that is up to {@code interval + (tolerable + 1) × timeout}, and a
     * failure right after that checkpoint adds {@link #RECOVERY_ALLOWANCE} before the restarted job commits it. A
     * broker aborts an older transaction, and Flink's committer then logs the loss and carries on: the records it
     * held are never published, though the job's offsets moved past them.
     */
    public static String checkpointsCommitInTime(Duration timeout, int tolerable, Duration interval,
            Duration transactionTimeout) {
        Duration longest = interval.plus(timeout.multipliedBy(tolerable + 1L)).plus(RECOVERY_ALLOWANCE);
        if (longest.compareTo(transactionTimeout) < 0) {
            return null;
        }
        return "checkpoints could take longer than the Kafka sinks' transaction timeout (" + minutes(transactionTimeout)
                + ", " + KafkaIO.TRANSACTION_TIMEOUT_KEY + "): expected the checkpoint interval (" + interval.toMillis()
                + " ms, --checkpoint-interval-ms) plus " + CheckpointingOptions.CHECKPOINTING_TIMEOUT.key() + " ("
                + timeout.toMillis() + " ms) times one more than " + CheckpointingOptions.TOLERABLE_FAILURE_NUMBER.key()
                + " (" + tolerable + ") plus " + RECOVERY_ALLOWANCE.toMinutes() + " min for a restart to commit what "
                + "its last checkpoint holds to stay below it, got " + longest.toMillis() + " ms; a transaction older "
                + "than that is aborted by the broker and its output lost";
    }

    /** {@link #checkpointsCommitInTime(Duration, int, Duration, Duration)} with the default transaction timeout. */
    public static String checkpointsCommitInTime(Duration timeout, int tolerable, Duration interval) {
        return checkpointsCommitInTime(timeout, tolerable, interval, KafkaIO.TRANSACTION_TIMEOUT);
    }

    private static String minutes(Duration d) {
        return d.toMillis() % 60_000 == 0 ? d.toMinutes() + " min" : d.toMillis() + " ms";
    }
}
