package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.deadLetters;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.predictions;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.snapshots;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;

/** A hashed task in the minibatch operator: sparse rows, test-then-train, snapshots, bad fields, restore. */
class HashedTrainingTest {

    /** Two hashed dimensions, every field used, an amount crossed with itself: collisions and overflow on demand. */
    static final String TINY = """
            {"algorithm":"logistic-regression","batchSize":4,"standardize":false,
             "hashing":{"bits":1,"interactions":[["amount","amount"]]},"optimizer":{"type":"ftrl"}}""";

    /** Its interaction twice: two products of up to 2^64 squared, on one index, past float32 only once summed. */
    static final String TWICE_CROSSED = """
            {"algorithm":"logistic-regression","batchSize":4,"standardize":false,
             "hashing":{"bits":1,"interactions":[["amount","amount"],["amount","amount"]]},"optimizer":{"type":"ftrl"}}""";

    static TrainSettings settings() {
        return new TrainSettings().specs(TaskSpecs.of(null, Map.of("clicks", ClickExamples.SPEC, "tiny", TINY,
                "twice-crossed", TWICE_CROSSED)))
                .snapshotEveryBatches(2)
                .snapshotIntervalMs(0).batchTimeoutMs(0);
    }

    static TrainerHarness harness(RegisteredMetrics metrics) throws Exception {
        return new TrainerHarness(settings(), metrics.environment());
    }

    static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    @Test
    void trainsAHashedTaskTestThenTrainBitForBitAsModelCore() throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 30, 7);
        ClickExamples.Reference reference = ClickExamples.reference(ClickExamples.SPEC, clicks, true);
        try (var h = harness(new RegisteredMetrics())) {
            h.open();
            for (int i = 0; i < clicks.size(); i++) {
                h.processElement(sourced(clicks.get(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            List<Prediction> predictions = predictions(h);
            assertThat(predictions).extracting(Prediction::getId)
                    .containsExactlyElementsOf(clicks.stream().map(Example::getId).toList());
            for (int i = 0; i < clicks.size(); i++) {
                assertThat(Float32.unpack(predictions.get(i).getProbabilities())).as("prediction %d", i)
                        .containsExactly(reference.probabilities().get(i));
                assertThat(predictions.get(i).getModelVersion()).isEqualTo(i / 4);
            }
            List<ModelSnapshot> snapshots = snapshots(h);
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(2L, 4L, 6L, 8L);
            ModelSnapshot last = snapshots.get(snapshots.size() - 1);
            assertThat(last.getParametersFormat()).as("a model that carried no steps: format 1").isEqualTo(1);
            assertThat(bytes(last.getParameters())).isEqualTo(reference.model().toBytes());
            assertThat(last.getExamplesSeen()).isEqualTo(30);
        }
    }

    /**
     * Two variants of one hashed task, the second set on the control topic with its own hashing, optimizer and
     * minibatch size: each hashes every example with its own spec and trains its own model, bit for bit as
     * model-core's SparseLinearModel of that spec, and its predictions (labeled ones when their minibatch closes,
     * unlabeled ones at once) and snapshots say which variant made them.
     */
    @Test
    void eachVariantOfAHashedTaskTrainsItsOwnSparseModelBitForBitAsModelCore() throws Exception {
        String wide = ClickExamples.SPEC.replace("\"bits\":12", "\"bits\":16")
                .replace("{\"type\":\"ftrl\",\"alpha\":0.1,\"l1\":0.01}", "{\"type\":\"adagrad\",\"learningRate\":0.2}")
                .replace("\"batchSize\":4", "\"batchSize\":5");
        assertThat(wide).contains("\"bits\":16", "adagrad", "\"batchSize\":5");
        // 40 labeled examples close every minibatch of both variants, then 3 unlabeled ones meet the final models.
        List<Example> clicks = ClickExamples.stream("clicks", 43, 11);
        List<Example> labeled = clicks.subList(0, 40);
        clicks.subList(40, 43).forEach(e -> e.setLabel(null));
        Map<String, String> specs = Map.of("default", ClickExamples.SPEC, "wide", wide);
        try (var h = harness(new RegisteredMetrics())) {
            h.open();
            h.processBroadcastElement(new SpecChange("clicks", "wide", wide), 0);
            for (int i = 0; i < clicks.size(); i++) {
                var input = new dev.chorus.jobs.kafka.Sourced<>(clicks.get(i), 0, i);
                h.processElement(new VariantExample("default", input, null), i);
                h.processElement(new VariantExample("wide", input, null), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            for (String variant : specs.keySet()) {
                ClickExamples.Reference reference = ClickExamples.reference(specs.get(variant), labeled, false);
                FeatureHasher hasher = new FeatureHasher(reference.model().spec().hashing());
                List<float[]> expected = new java.util.ArrayList<>(reference.probabilities());
                for (Example e : clicks.subList(40, 43)) {
                    float[] p = new float[2];
                    reference.model().predictProba(hasher.hash(e.getFields()), p);
                    expected.add(p);
                }
                List<Prediction> mine = predictions(h).stream().filter(p -> p.getVariant().equals(variant)).toList();
                assertThat(mine).as(variant).extracting(Prediction::getId)
                        .containsExactlyElementsOf(clicks.stream().map(Example::getId).toList());
                for (int i = 0; i < clicks.size(); i++) {
                    assertThat(Float32.unpack(mine.get(i).getProbabilities())).as("%s prediction %d", variant, i)
                            .containsExactly(expected.get(i));
                }
                List<ModelSnapshot> snapshots = snapshots(h).stream().filter(m -> m.getVariant().equals(variant))
                        .toList();
                ModelSnapshot last = snapshots.get(snapshots.size() - 1);
                assertThat(last.getParametersFormat()).as("a model that carried no steps: format 1").isEqualTo(1);
                assertThat(bytes(last.getParameters())).as(variant).isEqualTo(reference.model().toBytes());
                assertThat(last.getExamplesSeen()).isEqualTo(40);
            }
            assertThat(predictions(h)).hasSize(2 * 43);
        }
    }

    @Test
    void aHashedRegressionTaskTrainsOnTargetsAsModelCoreDoes() throws Exception {
        String spec = """
                {"algorithm":"linear-regression","batchSize":4,"standardize":false,"hashing":{"bits":8},
                 "optimizer":{"type":"adagrad","learningRate":0.1}}""";
        List<Example> examples = ClickExamples.stream("amounts", 12, 4);
        for (Example e : examples) {
            e.setTarget((Double) e.getFields().remove("amount") / 10);
            e.setLabel(null);
        }
        SparseLinearModel reference = SparseLinearModel.create(dev.chorus.core.model.ModelSpec.parse(spec));
        FeatureHasher hasher = new FeatureHasher(reference.spec().hashing());
        List<Float> expected = new java.util.ArrayList<>();
        var batch = new dev.chorus.core.tensor.SparseBatch(reference.inputDim());
        float[] targets = new float[4];
        for (int i = 0; i < examples.size(); i++) {
            var x = hasher.hash(examples.get(i).getFields());
            expected.add(reference.predictValue(x));
            batch.add(x.indices(), x.values());
            targets[i % 4] = examples.get(i).getTarget().floatValue();
            if (i % 4 == 3) {
                reference.trainMinibatch(batch, targets, new float[] {1, 1, 1, 1});
                batch.clear();
            }
        }
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(spec)).snapshotEveryBatches(1)
                .snapshotIntervalMs(0).batchTimeoutMs(0);
        try (var h = new TrainerHarness(settings)) {
            h.open();
            for (int i = 0; i < examples.size(); i++) {
                h.processElement(sourced(examples.get(i), i), i);
            }
            // Each minibatch is predicted by the model before its update: the reference's predictions one by one.
            assertThat(predictions(h)).extracting(p -> p.getPredictedValue().floatValue())
                    .containsExactlyElementsOf(expected);
            // The operator keeps a minibatch's targets in float32, as for dense regression tasks.
            assertThat(predictions(h)).extracting(p -> p.getTarget().floatValue())
                    .containsExactlyElementsOf(examples.stream().map(e -> e.getTarget().floatValue()).toList());
            assertThat(bytes(snapshots(h).get(2).getParameters())).isEqualTo(reference.toBytes());
        }
    }

    @Test
    void aPartialHashedMinibatchSurvivesASnapshotAndRestoreExactly() throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 22, 3);
        ClickExamples.Reference reference = ClickExamples.reference(ClickExamples.SPEC, clicks, true);
        OperatorSubtaskState saved;
        List<Prediction> before;
        try (var h = harness(new RegisteredMetrics())) {
            h.open();
            for (int i = 0; i < 14; i++) {
                h.processElement(sourced(clicks.get(i), i), i);
            }
            saved = h.snapshot(1, 14);
            before = predictions(h);
        }
        try (var h = harness(new RegisteredMetrics())) {
            h.initializeState(saved);
            h.open();
            for (int i = 14; i < clicks.size(); i++) {
                h.processElement(sourced(clicks.get(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            List<Prediction> all = new java.util.ArrayList<>(before);
            all.addAll(predictions(h));
            assertThat(all).hasSize(22);
            for (int i = 0; i < all.size(); i++) {
                assertThat(Float32.unpack(all.get(i).getProbabilities())).as("prediction %d", i)
                        .containsExactly(reference.probabilities().get(i));
            }
            List<ModelSnapshot> snapshots = snapshots(h);
            assertThat(bytes(snapshots.get(snapshots.size() - 1).getParameters()))
                    .isEqualTo(reference.model().toBytes());
        }
    }

    @Test
    void fieldsThatDoNotHashAreDeadLettersAndCollisionsAreCounted() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = harness(metrics)) {
            h.open();
            Example overflow = ClickExamples.example("twice-crossed", 0, 1);
            // 1.8e19 squared is finite in float32, but twice on one index it is not: only hashing finds out.
            overflow.setFields(Map.of("amount", 1.8e19));
            h.processElement(sourced(overflow, 5), 0);
            assertThat(predictions(h)).isEmpty();
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("fields");
                assertThat(d.getOffset()).isEqualTo(5);
                assertThat(d.getReason()).startsWith("field 'fields.amount': expected hashed values finite in float32, got");
            });
            assertThat(metrics.find("flink_taskmanager_job_task_operator_field_deadLetters", Map.of("field", "fields")))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(1));

            Example crowded = ClickExamples.example("tiny", 1, 1);
            crowded.setFields(Map.of("user", "u1", "country", "FR", "words", List.of("a", "b", "c", "a")));
            crowded.setLabel(null);
            h.processElement(sourced(crowded, 6), 1);
            assertThat(predictions(h)).as("unlabeled: predicted at once").hasSize(1);
            // Five distinct tokens (user=u1, country=FR, words=a, words=b, words=c) on at most two indices.
            long indices = java.util.stream.Stream.of("user=u1", "country=FR", "words=a", "words=b", "words=c")
                    .map(t -> FeatureHasher.index(FeatureHasher.hash(t), 1)).distinct().count();
            assertThat(metrics.find("flink_taskmanager_job_task_operator_hashCollisions", Map.of()))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(5 - indices));
        }
    }
}
