package dev.chorus.cli.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The table {@code chorus bench e2e} prints after its lines: pinned, so that moving code around cannot change it. */
class E2eBenchmarkReportTest {

    private static Map<String, Object> rate(double examplesPerS, Double ratio, double seconds, Double cpu) {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("examples_per_s", examplesPerS);
        if (ratio != null) {
            figures.put("ratio_to_raw", ratio);
        }
        figures.put("seconds", seconds);
        if (cpu != null) {
            figures.put("cpu_us_per_example", cpu);
        }
        return figures;
    }

    @Test
    void tableListsRawWarmupAndEveryRateLineInOrderButNoCheckpointLine() {
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("raw_consume", rate(196_442.4, null, 1.15, 4.61));
        results.put("warmup", rate(39_000, 0.2, 7.5, 30.0));
        results.put("softmax", new LinkedHashMap<>(Map.of("p1", rate(184_881.2, 0.94112, 1.22, 11.34))));
        results.put("serve", new LinkedHashMap<>(Map.of("p1", Map.of("skipped", "no softmax train line ran"))));
        results.put("softmax_java", new LinkedHashMap<>(Map.of("p1", rate(130_510, 0.664, 1.72, null))));
        results.put("checkpoint", new LinkedHashMap<>(Map.of("mlp256", Map.of("params", 203_530L))));

        assertThat(E2eReport.table(results).lines().toList()).containsExactly(
                "line                         examples/s   ratio to raw    seconds    CPU µs/ex  what",
                "raw_consume                     196,442          1.000       1.15          4.6  plain "
                        + "KafkaConsumer<byte[], byte[]>: the ceiling",
                "warmup                           39,000          0.200       7.50         30.0  warm-up: train "
                        + "softmax, parallelism 1, cold JVM",
                "softmax.p1                      184,881          0.941       1.22         11.3  train softmax, "
                        + "parallelism 1",
                "serve.p1                              -              -          -            -  serve softmax, "
                        + "parallelism 1 (skipped)",
                "softmax_java.p1                 130,510          0.664       1.72               train softmax, "
                        + "pure-Java BLAS");
    }

    @Test
    void lineKeysAreTheDocumentedOnesInRunOrder() {
        assertThat(Line.keys()).isEqualTo(List.of("softmax.p1", "softmax.p2", "softmax_2tasks.p2",
                "mlp256.p1", "mlp256.p2", "mlp256_2tasks.p2", "mlp256_dawid_skene.p1", "serve.p1", "softmax_java.p1",
                "mlp256_java.p1", "checkpoint.softmax", "checkpoint.mlp256", "peers.sklearn_sgd_log"));
    }
}
