package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.JobEnvironment;
import dev.chorus.jobs.train.TrainJobOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code chorus train -Dkey=value}: a Flink setting of the job, as {@code flink run -D} takes it. It reaches the
 * environment the local job is built in and outlives the job's own configuration there, except where the job sets
 * the same key; {@code --flink-run} passes it to {@code flink run}, not to the job's main.
 */
class FlinkSettingsTest {

    static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}";

    @Test
    void aFlinkSettingReachesTheLocalJobsEnvironmentAndTheJobsOwnSettingsWin() {
        TrainCommand train = new TrainCommand();
        new CommandLine(train).parseArgs("--spec", SPEC, "--checkpoint-interval-ms", "360000",
                "-Dexecution.checkpointing.min-pause=360000ms", "-Dexecution.checkpointing.interval=1s");

        StreamExecutionEnvironment env = train.environment();
        JobEnvironment.configure(env, train.settings());

        assertThat(env.getCheckpointConfig().getMinPauseBetweenCheckpoints()).isEqualTo(360_000L);
        assertThat(env.getCheckpointConfig().getCheckpointInterval()).as("--checkpoint-interval-ms wins")
                .isEqualTo(360_000L);
    }

    @Test
    void withoutOneTheEnvironmentKeepsFlinksDefault() {
        TrainCommand train = new TrainCommand();
        new CommandLine(train).parseArgs("--spec", SPEC);

        StreamExecutionEnvironment env = train.environment();
        JobEnvironment.configure(env, train.settings());

        assertThat(env.getCheckpointConfig().getMinPauseBetweenCheckpoints()).isZero();
    }

    @Test
    void flinkRunTakesItBeforeTheJobJarAndTheJobNeverSeesIt() {
        CliRun run = CliRun.run("train", "--spec", SPEC, "-Dexecution.checkpointing.min-pause=30s",
                "-Dstate.backend.type=rocksdb", "--flink-run");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String command = run.out().strip();
        assertThat(command).contains(" run -d -Dexecution.checkpointing.min-pause=30s "
                + "-Dstate.backend.type=rocksdb -c dev.chorus.jobs.train.TrainJob ");
        assertThat(run.jobArguments()).doesNotContain("-D").noneMatch(a -> a.contains("min-pause"));
        assertThat(TrainJobOptions.parse(run.jobArguments()).specs().specFor("any").inputDim()).isEqualTo(4);
    }
}
