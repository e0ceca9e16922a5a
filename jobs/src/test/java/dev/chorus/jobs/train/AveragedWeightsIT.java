package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task whose spec has {@code averaging}, on the real broker and MiniCluster: the train job publishes a snapshot
 * that is, bit for bit, the learner trained offline on the same minibatches (live weights, optimizer and average), a
 * model read from it predicts from the average, not from the live weights, and every prequential prediction is the
 * averaged model's, so what a user is served is what is measured.
 */
class AveragedWeightsIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TASK = "blobs";
    static final int EXAMPLES = 1600;
    static final int DIM = 8;
    static final int CLASSES = 3;
    static final int BATCH = 16;
    static final String SPEC = """
            {"algorithm":"mlp","inputDim":8,"numClasses":3,"layers":[{"units":16,"activation":"relu"}],
             "batchSize":16,"optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":7,
             "averaging":{"decay":0.9}}""";

    @Test
    void snapshotsAndPrequentialPredictionsComeFromTheAveragedWeights() throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("averaged-weights-it")
                .specs(TaskSpecs.ofDefault(SPEC))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(EXAMPLES / BATCH)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 1);
        LabeledDataset data = SyntheticBlobs.generate(EXAMPLES, DIM, CLASSES, 5);
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            producer.send(settings.examplesTopic(), data, TASK, "x", 0, rows -> { });
        }

        List<ModelSnapshot> models;
        List<Prediction> predictions;
        try (LocalFlinkCluster flink = LocalFlinkCluster.start(2, 0)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobID job = flink.submit(env, "averaged-weights-it");
            models = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.modelsTopic(), m -> true, 1);
            predictions = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(), p -> true,
                    EXAMPLES);
            flink.cancel(job);
        }

        // Offline, test-then-train on the same minibatches: what each example was served, and what the live weights
        // would have said instead.
        OnlineLearner offline = OnlineLearner.create(ModelSpec.parse(SPEC));
        Map<String, float[]> averaged = new HashMap<>();
        Map<String, float[]> live = new HashMap<>();
        float[] weights = new float[BATCH];
        Arrays.fill(weights, 1f);
        for (int from = 0; from < EXAMPLES; from += BATCH) {
            float[] x = Arrays.copyOfRange(data.features(), from * DIM, (from + BATCH) * DIM);
            float[] fromAverage = new float[BATCH * CLASSES];
            float[] fromLive = new float[BATCH * CLASSES];
            offline.predictProbaBatch(x, BATCH, fromAverage);
            offline.model().predictProbaBatch(x, BATCH, fromLive);
            for (int r = 0; r < BATCH; r++) {
                averaged.put("x-" + (from + r), Arrays.copyOfRange(fromAverage, r * CLASSES, (r + 1) * CLASSES));
                live.put("x-" + (from + r), Arrays.copyOfRange(fromLive, r * CLASSES, (r + 1) * CLASSES));
            }
            offline.trainMinibatch(x, Arrays.copyOfRange(data.labels(), from, from + BATCH), weights, BATCH);
        }

        assertThat(models).hasSize(1);
        byte[] snapshot = models.get(0).getParameters().array();
        assertThat(snapshot).as("live weights, optimizer and average, bit for bit").isEqualTo(offline.toBytes());

        OnlineLearner served = (OnlineLearner) SavedModels.read(snapshot);
        float[] x = Arrays.copyOfRange(data.features(), 0, BATCH * DIM);
        float[] servedProbabilities = new float[BATCH * CLASSES];
        float[] averageProbabilities = new float[BATCH * CLASSES];
        float[] liveProbabilities = new float[BATCH * CLASSES];
        served.predictProbaBatch(x, BATCH, servedProbabilities);
        served.servingModel().predictProbaBatch(x, BATCH, averageProbabilities);
        served.model().predictProbaBatch(x, BATCH, liveProbabilities);
        assertThat(servedProbabilities).isEqualTo(averageProbabilities).isNotEqualTo(liveProbabilities);

        assertThat(predictions).hasSize(EXAMPLES);
        int differFromLive = 0;
        for (Prediction p : predictions) {
            float[] actual = Float32.unpack(p.getProbabilities());
            float[] expected = averaged.get(p.getId());
            for (int j = 0; j < CLASSES; j++) {
                assertThat(actual[j]).as("%s class %d", p.getId(), j).isCloseTo(expected[j], within(1e-5f));
            }
            float[] fromLive = live.get(p.getId());
            differFromLive += Math.abs(fromLive[0] - actual[0]) > 1e-3 ? 1 : 0;
        }
        assertThat(differFromLive).as("predictions the live weights would have made otherwise")
                .isGreaterThan(EXAMPLES / 10);
    }
}
