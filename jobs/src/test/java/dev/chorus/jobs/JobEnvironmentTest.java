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
 * lost, the job's offsets past it) once it is older than {@link KafkaIO#TRANSACTION_TIMEOUT}, or the user's
 * {@code transaction.timeout.ms}; and a restart right after a checkpoint commits that checkpoint's transactions only
 * {@link JobEnvironment#RECOVERY_ALLOWANCE} later.
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
        assertThat(timeout).as("Flink's default, 10 min, would not fit: 10 min less the interval and 3 min")
                .isEqualTo(Duration.ofMinutes(7).minusSeconds(11));
        assertThat(JobEnvironment.checkpointsCommitInTime(timeout, 0, Duration.ofSeconds(10))).isNull();

        Configuration tolerant = new Configuration();
        tolerant.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, 3);
        env = environment(tolerant);
        JobEnvironment.configure(env, every(10_000));
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_TIMEOUT))
                .isEqualTo(Duration.ofMillis(409_000 / 4));
    }

    @Test
    void aClusterTimeoutThatCouldOutliveATransactionIsRefusedNamingTheSettings() {
        Configuration cluster = new Configuration();
        cluster.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(5));
        cluster.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, 3);

        assertThatThrownBy(() -> JobEnvironment.configure(environment(cluster), every(10_000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoints could take longer than the Kafka sinks' transaction timeout (10 min, "
                        + "transaction.timeout.ms): expected the checkpoint interval (10000 ms, "
                        + "--checkpoint-interval-ms) plus execution.checkpointing.timeout (300000 ms) times one more than "
                        + "execution.checkpointing.tolerable-failed-checkpoints (3) plus 3 min for a restart to commit "
                        + "what its last checkpoint holds to stay below it, got 1390000 ms; a transaction older than "
                        + "that is aborted by the broker and its output lost");

        cluster.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(2));
        assertThatThrownBy(() -> JobEnvironment.configure(environment(cluster), every(10_000)))
                .as("8 min 10 s of checkpoints leave a restart less than 3 min").hasMessageContaining("got 670000 ms");

        cluster.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(1));
        StreamExecutionEnvironment env = environment(cluster);
        JobEnvironment.configure(env, every(10_000));
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_TIMEOUT))
                .as("a setting that fits is kept").isEqualTo(Duration.ofMinutes(1));
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

    /**
     * A user who raised the brokers' transaction.max.timeout.ms may raise the sinks' timeout with the Kafka property:
     * the budget is checked against it, and a value that is no positive number of milliseconds is refused by name.
     */
    @Test
    void theUsersTransactionTimeoutIsTheBudget() {
        Configuration cluster = new Configuration();
        cluster.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(5));
        cluster.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, 1);
        assertThatThrownBy(() -> JobEnvironment.configure(environment(cluster), every(10_000)))
                .hasMessageContaining("got 790000 ms");

        StreamExecutionEnvironment env = environment(cluster);
        TrainSettings longer = every(10_000).kafkaProperty("transaction.timeout.ms", "900000");
        JobEnvironment.configure(env, longer);
        assertThat(KafkaIO.transactionTimeout(longer)).isEqualTo(Duration.ofMinutes(15));
        assertThat(env.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_TIMEOUT))
                .isEqualTo(Duration.ofMinutes(5));

        StreamExecutionEnvironment unset = environment(new Configuration());
        JobEnvironment.configure(unset, every(10_000).kafkaProperty("transaction.timeout.ms", "900000"));
        assertThat(unset.getConfiguration().get(CheckpointingOptions.CHECKPOINTING_TIMEOUT))
                .as("the longest that fits the user's 15 min, at most Flink's default")
                .isEqualTo(Duration.ofMinutes(10));

        for (String bad : new String[] {"ten minutes", "0", "-5", ""}) {
            assertThatThrownBy(() -> JobEnvironment.configure(environment(new Configuration()),
                    every(10_000).kafkaProperty("transaction.timeout.ms", bad)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("Kafka property transaction.timeout.ms: expected a positive whole number of "
                            + "milliseconds (at most the brokers' transaction.max.timeout.ms), got '" + bad + "'");
        }
    }
}
