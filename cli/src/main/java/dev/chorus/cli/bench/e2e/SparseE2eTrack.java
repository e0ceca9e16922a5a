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
 * with {@code bench e2e}'s machinery. Each {@link ExampleSet} the lines read is written once to a JSON topic and
 * once to an Avro topic ({@value E2eTopics#PARTITIONS} partitions each, the broker embedded); per format and set,
 * the raw consumer's rate on those topics is the ceiling ({@link RawConsumeLine}), and each {@link SparseLine} is
 * the bounded train job on a MiniCluster reading its set's topic ({@link TrainLine}), its rate and
 * {@code ratio_to_raw} to that ceiling. Between them, what a Flink job reaches on the same topic without a model
 * ({@link FlinkCeilingLines}): the pass-through (the train job's source, decoder and predictions sink), to which
 * each train line's {@code ratio_to_passthrough} is, and the source alone. Each line settles as {@link SettlePolicy}
 * says and reports its median warm run: the first run of a line, which compiles its hot paths, is not counted. A
 * line whose spec the train job refuses is reported skipped, with the job's reason ({@link LineSkipped}).
 *
 * <p>Results: {@code json.<set's ceiling key>}, {@code json.<set's Flink ceilings>}, {@code json.<line>}, and the
 * same under {@code avro}, and the JSON topics' figures again under the flat keys
 * ({@code <set's ceiling key>.examples_per_s}, {@code <Flink ceiling>.ratio_to_raw}, {@code <line>.ratio_to_raw}).
 * A set's Flink ceilings are named as its raw consumer: {@code flink_passthrough} and {@code flink_source_only} for
 * {@code raw_consume}'s set, with {@code _binary} for {@code raw_consume_binary}'s.
 */
public final class SparseE2eTrack {

    /** The formats, in the order they run. */
    static final List<WireFormat> FORMATS = List.of(WireFormat.JSON, WireFormat.AVRO);
    /** Every example belongs to one task, which one subtask trains whatever the parallelism. */
    static final int PARALLELISM = 1;

    /** The raw consumer's key, which every set's ceiling key begins with. */
    static final String RAW_CONSUME = "raw_consume";
    static final String PASSTHROUGH = "flink_passthrough";
    static final String SOURCE_ONLY = "flink_source_only";

    /**
     * Examples with their own topics (one per format) and their own raw-consume ceiling, reported at
     * {@code ceilingKey} ({@value #RAW_CONSUME}, or that and a suffix): lines that label the same records
     * differently read their own topics, so each ratio is to the ceiling of exactly the records its line read.
     */
    public record ExampleSet(String ceilingKey, List<Example> examples) {
        public ExampleSet {
            requireKey("ceilingKey", ceilingKey);
            if (!ceilingKey.startsWith(RAW_CONSUME)) {
                throw new IllegalArgumentException("ceilingKey: expected " + RAW_CONSUME + " or it with a suffix, got "
                        + ceilingKey);
            }
        }

        /** The key of this set's {@code ceiling} ({@value #PASSTHROUGH}, ...): it with the ceiling key's suffix. */
        String keyOf(String ceiling) {
            return ceiling + ceilingKey.substring(RAW_CONSUME.length());
        }
    }

    /** One train line of the track: its result key, its model spec (hashing the examples' fields), what it is. */
    public record SparseLine(String name, String spec, String description, ExampleSet data) {
        public SparseLine {
            requireKey("name", name);
        }
    }

    private SparseE2eTrack() {}

    /**
     * Runs the track's lines, each on its set's examples (every one of one task, in the order given).
     *
     * @param runs the most runs of each line until it settles; 1 runs each once
     */
    public static Map<String, Object> run(List<SparseLine> lines, int runs, Consumer<String> log) throws Exception {
        if (runs < 1) {
            throw new IllegalArgumentException("runs: expected a value >= 1, got " + runs);
        }
        long started = System.nanoTime();
        Map<String, ExampleSet> byKey = new LinkedHashMap<>();
        lines.forEach(line -> byKey.putIfAbsent(line.data().ceilingKey(), line.data()));
        List<ExampleSet> sets = List.copyOf(byKey.values());
        int n = sets.get(0).examples().size();
        if (sets.stream().anyMatch(set -> set.examples().size() != n)) {
            throw new IllegalArgumentException("lines: expected example sets of one size, got "
                    + sets.stream().map(set -> set.ceilingKey() + " " + set.examples().size()).toList());
        }
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
            long fillStarted = System.nanoTime();
            for (WireFormat format : FORMATS) {
                sets.forEach(set -> E2eTopics.fill(kafka, topic(set, format), set.examples(), log));
            }
            config.put("fill_seconds", (System.nanoTime() - fillStarted) / 1e9);
            for (WireFormat format : FORMATS) {
                for (ExampleSet set : sets) {
                    Topic<Example> topic = topic(set, format);
                    Map<String, Object> raw = RawConsumeLine.untilSettled(kafka.bootstrapServers(), topic.name(), n,
                            minRuns, runs);
                    double ceiling = (double) raw.get("examples_per_s");
                    E2eReport.put(results, key(format) + "." + set.ceilingKey(), raw);
                    log.accept(String.format(Locale.ROOT, "%-24s %,12.0f examples/s (%.1f MB/s)",
                            key(format) + " " + set.ceilingKey(), ceiling, (double) raw.get("mb_per_s")));
                    List<SparseLine> setLines = lines.stream()
                            .filter(l -> l.data().ceilingKey().equals(set.ceilingKey())).toList();
                    double passThrough = runFlinkCeilings(kafka, flink, topic, set, setLines.get(0), n, runs,
                            ceiling, results, log);
                    for (SparseLine sparse : setLines) {
                        runLine(kafka, flink, topic, sparse, n, runs, ceiling, passThrough, results, log);
                    }
                }
            }
        }
        putFlatKeys(results, sets, lines);
        config.put("load_average_end", E2eBenchmark.loadAverage());
        results.put("config", config);
        results.put("seconds", (System.nanoTime() - started) / 1e9);
        return results;
    }

    /**
     * Runs the pass-through and the source-only job on a set's topic in one format (checking its examples against
     * {@code first}'s spec), puts their figures with their ratio to the raw consumer's, and returns the
     * pass-through's rate.
     */
    private static double runFlinkCeilings(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink, Topic<Example> topic,
            ExampleSet set, SparseLine first, int n, int runs, double ceiling, Map<String, Object> results,
            Consumer<String> log) throws Exception {
        String format = key(topic.format());
        Line passThroughLine = new Line(format + "." + set.keyOf(PASSTHROUGH), Line.Kind.TRAIN, first.spec(),
                PARALLELISM, 1, null, "Flink pass-through: source, decode and check, one constant prediction, "
                + format);
        Map<String, Object> passThrough = FlinkCeilingLines.passThrough(kafka, flink, topic, passThroughLine, n, runs);
        log.accept(E2eReport.putLine(results, passThroughLine, passThrough, ceiling));
        Line sourceLine = new Line(format + "." + set.keyOf(SOURCE_ONLY), Line.Kind.TRAIN, first.spec(),
                PARALLELISM, 1, null, "Flink source alone, records counted, " + format);
        log.accept(E2eReport.putLine(results, sourceLine,
                FlinkCeilingLines.sourceOnly(kafka, flink, topic, sourceLine, n, runs), ceiling));
        return (double) passThrough.get("examples_per_s");
    }

    /**
     * Runs one line on its set's topic in one format, and puts its figures with their ratio to that topic's raw
     * consumer and pass-through.
     */
    private static void runLine(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink, Topic<Example> topic,
            SparseLine sparse, int n, int runs, double ceiling, double passThrough, Map<String, Object> results,
            Consumer<String> log) throws Exception {
        String format = key(topic.format());
        Line line = new Line(format + "." + sparse.name(), Line.Kind.TRAIN, sparse.spec(), PARALLELISM, 1, null,
                sparse.description() + ", " + format);
        Map<String, Object> figures;
        try {
            figures = TrainLine.run(kafka, flink, topic, line, n, runs, log).figures();
        } catch (LineSkipped e) {
            figures = new LinkedHashMap<>(Map.of("skipped", e.getMessage()));
        }
        figures.put("ceiling", sparse.data().ceilingKey());
        if (figures.get("examples_per_s") instanceof Number rate) {
            figures.put("ratio_to_passthrough", rate.doubleValue() / passThrough);
        }
        log.accept(E2eReport.putLine(results, line, figures, ceiling));
    }

    /** The topic of {@code set} in {@code format}. */
    private static Topic<Example> topic(ExampleSet set, WireFormat format) {
        return new Topic<>("sparse-e2e-" + set.ceilingKey().replace('_', '-') + "-" + key(format), Example.class,
                format);
    }

    /** The keys: the JSON topics' ceilings, and each line's rate and ratio to its (or why it was skipped). */
    @SuppressWarnings("unchecked")
    static void putFlatKeys(Map<String, Object> results, List<ExampleSet> sets, List<SparseLine> lines) {
        Map<String, Object> json = (Map<String, Object>) results.get(key(WireFormat.JSON));
        for (ExampleSet set : sets) {
            Map<String, Object> raw = (Map<String, Object>) json.get(set.ceilingKey());
            results.put(set.ceilingKey(), Map.of("examples_per_s", raw.get("examples_per_s")));
            for (String ceiling : List.of(PASSTHROUGH, SOURCE_ONLY)) {
                Map<String, Object> figures = (Map<String, Object>) json.get(set.keyOf(ceiling));
                results.put(set.keyOf(ceiling), Map.of("examples_per_s", figures.get("examples_per_s"),
                        "ratio_to_raw", figures.get("ratio_to_raw")));
            }
        }
        for (SparseLine line : lines) {
            Map<String, Object> figures = (Map<String, Object>) json.get(line.name());
            Map<String, Object> flat = new LinkedHashMap<>();
            for (String figure : List.of("examples_per_s", "ratio_to_raw", "ratio_to_passthrough", "skipped")) {
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

    private static void requireKey(String what, String key) {
        if (!key.matches("[a-z0-9_]+")) {
            throw new IllegalArgumentException(what + ": expected lower-case letters, digits and _, got " + key);
        }
    }
}
