package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.jobs.kafka.KafkaIO;
import dev.chorus.jobs.train.TrainSettings;
import java.time.Duration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/**
 * The checkpoint settings a job runs with never let an exactly-once sink's transaction outlive its timeout: a
 * transaction opened at one checkpoint commits only when a later one completes, and the broker aborts it (its output
 * lost, the job's offsets past it) once it is older than {@link KafkaIO#TRANSACTION_TIMEOUT}.
 */
class JobEnvironmentTest {

    private static StreamExecutionEnvironment environment(Configuration cluster) {
        return StreamExecutionEnvironment.getExecutionEnvironment(cluster);
    }

    private static TrainSettings every(long intervalMs) {
        return new TrainSettings().checkpointIntervalMs(intervalMs);
    }

    @Test
    void withoutAClusterSettingTheTimeoutIsTheLongestThatFits() {
        StreamExecutionEnvironment env = environment(new Configuration());
        JobEnvironment.configure(env, every(10_000));

        Duration timeout = env.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_TIMEOUT);
        assertThat(timeout).as("Flink's default, 10 min, would not fit").isLessThan(Duration.ofMinutes(10))
                .isGreaterThan(Duration.ofMinutes(9));
        assertThat(JobEnvironment.checkpointsCommitInTime(timeout, 0, Duration.ofSeconds(10))).isNull();

        Configuration tolerant = new Configuration();
        tolerant.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, 3);
        env = environment(tolerant);
        JobEnvironment.configure(env, every(10_000));
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_TIMEOUT))
                .isLessThan(Duration.ofSeconds(148)).isGreaterThan(Duration.ofSeconds(145));
    }

    @Test
    void aClusterTimeoutThatCouldOutliveATransactionIsRefusedNamingTheSettings() {
        Configuration cluster = new Configuration();
        cluster.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(5));
        cluster.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, 3);

        assertThatThrownBy(() -> JobEnvironment.configure(environment(cluster), every(10_000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoints could take longer than the Kafka sinks' transaction timeout (10 min): "
                        + "expected the checkpoint interval (10000 ms, --checkpoint-interval-ms) plus "
                        + "execution.checkpointing.timeout (300000 ms) times one more than "
                        + "execution.checkpointing.tolerable-failed-checkpoints (3) to stay below it, got 1210000 ms; a "
                        + "transaction older than that is aborted by the broker and its output lost");

        cluster.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(2));
        StreamExecutionEnvironment env = environment(cluster);
        JobEnvironment.configure(env, every(10_000));
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_TIMEOUT))
                .as("a setting that fits is kept").isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void atLeastOnceOpensNoTransactionAndTakesAnySettings() {
        Configuration cluster = new Configuration();
        cluster.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(5));
        cluster.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, 3);
        StreamExecutionEnvironment env = environment(cluster);
        JobEnvironment.configure(env, every(3_600_000).exactlyOnce(false));
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_TIMEOUT))
                .isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void anIntervalAsLongAsTheTransactionTimeoutIsRefused() {
        assertThatThrownBy(() -> JobEnvironment.configure(environment(new Configuration()),
                every(KafkaIO.TRANSACTION_TIMEOUT.toMillis())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--checkpoint-interval-ms");
    }
}
