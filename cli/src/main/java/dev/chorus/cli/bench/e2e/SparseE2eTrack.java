package dev.chorus.cli.bench.e2e;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.WireFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * {@code chorus bench sparse}'s end-to-end track (issue 17): named-field examples through Kafka into the train job,
 * with {@code bench e2e}'s machinery. The examples are written once to a JSON topic and once to an Avro topic
 * ({@value E2eTopics#PARTITIONS} partitions each, the broker embedded); per format, the raw consumer's rate is the
 * ceiling ({@link RawConsumeLine}), and each {@link SparseLine} is the bounded train job on a MiniCluster reading
 * the same topic ({@link TrainLine}), its rate and {@code ratio_to_raw}. Each line settles as {@link SettlePolicy}
 * says and reports its median warm run: the first run of a line, which compiles its hot paths, is not counted. A
 * line whose spec the train job refuses is reported skipped, with the job's reason ({@link LineSkipped}).
 *
 * <p>Results: {@code json.raw_consume}, {@code json.<line>}, {@code avro.raw_consume}, {@code avro.<line>}, and the
 * JSON topic's figures again under the flat keys ({@code raw_consume.examples_per_s},
 * {@code <line>.ratio_to_raw}).
 */
public final class SparseE2eTrack {

    /** The formats, in the order they run. */
    static final List<WireFormat> FORMATS = List.of(WireFormat.JSON, WireFormat.AVRO);
    /** Every example belongs to one task, which one subtask trains whatever the parallelism. */
    static final int PARALLELISM = 1;

    /** One train line of the track: its result key, its model spec (hashing the examples' fields), what it is. */
    public record SparseLine(String name, String spec, String description) {
        public SparseLine {
            if (!name.matches("[a-z0-9_]+")) {
                throw new IllegalArgumentException("name: expected lower-case letters, digits and _, got " + name);
            }
        }
    }

    private SparseE2eTrack() {}

    /**
     * Runs the track on {@code examples} (every one of one task, in the order given).
     *
     * @param runs the most runs of each line until it settles; 1 runs each once
     */
    public static Map<String, Object> run(List<Example> examples, List<SparseLine> lines, int runs,
            Consumer<String> log) throws Exception {
        if (runs < 1) {
            throw new IllegalArgumentException("runs: expected a value >= 1, got " + runs);
        }
        long started = System.nanoTime();
        int n = examples.size();
        int minRuns = Math.min(SettlePolicy.LINE_MIN_RUNS, runs);
        Map<String, Object> results = new LinkedHashMap<>();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("examples", n);
        config.put("partitions", E2eTopics.PARTITIONS);
        config.put("parallelism", PARALLELISM);
        config.put("checkpoint_interval_ms", E2eBenchmark.CHECKPOINT_INTERVAL_MS);
        config.put("delivery", "at-least-once");
        config.put("runs_max", runs);
        config.put("cores", Runtime.getRuntime().availableProcessors());
        config.put("openblas_coretype", Objects.requireNonNullElse(System.getenv("OPENBLAS_CORETYPE"),
                "unset (OpenBLAS detects the CPU)"));
        config.put("load_average_start", E2eBenchmark.loadAverage());
        Map<String, Object> specs = new LinkedHashMap<>();
        lines.forEach(l -> specs.put(l.name(), l.spec()));
        config.put("specs", specs);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start();
                LocalFlinkCluster flink = LocalFlinkCluster.start(2, 0)) {
            List<Topic<Example>> topics = FORMATS.stream()
                    .map(f -> new Topic<>("sparse-e2e-" + key(f), Example.class, f)).toList();
            long fillStarted = System.nanoTime();
            topics.forEach(topic -> E2eTopics.fill(kafka, topic, examples, log));
            config.put("fill_seconds", (System.nanoTime() - fillStarted) / 1e9);
            for (Topic<Example> topic : topics) {
                String format = key(topic.format());
                Map<String, Object> raw = RawConsumeLine.untilSettled(kafka.bootstrapServers(), topic.name(), n,
                        minRuns, runs);
                double ceiling = (double) raw.get("examples_per_s");
                E2eReport.put(results, format + ".raw_consume", raw);
                log.accept(String.format(Locale.ROOT, "%-24s %,12.0f examples/s (%.1f MB/s)", format + " raw consume",
                        ceiling, (double) raw.get("mb_per_s")));
                for (SparseLine sparse : lines) {
                    Line line = new Line(format + "." + sparse.name(), Line.Kind.TRAIN, sparse.spec(), PARALLELISM, 1,
                            null, sparse.description() + ", " + format);
                    Map<String, Object> figures;
                    try {
                        figures = TrainLine.run(kafka, flink, topic, line, n, runs, log).figures();
                    } catch (LineSkipped e) {
                        figures = new LinkedHashMap<>(Map.of("skipped", e.getMessage()));
                    }
                    log.accept(E2eReport.putLine(results, line, figures, ceiling));
                }
            }
        }
        putFlatKeys(results, lines);
        config.put("load_average_end", E2eBenchmark.loadAverage());
        results.put("config", config);
        results.put("seconds", (System.nanoTime() - started) / 1e9);
        return results;
    }

    /** The keys: the JSON topic's ceiling, and each line's rate and ratio to it (or why it was skipped). */
    @SuppressWarnings("unchecked")
    static void putFlatKeys(Map<String, Object> results, List<SparseLine> lines) {
        Map<String, Object> json = (Map<String, Object>) results.get(key(WireFormat.JSON));
        Map<String, Object> raw = (Map<String, Object>) json.get("raw_consume");
        results.put("raw_consume", Map.of("examples_per_s", raw.get("examples_per_s")));
        for (SparseLine line : lines) {
            Map<String, Object> figures = (Map<String, Object>) json.get(line.name());
            Map<String, Object> flat = new LinkedHashMap<>();
            for (String figure : List.of("examples_per_s", "ratio_to_raw", "skipped")) {
                if (figures.containsKey(figure)) {
                    flat.put(figure, figures.get(figure));
                }
            }
            results.put(line.name(), flat);
        }
    }

    private static String key(WireFormat format) {
        return format.name().toLowerCase(Locale.ROOT);
    }
}
