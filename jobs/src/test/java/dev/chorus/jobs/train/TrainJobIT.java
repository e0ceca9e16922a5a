package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The train job end to end against a real Kafka broker (KRaft, in-process) and a Flink MiniCluster: labeled
 * examples of two tasks plus malformed records in, predictions, model snapshots and dead letters out, read
 * back with {@code read_committed}.
 */
class TrainJobIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final int PER_TASK = 3000;
    static final List<String> TASKS = List.of("blobs-a", "blobs-b");
    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":7,
             "featureRange":{"min":-100,"max":100}}""";
    /** A regression task beside them: each blob's class index as a real target, which lies in [0, 2]. */
    static final String REGRESSION_TASK = "blobs-index";
    static final int REGRESSION_EXAMPLES = 480;
    static final String REGRESSION_SPEC = """
            {"algorithm":"linear-regression","inputDim":8,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":7,"targetRange":{"min":0,"max":2}}""";

    @Test
    void trainsOnlineAndPublishesPredictionsSnapshotsAndDeadLetters() throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("train-it")
                .specs(TaskSpecs.of(SPEC, Map.of(REGRESSION_TASK, REGRESSION_SPEC)))
                .checkpointIntervalMs(500)
                .snapshotEveryBatches(10)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .bounded(true)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);

        RecordCodec<Example> codec = settings.examplesTopic().codec();
        List<String> malformedFields = new ArrayList<>();
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            for (int t = 0; t < TASKS.size(); t++) {
                LabeledDataset data = SyntheticBlobs.generate(PER_TASK, 8, 3, 100 + t);
                producer.send(settings.examplesTopic(), data, TASKS.get(t), TASKS.get(t), 0L, n -> {});
            }
            LabeledDataset indices = SyntheticBlobs.generate(REGRESSION_EXAMPLES, 8, 3, 103);
            for (int row = 0; row < REGRESSION_EXAMPLES; row++) {
                Example example = ExampleProducer.example(indices, row, REGRESSION_TASK, "index", 0L);
                example.setTarget((double) example.getLabel());
                example.setLabel(null);
                producer.send(settings.examplesTopic(), example);
            }
            LabeledDataset one = SyntheticBlobs.generate(1, 8, 3, 1);
            producer.sendRaw(settings.examplesTopic().name(), "garbage", "{not avro".getBytes(StandardCharsets.UTF_8));
            malformedFields.add("undecodable");
            Example wrongDim = ExampleProducer.example(one, 0, "blobs-a", "wrong-dim", 0);
            wrongDim.setFeatures(Float32.pack(new float[7]));
            producer.sendRaw(settings.examplesTopic().name(), "wrong-dim", codec.encode(wrongDim));
            malformedFields.add("field 'features': expected 8 float32 values, got 7");
            Example nan = ExampleProducer.example(one, 0, "blobs-a", "nan", 0);
            float[] nanValues = new float[8];
            nanValues[3] = Float.NaN;
            nan.setFeatures(Float32.pack(nanValues));
            producer.sendRaw(settings.examplesTopic().name(), "nan", codec.encode(nan));
            malformedFields.add("field 'features': expected finite values, got NaN at position 3");
            // Finite and far below float32's overflow, yet one such example left in would own every feature's running
            // variance: a standardised model then sees all inputs alike and predicts one class for good.
            Example poison = ExampleProducer.example(one, 0, "blobs-a", "poison", 0);
            float[] poisonValues = new float[8];
            Arrays.fill(poisonValues, 1e6f);
            poison.setFeatures(Float32.pack(poisonValues));
            producer.sendRaw(settings.examplesTopic().name(), "poison", codec.encode(poison));
            malformedFields.add("field 'features': expected values in [-100.0, 100.0] (the spec's featureRange), got "
                    + "1000000.0 at position 0");
            // A target that would leave the regression's Adam moments owning it for good (docs/BENCHMARKS.md).
            Example hugeTarget = ExampleProducer.example(one, 0, REGRESSION_TASK, "huge-target", 0);
            hugeTarget.setLabel(null);
            hugeTarget.setTarget(1e12);
            producer.sendRaw(settings.examplesTopic().name(), "huge-target", codec.encode(hugeTarget));
            malformedFields.add("field 'target': expected a number in [0.0, 2.0] (the spec's targetRange), got 1.0E12");
            Example badLabel = ExampleProducer.example(one, 0, "blobs-b", "bad-label", 0);
            badLabel.setLabel(3);
            producer.sendRaw(settings.examplesTopic().name(), "bad-label", codec.encode(badLabel));
            malformedFields.add("field 'label': expected a class index in [0, 3), got 3");
            Example negativeWeight = ExampleProducer.example(one, 0, "blobs-b", "negative-weight", 0);
            negativeWeight.setWeight(-1f);
            producer.sendRaw(settings.examplesTopic().name(), "negative-weight", codec.encode(negativeWeight));
            malformedFields.add("field 'weight': expected a finite number >= 0, got -1.0");
            producer.flush();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        env.execute("train-it");

        List<Prediction> all = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        List<Prediction> predictions = all.stream().filter(p -> TASKS.contains(p.getTask())).toList();
        List<Prediction> regression = all.stream().filter(p -> p.getTask().equals(REGRESSION_TASK)).toList();
        List<ModelSnapshot> snapshots = JobTestSupport.read(KAFKA.broker(), settings.modelsTopic());
        List<DeadLetter> deadLetters = JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic());

        // Exactly N predictions, one per example, each tagged with the model version that made it.
        int n = PER_TASK * TASKS.size();
        assertThat(predictions).hasSize(n);
        assertThat(predictions.stream().map(p -> p.getTask() + "/" + p.getId()).collect(Collectors.toSet())).hasSize(n);
        assertThat(predictions).allSatisfy(p -> {
            assertThat(p.getModelVersion()).isGreaterThanOrEqualTo(0);
            assertThat(p.getLabel()).isNotNull();
            assertThat(Float32.count(p.getProbabilities())).isEqualTo(3);
        });

        // The regression task: one prediction per good example, and a model that never saw the refused one.
        assertThat(all).hasSize(n + REGRESSION_EXAMPLES);
        assertThat(regression).allSatisfy(p -> assertThat(p.getPredictedValue()).isNotNull());
        ModelSnapshot lastRegression = snapshots.stream().filter(s -> s.getTask().equals(REGRESSION_TASK))
                .max(Comparator.comparingLong(ModelSnapshot::getVersion)).orElseThrow();
        assertThat(lastRegression.getExamplesSeen()).isEqualTo(REGRESSION_EXAMPLES);
        List<Prediction> lastQuarter = regression.stream().sorted(Comparator.comparingLong(Prediction::getEventTime))
                .skip(REGRESSION_EXAMPLES * 3 / 4).toList();
        double squares = lastQuarter.stream().mapToDouble(p -> Math.pow(p.getPredictedValue() - p.getTarget(), 2)).sum();
        // About 0.65 (a linear fit of three blobs' indices); the targets' standard deviation is about 0.82.
        assertThat(Math.sqrt(squares / lastQuarter.size())).as("prequential RMSE over the last quarter")
                .isLessThan(1.0);

        // Exactly M dead letters, each naming its problem and pointing at its source record.
        assertThat(deadLetters).hasSize(malformedFields.size());
        assertThat(deadLetters).allSatisfy(d -> {
            assertThat(d.getTopic()).isEqualTo(settings.examplesTopic().name());
            assertThat(d.getOffset()).isGreaterThanOrEqualTo(0);
        });
        Set<String> reasons = deadLetters.stream().map(DeadLetter::getReason).collect(Collectors.toSet());
        for (String expected : malformedFields) {
            assertThat(reasons).anySatisfy(r -> assertThat(r).contains(expected));
        }
        DeadLetter garbage = deadLetters.stream().filter(d -> d.getReason().startsWith("undecodable")).findFirst()
                .orElseThrow();
        assertThat(StandardCharsets.UTF_8.decode(garbage.getOriginal().duplicate()).toString()).isEqualTo("{not avro");

        // Snapshots per task with strictly increasing versions, the last one having seen every example.
        for (String task : TASKS) {
            List<Long> versions = snapshots.stream().filter(s -> s.getTask().equals(task))
                    .map(ModelSnapshot::getVersion).toList();
            assertThat(versions).hasSizeGreaterThanOrEqualTo(2);
            for (int i = 1; i < versions.size(); i++) {
                assertThat(versions.get(i)).isGreaterThan(versions.get(i - 1));
            }
            ModelSnapshot last = snapshots.stream().filter(s -> s.getTask().equals(task))
                    .max(Comparator.comparingLong(ModelSnapshot::getVersion)).orElseThrow();
            assertThat(last.getExamplesSeen()).isEqualTo(PER_TASK);
            assertThat(last.getVersion()).isEqualTo((PER_TASK + 15) / 16);
            assertThat(last.getParameters().remaining()).isGreaterThan(0);
        }

        // Prequential accuracy over the last half of each task's stream is far above chance (1/3). Replayed offline
        // (model-core, the same spec, each task's rows split by key over the two partitions as the producer does, in
        // 218 interleavings of them) it is 0.888 to 0.895 for blobs-a and 0.909 to 0.920 for blobs-b (a run of this
        // test: 0.899 and 0.915), a linear fit of all rows 0.905 and 0.903: 0.85 left blobs-a under 4 points, 0.8
        // leaves 9.
        for (String task : TASKS) {
            List<Prediction> ordered = predictions.stream().filter(p -> p.getTask().equals(task))
                    .sorted(Comparator.comparingLong(Prediction::getEventTime)).toList();
            List<Prediction> lastHalf = ordered.subList(ordered.size() / 2, ordered.size());
            double accuracy = lastHalf.stream().filter(p -> p.getPredictedClass().equals(p.getLabel())).count()
                    / (double) lastHalf.size();
            assertThat(accuracy).as("prequential accuracy of %s over the last half", task).isGreaterThan(0.8);
        }
    }
}
