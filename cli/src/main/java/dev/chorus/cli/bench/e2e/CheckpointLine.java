package dev.chorus.cli.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.core.model.HiddenLayerSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Example;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A checkpoint line: checkpoint durations and sizes of the train job, from a separate unbounded run that
 * checkpoints every second, read from Flink's REST API.
 */
final class CheckpointLine {

    /** The checkpoint lines checkpoint every second, to collect enough checkpoints in a short run. */
    static final long INTERVAL_MS = 1_000;
    /** Completed checkpoints a checkpoint line collects after the model exists. */
    static final int CHECKPOINTS_MEASURED = 10;

    private CheckpointLine() {}

    /**
     * Runs the train job unbounded, checkpointing every second, until {@value #CHECKPOINTS_MEASURED} checkpoints
     * triggered after its first prediction (so with the model in its state) completed, then reads their
     * durations and sizes from Flink's REST API.
     */
    static Map<String, Object> run(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink, Topic<Example> examples,
            Line line, long n) throws Exception {
        TrainSettings settings = TrainLine.settings(kafka.bootstrapServers(), examples, line, line.topicPrefix())
                .checkpointIntervalMs(INTERVAL_MS);
        E2eTopics.createOutputTopics(kafka, settings);
        PredictionClock predictions = new PredictionClock(settings.predictionsTopic().codec(), n);
        List<JsonNode> measured;
        try (TopicFollower p = new TopicFollower(kafka.bootstrapServers(), settings.predictionsTopic().name(),
                predictions::accept)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            env.configure(JobRun.noRestarts());
            JobID job = flink.submit(env, "chorus-train (e2e " + line.key() + ")");
            try {
                measured = completedAfter(flink, job, predictions::firstProducedAtOrZero, CHECKPOINTS_MEASURED,
                        line.key());
            } finally {
                flink.cancel(job);
            }
        }
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
        figures.put("checkpoint_interval_ms", INTERVAL_MS);
        return figures;
    }

    /**
     * Polls the job's checkpoint statistics until {@code count} completed checkpoints (savepoints aside) triggered
     * after {@code after} are known, and returns the first {@code count} by id. {@code after} is an epoch
     * millisecond that may still change while 0 (the job may still be starting, its statistics not served yet).
     */
    static List<JsonNode> completedAfter(LocalFlinkCluster flink, JobID job, LongSupplier after, int count,
            String what) throws Exception {
        Map<Long, JsonNode> completed = new TreeMap<>();
        long deadline = System.nanoTime() + E2eBenchmark.PATIENCE.toNanos();
        while (completed.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(200); // polling interval of the REST API; checkpoints come every second
            long from = after.getAsLong();
            if (from == 0) {
                continue;
            }
            for (JsonNode c : flink.checkpointStatistics(job).path("history")) {
                if ("COMPLETED".equals(c.path("status").asText()) && !c.path("is_savepoint").asBoolean()
                        && c.path("trigger_timestamp").asLong() > from) {
                    completed.put(c.path("id").asLong(), c);
                }
            }
        }
        if (completed.size() < count) {
            throw new IllegalStateException(what + ": only " + completed.size() + " checkpoints completed within "
                    + E2eBenchmark.PATIENCE);
        }
        return new ArrayList<>(completed.values()).subList(0, count);
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

    static double median(long[] sorted) {
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }
}
