package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chorus demo}'s arguments are checked before a broker starts, each refusal one line naming the option. */
class DemoArgumentsTest {

    @Test
    void moreLabelsPerImageThanSimulatedAnnotatorsIsRefused() {
        CliRun run = CliRun.run("demo", "--no-ui", "--dataset", "shipped", "--limit", "10", "--labels-per-item", "20");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("chorus demo: --labels-per-item: expected at most 14 (the simulated "
                + "annotators), got 20 (see 'chorus demo --help')\n");
    }

    @Test
    void aLimitBelowOneIsRefused() {
        CliRun run = CliRun.run("demo", "--no-ui", "--dataset", "shipped", "--labels-per-item", "0", "--limit", "-5");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("chorus demo: --limit: expected 1 or more images, got -5 "
                + "(see 'chorus demo --help')\n");
    }

    @Test
    void aDatasetDirectoryWithoutFashionMnistIsNamedWithTheFilesItNeeds(@TempDir Path empty) {
        CliRun run = CliRun.run("demo", "--no-ui", "--dataset", empty.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("chorus demo: --dataset: expected a directory with Fashion-MNIST's "
                + "train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz, or t10k-images-idx3-ubyte.gz and "
                + "t10k-labels-idx1-ubyte.gz, got " + empty + " without them (see 'chorus demo --help')\n");
    }

    @Test
    void anUnknownLabelModelIsNamedAfterTheCommand() {
        CliRun run = CliRun.run("demo", "--no-ui", "--dataset", "shipped", "--limit", "10", "--label-model", "bogus");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("chorus demo: --label-model: expected one of [naive, ");
    }
}
