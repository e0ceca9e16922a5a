package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --plots DIR} on a bench cheap enough for a unit test: the directory is made and holds the chart. */
class BenchPlotsTest {

    @TempDir
    Path dir;

    @Test
    void benchHistoryWritesItsChartIntoANewDirectory() {
        Path plots = dir.resolve("img/bench");

        CliRun run = CliRun.run("bench", "history", "--history-items", "2000", "--plots", plots.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(plots.resolve("history-bytes-per-item.png")).isNotEmptyFile();
    }
}
