package dev.chorus.cli.bench.e2e;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@code chorus bench e2e} reports: the results as nested maps keyed by line ({@code softmax.p1} is
 * {@code softmax → p1}), the log line of each line as it ends, and the table of rates printed at the end.
 */
public final class E2eReport {

    private E2eReport() {}

    /** The table of every line that measured a rate: examples/s and ratio to the raw-consume ceiling. */
    public static String table(Map<String, Object> results) {
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%-24s %14s %14s %10s %12s  %s%n", "line",
                "examples/s", "ratio to raw", "seconds", "CPU µs/ex", "what"));
        appendRow(table, "raw_consume", at(results, "raw_consume"), "plain KafkaConsumer<byte[], byte[]>: the ceiling");
        appendRow(table, Line.WARMUP.key(), at(results, Line.WARMUP.key()), Line.WARMUP.description());
        for (Line line : Line.ALL) {
            if (line.kind() != Line.Kind.CHECKPOINT) {
                appendRow(table, line.key(), at(results, line.key()), line.description());
            }
        }
        return table.toString();
    }

    /**
     * Puts a line's figures at its key, with their ratio to the raw-consume {@code ceiling} (when the line measured
     * a rate) and the load average as it ended; returns its log line.
     */
    static String putLine(Map<String, Object> results, Line line, Map<String, Object> figures, double ceiling) {
        if (figures.get("examples_per_s") instanceof Number rate) {
            figures.put("ratio_to_raw", rate.doubleValue() / ceiling);
        }
        figures.put("load_average", E2eBenchmark.loadAverage());
        put(results, line.key(), figures);
        return summary(line, figures);
    }

    /** The log line of a line that has run. */
    static String summary(Line line, Map<String, Object> figures) {
        if (figures.containsKey("skipped")) {
            return String.format(Locale.ROOT, "%-24s skipped: %s", line.key(), figures.get("skipped"));
        }
        if (line.kind() == Line.Kind.CHECKPOINT) {
            return String.format(Locale.ROOT, "%-24s %,d params: checkpoint median %s ms, max %s ms, state %,d bytes "
                    + "(%d checkpoints, %d while training)", line.key(), figures.get("params"),
                    figures.get("duration_ms_median"), figures.get("duration_ms_max"), figures.get("size_bytes"),
                    figures.get("checkpoints"), figures.get("checkpoints_while_training"));
        }
        return String.format(Locale.ROOT, "%-24s %,12.0f examples/s, %.3f of raw (%s)", line.key(),
                ((Number) figures.get("examples_per_s")).doubleValue(),
                ((Number) figures.get("ratio_to_raw")).doubleValue(), line.description());
    }

    /** The warm-up's rate of every run, for its log line. */
    static String warmupRates(Map<String, Object> warmup) {
        return ((List<?>) warmup.get("runs_examples_per_s")).stream()
                .map(r -> String.format(Locale.ROOT, "%,.0f", ((Number) r).doubleValue()))
                .collect(Collectors.joining(", ", "[", "] examples/s"));
    }

    /**
     * Adds {@code checkpoint.params_200k}, the figure the target names (MLP-256's 203,530 parameters), and
     * drops {@code checkpoint} when no checkpoint line ran.
     */
    static void summariseCheckpoints(Map<String, Object> results) {
        Map<String, Object> checkpoints = child(results, "checkpoint");
        if (checkpoints.get("mlp256") instanceof Map<?, ?> mlp && mlp.get("duration_ms_max") != null) {
            Map<String, Object> params200k = new LinkedHashMap<>();
            params200k.put("duration_ms", mlp.get("duration_ms_max"));
            params200k.put("duration_ms_median", mlp.get("duration_ms_median"));
            params200k.put("size_bytes", mlp.get("size_bytes"));
            params200k.put("params", mlp.get("params"));
            checkpoints.put("params_200k", params200k);
        }
        if (checkpoints.isEmpty()) {
            results.remove("checkpoint");
        }
    }

    /** Puts {@code value} at the dotted path {@code key} ({@code softmax.p1}) of nested maps. */
    static void put(Map<String, Object> results, String key, Object value) {
        String[] parts = key.split("\\.");
        Map<String, Object> parent = results;
        for (int i = 0; i < parts.length - 1; i++) {
            parent = child(parent, parts[i]);
        }
        parent.put(parts[parts.length - 1], value);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, Object> parent, String key) {
        return (Map<String, Object>) parent.computeIfAbsent(key, k -> new LinkedHashMap<String, Object>());
    }

    private static void appendRow(StringBuilder table, String key, Map<String, Object> figures, String what) {
        if (figures == null) {
            return;
        }
        if (figures.containsKey("skipped")) {
            table.append(String.format(Locale.ROOT, "%-24s %14s %14s %10s %12s  %s (skipped)%n", key, "-", "-", "-",
                    "-", what));
            return;
        }
        table.append(String.format(Locale.ROOT, "%-24s %,14.0f %14s %10s %12s  %s%n", key,
                ((Number) figures.get("examples_per_s")).doubleValue(),
                figures.containsKey("ratio_to_raw") ? decimal(figures.get("ratio_to_raw"), 3) : "1.000",
                decimal(figures.get("seconds"), 2), decimal(figures.get("cpu_us_per_example"), 1), what));
    }

    private static String decimal(Object value, int places) {
        return value == null ? "" : String.format(Locale.ROOT, "%." + places + "f", ((Number) value).doubleValue());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> at(Map<String, Object> results, String key) {
        Object node = results;
        for (String part : key.split("\\.")) {
            if (!(node instanceof Map<?, ?> map)) {
                return null;
            }
            node = map.get(part);
        }
        return node instanceof Map<?, ?> ? (Map<String, Object>) node : null;
    }
}
