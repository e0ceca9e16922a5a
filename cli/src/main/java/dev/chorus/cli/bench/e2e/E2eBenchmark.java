package dev.chorus.cli.bench.e2e;

import dev.chorus.cli.data.FashionMnist;
import dev.chorus.core.blas.Blas;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.Example;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * {@code chorus bench e2e}: end-to-end throughput of the jobs on a real (in-process) Kafka broker and a Flink
 * MiniCluster, against the ceiling of reading the same topic with a plain consumer.
 *
 * <p>One examples topic (2 partitions) is filled once with Fashion-MNIST examples repeated to N, labeled by the
 * seeded simulated annotators as {@code chorus produce --annotators fashion-mnist} labels them, and every line
 * reads it from the beginning: the raw consumer ({@link RawConsumeLine}), the train job per model and parallelism
 * ({@link TrainLine}), the serve job with a model the train job made ({@link ServeLine}), the pure-Java BLAS lines
 * in a child JVM ({@link ChildJvmLine}), checkpoint durations and sizes ({@link CheckpointLine}), and scikit-learn
 * in memory as a peer ({@link PeerLine}). {@link Line} lists them, {@link SettlePolicy} says how often each runs,
 * {@link SteadyRate} how its rate is taken, and {@link E2eReport} what is reported.
 *
 * <p>Every example of that topic belongs to one task, so at parallelism 2 the source and the decoder run twice but
 * the model trains in one subtask (the job keys by task). The {@code 2tasks} lines read a second topic whose
 * examples alternate between two tasks that Flink assigns to different subtasks: what parallelism buys when there
 * is more than one model to train.
 */
public final class E2eBenchmark {

    public static final int DEFAULT_EXAMPLES = 300_000;
    public static final int DEFAULT_RUNS = 6;
    /** The train job's production default. */
    static final long CHECKPOINT_INTERVAL_MS = 10_000;
    /** Bounds each wait for output, so that a broken run fails instead of hanging; not a timing. */
    static final Duration PATIENCE = Duration.ofMinutes(5);

    /**
     * What to run.
     *
     * @param examples examples in the topic (N)
     * @param lines keys of the lines to run, empty for all (the raw consumer always runs: it is the ceiling)
     * @param sklearnPeer the {@code sklearn_peer.py} script, or {@code null} to skip the peer
     * @param progress whether to show a progress bar while filling the topic
     * @param runs the most runs of each measured line until it settles (see {@link SettlePolicy}); 1 runs each
     *     line once
     */
    public record Options(int examples, Set<String> lines, Path sklearnPeer, boolean progress, int runs) {
        public Options {
            if (examples < 1) {
                throw new IllegalArgumentException("examples: expected a value >= 1, got " + examples);
            }
            if (runs < 1) {
                throw new IllegalArgumentException("runs: expected a value >= 1, got " + runs);
            }
            lines = lines.stream().filter(k -> !k.isBlank()).collect(Collectors.toUnmodifiableSet());
            List<String> unknown = lines.stream().filter(k -> !Line.keys().contains(k)).sorted().toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("lines: unknown " + unknown + ", expected some of " + Line.keys());
            }
        }

        boolean runs(Line line) {
            return lines.isEmpty() || lines.contains(line.key());
        }

        int minRuns() {
            return Math.min(SettlePolicy.LINE_MIN_RUNS, runs);
        }
    }

    private final Options options;
    private final Consumer<String> log;

    public E2eBenchmark(Options options, Consumer<String> log) {
        this.options = options;
        this.log = log;
    }

    /** Runs the selected lines; results keyed as the class comment and docs/BENCHMARKS.md describe. */
    public Map<String, Object> run() throws Exception {
        long started = System.nanoTime();
        Map<String, Object> results = new LinkedHashMap<>();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("examples", options.examples());
        config.put("partitions", E2eTopics.PARTITIONS);
        config.put("checkpoint_interval_ms", CHECKPOINT_INTERVAL_MS);
        config.put("delivery", "at-least-once");
        config.put("blas_backend", Blas.get().backend().name());
        config.put("openblas_num_threads", Objects.requireNonNullElse(System.getenv("OPENBLAS_NUM_THREADS"),
                "unset (OpenBLAS uses one thread per core)"));
        config.put("openblas_coretype", Objects.requireNonNullElse(System.getenv("OPENBLAS_CORETYPE"),
                "unset (OpenBLAS detects the CPU)"));
        config.put("blas", Blas.get().description());
        config.put("runs_max", options.runs());
        config.put("cores", Runtime.getRuntime().availableProcessors());
        config.put("load_average_start", loadAverage());
        LabeledDataset data = FashionMnist.forDemo("auto", 0);
        config.put("dataset", data.name());
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start();
                LocalFlinkCluster flink = LocalFlinkCluster.start(2, 0)) {
            Topic<Example> examples = E2eTopics.examplesTopic(1);
            long fillStarted = System.nanoTime();
            E2eTopics.fill(kafka, examples, data, 1, options.examples(), options.progress(), log);
            config.put("fill_seconds", (System.nanoTime() - fillStarted) / 1e9);
            if (Line.ALL.stream().anyMatch(l -> options.runs(l) && l.tasks() == 2)) {
                E2eTopics.fill(kafka, E2eTopics.examplesTopic(2), data, 2, options.examples(), options.progress(), log);
            }
            data = null; // the topics hold it now; lets the GC have the 200 MB back

            String bootstrap = kafka.bootstrapServers();
            Map<String, Object> raw = RawConsumeLine.untilSettled(bootstrap, examples.name(), options.examples(),
                    options.minRuns(), options.runs());
            double ceiling = (double) raw.get("examples_per_s");
            E2eReport.put(results, "raw_consume", raw);
            log.accept(String.format(Locale.ROOT, "%-24s %,12.0f examples/s (%.1f MB/s)", "raw consume",
                    ceiling, (double) raw.get("mb_per_s")));

            if (Line.ALL.stream().anyMatch(l -> options.runs(l) && l.kind() != Line.Kind.PEER
                    && l.childBlas() == null)) {
                TrainLine.createWarmupTopics(kafka, examples, Line.WARMUP.topicPrefix());
                Map<String, Object> warmup = TrainLine.warmUp(kafka.bootstrapServers(), flink, examples,
                        options.examples(), Line.WARMUP.topicPrefix());
                warmup.put("ratio_to_raw", (double) warmup.get("examples_per_s") / ceiling);
                results.put(Line.WARMUP.key(), warmup);
                log.accept(E2eReport.summary(Line.WARMUP, warmup) + "; runs until settled: "
                        + E2eReport.warmupRates(warmup));
            }
            byte[][] servedModel = null;
            for (Line line : Line.ALL) {
                if (!options.runs(line)) {
                    continue;
                }
                Map<String, Object> figures;
                try {
                    figures = switch (line.kind()) {
                        case TRAIN -> {
                            TrainLine.TrainRun train = TrainLine.run(kafka, flink,
                                    E2eTopics.examplesTopic(line.tasks()), line, options.examples(),
                                    options.runs(), log);
                            if (line.spec().equals(Line.SOFTMAX) && line.tasks() == 1
                                    && train.finalSnapshot() != null) {
                                servedModel = train.finalSnapshot();
                            }
                            yield train.figures();
                        }
                        case SERVE -> {
                            byte[][] model = servedModel;
                            yield SettlePolicy.medianWarmRunFigures(SettlePolicy.untilSettled(options.minRuns(),
                                    options.runs(), SteadyRate.EXAMPLES_PER_S, run -> ServeLine.run(kafka, flink,
                                            examples, line, model, options.examples(), run)));
                        }
                        case CHECKPOINT -> CheckpointLine.run(kafka, flink, examples, line,
                                options.examples());
                        case PEER -> PeerLine.run(options.sklearnPeer());
                    };
                } catch (LineSkipped e) {
                    figures = new LinkedHashMap<>(Map.of("skipped", e.getMessage()));
                }
                log.accept(E2eReport.putLine(results, line, figures, ceiling));
            }
        }
        E2eReport.summariseCheckpoints(results);
        config.put("load_average_end", loadAverage());
        results.put("config", config);
        results.put("seconds", (System.nanoTime() - started) / 1e9);
        return results;
    }

    /** The system load average over the last minute, as {@code uptime} shows it. */
    static double loadAverage() {
        return Math.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100) / 100.0;
    }
}
