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
        Map<Long, JsonNode> completed = new TreeMap<>();
        try (TopicFollower p = new TopicFollower(kafka.bootstrapServers(), settings.predictionsTopic().name(),
                predictions::accept)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            env.configure(JobRun.noRestarts());
            JobID job = flink.submit(env, "chorus-train (e2e " + line.key() + ")");
            try {
                long deadline = System.nanoTime() + E2eBenchmark.PATIENCE.toNanos();
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
                    + E2eBenchmark.PATIENCE);
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
        figures.put("checkpoint_interval_ms", INTERVAL_MS);
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
}
