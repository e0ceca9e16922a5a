package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ValueRange;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chorus train --flink-run} as the README runs it: what it prints is what the job's main parses. */
class FlinkRunArgumentsTest {

    @TempDir
    Path dir;

    @Test
    void aSpecFileOfTheReadmesShapeIsOneArgument() throws IOException {
        Path file = Files.writeString(dir.resolve("softmax.json"), """
                {"algorithm": "softmax-regression", "inputDim": 784, "numClasses": 10, "batchSize": 64,
                 "optimizer": {"type": "adam", "learningRate": 0.002}, "l2": 0.0, "standardize": true, "seed": 42,
                 "featureRange": {"min": 0, "max": 1}}
                """);
        CliRun run = CliRun.run("train", "--bootstrap-servers", "broker:9092", "--spec", "@" + file, "--flink-run");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(jobSettings(run).specs().specFor("fashion").inputDim()).isEqualTo(784);
        assertThat(jobSettings(run).specs().specFor("fashion").featureRange()).isEqualTo(new ValueRange(0, 1));
    }

    @Test
    void allowedTasksReachTheJobAsTheyWereGiven() {
        String spec = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}";
        CliRun some = CliRun.run("train", "--spec", spec, "--allowed-tasks", "fashion,iris", "--flink-run");
        assertThat(some.exitCode()).as(some.err()).isZero();
        assertThat(jobSettings(some).taskBound().allowed()).containsExactlyInAnyOrder("fashion", "iris");

        CliRun none = CliRun.run("train", "--spec", spec, "--flink-run");
        assertThat(none.exitCode()).as(none.err()).isZero();
        assertThat(none.out()).doesNotContain("--allowed-tasks");
        assertThat(jobSettings(none).taskBound().allowed()).isEmpty();
    }

    private static TrainSettings jobSettings(CliRun run) {
        return TrainJobOptions.parse(run.jobArguments());
    }
}
