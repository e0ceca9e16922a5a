package dev.chorus.cli.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.cli.bench.SklearnPeer;
import dev.chorus.cli.data.ExampleLabeling;
import dev.chorus.cli.data.FashionMnist;
import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.blas.Blas;
import dev.chorus.core.blas.BlasBackend;
import dev.chorus.core.model.HiddenLayerSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code chorus bench e2e}: end-to-end throughput of the jobs on a real (in-process) Kafka broker and a Flink
 * MiniCluster, against the ceiling of reading the same topic with a plain consumer.
 *
 * <p>One examples topic (2 partitions) is filled once with Fashion-MNIST examples repeated to N, labeled by the
 * seeded simulated annotators as {@code chorus produce --annotators fashion-mnist} labels them, and every line
 * reads it from the beginning: the raw consumer, the train job per model and parallelism, the serve job with a
 * model the train job made, the pure-Java BLAS lines in a child JVM ({@code -Dchorus.blas=java}, since the
 * backend is chosen once per JVM), and scikit-learn in memory as a peer.
 *
 * <p>Every example of that topic belongs to one task, so at parallelism 2 the source and the decoder run twice but
 * the model trains in one subtask (the job keys by task). The {@code 2tasks} lines read a second topic whose
 * examples alternate between two tasks that Flink assigns to different subtasks: what parallelism buys when there
 * is more than one model to train.
 *
 * <p>A train line runs the job bounded (it stops at the topic's end), with at-least-once sinks and the production
 * checkpoint interval, and is timed from its first prediction (made right after its first record is read) until a
 * model snapshot that has seen all N examples arrives on the models topic. At-least-once, because exactly-once
 * output becomes visible only when the next checkpoint completes, which would time the checkpoint interval rather
 * than the job. The serve line is timed from its first prediction until the broker appended the last (the
 * predictions topics stamp records with {@code LogAppendTime}). Predictions are read after each run, so that
 * decoding them takes no CPU from the job being timed.
 * Checkpoint durations and sizes come from separate unbounded runs with a 1 s checkpoint interval, read from
 * Flink's REST API.
 */
public final class E2eBenchmark {

    public static final int DEFAULT_EXAMPLES = 300_000;
    /** Partitions of the examples and predictions topics: parallelism 2 can read them in parallel. */
    static final int PARTITIONS = 2;
    static final String TASK = "fashion-mnist";
    /** The train job's production default. */
    static final long CHECKPOINT_INTERVAL_MS = 10_000;
    /** The checkpoint lines checkpoint every second, to collect enough checkpoints in a short run. */
    static final long CHECKPOINT_LINE_INTERVAL_MS = 1_000;
    /** Completed checkpoints a checkpoint line collects after the model exists. */
    static final int CHECKPOINTS_MEASURED = 10;
    /**
     * Every rate is the steady one, over the examples after the first quarter: the raw consumer from its
     * {@code n/4}-th record, a job from the broker's append of its {@code n/4}-th prediction, each to its end. That
     * leaves out start-up alike for every line: the consumer's first fetches, the job's deployment, and for the
     * serve job the examples that waited for the model to arrive on the broadcast side and were then answered in
     * one burst (timed from the first prediction, those examples' reading time fell outside the window and serving
     * seemed faster than reading). The rate from the first record or prediction is reported beside it
     * ({@code examples_per_s_from_first}). A window too short to measure counts as {@link #MIN_WINDOW_MS}.
     */
    static final double STEADY_FROM = 0.25;
    /** The shortest window a rate is taken over: the broker's timestamps count milliseconds. */
    static final double MIN_WINDOW_MS = 1;
    /** Bounds each wait for output, so that a broken run fails instead of hanging; not a timing. */
    static final Duration PATIENCE = Duration.ofMinutes(5);

    static final String SOFTMAX = "{\"algorithm\":\"softmax-regression\",\"inputDim\":784,\"numClasses\":10,"
            + "\"batchSize\":128,\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"standardize\":true,"
            + "\"seed\":42}";
    static final String MLP256 = "{\"algorithm\":\"mlp\",\"inputDim\":784,\"numClasses\":10,"
            + "\"layers\":[{\"units\":256,\"activation\":\"relu\",\"init\":\"he-normal\"}],\"batchSize\":128,"
            + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"standardize\":true,\"seed\":42}";
    /** MLP-256 behind the Dawid-Skene label model: lights up once ModelSpec knows {@code labelModel}. */
    static final String MLP256_DAWID_SKENE = MLP256.substring(0, MLP256.length() - 1)
            + ",\"labelModel\":\"dawid-skene\"}";

    /** What a line measures. */
    enum Kind { TRAIN, SERVE, CHECKPOINT, PEER }

    /**
     * One line of the benchmark: its result key ({@code softmax.p1}), what it measures, the model spec, the
     * parallelism, and the BLAS backend when it must run in a child JVM on that backend.
     */
    record Line(String key, Kind kind, String spec, int parallelism, int tasks, BlasBackend childBlas,
            String description) {
        String topicPrefix() {
            return "e2e-" + key.replace('.', '-').replace('_', '-');
        }
    }

    static final List<Line> LINES = List.of(
            new Line("softmax.p1", Kind.TRAIN, SOFTMAX, 1, 1, null, "train softmax, parallelism 1"),
            new Line("softmax.p2", Kind.TRAIN, SOFTMAX, 2, 1, null, "train softmax, parallelism 2, 1 task"),
            new Line("softmax_2tasks.p2", Kind.TRAIN, SOFTMAX, 2, 2, null, "train softmax, parallelism 2, 2 tasks"),
            new Line("mlp256.p1", Kind.TRAIN, MLP256, 1, 1, null, "train MLP-256, parallelism 1"),
            new Line("mlp256.p2", Kind.TRAIN, MLP256, 2, 1, null, "train MLP-256, parallelism 2, 1 task"),
            new Line("mlp256_2tasks.p2", Kind.TRAIN, MLP256, 2, 2, null, "train MLP-256, parallelism 2, 2 tasks"),
            new Line("mlp256_dawid_skene.p1", Kind.TRAIN, MLP256_DAWID_SKENE, 1, 1, null,
                    "train MLP-256 + Dawid-Skene, parallelism 1"),
            new Line("serve.p1", Kind.SERVE, SOFTMAX, 1, 1, null, "serve softmax, parallelism 1"),
            new Line("softmax_java.p1", Kind.TRAIN, SOFTMAX, 1, 1, BlasBackend.JAVA, "train softmax, pure-Java BLAS"),
            new Line("mlp256_java.p1", Kind.TRAIN, MLP256, 1, 1, BlasBackend.JAVA, "train MLP-256, pure-Java BLAS"),
            new Line("checkpoint.softmax", Kind.CHECKPOINT, SOFTMAX, 1, 1, null, "checkpoints, softmax"),
            new Line("checkpoint.mlp256", Kind.CHECKPOINT, MLP256, 1, 1, null, "checkpoints, MLP-256"),
            new Line("peers.sklearn_sgd_log", Kind.PEER, null, 1, 1, null, "scikit-learn SGDClassifier(log_loss)"));

    /**
     * Runs before the measured lines until its rate settles: at least {@value #WARMUP_MIN_RUNS} and at most
     * {@value #WARMUP_MAX_RUNS} times, until a run's rate is within 5% of the one before. Reported
     * apart ({@code warmup}: the first, cold run, and every run's rate). The first jobs in a JVM pay for compiling
     * Flink's, Kafka's and Avro's hot paths (JFR: about 10 s of JIT compilation in a 19 s softmax run on 2 cores;
     * softmax p1 went from 39k through 65k, 72k and 90k to 100k examples/s over its first runs over the topic), which
     * a long-running job pays once. The child JVM warms up the same way, on its own BLAS backend.
     */
    static final Line WARMUP = new Line("warmup", Kind.TRAIN, SOFTMAX, 1, 1, null,
            "warm-up: train softmax, parallelism 1, cold JVM");
    static final int WARMUP_MIN_RUNS = 3;
    static final int WARMUP_MAX_RUNS = 6;
    /** Two runs whose rates differ by at most this fraction of the earlier one have settled. */
    static final double SETTLED = 0.05;
    /**
     * Every measured line (and the raw consumer) runs at least this many times, at most {@link Options#runs()},
     * until two runs in a row settle ({@link #SETTLED}), and reports its median warm run ({@link #representative}):
     * a job's first run over a topic
     * compiles that job's own hot paths (the serve job's, MLP-256's, the dawid-skene operator's), which the
     * softmax warm-up does not reach, and a 3-second line spent much of it beside the JIT compiler (async-profiler:
     * the C2 thread used 20–60% of a core through every line of a single-run benchmark). Every run's rate is
     * reported too ({@code runs_examples_per_s}).
     */
    static final int LINE_MIN_RUNS = 3;
    public static final int DEFAULT_RUNS = 6;

    /** Every line's key, for option help and checks. */
    public static List<String> lineKeys() {
        return LINES.stream().map(Line::key).toList();
    }

    /**
     * What to run.
     *
     * @param examples examples in the topic (N)
     * @param lines keys of the lines to run, empty for all (the raw consumer always runs: it is the ceiling)
     * @param sklearnPeer the {@code sklearn_peer.py} script, or {@code null} to skip the peer
     * @param progress whether to show a progress bar while filling the topic
     * @param runs the most runs of each measured line until it settles (see {@link #LINE_MIN_RUNS}); 1 runs each
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
            List<String> unknown = lines.stream().filter(k -> !lineKeys().contains(k)).sorted().toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("lines: unknown " + unknown + ", expected some of " + lineKeys());
            }
        }

        boolean runs(Line line) {
            return lines.isEmpty() || lines.contains(line.key());
        }

        int minRuns() {
            return Math.min(LINE_MIN_RUNS, runs);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

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
        config.put("partitions", PARTITIONS);
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
            Topic<Example> examples = examplesTopic(1);
            long fillStarted = System.nanoTime();
            fill(kafka, examples, data, 1);
            config.put("fill_seconds", (System.nanoTime() - fillStarted) / 1e9);
            if (LINES.stream().anyMatch(l -> options.runs(l) && l.tasks() == 2)) {
                fill(kafka, examplesTopic(2), data, 2);
            }
            data = null; // the topics hold it now; lets the GC have the 200 MB back

            String bootstrap = kafka.bootstrapServers();
            Map<String, Object> raw = last(untilSettled(options.minRuns(), options.runs(), EXAMPLES_PER_S,
                    run -> rawConsume(bootstrap, examples.name(), options.examples())));
            double ceiling = (double) raw.get("examples_per_s");
            put(results, "raw_consume", raw);
            log.accept(String.format(Locale.ROOT, "%-24s %,12.0f examples/s (%.1f MB/s)", "raw consume",
                    ceiling, (double) raw.get("mb_per_s")));

            if (LINES.stream().anyMatch(l -> options.runs(l) && l.kind() != Kind.PEER && l.childBlas() == null)) {
                createWarmupTopics(kafka, examples.name(), WARMUP.topicPrefix());
                Map<String, Object> warmup = warmUp(kafka.bootstrapServers(), flink, examples.name(),
                        options.examples(), WARMUP.topicPrefix());
                warmup.put("ratio_to_raw", (double) warmup.get("examples_per_s") / ceiling);
                results.put(WARMUP.key(), warmup);
                log.accept(summary(WARMUP, warmup) + "; runs until settled: " + warmupRates(warmup));
            }
            byte[][] servedModel = null;
            for (Line line : LINES) {
                if (!options.runs(line)) {
                    continue;
                }
                Map<String, Object> figures;
                try {
                    figures = switch (line.kind()) {
                        case TRAIN -> {
                            TrainRun train = runTrain(kafka, flink, examplesTopic(line.tasks()).name(), line);
                            if (line.spec().equals(SOFTMAX) && line.tasks() == 1 && train.finalSnapshot() != null) {
                                servedModel = train.finalSnapshot();
                            }
                            yield train.figures();
                        }
                        case SERVE -> {
                            byte[][] model = servedModel;
                            yield last(untilSettled(options.minRuns(), options.runs(), EXAMPLES_PER_S,
                                    run -> runServe(kafka, flink, examples, line, model, run)));
                        }
                        case CHECKPOINT -> runCheckpoints(kafka, flink, examples.name(), line);
                        case PEER -> runPeer();
                    };
                } catch (LineSkipped e) {
                    figures = new LinkedHashMap<>(Map.of("skipped", e.getMessage()));
                }
                if (figures.get("examples_per_s") instanceof Number rate) {
                    figures.put("ratio_to_raw", rate.doubleValue() / ceiling);
                }
                figures.put("load_average", loadAverage());
                put(results, line.key(), figures);
                log.accept(summary(line, figures));
            }
        }
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
        config.put("load_average_end", loadAverage());
        results.put("config", config);
        results.put("seconds", (System.nanoTime() - started) / 1e9);
        return results;
    }

    /** A line that cannot run here, with the reason, recorded in place of its figures. */
    static final class LineSkipped extends Exception {
        private static final long serialVersionUID = 1L;

        LineSkipped(String reason) {
            super(reason);
        }
    }

    // ---- fill --------------------------------------------------------------------------------------------------

    /**
     * Writes {@code options.examples()} examples: the dataset's rows in the annotator simulator's order, each
     * labeling its own example with the annotator's id and label, repeated until N are sent.
     */
    /** The examples topic whose examples belong to {@code tasks} tasks, each trained by its own subtask at p2. */
    static Topic<Example> examplesTopic(int tasks) {
        return new Topic<>(tasks == 1 ? "e2e-examples" : "e2e-examples-" + tasks + "tasks", Example.class,
                WireFormat.AVRO);
    }

    /**
     * The task names of a topic with {@code tasks} tasks: {@value #TASK} alone, or names whose keys Flink assigns to
     * different subtasks at parallelism {@code tasks}, so that each task trains in its own subtask.
     */
    static List<String> taskNames(int tasks) {
        if (tasks == 1) {
            return List.of(TASK);
        }
        int maxParallelism = KeyGroupRangeAssignment.computeDefaultMaxParallelism(tasks);
        String[] names = new String[tasks];
        for (int i = 0; Arrays.stream(names).anyMatch(Objects::isNull); i++) {
            String name = TASK + "-" + i;
            int subtask = KeyGroupRangeAssignment.assignKeyToParallelOperator(name, maxParallelism, tasks);
            if (names[subtask] == null) {
                names[subtask] = name;
            }
        }
        return List.of(names);
    }

    private void fill(EmbeddedKafkaBroker kafka, Topic<Example> topic, LabeledDataset data, int tasks) {
        kafka.createTopics(List.of(ChorusTopic.EXAMPLES.newTopic(topic.name(), PARTITIONS)));
        String bootstrap = kafka.bootstrapServers();
        List<String> taskNames = taskNames(tasks);
        AnnotatorPool pool = AnnotatorPool.fashionMnist(0);
        ExampleLabeling labeling = ExampleLabeling.simulatedAnnotators(pool,
                pool.label(data.labels(), AnnotatorPool.DEFAULT_LABELS_PER_ITEM, 0));
        int plan = labeling.size(data.size());
        RecordCodec<Example> codec = topic.codec();
        long startTime = System.currentTimeMillis();
        int n = options.examples();
        log.accept(String.format(Locale.ROOT, "Filling %s with %,d examples of %s (%,d labelings by %d simulated "
                + "annotators, repeated), task%s %s", topic.name(), n, data.name(), plan, pool.size(),
                tasks == 1 ? "" : "s in turn", String.join(", ", taskNames)));
        try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of());
                ProgressBar bar = options.progress() ? new ProgressBarBuilder().setTaskName("Filling")
                        .setInitialMax(n).setStyle(ProgressBarStyle.ASCII).setUnit(" ex", 1).showSpeed()
                        .setMaxRenderedLength(110).build() : null) {
            for (int sent = 0; sent < n; sent++) {
                int position = sent % plan;
                int row = labeling.row(position);
                Example unlabeled = ExampleProducer.example(data, row, taskNames.get(sent % tasks), "e2e", startTime);
                unlabeled.setEventTime(startTime + sent);
                labeling.label(position, unlabeled, data.labels()[row],
                        e -> producer.sendRaw(topic.name(), e.getId(), codec.encode(e)));
                if (bar != null && (sent & 1023) == 0) {
                    bar.stepTo(sent);
                }
            }
            producer.flush();
            if (bar != null) {
                bar.stepTo(n);
            }
        }
        long written = endOffsets(bootstrap, topic.name()).values().stream().mapToLong(Long::longValue).sum();
        if (written != n) {
            throw new IllegalStateException("filled " + topic.name() + " with " + n + " examples but it holds "
                    + written);
        }
    }

    // ---- raw consume ------------------------------------------------------------------------------------------

    /** Reads the whole topic with a plain byte consumer: the I/O ceiling, timed from the first record. */
    static Map<String, Object> rawConsume(String bootstrap, String topic, long n) {
        Map<TopicPartition, Long> end = endOffsets(bootstrap, topic);
        long bytes = 0;
        int records = 0;
        long[] arrivals = new long[Math.toIntExact(n)];
        double cpuBefore = processCpuSeconds();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                TopicReader.committedReader(bootstrap, Map.of()), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(end.keySet());
            consumer.seekToBeginning(end.keySet());
            while (records < n) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                long arrived = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    bytes += r.value().length;
                    arrivals[records++] = arrived;
                }
            }
        }
        double rate = steadyRate(arrivals);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("examples_per_s", rate);
        figures.put("mb_per_s", rate * bytes / records / 1e6);
        figures.put("seconds", steadyCount(records) / rate);
        figures.put("examples_per_s_from_first", perSecond(records, (arrivals[records - 1] - arrivals[0]) / 1e6));
        putCpu(figures, processCpuSeconds() - cpuBefore, records);
        figures.put("value_bytes", bytes);
        return figures;
    }

    /**
     * The steady rate of records that arrived at {@code arrivalNanos} (in order): those from the {@link #STEADY_FROM}
     * mark on, over the window from its arrival to the last one's.
     */
    static double steadyRate(long[] arrivalNanos) {
        int from = steadyIndex(arrivalNanos.length);
        return perSecond(steadyCount(arrivalNanos.length),
                (arrivalNanos[arrivalNanos.length - 1] - arrivalNanos[from]) / 1e6);
    }

    /**
     * The index of the record or prediction that opens the steady window: the {@code n/4}-th, or the last one when
     * there are too few for a window after it.
     */
    static int steadyIndex(long count) {
        if (count == 0) {
            throw new IllegalStateException("no record or prediction was counted");
        }
        return (int) Math.min(count - 1, (long) Math.ceil(count * STEADY_FROM));
    }

    /** Records or predictions in the steady window: from {@link #steadyIndex} on, so at least one. */
    static long steadyCount(long count) {
        return count - steadyIndex(count);
    }

    /**
     * {@code examples} per second over a window of {@code windowMs}. A window shorter than {@link #MIN_WINDOW_MS}
     * (a run too short to have a steady part, or a window that ends before it begins) counts as that, so a rate is
     * always positive and finite; on such a run it only says the examples took at most a millisecond.
     */
    static double perSecond(long examples, double windowMs) {
        return examples / (Math.max(windowMs, MIN_WINDOW_MS) / 1e3);
    }

    // ---- train ------------------------------------------------------------------------------------------------

    /** A train line's figures, and its last snapshot's key and value (the serve line serves it). */
    record TrainRun(Map<String, Object> figures, byte[][] finalSnapshot) {}

    private TrainRun runTrain(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink, String examplesTopic, Line line)
            throws Exception {
        checkSpec(line);
        String bootstrap = kafka.bootstrapServers();
        if (line.childBlas() != null) {
            for (int run = 0; run < options.runs(); run++) {
                createOutputTopics(kafka, boundedTrainSettings(bootstrap, examplesTopic, line, runPrefix(line, run)));
            }
            createWarmupTopics(kafka, examplesTopic, line.topicPrefix());
            Map<String, Object> figures = runInChildJvm(bootstrap, examplesTopic, line);
            // The child's CPU time leaves out the broker, which runs here; so it is not comparable with the others.
            figures.put("cpu_us_per_example_child_jvm", figures.remove("cpu_us_per_example"));
            figures.put("cpu_seconds_child_jvm", figures.remove("cpu_seconds"));
            return new TrainRun(figures, null);
        }
        return measureTrainUntilSettled(bootstrap, settings -> createOutputTopics(kafka, settings), flink,
                examplesTopic, line, options.examples(), options.minRuns(), options.runs());
    }

    /**
     * Runs a train line until it settles, each run with its own output topics (which {@code createTopics} makes),
     * and returns its last run with every run's rate.
     */
    static TrainRun measureTrainUntilSettled(String bootstrap, Consumer<TrainSettings> createTopics,
            LocalFlinkCluster flink, String examplesTopic, Line line, long n, int minRuns, int maxRuns)
            throws Exception {
        List<TrainRun> runs = untilSettled(minRuns, maxRuns, r -> EXAMPLES_PER_S.applyAsDouble(r.figures()), run -> {
            TrainSettings settings = boundedTrainSettings(bootstrap, examplesTopic, line, runPrefix(line, run));
            createTopics.accept(settings);
            return measureTrain(settings, flink, n, line);
        });
        TrainRun chosen = representative(runs, r -> EXAMPLES_PER_S.applyAsDouble(r.figures()));
        describeRuns(chosen.figures(), runs.stream().map(TrainRun::figures).toList());
        return chosen;
    }

    /** The topics and group of a line's run: the line's prefix for the first, then numbered. */
    static String runPrefix(Line line, int run) {
        return run == 0 ? line.topicPrefix() : line.topicPrefix() + "-run" + run;
    }

    /** How many times to run and when to stop: a run returns its result, whose rate decides. */
    @FunctionalInterface
    interface Measurement<R> {
        R run(int index) throws Exception;
    }

    static final ToDoubleFunction<Map<String, Object>> EXAMPLES_PER_S =
            figures -> ((Number) figures.get("examples_per_s")).doubleValue();

    /**
     * Runs {@code measure} at least {@code minRuns} and at most {@code maxRuns} times, until two runs in a row have
     * rates within {@link #SETTLED} of each other; every run's result, in order.
     */
    static <R> List<R> untilSettled(int minRuns, int maxRuns, ToDoubleFunction<R> rate, Measurement<R> measure)
            throws Exception {
        List<R> results = new ArrayList<>();
        double previous = Double.NaN;
        for (int run = 0; run < maxRuns; run++) {
            R result = measure.run(run);
            results.add(result);
            double current = rate.applyAsDouble(result);
            if (results.size() >= minRuns && Math.abs(current - previous) <= SETTLED * previous) {
                break;
            }
            previous = current;
        }
        return results;
    }

    /** The {@link #representative} run's figures, with every run's rate and whether the line settled. */
    static Map<String, Object> last(List<Map<String, Object>> runs) {
        Map<String, Object> chosen = representative(runs, EXAMPLES_PER_S);
        describeRuns(chosen, runs);
        return chosen;
    }

    /**
     * The run a line reports: the one with the median rate among the warm runs (every run but the first, when there
     * are more; the lower of the two middle ones for an even count). A median, not the last run, so that one run
     * that another process slowed or that came out fast by chance does not become the line's figure.
     */
    static <R> R representative(List<R> runs, ToDoubleFunction<R> rate) {
        List<R> warm = runs.size() > 1 ? runs.subList(1, runs.size()) : runs;
        List<R> sorted = warm.stream().sorted(Comparator.comparingDouble(rate)).toList();
        return sorted.get((sorted.size() - 1) / 2);
    }

    private static void describeRuns(Map<String, Object> chosen, List<Map<String, Object>> runs) {
        List<Double> rates = runs.stream().map(EXAMPLES_PER_S::applyAsDouble).toList();
        chosen.put("runs_examples_per_s", rates);
        int n = rates.size();
        chosen.put("settled", n >= 2 && Math.abs(rates.get(n - 1) - rates.get(n - 2)) <= SETTLED * rates.get(n - 2));
    }

    /** Skips a line whose spec this build cannot parse (the Dawid-Skene line until ModelSpec knows labelModel). */
    private static void checkSpec(Line line) throws LineSkipped {
        try {
            LabelModels.check(ModelSpec.parse(line.spec()));
        } catch (IllegalArgumentException e) {
            throw new LineSkipped("this build cannot parse the line's spec " + line.spec() + ": " + e.getMessage());
        }
    }

    /** A measured train run: bounded, with the production checkpoint interval, topics and group named by prefix. */
    static TrainSettings boundedTrainSettings(String bootstrap, String examplesTopic, Line line, String prefix) {
        return trainSettings(bootstrap, examplesTopic, line, prefix).bounded(true)
                .checkpointIntervalMs(CHECKPOINT_INTERVAL_MS);
    }

    static TrainSettings trainSettings(String bootstrap, String examplesTopic, Line line, String prefix) {
        return new TrainSettings()
                .bootstrapServers(bootstrap)
                .groupId(prefix)
                .examplesTopic(new Topic<>(examplesTopic, Example.class, WireFormat.AVRO))
                .predictionsTopic(new Topic<>(prefix + "-predictions", Prediction.class, WireFormat.AVRO))
                .modelsTopic(new Topic<>(prefix + "-models", ModelSnapshot.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>(prefix + "-dead-letters", DeadLetter.class, WireFormat.AVRO))
                .annotatorsTopic(new Topic<>(prefix + "-annotators", AnnotatorModel.class, WireFormat.AVRO))
                .specs(TaskSpecs.ofDefault(line.spec()))
                .exactlyOnce(false)
                .parallelism(line.parallelism());
    }

    /**
     * Runs the bounded train job and times it from its first prediction to the arrival of a snapshot that has
     * seen all {@code n} examples (or, if none ever does, the last snapshot: {@code all_examples_seen} false).
     */
    static TrainRun measureTrain(TrainSettings settings, LocalFlinkCluster flink, long n, Line line)
            throws Exception {
        String bootstrap = settings.bootstrapServers();
        PredictionClock predictions = new PredictionClock(settings.predictionsTopic().codec(), n);
        SnapshotWatch snapshots = new SnapshotWatch(settings.modelsTopic().codec(), n);
        try (Follower m = new Follower(bootstrap, settings.modelsTopic().name(), snapshots::accept)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobRun run = runToEnd(flink, env, "chorus-train (e2e " + line.key() + ")");
            snapshots.awaitFinal(PATIENCE);
            double cpu = processCpuSeconds() - run.cpuAtSubmit();
            // Read after the run, so that decoding N predictions does not take CPU from the job it times.
            readAll(bootstrap, settings.predictionsTopic().name(), predictions);

            ModelSnapshot last = snapshots.last();
            if (last == null) {
                throw new IllegalStateException(line.key() + ": the train job published no model snapshot");
            }
            Map<String, Object> figures = rateFigures(predictions, snapshots.finalArrival(), n, run, cpu);
            figures.put("examples_seen", snapshots.examplesSeen());
            figures.put("all_examples_seen", snapshots.examplesSeen() == n);
            if (line.tasks() > 1) {
                figures.put("examples_seen_by_task", snapshots.examplesSeenByTask());
            }
            figures.put("model_version", last.getVersion());
            figures.put("snapshot_bytes", snapshots.lastValue().length);
            figures.put("snapshots", snapshots.count());
            figures.put("predictions", predictions.count());
            figures.put("dead_letters", total(endOffsets(bootstrap, settings.deadLetterTopic().name())));
            figures.put("parallelism", line.parallelism());
            figures.put("tasks", line.tasks());
            figures.put("training_subtasks", Math.min(line.tasks(), line.parallelism()));
            figures.put("blas_backend", Blas.get().backend().name());
            return new TrainRun(figures, new byte[][] {snapshots.lastKey(), snapshots.lastValue()});
        }
    }

    /** Runs the {@link #WARMUP} line until its rate settles; the figures of the first, cold run, and every rate. */
    static Map<String, Object> warmUp(String bootstrap, LocalFlinkCluster flink, String examplesTopic, long n,
            String prefix) throws Exception {
        List<Map<String, Object>> runs = untilSettled(WARMUP_MIN_RUNS, WARMUP_MAX_RUNS, EXAMPLES_PER_S,
                run -> measureTrain(warmupSettings(bootstrap, examplesTopic, prefix, run), flink, n, WARMUP).figures());
        Map<String, Object> cold = runs.get(0);
        cold.put("runs_examples_per_s", runs.stream().map(r -> r.get("examples_per_s")).toList());
        return cold;
    }

    private static String warmupRates(Map<String, Object> warmup) {
        return ((List<?>) warmup.get("runs_examples_per_s")).stream()
                .map(r -> String.format(Locale.ROOT, "%,.0f", ((Number) r).doubleValue()))
                .collect(Collectors.joining(", ", "[", "] examples/s"));
    }

    private static TrainSettings warmupSettings(String bootstrap, String examplesTopic, String prefix, int run) {
        return boundedTrainSettings(bootstrap, examplesTopic, WARMUP, prefix + "-warmup-" + run);
    }

    private static void createWarmupTopics(EmbeddedKafkaBroker kafka, String examplesTopic, String prefix) {
        for (int run = 0; run < WARMUP_MAX_RUNS; run++) {
            createOutputTopics(kafka, warmupSettings(kafka.bootstrapServers(), examplesTopic, prefix, run));
        }
    }

    /** A bounded job that ran to its end: when it was submitted and finished, and this JVM's CPU time at submission. */
    record JobRun(long submitted, long finished, double cpuAtSubmit) {}

    /** Submits the job defined on {@code env}, without restarts, and waits for its end; throws if it failed. */
    static JobRun runToEnd(LocalFlinkCluster flink, StreamExecutionEnvironment env, String name) throws Exception {
        env.configure(noRestarts());
        double cpu = processCpuSeconds();
        long submitted = System.currentTimeMillis();
        flink.await(flink.submit(env, name));
        return new JobRun(submitted, System.currentTimeMillis(), cpu);
    }

    /** A job that fails here should fail its line, not restart forever (the default with checkpointing). */
    private static Configuration noRestarts() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return conf;
    }

    private static void createOutputTopics(EmbeddedKafkaBroker kafka, JobSettings<?> settings) {
        List<NewTopic> topics = ChorusTopic.newTopics(settings, role -> role.isData() ? PARTITIONS : 1,
                role -> role == ChorusTopic.PREDICTIONS ? LatencyBenchmark.LOG_APPEND_TIME : Map.of());
        // fill() has created the examples topic already.
        topics.removeIf(t -> t.name().equals(settings.examplesTopic().name()));
        kafka.createTopics(topics);
    }

    // ---- serve ------------------------------------------------------------------------------------------------

    /**
     * Serves every example with the last softmax model a train line of this run published, and times it from
     * the first prediction until a consumer has counted N.
     */
    private Map<String, Object> runServe(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink, Topic<Example> examples,
            Line line, byte[][] model, int runIndex) throws Exception {
        if (model == null) {
            throw new LineSkipped("no softmax train line ran before it to make the model it serves "
                    + "(add softmax.p1 to --lines)");
        }
        String prefix = runPrefix(line, runIndex);
        int n = options.examples();
        ServeSettings settings = new ServeSettings()
                .bootstrapServers(kafka.bootstrapServers())
                .groupId(prefix)
                .examplesTopic(examples)
                .predictionsTopic(new Topic<>(prefix + "-predictions", Prediction.class, WireFormat.AVRO))
                .modelsTopic(new Topic<>(prefix + "-models", ModelSnapshot.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>(prefix + "-dead-letters", DeadLetter.class, WireFormat.AVRO))
                .exactlyOnce(false)
                .checkpointIntervalMs(CHECKPOINT_INTERVAL_MS)
                .bounded(true)
                // Examples read before the model arrives wait for it instead of becoming dead letters.
                .maxWaitingPerTask(n)
                .parallelism(line.parallelism());
        createOutputTopics(kafka, settings);
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            producer.sendRaw(settings.modelsTopic().name(), new String(model[0], StandardCharsets.UTF_8),
                    model[1]).get(30, TimeUnit.SECONDS);
        }
        PredictionClock predictions = new PredictionClock(settings.predictionsTopic().codec(), n);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(env, settings);
        JobRun run = runToEnd(flink, env, "chorus-serve (e2e " + line.key() + ")");
        double cpu = processCpuSeconds() - run.cpuAtSubmit();
        // Read after the run (see measureTrain); the broker stamped each prediction when it appended it.
        readAll(kafka.bootstrapServers(), settings.predictionsTopic().name(), predictions);
        Map<String, Object> figures = rateFigures(predictions, predictions.lastAppendedAt(), n, run, cpu);
        figures.put("predictions", predictions.count());
        figures.put("dead_letters", total(endOffsets(kafka.bootstrapServers(), settings.deadLetterTopic().name())));
        figures.put("model", "softmax, the final snapshot of the last softmax train line");
        figures.put("parallelism", line.parallelism());
        figures.put("blas_backend", Blas.get().backend().name());
        return figures;
    }

    // ---- checkpoints ------------------------------------------------------------------------------------------

    /**
     * Runs the train job unbounded, checkpointing every second, until {@value #CHECKPOINTS_MEASURED} checkpoints
     * triggered after its first prediction (so with the model in its state) completed, then reads their
     * durations and sizes from Flink's REST API.
     */
    private Map<String, Object> runCheckpoints(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink,
            String examplesTopic, Line line) throws Exception {
        TrainSettings settings = trainSettings(kafka.bootstrapServers(), examplesTopic, line, line.topicPrefix())
                .checkpointIntervalMs(CHECKPOINT_LINE_INTERVAL_MS);
        createOutputTopics(kafka, settings);
        long n = options.examples();
        PredictionClock predictions = new PredictionClock(settings.predictionsTopic().codec(), n);
        Map<Long, JsonNode> completed = new TreeMap<>();
        try (Follower p = new Follower(kafka.bootstrapServers(), settings.predictionsTopic().name(),
                predictions::accept)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            env.configure(noRestarts());
            JobID job = flink.submit(env, "chorus-train (e2e " + line.key() + ")");
            try {
                long deadline = System.nanoTime() + PATIENCE.toNanos();
                while (completed.size() < CHECKPOINTS_MEASURED && System.nanoTime() < deadline) {
                    Thread.sleep(200); // polling interval of the REST API; checkpoints come every second
                    // Before its first prediction the job may still be starting, and its statistics not served yet.
                    long firstPrediction = predictions.firstProducedAtOrZero();
                    if (firstPrediction == 0) {
                        continue;
                    }
                    for (JsonNode c : flink.checkpointStatistics(job).path("history")) {
                        if ("COMPLETED".equals(c.path("status").asText()) && !c.path("is_savepoint").asBoolean()
                                && c.path("trigger_timestamp").asLong() > firstPrediction) {
                            completed.put(c.path("id").asLong(), c);
                        }
                    }
                }
            } finally {
                flink.cancel(job);
            }
        }
        if (completed.size() < CHECKPOINTS_MEASURED) {
            throw new IllegalStateException(line.key() + ": only " + completed.size() + " checkpoints completed within "
                    + PATIENCE);
        }
        List<JsonNode> measured = new ArrayList<>(completed.values()).subList(0, CHECKPOINTS_MEASURED);
        long trainingEnded = predictions.countReachedAt();
        long[] durations = measured.stream().mapToLong(c -> c.path("end_to_end_duration").asLong()).sorted().toArray();
        long[] sizes = measured.stream().mapToLong(c -> c.path("state_size").asLong()).sorted().toArray();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("params", parameterCount(ModelSpec.parse(line.spec())));
        figures.put("checkpoints", measured.size());
        figures.put("checkpoints_while_training", measured.stream()
                .filter(c -> trainingEnded == 0 || c.path("trigger_timestamp").asLong() < trainingEnded).count());
        figures.put("duration_ms_median", median(durations));
        figures.put("duration_ms_max", durations[durations.length - 1]);
        figures.put("size_bytes", sizes[sizes.length - 1]);
        figures.put("size_bytes_median", median(sizes));
        figures.put("checkpoint_interval_ms", CHECKPOINT_LINE_INTERVAL_MS);
        return figures;
    }

    /** Weights and biases of the dense layers: 7,850 for softmax regression on 784 inputs, 203,530 for MLP-256. */
    static long parameterCount(ModelSpec spec) {
        long params = 0;
        int in = spec.inputDim();
        for (HiddenLayerSpec layer : spec.layers()) {
            params += (long) in * layer.units() + layer.units();
            in = layer.units();
        }
        return params + (long) in * spec.numClasses() + spec.numClasses();
    }

    private static double median(long[] sorted) {
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }

    // ---- peer -------------------------------------------------------------------------------------------------

    /** scikit-learn's SGDClassifier(log_loss) partial_fit, one pass over the training split in memory. */
    private Map<String, Object> runPeer() throws LineSkipped {
        if (options.sklearnPeer() == null) {
            throw new LineSkipped("no scikit-learn peer script (cli/src/main/python/sklearn_peer.py) beside this build");
        }
        if (!Files.isReadable(FashionMnist.DEBIAN_DIR.resolve("train-images-idx3-ubyte.gz"))) {
            throw new LineSkipped("the peer trains on the Fashion-MNIST training split in " + FashionMnist.DEBIAN_DIR
                    + " (Debian's dataset-fashion-mnist), which is not installed");
        }
        String python = SklearnPeer.findPython(SklearnPeer.PYTHONS).orElseThrow(
                () -> new LineSkipped(SklearnPeer.noPythonReason(SklearnPeer.PYTHONS)));
        Map<String, Object> peer = SklearnPeer.run(python, options.sklearnPeer(), List.of("--data-dir",
                FashionMnist.DEBIAN_DIR.toString(), "--batch-size", "128", "--seed", "42", "--models", "sklearn_sgd_log"));
        if (peer.containsKey(SklearnPeer.UNAVAILABLE)) {
            throw new LineSkipped(peer.get(SklearnPeer.UNAVAILABLE).toString());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> figures = new LinkedHashMap<>((Map<String, Object>) peer.get("sklearn_sgd_log"));
        figures.put("sklearn_version", peer.get("sklearn_version"));
        figures.put("python", python);
        figures.put("examples", peer.get("train_examples"));
        return figures;
    }

    // ---- child JVM --------------------------------------------------------------------------------------------

    /** System properties the child JVM takes from this one: logging set-up. */
    private static final List<String> INHERITED_PROPERTIES = List.of("log4j2.configurationFile",
            "java.util.logging.manager", "chorus.log.dir");

    /**
     * Runs a train line in a child JVM on the line's BLAS backend ({@code -Dchorus.blas}), with this JVM's class
     * path and module flags, against the same broker; the child writes its figures to a JSON file.
     */
    private Map<String, Object> runInChildJvm(String bootstrap, String examplesTopic, Line line) throws Exception {
        Path out = Files.createTempFile("chorus-e2e-" + line.topicPrefix(), ".json");
        try {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(moduleFlags(ManagementFactory.getRuntimeMXBean().getInputArguments()));
            for (String property : INHERITED_PROPERTIES) {
                if (System.getProperty(property) != null) {
                    command.add("-D" + property + "=" + System.getProperty(property));
                }
            }
            command.add("-D" + Blas.BACKEND_PROPERTY + "=" + line.childBlas().key());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), E2eBenchmark.class.getName(),
                    line.key(), bootstrap, examplesTopic, String.valueOf(options.examples()),
                    String.valueOf(options.runs()), out.toString()));
            log.accept(line.key() + ": in a child JVM with -D" + Blas.BACKEND_PROPERTY + "=" + line.childBlas().key());
            Process child = new ProcessBuilder(command).inheritIO().start();
            if (!child.waitFor(PATIENCE.toMinutes() * 2, TimeUnit.MINUTES)) {
                child.destroyForcibly();
                throw new IllegalStateException(line.key() + ": the child JVM did not finish within "
                        + PATIENCE.multipliedBy(2));
            }
            if (child.exitValue() != 0) {
                throw new IllegalStateException(line.key() + ": the child JVM exited with " + child.exitValue()
                        + " (its error is above, its log in the log directory)");
            }
            return JSON.readValue(out.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The {@code --add-opens}, {@code --add-exports} and {@code --add-modules} flags among {@code jvmArgs}. */
    static List<String> moduleFlags(List<String> jvmArgs) {
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < jvmArgs.size(); i++) {
            String arg = jvmArgs.get(i);
            for (String flag : List.of("--add-opens", "--add-exports", "--add-modules")) {
                if (arg.startsWith(flag + "=")) {
                    flags.add(arg);
                } else if (arg.equals(flag) && i + 1 < jvmArgs.size()) {
                    flags.add(arg);
                    flags.add(jvmArgs.get(++i));
                }
            }
        }
        return flags;
    }

    /**
     * The child JVM's entry point (internal): {@code LINE BOOTSTRAP EXAMPLES_TOPIC N OUT_JSON}. Runs one train
     * line, whose topics the parent created, on its own MiniCluster and writes the line's figures to OUT_JSON.
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage (internal, started by chorus bench e2e): E2eBenchmark LINE BOOTSTRAP "
                    + "EXAMPLES_TOPIC N RUNS OUT_JSON");
            System.exit(2);
        }
        Line line = LINES.stream().filter(l -> l.key().equals(args[0])).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown line " + args[0]));
        long n = Long.parseLong(args[3]);
        int runs = Integer.parseInt(args[4]);
        Map<String, Object> figures;
        try (LocalFlinkCluster flink = LocalFlinkCluster.start(2, 0)) {
            Map<String, Object> cold = warmUp(args[1], flink, args[2], n, line.topicPrefix());
            // The parent made every run's topics.
            figures = measureTrainUntilSettled(args[1], settings -> { }, flink, args[2], line, n,
                    Math.min(LINE_MIN_RUNS, runs), runs).figures();
            figures.put("cold_jvm_examples_per_s", cold.get("examples_per_s"));
            figures.put("warmup_runs_examples_per_s", cold.get("runs_examples_per_s"));
        }
        JSON.writeValue(Path.of(args[5]).toFile(), figures);
        System.exit(0);
    }

    // ---- followers --------------------------------------------------------------------------------------------

    /** Follows a topic from its beginning in a thread of its own, handing every record to a sink. */
    static final class Follower implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Follower(String bootstrap, String topic, Consumer<ConsumerRecord<byte[], byte[]>> sink) {
            thread = new Thread(() -> TopicReader.followRecords(bootstrap, Map.of(), topic, sink,
                    () -> !running.get()), "e2e-follow-" + topic);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    /**
     * Counts predictions and notes when the first was made (the earliest {@code producedAt} among the first
     * record of each partition) and when the count reached the expected number.
     */
    static final class PredictionClock {
        private final RecordCodec<Prediction> codec;
        private final long expected;
        private final Map<Integer, Long> firstByPartition = new HashMap<>();
        private long count;
        private long reachedAt;
        private long lastAppendedAt;
        private long[] appendedAt = new long[1024];

        PredictionClock(RecordCodec<Prediction> codec, long expected) {
            this.codec = codec;
            this.expected = expected;
        }

        synchronized void accept(ConsumerRecord<byte[], byte[]> r) {
            if (!firstByPartition.containsKey(r.partition())) {
                firstByPartition.put(r.partition(), codec.decode(r.value()).getProducedAt());
            }
            lastAppendedAt = Math.max(lastAppendedAt, r.timestamp());
            if (count == appendedAt.length) {
                appendedAt = Arrays.copyOf(appendedAt, appendedAt.length * 2);
            }
            appendedAt[(int) count] = r.timestamp();
            if (++count == expected) {
                reachedAt = System.currentTimeMillis();
                notifyAll();
            }
        }

        synchronized void awaitCount(Duration patience) throws InterruptedException {
            long deadline = System.nanoTime() + patience.toNanos();
            while (count < expected) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("expected " + expected + " predictions, got " + count + " within "
                            + patience);
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }

        synchronized long firstProducedAt() {
            if (firstByPartition.isEmpty()) {
                throw new IllegalStateException("no prediction was made");
            }
            return firstByPartition.values().stream().mapToLong(Long::longValue).min().getAsLong();
        }

        synchronized long firstProducedAtOrZero() {
            return firstByPartition.isEmpty() ? 0 : firstProducedAt();
        }

        /**
         * The latest record timestamp: when the broker appended the last prediction, on a topic with
         * {@code message.timestamp.type=LogAppendTime} (as {@link #createOutputTopics} makes them).
         */
        synchronized long lastAppendedAt() {
            return lastAppendedAt;
        }

        /** When the broker appended the prediction that begins the steady window ({@link #STEADY_FROM}). */
        synchronized long steadyFrom() {
            long[] sorted = Arrays.copyOf(appendedAt, (int) count);
            Arrays.sort(sorted);
            return sorted[steadyIndex(count)];
        }

        /** Predictions in the steady window: those appended from {@link #steadyFrom()} on. */
        synchronized long steadyCount() {
            return E2eBenchmark.steadyCount(count);
        }

        /** When the count reached the expected number; 0 while it has not. */
        synchronized long countReachedAt() {
            return reachedAt;
        }

        synchronized long count() {
            return count;
        }
    }

    /**
     * Watches model snapshots for the moment the tasks' latest snapshots have seen every example between them, and
     * keeps the last one.
     */
    static final class SnapshotWatch {
        private final RecordCodec<ModelSnapshot> codec;
        private final long expected;
        private final Map<String, Long> examplesSeenByTask = new HashMap<>();
        private ModelSnapshot last;
        private byte[] lastKey;
        private byte[] lastValue;
        private long finalArrival;
        private long lastArrival;
        private int count;

        SnapshotWatch(RecordCodec<ModelSnapshot> codec, long expected) {
            this.codec = codec;
            this.expected = expected;
        }

        synchronized void accept(ConsumerRecord<byte[], byte[]> r) {
            long now = System.currentTimeMillis();
            last = codec.decode(r.value());
            lastKey = r.key();
            lastValue = r.value();
            lastArrival = now;
            count++;
            examplesSeenByTask.put(last.getTask(), last.getExamplesSeen());
            if (finalArrival == 0 && examplesSeen() >= expected) {
                finalArrival = now;
                notifyAll();
            }
        }

        /** Examples seen by the latest snapshot of each task, summed. */
        synchronized long examplesSeen() {
            return examplesSeenByTask.values().stream().mapToLong(Long::longValue).sum();
        }

        synchronized Map<String, Long> examplesSeenByTask() {
            return new TreeMap<>(examplesSeenByTask);
        }

        /**
         * Waits for a snapshot that has seen every example; after the bounded job ended that one is on its way, so
         * a few quiet seconds without it mean it will not come (a label model may count examples differently).
         */
        synchronized void awaitFinal(Duration patience) throws InterruptedException {
            long deadline = System.nanoTime() + patience.toNanos();
            long quietSince = System.nanoTime();
            int seen = count;
            while (finalArrival == 0 && System.nanoTime() < deadline) {
                if (count != seen) {
                    seen = count;
                    quietSince = System.nanoTime();
                } else if (last != null && System.nanoTime() - quietSince > TimeUnit.SECONDS.toNanos(10)) {
                    return;
                }
                wait(100);
            }
        }

        synchronized ModelSnapshot last() {
            return last;
        }

        synchronized byte[] lastKey() {
            return lastKey;
        }

        synchronized byte[] lastValue() {
            return lastValue;
        }

        /** When the snapshot that saw every example arrived, else when the last one did. */
        synchronized long finalArrival() {
            return finalArrival != 0 ? finalArrival : lastArrival;
        }

        synchronized int count() {
            return count;
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /**
     * A job run's rate figures: the steady rate from {@link PredictionClock#steadyFrom()} to {@code end} (see
     * {@link #perSecond} for a window too short to measure), the rate from its first prediction, its wall time, and
     * its CPU per example.
     */
    static Map<String, Object> rateFigures(PredictionClock predictions, long end, long n, JobRun run, double cpu) {
        long start = predictions.steadyFrom();
        // A train line ends with its final snapshot's arrival, which on a short at-least-once run can come before
        // the predictions' own producer has appended them; the line's work ends no earlier than that append.
        long last = Math.max(end, predictions.lastAppendedAt());
        double windowMs = Math.max(last - start, MIN_WINDOW_MS);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("examples_per_s", perSecond(predictions.steadyCount(), windowMs));
        figures.put("seconds", windowMs / 1e3);
        figures.put("examples_per_s_from_first", perSecond(n, last - predictions.firstProducedAt()));
        figures.put("job_seconds", (run.finished() - run.submitted()) / 1e3);
        putCpu(figures, cpu, n);
        return figures;
    }

    /** Reads {@code topic} from the beginning into {@code predictions} until it has counted the expected number. */
    static void readAll(String bootstrap, String topic, PredictionClock predictions) throws InterruptedException {
        try (Follower p = new Follower(bootstrap, topic, predictions::accept)) {
            predictions.awaitCount(PATIENCE);
        }
    }

    static Map<TopicPartition, Long> endOffsets(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                TopicReader.committedReader(bootstrap, Map.of()), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return consumer.endOffsets(partitions);
        }
    }

    private static long total(Map<TopicPartition, Long> offsets) {
        return offsets.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * CPU time of this JVM so far: the broker, the MiniCluster's jobs and the benchmark's own consumers, which all
     * share the machine's cores; per example it is a cost that the machine's other load changes far less than
     * the throughput.
     */
    static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    private static void putCpu(Map<String, Object> figures, double cpuSeconds, long examples) {
        figures.put("cpu_seconds", cpuSeconds);
        figures.put("cpu_us_per_example", cpuSeconds * 1e6 / examples);
    }

    /** The system load average over the last minute, as {@code uptime} shows it. */
    static double loadAverage() {
        return Math.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100) / 100.0;
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

    private static String summary(Line line, Map<String, Object> figures) {
        if (figures.containsKey("skipped")) {
            return String.format(Locale.ROOT, "%-24s skipped: %s", line.key(), figures.get("skipped"));
        }
        if (line.kind() == Kind.CHECKPOINT) {
            return String.format(Locale.ROOT, "%-24s %,d params: checkpoint median %s ms, max %s ms, state %,d bytes "
                    + "(%d checkpoints, %d while training)", line.key(), figures.get("params"),
                    figures.get("duration_ms_median"), figures.get("duration_ms_max"), figures.get("size_bytes"),
                    figures.get("checkpoints"), figures.get("checkpoints_while_training"));
        }
        return String.format(Locale.ROOT, "%-24s %,12.0f examples/s, %.3f of raw (%s)", line.key(),
                ((Number) figures.get("examples_per_s")).doubleValue(),
                ((Number) figures.get("ratio_to_raw")).doubleValue(), line.description());
    }

    /** The table of every line that measured a rate: examples/s and ratio to the raw-consume ceiling. */
    public static String table(Map<String, Object> results) {
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%-24s %14s %14s %10s %12s  %s%n", "line",
                "examples/s", "ratio to raw", "seconds", "CPU µs/ex", "what"));
        appendRow(table, "raw_consume", at(results, "raw_consume"), "plain KafkaConsumer<byte[], byte[]>: the ceiling");
        appendRow(table, WARMUP.key(), at(results, WARMUP.key()), WARMUP.description());
        for (Line line : LINES) {
            if (line.kind() != Kind.CHECKPOINT) {
                appendRow(table, line.key(), at(results, line.key()), line.description());
            }
        }
        return table.toString();
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
