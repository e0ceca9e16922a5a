package dev.chorus.cli.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.core.features.HashingSpec;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.features.SyntheticClicks;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code chorus bench sparse --checkpoints} (issue 17): checkpoint size and duration of the train job with one hashed
 * FTRL logistic task (or, {@code --lines wide_deep}, a wide and deep one: {@link Task}), on an embedded broker and a
 * MiniCluster, per dimension and state backend. The examples topic
 * is first filled with {@link SyntheticClicks} (user, ad, site and words crossed, so that new rows keep coming)
 * until a stated number of distinct hashed rows are touched; the job trains on all of them, then more clicks trickle
 * in at a steady rate ({@value #TRICKLE_PER_S}/s by default) while the next checkpoints are measured from Flink's
 * REST API ({@link CheckpointLine#completedAfter}). The heap backend writes full checkpoints (the jobs' backend,
 * {@code deploy/flink/config.yaml}); RocksDB writes incremental ones, whose uploaded part is
 * {@code checkpointed_bytes}.
 */
public final class SparseCheckpointLine {

    public static final List<Integer> BITS = List.of(20, 24);
    public static final int ROWS = 200_000;
    public static final int CHECKPOINTS = 5;
    /** Longer than a checkpoint of the largest model takes here, so that checkpoints do not queue. */
    static final long INTERVAL_MS = 2_000;
    public static final int TRICKLE_PER_S = 200;
    /** Training on the clicks before measuring: at 2^24 on a loaded 2-core machine, 200,000 rows took over 5 min. */
    static final Duration TRAIN_PATIENCE = Duration.ofMinutes(30);
    static final int BATCH_SIZE = 32;
    static final long SEED = 42;
    static final String TASK = "clicks";
    static final List<List<String>> INTERACTIONS = List.of(List.of("user", "ad"), List.of("user", "site"),
            List.of("user", "words"), List.of("ad", "words"));

    /**
     * The state backends measured: the heap (full checkpoints), RocksDB (incremental checkpoints), and RocksDB with the
     * hashed model's rows apart ({@code --hashed-state rows}).
     */
    public enum Backend {
        HASHMAP("hashmap", "hashmap", false, TrainSettings.HashedState.VALUE),
        ROCKSDB("rocksdb", "rocksdb", true, TrainSettings.HashedState.VALUE),
        ROCKSDB_ROWS("rocksdb-rows", "rocksdb", true, TrainSettings.HashedState.ROWS);

        final String name;
        final String type;
        final boolean incremental;
        final TrainSettings.HashedState layout;

        Backend(String name, String type, boolean incremental, TrainSettings.HashedState layout) {
            this.name = name;
            this.type = type;
            this.incremental = incremental;
            this.layout = layout;
        }

        String key() {
            return (incremental ? type + "_incremental" : type)
                    + (layout == TrainSettings.HashedState.ROWS ? "_rows" : "");
        }

        /** The backend named {@code name} ({@code hashmap}, {@code rocksdb} or {@code rocksdb-rows}). */
        public static Backend of(String name) {
            for (Backend b : values()) {
                if (b.name.equals(name)) {
                    return b;
                }
            }
            throw new IllegalArgumentException("--checkpoint-backends: expected hashmap, rocksdb or rocksdb-rows, got \""
                    + name + "\"");
        }
    }

    /**
     * The task trained, named as {@code bench sparse}'s end-to-end lines ({@code --lines}): a hashed FTRL logistic
     * regression, or wide and deep with the same wide part, user and ad embedded (8 wide, 2^16 buckets each) under one
     * ReLU layer of 16, Adam: its rows apart are the wide part's and the tables'.
     */
    public enum Task {
        HASHED_LOGISTIC("hashed_logistic", "checkpoint"),
        WIDE_DEEP("wide_deep", "checkpoint_wide_deep");

        final String line;
        final String key;

        Task(String line, String key) {
            this.line = line;
            this.key = key;
        }

        /** The tasks {@code --lines} names: the hashed logistic one when it names none. */
        public static List<Task> of(List<String> lines) {
            if (lines.isEmpty()) {
                return List.of(HASHED_LOGISTIC);
            }
            return lines.stream().map(name -> java.util.Arrays.stream(values()).filter(t -> t.line.equals(name))
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("--lines with --checkpoints: expected "
                            + "hashed_logistic or wide_deep, got \"" + name + "\""))).distinct().toList();
        }
    }

    /**
     * @param bits hashed dimensions, as powers of two
     * @param rows distinct hashed rows the clicks touch before the measured checkpoints
     * @param checkpoints completed checkpoints measured per dimension and backend
     * @param tricklePerS clicks a second sent while the checkpoints are measured
     * @param tasks the tasks trained, one after the other
     */
    public record Options(List<Integer> bits, int rows, int checkpoints, List<Backend> backends, int tricklePerS,
            List<Task> tasks) {
        public Options {
            for (int b : bits) {
                if (b < 1 || b > 24) {
                    throw new IllegalArgumentException("--checkpoint-bits: expected 1..24, got " + b);
                }
                if (rows > 1 << b) {
                    throw new IllegalArgumentException("--checkpoint-rows: expected at most 2^" + b + " = " + (1 << b)
                            + " rows at --checkpoint-bits " + b + ", got " + rows);
                }
            }
            if (rows < 1 || checkpoints < 1 || tricklePerS < 1) {
                throw new IllegalArgumentException("--checkpoint-rows, --checkpoint-count and --checkpoint-trickle: "
                        + "expected at least 1, got " + rows + ", " + checkpoints + " and " + tricklePerS);
            }
            bits = List.copyOf(bits);
            backends = List.copyOf(backends);
            tasks = List.copyOf(tasks);
        }
    }

    private SparseCheckpointLine() {}

    /**
     * {@code {"checkpoint": {"config": ..., "dims_2_20": {heap figures..., "rocksdb_incremental": {...}}, ...}}}:
     * the heap backend's figures at the top of each dimension, since that is the backend the jobs run on; the wide
     * and deep task's under {@code "checkpoint_wide_deep"}.
     */
    public static Map<String, Object> run(Options options, Consumer<String> log) throws Exception {
        Map<String, Object> tracks = new LinkedHashMap<>();
        for (Task task : options.tasks()) {
            tracks.put(task.key, run(task, options, log));
        }
        return tracks;
    }

    private static Map<String, Object> run(Task task, Options options, Consumer<String> log) throws Exception {
        Map<String, Object> track = new LinkedHashMap<>();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("rows", options.rows());
        config.put("checkpoints", options.checkpoints());
        config.put("checkpoint_interval_ms", INTERVAL_MS);
        config.put("trickle_clicks_per_s", options.tricklePerS());
        config.put("spec", spec(task, options.bits().get(0)));
        config.put("cores", Runtime.getRuntime().availableProcessors());
        config.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        track.put("config", config);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start();
                LocalFlinkCluster flink = LocalFlinkCluster.start(1, 0)) {
            for (int bits : options.bits()) {
                Map<String, Object> dims = new LinkedHashMap<>();
                for (Backend backend : options.backends()) {
                    Map<String, Object> figures = measure(kafka, flink, task, bits, backend, options);
                    log.accept(String.format(Locale.ROOT, "%s 2^%d %s: %,d rows touched by %,d clicks "
                            + "(%,.0f examples/s), state %,d bytes, uploaded %,d bytes, %,.0f ms (max %,d)", task.key, bits,
                            backend.key(), figures.get("rows_touched"), figures.get("clicks_before"),
                            figures.get("examples_per_s"), figures.get("bytes"), figures.get("checkpointed_bytes"),
                            figures.get("duration_ms"), figures.get("duration_ms_max")));
                    if (backend == Backend.HASHMAP) {
                        dims.putAll(figures);
                    } else {
                        dims.put(backend.key(), figures);
                    }
                }
                track.put("dims_2_" + bits, dims);
            }
        }
        return track;
    }

    /**
     * The task's spec: FTRL-Proximal logistic regression on the clicks' fields and crossings, 2^bits dimensions; for
     * {@link Task#WIDE_DEEP} that as its wide part.
     */
    static String spec(Task task, int bits) {
        String interactions = INTERACTIONS.stream().map(p -> "[\"" + p.get(0) + "\",\"" + p.get(1) + "\"]")
                .reduce((a, b) -> a + "," + b).orElseThrow();
        return "{\"algorithm\":\"" + (task == Task.WIDE_DEEP ? "wide-deep" : "logistic-regression")
                + "\",\"numClasses\":2,\"standardize\":false,\"batchSize\":"
                + BATCH_SIZE + ",\"hashing\":{\"bits\":" + bits + ",\"fields\":[\""
                + String.join("\",\"", SyntheticClicks.FIELDS) + "\"],\"interactions\":[" + interactions
                + "]},\"" + (task == Task.WIDE_DEEP ? "wideOptimizer" : "optimizer")
                + "\":{\"type\":\"ftrl\",\"alpha\":0.3,\"beta\":0.001,\"l1\":0,\"l2\":0}"
                + (task == Task.WIDE_DEEP ? WIDE_DEEP_PART : "") + "}";
    }

    /** What a wide and deep spec adds to the hashed one: the embeddings, the layer and the deep optimizer. */
    private static final String WIDE_DEEP_PART = ",\"embeddings\":{\"dim\":8,\"buckets\":65536,\"fields\":[\"user\","
            + "\"ad\"]},\"layers\":[{\"units\":16,\"activation\":\"relu\"}],"
            + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.01},\"seed\":" + SEED;

    private static Map<String, Object> measure(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink, Task task, int bits,
            Backend backend, Options options) throws Exception {
        String prefix = "sparse-checkpoint-" + task.line.replace('_', '-') + "-" + bits + "-" + backend.name;
        ModelSpec spec = ModelSpec.parse(spec(task, bits));
        Line line = new Line(prefix, Line.Kind.CHECKPOINT, spec.toJson(), 1, 1, null, "checkpoints of a " + task.line
                + " task");
        // Exactly once, as deployed: each checkpoint also commits the sinks' transactions.
        TrainSettings settings = TrainLine.settings(kafka.bootstrapServers(),
                new Topic<>(prefix + "-examples", Example.class, WireFormat.AVRO), line, prefix)
                .exactlyOnce(true)
                .checkpointIntervalMs(INTERVAL_MS)
                .hashedState(backend.layout);
        Topic<Example> examples = settings.examplesTopic();
        kafka.createTopics(List.of(ChorusTopic.EXAMPLES.newTopic(examples.name(), 1)));
        E2eTopics.createOutputTopics(kafka, settings);

        Predictions predictions = new Predictions(settings.predictionsTopic().codec());
        List<JsonNode> measured;
        long clicksBefore;
        long rowsTouched;
        long rowsTouchedAfter;
        long clicksAfter;
        long trainedAt;
        try (ClickFeed feed = new ClickFeed(kafka.bootstrapServers(), examples, spec.hashing());
                TopicFollower p = new TopicFollower(kafka.bootstrapServers(), settings.predictionsTopic().name(),
                        predictions::accept)) {
            clicksBefore = feed.untilTouched(options.rows());
            rowsTouched = feed.rowsTouched();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            Configuration conf = JobRun.noRestarts();
            conf.set(StateBackendOptions.STATE_BACKEND, backend.type);
            conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, backend.incremental);
            env.configure(conf);
            JobID job = flink.submit(env, "chorus-train (checkpoints 2^" + bits + " " + backend.key() + ")");
            try {
                trainedAt = predictions.awaitCount(clicksBefore, prefix);
                Thread trickle = new Thread(() -> feed.trickle(options.tricklePerS()), prefix + "-trickle");
                trickle.start();
                try {
                    measured = CheckpointLine.completedAfter(flink, job, () -> trainedAt, options.checkpoints(),
                            prefix);
                } finally {
                    feed.stop();
                    trickle.join();
                }
                clicksAfter = feed.sent();
                // The trickle has ended (joined): every row a measured checkpoint's model can hold is among these.
                rowsTouchedAfter = feed.rowsTouched();
            } finally {
                flink.cancel(job);
            }
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("rows_touched", rowsTouched);
        figures.put("rows_touched_after", rowsTouchedAfter);
        figures.put("clicks_before", clicksBefore);
        figures.put("examples_per_s", predictions.rate);
        figures.put("bytes", (long) CheckpointLine.median(sorted(measured, c -> c.path("state_size").asLong())));
        figures.put("bytes_max", max(measured, c -> c.path("state_size").asLong()));
        figures.put("checkpointed_bytes",
                (long) CheckpointLine.median(sorted(measured, c -> c.path("checkpointed_size").asLong())));
        figures.put("checkpointed_bytes_max", max(measured, c -> c.path("checkpointed_size").asLong()));
        figures.put("duration_ms",
                CheckpointLine.median(sorted(measured, c -> c.path("end_to_end_duration").asLong())));
        figures.put("duration_ms_max", max(measured, c -> c.path("end_to_end_duration").asLong()));
        figures.put("checkpoints", measured.size());
        figures.put("clicks_while_measuring", clicksAfter - clicksBefore);
        return figures;
    }

    private static long[] sorted(List<JsonNode> checkpoints, ToLongFunction<JsonNode> field) {
        return checkpoints.stream().mapToLong(field).sorted().toArray();
    }

    private static long max(List<JsonNode> checkpoints, ToLongFunction<JsonNode> field) {
        return checkpoints.stream().mapToLong(field).max().orElseThrow();
    }

    /** The seeded clicks, produced as named-field examples, with the distinct hashed rows they touch. */
    private static final class ClickFeed implements AutoCloseable {
        private final ExampleProducer producer;
        private final Topic<Example> topic;
        private final SyntheticClicks clicks;
        private final BitSet touched = new BitSet();
        private final AtomicBoolean trickling = new AtomicBoolean(true);
        private final AtomicLong sent = new AtomicLong();

        ClickFeed(String bootstrap, Topic<Example> topic, HashingSpec hashing) {
            this.producer = new ExampleProducer(bootstrap, Map.of());
            this.topic = topic;
            this.clicks = SyntheticClicks.seeded(SEED, hashing);
        }

        /** Sends clicks until they touched {@code rows} distinct rows; returns how many it sent. */
        long untilTouched(int rows) {
            while (touched.cardinality() < rows) {
                send();
            }
            producer.flush();
            return sent.get();
        }

        long rowsTouched() {
            return touched.cardinality();
        }

        /** Sends {@code perSecond} clicks a second until {@link #stop}. */
        void trickle(int perSecond) {
            long began = System.nanoTime();
            long first = sent.get();
            try {
                while (trickling.get()) {
                    long due = (System.nanoTime() - began) * perSecond / 1_000_000_000L;
                    while (sent.get() - first < due) {
                        send();
                    }
                    producer.flush();
                    Thread.sleep(50); // pacing: a few records every 50 ms is the trickle's rate
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void stop() {
            trickling.set(false);
        }

        @Override
        public void close() {
            producer.close();
        }

        long sent() {
            return sent.get();
        }

        private void send() {
            SyntheticClicks.Click click = clicks.next();
            SparseVector x = click.features();
            for (int index : x.indices()) {
                touched.set(index);
            }
            long i = sent.getAndIncrement();
            producer.send(topic, Example.newBuilder().setId("click-" + i).setTask(TASK)
                    .setFeatures(ByteBuffer.allocate(0)).setFields(click.fields()).setLabel(click.label())
                    .setEventTime(System.currentTimeMillis()).build());
        }
    }

    /** Counts the job's committed predictions and the job-side times of the first and last. */
    private static final class Predictions {
        private final RecordCodec<Prediction> codec;
        private long count;
        private long first = Long.MAX_VALUE;
        private long last;
        /** Examples per second between the first prediction and the one that completed {@link #awaitCount}. */
        double rate;

        Predictions(RecordCodec<Prediction> codec) {
            this.codec = codec;
        }

        synchronized void accept(org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> r) {
            long producedAt = codec.decode(r.value()).getProducedAt();
            first = Math.min(first, producedAt);
            last = Math.max(last, producedAt);
            count++;
            notifyAll();
        }

        /** Waits until {@code n} predictions are committed and returns when (this clock). */
        synchronized long awaitCount(long n, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TRAIN_PATIENCE.toNanos();
            while (count < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException(what + ": expected " + n + " predictions, got " + count
                            + " within " + TRAIN_PATIENCE);
                }
                wait(Math.max(1, left / 1_000_000));
            }
            rate = last > first ? (count - 1) * 1000.0 / (last - first) : 0;
            return System.currentTimeMillis();
        }
    }
}
