package dev.chorus.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.chorus.cli.bench.Plots;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Where a {@code chorus bench} subcommand's results go besides the terminal: {@code --json FILE}, declared here once
 * for every subcommand, and the charts of the subcommand's own {@code --plots DIR} (its own, as its help names the
 * charts it draws).
 */
final class BenchFigures {

    /** Draws a benchmark's results into a directory: one of {@link Plots}' methods. */
    @FunctionalInterface
    interface Charts {
        List<Path> write(Map<String, Object> results, Path dir) throws IOException;
    }

    @Option(names = "--json", paramLabel = "FILE", description = "Write every figure to FILE as JSON.")
    Path json;

    /** Writes {@code results} to {@code --json}'s file, if given. */
    void writeJson(Map<String, Object> results) throws IOException {
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), results);
            System.out.printf("Results written to %s%n", json);
        }
    }

    /** Writes {@code results} to {@code --json}'s file, if given, then their charts into {@code plots} unless null. */
    void write(Map<String, Object> results, Path plots, Charts charts) throws IOException {
        writeJson(results);
        if (plots != null) {
            for (Path chart : charts.write(results, plots)) {
                System.out.printf("Chart written to %s%n", chart);
            }
        }
    }
}
