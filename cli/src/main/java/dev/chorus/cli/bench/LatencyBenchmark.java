package dev.chorus.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code chorus bench latency}: time from an example produced to its prediction consumed, through the serve
 * job on a real (in-process) Kafka broker and a Flink MiniCluster, in each delivery mode and at each rate, while
 * a new model version is published every second. Also checks that no prediction is lost or duplicated and that
 * versions never go backwards for the task.
 */
public final class LatencyBenchmark {

    static final int DIM = 784;
    static final int CLASSES = 10;
    static final String TASK = "latency";
    static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":784,\"numClasses\":10,\"batchSize\":32}";
    /** Exactly-once output is visible when the checkpoint that covers it completes. */
    static final long EXACTLY_ONCE_CHECKPOINT_MS = 200;
    /** On the predictions topic: a prediction's timestamp is when the broker appended it (the to_append stage). */
    public static final Map<String, String> LOG_APPEND_TIME =
            Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");

    /** One measured run: a delivery mode at a rate. */
    public record Run(String mode, int rate, long sent, long received, long lost, long duplicated,
            long versionRegressions, long swaps, double p50Ms, double p95Ms, double p99Ms, double maxMs,
            List<Double> p99BySecond, Map<String, Map<String, Double>> stages, Map<String, Double> pacerLate,
            Map<String, Double> producer, Map<String, Object> checkpoints) {

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("p50_ms", p50Ms);
            m.put("p95_ms", p95Ms);
            m.put("p99_ms", p99Ms);
            m.put("max_ms", maxMs);
            m.put("sent", sent);
            m.put("received", received);
            m.put("lost", lost);
            m.put("duplicated", duplicated);
            m.put("version_regressions", versionRegressions);
            m.put("model_swaps", swaps);
            m.put("p99_ms_by_second", p99BySecond);
            m.put("stages_ms", stages);
            m.put("pacer_late_ms", new TreeMap<>(pacerLate));
            m.put("examples_producer", producer);
            m.put("checkpoints", checkpoints);
            return m;
        }
    }

    /**
     * Where a prediction's latency accrues, each stage from its own pair of clocks (all this JVM's):
     * {@code producer_ack} from the example's send to the broker's acknowledgement (the producer's batching and
     * the broker's append), {@code to_serve} from the send to the serve operator's prediction (adds the source's
     * fetch, decoding and the shuffle to the task's subtask), {@code to_append} from the prediction to the broker's
     * append of it (the sink's producer), {@code to_consumer} from that append to the measuring consumer (its
     * fetch; for exactly-once also the wait for the checkpoint that commits it).
     */
    static final List<String> STAGES = List.of("producer_ack", "to_serve", "to_append", "to_consumer");

    private final List<Integer> rates;
    private final Duration perRun;
    private final Consumer<String> log;

    public LatencyBenchmark(List<Integer> rates, Duration perRun, Consumer<String> log) {
        this.rates = List.copyOf(rates);
        this.perRun = perRun;
        this.log = log;
    }

    /** Runs every mode at every rate; results keyed {@code <mode>.rate_<rate>.<figure>}. */
    public Map<String, Object> run() throws Exception {
        Map<String, Object> results = new LinkedHashMap<>();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start();
                LocalFlinkCluster flink = LocalFlinkCluster.start(2, 0)) {
            for (boolean exactlyOnce : new boolean[] {false, true}) {
                String mode = exactlyOnce ? "exactly_once" : "at_least_once";
                Map<String, Object> byRate = new LinkedHashMap<>();
                for (int rate : rates) {
                    Run run = runOne(kafka, flink, exactlyOnce, mode, rate);
                    log.accept(String.format("%-13s %,6d/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms; sent %,d, lost %d, "
                            + "duplicated %d, version regressions %d, %d model swaps", mode, rate, run.p50Ms(),
                            run.p99Ms(), run.maxMs(), run.sent(), run.lost(), run.duplicated(),
                            run.versionRegressions(), run.swaps()));
                    log.accept("  stages p50/p99 ms: " + run.stages().entrySet().stream()
                            .map(e -> String.format("%s %.0f/%.0f", e.getKey(), e.getValue().get("p50"),
                                    e.getValue().get("p99")))
                            .collect(Collectors.joining(", ")));
                    log.accept(String.format("  examples producer: records queued %.1f ms on average, %.1f records a "
                            + "request; pacer late p99 %.0f ms; %s checkpoints, p50 %.0f ms, p99 %.0f ms; p99 by "
                            + "second %s", run.producer().get("record_queue_time_avg"),
                            run.producer().get("records_per_request_avg"), run.pacerLate().get("p99"),
                            run.checkpoints().get("completed"), run.checkpoints().get("duration_ms_p50"),
                            run.checkpoints().get("duration_ms_p99"), run.p99BySecond()));
                    byRate.put("rate_" + rate, run.toMap());
                }
                results.put(mode, byRate);
            }
        }
        results.put("seconds_per_run", perRun.toSeconds());
        results.put("exactly_once_checkpoint_interval_ms", EXACTLY_ONCE_CHECKPOINT_MS);
        return results;
    }

    private Run runOne(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink, boolean exactlyOnce, String mode, int rate)
            throws Exception {
        String prefix = "latency." + mode + "." + rate + ".";
        ServeSettings settings = new ServeSettings()
                .bootstrapServers(kafka.bootstrapServers())
                .groupId(prefix + "serve")
                .examplesTopic(new Topic<>(prefix + "examples", Example.class, WireFormat.AVRO))
                .predictionsTopic(new Topic<>(prefix + "predictions", Prediction.class, WireFormat.AVRO))
                .modelsTopic(new Topic<>(prefix + "models", ModelSnapshot.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>(prefix + "dead-letters", dev.chorus.schemas.DeadLetter.class, WireFormat.AVRO))
                .exactlyOnce(exactlyOnce)
                .checkpointIntervalMs(exactlyOnce ? EXACTLY_ONCE_CHECKPOINT_MS : 1000)
                .parallelism(2);
        kafka.createTopics(ChorusTopic.newTopics(settings, role -> role.isData() ? 2 : 1,
                role -> role == ChorusTopic.PREDICTIONS ? LOG_APPEND_TIME : Map.of()));

        ModelPublisher models = new ModelPublisher(kafka.bootstrapServers(), settings.modelsTopic());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(env, settings);
        JobID job = flink.submit(env, "chorus-serve (latency " + mode + " " + rate + "/s)");
        try (KafkaProducer<byte[], byte[]> producer = producer(kafka.bootstrapServers());
                PredictionWatcher watcher = new PredictionWatcher(kafka.bootstrapServers(), settings)) {
            models.publish();
            watcher.start();
            warmUp(producer, settings, watcher);
            // Two seconds at the measured rate first, so that the measured run meets a JIT-compiled job.
            watcher.expect("w-", 2 * rate);
            sendAtRate(producer, settings, "w-", 2 * rate, rate, new Samples(), new Samples());
            watcher.awaitAll(Duration.ofSeconds(30));

            int n = (int) (rate * perRun.toSeconds());
            watcher.expect("m-", n);
            AtomicBoolean producing = new AtomicBoolean(true);
            Thread swapper = new Thread(() -> {
                while (producing.get()) {
                    LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
                    if (producing.get()) {
                        models.publish();
                    }
                }
            }, "latency-model-swaps");
            swapper.start();
            Samples acks = new Samples();
            Samples late = new Samples();
            sendAtRate(producer, settings, "m-", n, rate, acks, late);
            producing.set(false);
            swapper.join();
            Map<String, Double> producerFigures = producerFigures(producer);
            watcher.awaitAll(Duration.ofSeconds(30));
            long distinct = watcher.distinct();
            JsonNode checkpoints = flink.checkpointStatistics(job);
            return new Run(mode, rate, n, watcher.received(), n - distinct, watcher.received() - distinct,
                    watcher.versionRegressions(), models.published() - 1, watcher.percentile(0.50),
                    watcher.percentile(0.95), watcher.percentile(0.99), watcher.percentile(1.0), watcher.p99BySecond(), watcher.stages(acks),
                    Map.of("p50", late.percentile(0.50), "p99", late.percentile(0.99), "max", late.percentile(1.0)),
                    producerFigures,
                    checkpointFigures(checkpoints));
        } finally {
            flink.cancel(job);
            models.close();
        }
    }

    /**
     * The examples producer's own account (Kafka's producer metrics, whose samples take in the warm-up too): how
     * long records queued before a request took them, how many went in a request, and the broker's round trip.
     */
    private static Map<String, Double> producerFigures(KafkaProducer<byte[], byte[]> producer) {
        Map<String, Double> figures = new LinkedHashMap<>();
        for (String name : List.of("record-queue-time-avg", "record-queue-time-max", "records-per-request-avg",
                "batch-size-avg", "request-latency-avg", "request-latency-max", "bufferpool-wait-ratio")) {
            producer.metrics().forEach((metricName, metric) -> {
                if (metricName.group().equals("producer-metrics") && metricName.name().equals(name)) {
                    figures.put(name.replace('-', '_'), ((Number) metric.metricValue()).doubleValue());
                }
            });
        }
        return figures;
    }

    /** Completed checkpoints of the run and their end-to-end durations, from Flink's REST API. */
    private static Map<String, Object> checkpointFigures(JsonNode statistics) {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("completed", statistics.path("counts").path("completed").asLong());
        JsonNode duration = statistics.path("summary").path("end_to_end_duration");
        for (String q : List.of("p50", "p99", "max")) {
            figures.put("duration_ms_" + q, duration.path(q).asDouble());
        }
        return figures;
    }

    /**
     * Sends {@code n} examples with ids {@code prefix<i>} at {@code rate} per second, stamping each with the time it
     * was due to be sent, not the time it left: a latency counts from when the example was due, so that a pacer that
     * falls behind (starved of CPU, or a blocked send) cannot hide the delay (coordinated omission). {@code acks} gets
     * each one's time from its actual send to the broker's acknowledgement, {@code late} how far behind its schedule
     * it left (a pacer starved of CPU catches up in a burst, which the producer must then queue).
     */
    private static void sendAtRate(KafkaProducer<byte[], byte[]> producer, ServeSettings settings, String prefix, int n,
            int rate, Samples acks, Samples late) {
        RecordCodec<Example> codec = settings.examplesTopic().codec();
        SplittableRandom random = new SplittableRandom(rate);
        float[] features = new float[DIM];
        long start = System.nanoTime();
        long startMillis = System.currentTimeMillis();
        long interval = 1_000_000_000L / rate;
        for (int i = 0; i < n; i++) {
            long wait = start + i * interval - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            late.add(Math.max(0, -wait) / 1_000_000);
            for (int j = 0; j < DIM; j++) {
                features[j] = (float) random.nextDouble();
            }
            long sentAt = System.currentTimeMillis();
            long dueAt = startMillis + i * interval / 1_000_000;
            Example e = Example.newBuilder().setId(prefix + i).setTask(TASK).setFeatures(Float32.pack(features))
                    .setEventTime(dueAt).build();
            producer.send(new ProducerRecord<>(settings.examplesTopic().name(),
                    e.getId().getBytes(StandardCharsets.UTF_8), codec.encode(e)), (metadata, error) -> {
                        if (error == null) {
                            acks.add(System.currentTimeMillis() - sentAt);
                        }
                    });
        }
        producer.flush();
    }

    /** Sends single examples until one is answered, so that measured runs start on a warm, serving job. */
    private static void warmUp(KafkaProducer<byte[], byte[]> producer, ServeSettings settings,
            PredictionWatcher watcher) throws InterruptedException {
        RecordCodec<Example> codec = settings.examplesTopic().codec();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (int i = 0; System.nanoTime() < deadline; i++) {
            Example e = Example.newBuilder().setId("warmup-" + i).setTask(TASK)
                    .setFeatures(Float32.pack(new float[DIM])).setEventTime(System.currentTimeMillis()).build();
            producer.send(new ProducerRecord<>(settings.examplesTopic().name(), codec.encode(e)));
            producer.flush();
            if (watcher.awaitAny("warmup-", Duration.ofMillis(500))) {
                return;
            }
        }
        throw new IllegalStateException("the serve job answered no warm-up example within 60 s");
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(producerProperties(bootstrap), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * No linger, so that an example leaves as soon as a connection is free; batches of up to 256 KiB, as in
     * {@code ExampleProducer}, so that when the broker is slower than the pacer the queued examples leave together.
     * With Kafka's default of 16 KiB a batch held five 3 KB examples, five requests in flight carried 50, and at
     * 10,000/s on a busy machine examples queued in the producer for over a second (docs/BENCHMARKS.md).
     */
    static Properties producerProperties(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        return props;
    }

    /** Publishes snapshots of a model that changes a little each time, with versions 1, 2, 3, … */
    static final class ModelPublisher implements AutoCloseable {
        private final KafkaProducer<byte[], byte[]> producer;
        private final Topic<ModelSnapshot> topic;
        private final RecordCodec<ModelSnapshot> codec;
        private final OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(SPEC));
        private final float[] batch = new float[32 * DIM];
        private final int[] labels = new int[32];
        private final float[] weights = new float[32];
        private final SplittableRandom random = new SplittableRandom(7);
        private long version;

        ModelPublisher(String bootstrap, Topic<ModelSnapshot> topic) {
            this.producer = producer(bootstrap);
            this.topic = topic;
            this.codec = topic.codec();
            Arrays.fill(weights, 1f);
        }

        synchronized void publish() {
            for (int i = 0; i < batch.length; i++) {
                batch[i] = (float) random.nextDouble();
            }
            for (int i = 0; i < labels.length; i++) {
                labels[i] = random.nextInt(CLASSES);
            }
            learner.trainMinibatch(batch, labels, weights, labels.length);
            version++;
            ModelSnapshot s = ModelSnapshot.newBuilder().setTask(TASK).setVariant("default").setVersion(version)
                    .setAlgorithm(learner.spec().algorithm()).setSpec(learner.spec().toJson())
                    .setParametersFormat(OnlineLearner.FORMAT_VERSION).setParameters(ByteBuffer.wrap(learner.toBytes()))
                    .setExamplesSeen(learner.examplesSeen()).setMetrics(Map.of()).setCreatedAt(System.currentTimeMillis())
                    .setProvenance(Map.of("job", "chorus bench latency")).build();
            producer.send(new ProducerRecord<>(topic.name(), (TASK + "/default").getBytes(StandardCharsets.UTF_8),
                    codec.encode(s)));
            producer.flush();
        }

        synchronized long published() {
            return version;
        }

        @Override
        public void close() {
            producer.close();
        }
    }

    /** Consumes predictions as they become visible and measures each one's latency from its example's send time. */
    static final class PredictionWatcher implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final RecordCodec<Prediction> codec;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;
        private final Object lock = new Object();
        private String measuredPrefix = "\0";
        private int expected;
        private BitSet seen = new BitSet();
        private Samples latencies = new Samples();
        private final AtomicLong received = new AtomicLong();
        private final List<long[]> producedAtAndVersion = new ArrayList<>();
        private long measuredSince;
        private final Map<Integer, Samples> bySecond = new TreeMap<>();
        private Samples toServe = new Samples();
        private Samples toAppend = new Samples();
        private Samples toConsumer = new Samples();
        private final Map<String, Boolean> otherIds = new java.util.concurrent.ConcurrentHashMap<>();

        PredictionWatcher(String bootstrap, ServeSettings settings) {
            consumer = new KafkaConsumer<>(TopicReader.committedReader(bootstrap, Map.of()), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(settings.predictionsTopic().name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            codec = settings.predictionsTopic().codec();
            thread = new Thread(this::poll, "latency-predictions");
        }

        void start() {
            thread.start();
        }

        void expect(String prefix, int n) {
            synchronized (lock) {
                measuredPrefix = prefix;
                expected = n;
                seen = new BitSet(n);
                latencies = new Samples();
                received.set(0);
                producedAtAndVersion.clear();
                toServe = new Samples();
                toAppend = new Samples();
                toConsumer = new Samples();
                bySecond.clear();
                measuredSince = System.currentTimeMillis();
            }
        }

        private void poll() {
            while (running.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.currentTimeMillis();
                    Prediction p = codec.decode(r.value());
                    synchronized (lock) {
                        if (p.getId().startsWith(measuredPrefix)) {
                            received.incrementAndGet();
                            seen.set(Integer.parseInt(p.getId().substring(measuredPrefix.length())));
                            latencies.add(now - p.getEventTime());
                            producedAtAndVersion.add(new long[] {p.getProducedAt(), p.getModelVersion()});
                            toServe.add(p.getProducedAt() - p.getEventTime());
                            toAppend.add(r.timestamp() - p.getProducedAt());
                            toConsumer.add(now - r.timestamp());
                            bySecond.computeIfAbsent((int) ((p.getEventTime() - measuredSince) / 1000),
                                    k -> new Samples()).add(now - p.getEventTime());
                        } else {
                            otherIds.put(p.getId(), Boolean.TRUE);
                        }
                        lock.notifyAll();
                    }
                }
            }
        }

        boolean awaitAny(String prefix, Duration patience) throws InterruptedException {
            long deadline = System.nanoTime() + patience.toNanos();
            synchronized (lock) {
                while (otherIds.keySet().stream().noneMatch(id -> id.startsWith(prefix))) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    lock.wait(Math.max(1, left / 1_000_000));
                }
                return true;
            }
        }

        /** Waits until every expected prediction arrived, or no new one arrived for {@code quiet}. */
        void awaitAll(Duration quiet) throws InterruptedException {
            synchronized (lock) {
                long lastProgress = System.nanoTime();
                long last = -1;
                while (true) {
                    long count = seen.cardinality();
                    if (count >= expected || System.nanoTime() - lastProgress > quiet.toNanos()) {
                        return;
                    }
                    if (count != last) {
                        last = count;
                        lastProgress = System.nanoTime();
                    }
                    lock.wait(50);
                }
            }
        }

        long distinct() {
            synchronized (lock) {
                return seen.cardinality();
            }
        }

        long received() {
            return received.get();
        }

        /** Predictions whose model version is lower than that of an earlier-made prediction of the task. */
        long versionRegressions() {
            synchronized (lock) {
                List<long[]> ordered = new ArrayList<>(producedAtAndVersion);
                // Made-at has millisecond resolution: within one millisecond, order by version (no false regressions).
                ordered.sort(Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[1]));
                long max = Long.MIN_VALUE;
                long regressions = 0;
                for (long[] pv : ordered) {
                    if (pv[1] < max) {
                        regressions++;
                    }
                    max = Math.max(max, pv[1]);
                }
                return regressions;
            }
        }

        /**
         * The p99 of each second of the run, by send time: a backlog left by the warm-up would show as a falling
         * trend, a pause of the JVM or the machine as a single high second.
         */
        List<Double> p99BySecond() {
            synchronized (lock) {
                return bySecond.values().stream().map(second -> second.percentile(0.99)).toList();
            }
        }

        /** p50 and p99 of each of {@link #STAGES}, the first from {@code acks}. */
        Map<String, Map<String, Double>> stages(Samples acks) {
            synchronized (lock) {
                Map<String, Map<String, Double>> stages = new LinkedHashMap<>();
                List<Samples> samples = List.of(acks, toServe, toAppend, toConsumer);
                for (int i = 0; i < STAGES.size(); i++) {
                    stages.put(STAGES.get(i), Map.of("p50", samples.get(i).percentile(0.50),
                            "p99", samples.get(i).percentile(0.99)));
                }
                return stages;
            }
        }

        double percentile(double q) {
            synchronized (lock) {
                return latencies.percentile(q);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
            consumer.close();
        }
    }

    /** Millisecond samples, added from any thread, and their percentiles. */
    static final class Samples {
        private long[] values = new long[1024];
        private int count;

        synchronized void add(long value) {
            if (count == values.length) {
                values = Arrays.copyOf(values, count * 2);
            }
            values[count++] = value;
        }

        /** The smallest sample at or above the {@code q} quantile; NaN when there is none. */
        synchronized double percentile(double q) {
            if (count == 0) {
                return Double.NaN;
            }
            long[] sorted = Arrays.copyOf(values, count);
            Arrays.sort(sorted);
            int index = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
            return sorted[Math.max(0, index)];
        }
    }

}
