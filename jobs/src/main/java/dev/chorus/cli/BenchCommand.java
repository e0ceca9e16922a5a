package dev.chorus.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.chorus.bench.LatencyBenchmark;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code chorus bench}: benchmarks that need the whole machine; their figures go to docs/BENCHMARKS.md. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks: figures printed, and written as JSON with --json.",
        subcommands = {BenchCommand.Latency.class})
public final class BenchCommand {

    /** Writes benchmark results as indented JSON. */
    static void writeJson(Path file, Map<String, Object> results) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), results);
        System.out.printf("Results written to %s%n", file);
    }

    @Command(name = "latency", mixinStandardHelpOptions = true,
            description = {"Latency from an example produced to its prediction consumed, through the serve job on an "
                    + "embedded broker and MiniCluster, at-least-once and exactly-once, while the model is swapped "
                    + "every second. Also counts lost and duplicated predictions and model-version regressions."})
    static final class Latency implements Callable<Integer> {
        @Option(names = "--rate", split = ",", description = "Examples/s to measure at (default: 1000,10000).")
        List<Integer> rates = List.of(1000, 10000);

        @Option(names = "--seconds", defaultValue = "10", description = "Length of each measured run (default: ${DEFAULT-VALUE}).")
        int seconds;

        @Option(names = "--json", paramLabel = "FILE", description = "Write every figure to FILE as JSON.")
        Path json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> results = new LatencyBenchmark(rates, Duration.ofSeconds(seconds), System.out::println).run();
            if (json != null) {
                writeJson(json, results);
            }
            return 0;
        }
    }
}
