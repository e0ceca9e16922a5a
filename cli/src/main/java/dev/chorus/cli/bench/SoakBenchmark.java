package dev.chorus.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.cli.data.FashionMnist;
import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.core.annotators.SimulatedAnnotator;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Example;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code chorus bench soak}: the train and serve jobs at a steady rate for N minutes on the embedded broker and a
 * MiniCluster (this JVM), sampling each minute the heap after a full GC, the jobs' checkpointed state size and
 * checkpoint duration (from Flink's REST API), then fitting a linear trend to the samples after the first third of
 * the run, when caches and windows have filled. The task learns through a Dawid–Skene label model from an endless
 * stream of new items, each labelled by three simulated annotators, so its per-item label history fills up to
 * its bound ({@link #HISTORY_ITEMS} items) early in the run and evicts from then on.
 */
public final class SoakBenchmark {

    static final String TASK = "fashion-mnist";
    /** Items whose labels the label model remembers: reached after 3 × this many examples. */
    static final int HISTORY_ITEMS = 20_000;
    static final int LABELS_PER_ITEM = 3;
    static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":784,\"numClasses\":10,"
            + "\"batchSize\":64,\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.002},\"standardize\":true,"
            + "\"labelModel\":{\"method\":\"dawid-skene\",\"historyItems\":" + HISTORY_ITEMS + "}}";

    private final int minutes;
    private final int rate;
    private final Duration sampleEvery;
    private final Consumer<String> log;

    public SoakBenchmark(int minutes, int rate, Duration sampleEvery, Consumer<String> log) {
        this.minutes = minutes;
        this.rate = rate;
        this.sampleEvery = sampleEvery;
        this.log = log;
    }

    public Map<String, Object> run() throws Exception {
        LabeledDataset data = FashionMnist.shippedTestSplit();
        List<Map<String, Object>> samples = new ArrayList<>();
        AtomicLong produced = new AtomicLong();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start();
                LocalFlinkCluster flink = LocalFlinkCluster.start(2, 0)) {
            TrainSettings train = new TrainSettings().bootstrapServers(kafka.bootstrapServers()).groupId("soak-train")
                    .specs(TaskSpecs.ofDefault(SPEC)).checkpointIntervalMs(5000).snapshotIntervalMs(5000)
                    .parallelism(1);
            ServeSettings serve = new ServeSettings().bootstrapServers(kafka.bootstrapServers()).groupId("soak-serve")
                    .checkpointIntervalMs(5000).parallelism(1);
            kafka.createTopics(ChorusTopic.newTopics(train, 2));
            StreamExecutionEnvironment trainEnv = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(trainEnv, train);
            JobID trainJob = flink.submit(trainEnv, "chorus-train (soak)");
            StreamExecutionEnvironment serveEnv = StreamExecutionEnvironment.getExecutionEnvironment();
            ServeJob.build(serveEnv, serve);
            JobID serveJob = flink.submit(serveEnv, "chorus-serve (soak)");

            AtomicBoolean producing = new AtomicBoolean(true);
            Thread producer = new Thread(() -> produce(kafka, train, data, producing, produced), "soak-producer");
            producer.start();
            long start = System.nanoTime();
            long samplesWanted = minutes * 60L / sampleEvery.toSeconds();
            for (int i = 1; i <= samplesWanted; i++) {
                LockSupport.parkNanos(start + i * sampleEvery.toNanos() - System.nanoTime());
                Map<String, Object> sample = sample(flink, trainJob, serveJob, (System.nanoTime() - start) / 60e9);
                sample.put("examples_produced", produced.get());
                samples.add(sample);
                log.accept(String.format("minute %5.2f: heap after GC %6.1f MB, state %,d bytes, checkpoint %d ms, "
                        + "%,d examples", sample.get("minute"), sample.get("heap_after_gc_mb"), sample.get("state_bytes"),
                        sample.get("checkpoint_ms"), produced.get()));
            }
            producing.set(false);
            producer.join();
            flink.cancel(trainJob);
            flink.cancel(serveJob);
        }
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("minutes", minutes);
        results.put("rate", rate);
        results.put("samples", samples);
        results.put("label_model", "dawid-skene");
        results.put("history_items_bound", HISTORY_ITEMS);
        results.put("history_bound_reached_at_minute",
                Math.round((double) HISTORY_ITEMS * LABELS_PER_ITEM / rate / 60 * 100) / 100.0);
        List<Map<String, Object>> steady = samples.subList(samples.size() / 3, samples.size());
        // Theil–Sen (median of pairwise slopes): one sample caught mid-collection cannot make a trend.
        results.put("heap_trend_mb_per_min", medianSlope(steady, "heap_after_gc_mb"));
        results.put("state_trend_bytes_per_min", medianSlope(steady, "state_bytes"));
        results.put("heap_trend_least_squares_mb_per_min", slope(steady, "heap_after_gc_mb"));
        results.put("state_trend_least_squares_bytes_per_min", slope(steady, "state_bytes"));
        results.put("trend_from_minute", steady.isEmpty() ? null : steady.get(0).get("minute"));
        return results;
    }

    private void produce(EmbeddedKafkaBroker kafka, TrainSettings train, LabeledDataset data, AtomicBoolean producing,
            AtomicLong produced) {
        AnnotatorPool pool = AnnotatorPool.fashionMnist(0);
        SplitMix64 rng = SplitMix64.seeded(0);
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            long start = System.nanoTime();
            long interval = 1_000_000_000L / rate;
            for (long n = 0; producing.get(); n++) {
                LockSupport.parkNanos(start + n * interval - System.nanoTime());
                long item = n / LABELS_PER_ITEM;
                int row = (int) (item % data.size());
                SimulatedAnnotator annotator = pool.get((int) ((item * 7 + n % LABELS_PER_ITEM * 5) % pool.size()));
                Example e = ExampleProducer.example(data, row, TASK, "soak", 0);
                e.setId("soak-" + item);
                e.setAnnotator(annotator.id());
                e.setLabel(annotator.label(data.labels()[row], rng));
                producer.send(train.examplesTopic(), e);
                produced.incrementAndGet();
            }
        }
    }

    private Map<String, Object> sample(LocalFlinkCluster flink, JobID train, JobID serve, double minute) throws Exception {
        // The least heap used right after each of three full collections: the jobs allocate between them.
        long heap = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            heap = Math.min(heap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        long stateBytes = 0;
        long checkpointMs = 0;
        for (JobID job : List.of(train, serve)) {
            JsonNode completed = flink.checkpointStatistics(job).path("latest").path("completed");
            stateBytes += completed.path("checkpointed_size").asLong(completed.path("state_size").asLong());
            checkpointMs = Math.max(checkpointMs, completed.path("end_to_end_duration").asLong());
        }
        Map<String, Object> sample = new LinkedHashMap<>();
        sample.put("minute", Math.round(minute * 100) / 100.0);
        sample.put("heap_after_gc_mb", Math.round(heap / 1e5) / 10.0);
        sample.put("state_bytes", stateBytes);
        sample.put("checkpoint_ms", checkpointMs);
        return sample;
    }

    /** Least-squares slope of {@code key} against {@code minute}. */
    /** Median of the slopes between every pair of samples of {@code key} against {@code minute} (Theil–Sen). */
    static double medianSlope(List<Map<String, Object>> samples, String key) {
        List<Double> slopes = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            for (int j = i + 1; j < samples.size(); j++) {
                double dx = ((Number) samples.get(j).get("minute")).doubleValue()
                        - ((Number) samples.get(i).get("minute")).doubleValue();
                if (dx != 0) {
                    slopes.add((((Number) samples.get(j).get(key)).doubleValue()
                            - ((Number) samples.get(i).get(key)).doubleValue()) / dx);
                }
            }
        }
        if (slopes.isEmpty()) {
            return Double.NaN;
        }
        java.util.Collections.sort(slopes);
        int n = slopes.size();
        return n % 2 == 1 ? slopes.get(n / 2) : (slopes.get(n / 2 - 1) + slopes.get(n / 2)) / 2;
    }

    static double slope(List<Map<String, Object>> samples, String key) {
        int n = samples.size();
        if (n < 2) {
            return Double.NaN;
        }
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (Map<String, Object> s : samples) {
            double x = ((Number) s.get("minute")).doubleValue();
            double y = ((Number) s.get(key)).doubleValue();
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }
}
