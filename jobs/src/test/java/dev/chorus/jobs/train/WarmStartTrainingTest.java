package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantsTest.live;
import static dev.chorus.jobs.train.VariantsTest.record;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.output.SkipGram;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Warm starts on the control topic: check-specs refuses a warm start without its model, with a model that does not
 * fit, or a model without a warm start, naming the field; the trainer starts a warm variant from the model once, at
 * creation, and a restore does not start it again.
 */
class WarmStartTrainingTest {
    static final String WARM = SPEC.substring(0, SPEC.lastIndexOf('}')) + ",\"warmStart\":{\"from\":\"variant:default\"}}";

    /** A learner of {@link MinibatchSgdFunctionTest#SPEC} trained on rows 100..131, as a snapshot would carry it. */
    static OnlineLearner source() {
        OnlineLearner learner = OnlineLearner.create(TaskSpecs.parse(SPEC));
        for (int row = 100; row < 132; row += 8) {
            float[] x = new float[8 * 4];
            int[] y = new int[8];
            for (int i = 0; i < 8; i++) {
                ExampleTensors.copyFeatures(example(row + i), x, i * 4, 4);
                y[i] = example(row + i).getLabel();
            }
            learner.trainMinibatch(x, y, null, 8);
        }
        return learner;
    }

    @Test
    void aWarmStartWithoutItsModelWithAModelThatDoesNotFitOrAModelWithoutAWarmStartIsADeadLetter() throws Exception {
        byte[] model = source().toBytes();
        String wider = WARM.replace("\"inputDim\":4", "\"inputDim\":5");
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/w", live("t", "w", WARM)), 0);
            h.processElement(record("t/w", withModel(live("t", "w", wider), model)), 1);
            h.processElement(record("t/w", withModel(live("t", "w", SPEC), model)), 2);
            h.processElement(record("t/w", withModel(live("t", "w", WARM), new byte[] {1, 2})), 3);
            h.processElement(record("t/w", withModel(live("t", "w", WARM), model)), 4);

            assertThat(h.extractOutputValues()).singleElement().satisfies(c -> {
                assertThat(c).isEqualTo(new SpecChange("t", "w", WARM));
                assertThat(c.initialModel).isEqualTo(model);
            });
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).extracting(DeadLetter::getField).containsOnly("initialModel").hasSize(4);
            assertThat(dead.get(0).getReason()).isEqualTo("field 'initialModel': expected the saved model the spec's "
                    + "warmStart names (variant \"default\"; chorus specs put reads it), got null");
            assertThat(dead.get(1).getReason()).isEqualTo("field 'initialModel': expected a saved model that fits the "
                    + "variant's spec, got " + model.length + " bytes: key 'inputDim': expected 5 (the variant's spec), "
                    + "got 4 (the saved model's)");
            assertThat(dead.get(2).getReason()).isEqualTo("field 'initialModel': expected null for a spec without "
                    + "warmStart, got " + model.length + " bytes");
            assertThat(dead.get(3).getReason()).startsWith("field 'initialModel': expected a saved model that fits "
                    + "the variant's spec, got 2 bytes: expected a saved OnlineLearner");
        }
    }

    @Test
    void aWarmVariantPredictsWithTheSavedModelFromVersionZeroAndARestoreDoesNotStartItAgain() throws Exception {
        OnlineLearner source = source();
        OperatorSubtaskState saved;
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", WARM, source.toBytes()), 0);
            for (int i = 0; i < 8; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(example(i), 0, i), null), i);
            }
            List<Prediction> first = h.extractOutputValues();
            assertThat(first).hasSize(8).extracting(Prediction::getModelVersion).containsOnly(0L);
            assertPredictedBy(first, 0, 8, source);
            saved = h.snapshot(1, 8);
        }
        try (var h = new TrainerHarness(settings())) {
            h.initializeState(saved);
            h.open();
            // After a restore the router announces the variant again, with its model: the trainer keeps its state.
            h.processElement(new VariantExample("w", new Sourced<>(example(8), 0, 8), WARM, source.toBytes()), 8);
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            List<ModelSnapshot> snapshots = MinibatchSgdFunctionTest.snapshots(h);
            assertThat(snapshots).singleElement().satisfies(m -> {
                assertThat(m.getVersion()).isEqualTo(2);
                assertThat(m.getExamplesSeen()).as("the 8 before the restore and the one after").isEqualTo(9);
            });
        }
    }

    @Test
    void aHashedVariantStartsFromASavedSparseLinearModelAndOneOfAnotherShapeIsADeadLetter() throws Exception {
        String spec = ClickExamples.SPEC.substring(0, ClickExamples.SPEC.lastIndexOf('}'))
                + ",\"warmStart\":{\"from\":\"variant:default\"}}";
        SparseLinearModel source = ClickExamples.reference(ClickExamples.SPEC,
                ClickExamples.stream("clicks", 40, 3), true).model();
        byte[] model = source.toBytes();
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("clicks/w", withModel(live("clicks", "w", spec.replace("\"bits\":12",
                    "\"bits\":13")), model)), 0);
            h.processElement(record("clicks/w", withModel(live("clicks", "w", spec), model)), 1);

            assertThat(h.extractOutputValues()).singleElement().satisfies(c -> {
                assertThat(c).isEqualTo(new SpecChange("clicks", "w", spec));
                assertThat(c.initialModel).isEqualTo(model);
            });
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).singleElement().satisfies(d -> assertThat(
                    d.getValue().getReason()).isEqualTo("field 'initialModel': expected a saved model that fits the "
                    + "variant's spec, got " + model.length + " bytes: key 'inputDim': expected 8192 (the variant's "
                    + "spec), got 4096 (the saved model's)"));
        }
        List<Example> clicks = ClickExamples.stream("clicks", 4, 5);
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("clicks", "w", spec, model), 0);
            for (int i = 0; i < clicks.size(); i++) {
                h.processElement(new VariantExample("w", new Sourced<>(clicks.get(i), 0, i), null), i);
            }
            List<Prediction> first = h.extractOutputValues();
            assertThat(first).hasSize(4).extracting(Prediction::getModelVersion).containsOnly(0L);
            FeatureHasher hasher = new FeatureHasher(source.spec().hashing());
            for (int i = 0; i < 4; i++) {
                float[] expected = new float[2];
                source.predictProba(hasher.hash(clicks.get(i).getFields()), expected);
                assertThat(Float32.unpack(first.get(i).getProbabilities())).as("row %d", i).containsExactly(expected);
            }
        }
    }

    /**
     * A carried fork of a hashed variant goes on with the source's learning-rate schedule (FTRL at α 0.1 halving each
     * step), through a checkpoint in either state layout: after 10 steps of the source and 4 of its own, 2 before and
     * 2 after a restore, its rows are those of the source trained on through the same 16 clicks, and its snapshots
     * carry format 2 with the 10 steps it carried. Before, the fork restarted the schedule at α 0.1.
     */
    @ParameterizedTest
    @EnumSource(TrainSettings.HashedState.class)
    void aCarriedHashedForkGoesOnWithTheSourcesScheduleThroughACheckpoint(TrainSettings.HashedState layout)
            throws Exception {
        String decaying = ClickExamples.SPEC.replace("\"optimizer\"", "\"schedule\":{\"type\":\"exponential\","
                + "\"gamma\":0.5},\"optimizer\"");
        String fork = decaying.substring(0, decaying.lastIndexOf('}'))
                + ",\"warmStart\":{\"from\":\"variant:default\",\"optimizer\":\"carry\"}}";
        List<Example> before = ClickExamples.stream("clicks", 40, 3);
        byte[] source = ClickExamples.reference(decaying, before, false).model().toBytes();
        List<Example> clicks = ClickExamples.stream("clicks", 16, 5);
        List<ModelSnapshot> snapshots = new java.util.ArrayList<>();
        OperatorSubtaskState saved;
        try (var h = new TrainerHarness(HashedTrainingTest.settings().hashedState(layout))) {
            h.open();
            h.processBroadcastElement(new SpecChange("clicks", "w", fork, source), 0);
            for (int i = 0; i < 8; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(clicks.get(i), 0, i), null), i);
            }
            snapshots.addAll(MinibatchSgdFunctionTest.snapshots(h));
            saved = h.snapshot(1, 8);
        }
        try (var h = new TrainerHarness(HashedTrainingTest.settings().hashedState(layout))) {
            h.initializeState(saved);
            h.open();
            for (int i = 8; i < 16; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(clicks.get(i), 0, i), null), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            snapshots.addAll(MinibatchSgdFunctionTest.snapshots(h));
        }

        assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(2L, 4L);
        List<Example> straight = new java.util.ArrayList<>(before);
        straight.addAll(clicks);
        SparseLinearModel expected = ClickExamples.reference(decaying, straight, false).model();
        for (ModelSnapshot m : snapshots) {
            byte[] bytes = HashedTrainingTest.bytes(m.getParameters());
            SparseLinearModel model = SparseLinearModel.fromBytes(bytes);
            assertThat(model.optimizerSteps()).as("%s: 10 carried and its own", layout).isEqualTo(10 + m.getVersion());
            assertThat(m.getParametersFormat()).as("the format its bytes hold").isEqualTo(2)
                    .isEqualTo(ByteBuffer.wrap(bytes).getInt(4));
        }
        SparseLinearModel last = SparseLinearModel.fromBytes(HashedTrainingTest.bytes(snapshots.get(1).getParameters()));
        assertThat(last.copyRows(0, last.rows())).as("%s: the source trained on through the same clicks", layout)
                .containsExactly(expected.copyRows(0, expected.rows()));
    }

    @Test
    void aWideDeepVariantStartsFromASavedWideDeepModel() throws Exception {
        String spec = WideDeepClicks.SPEC.substring(0, WideDeepClicks.SPEC.lastIndexOf('}'))
                + ",\"warmStart\":{\"from\":\"variant:default\",\"optimizer\":\"reset\"}}";
        WideDeepModel source = WideDeepClicks.reference(WideDeepClicks.SPEC, ClickExamples.stream("clicks", 40, 3),
                true).model();
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("clicks/w", withModel(live("clicks", "w", spec), source.toBytes())), 0);
            assertThat(h.extractOutputValues()).singleElement().isEqualTo(new SpecChange("clicks", "w", spec));
        }
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("clicks", "w", spec, source.toBytes()), 0);
            List<Example> clicks = ClickExamples.stream("clicks", 4, 5);
            for (int i = 0; i < clicks.size(); i++) {
                clicks.get(i).setLabel(null);
                h.processElement(new VariantExample("w", new Sourced<>(clicks.get(i), 0, i), null), i);
            }
            List<Prediction> first = h.extractOutputValues();
            assertThat(first).hasSize(4).extracting(Prediction::getModelVersion).containsOnly(0L);
            for (int i = 0; i < 4; i++) {
                assertThat(Float32.unpack(first.get(i).getProbabilities())).as("row %d", i)
                        .containsExactly(WideDeepClicks.predict(source, clicks.get(i)));
            }
        }
    }

    @Test
    void aLargeSoftmaxVariantStartsFromASavedLargeOutputModel() throws Exception {
        String plain = LargeOutputExamples.spec(200);
        String spec = plain.substring(0, plain.lastIndexOf('}')) + ",\"warmStart\":{\"from\":\"variant:default\"}}";
        LargeOutputModel source = LargeOutputExamples.reference(plain, LargeOutputExamples.stream("many", 48, 200, 3))
                .model();
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("many/w", withModel(live("many", "w", spec), source.toBytes())), 0);
            assertThat(h.extractOutputValues()).singleElement().isEqualTo(new SpecChange("many", "w", spec));
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).isNull();
        }
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("many", "w", spec, source.toBytes()), 0);
            List<Example> examples = LargeOutputExamples.stream("many", 16, 200, 5);
            for (int i = 0; i < examples.size(); i++) {
                h.processElement(new VariantExample("w", new Sourced<>(examples.get(i), 0, i), null), i);
            }
            List<Prediction> first = h.extractOutputValues();
            assertThat(first).hasSize(16).extracting(Prediction::getModelVersion).containsOnly(0L);
            FeatureHasher hasher = new FeatureHasher(source.spec().hashing());
            for (int i = 0; i < 16; i++) {
                LargeOutputTrainingTest.assertTopK(first.get(i), source.predictTopK(hasher.hash(examples.get(i)
                        .getFields())));
            }
        }
    }

    @Test
    void aSkipGramVariantStartsFromASavedSkipGram() throws Exception {
        String plain = "{\"algorithm\":\"skip-gram\",\"seed\":5,\"skipGram\":{\"buckets\":512,\"dim\":8}}";
        String spec = plain.substring(0, plain.lastIndexOf('}')) + ",\"warmStart\":{\"from\":\"variant:default\"}}";
        SkipGram source = new SkipGram(TaskSpecs.parse(plain).skipGram(), 5);
        source.train(List.of("the", "cat", "sat", "on", "the", "mat"));
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("words/w", withModel(live("words", "w", spec), source.toBytes())), 0);
            assertThat(h.extractOutputValues()).singleElement().isEqualTo(new SpecChange("words", "w", spec));
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).isNull();
        }
        TrainerState started = WarmStarts.state(TaskSpecs.parse(spec.replace(",\"warmStart\":{\"from\":"
                + "\"variant:default\"}", "")), spec, source.toBytes(), 100);
        assertThat(started.skipGram.steps()).isZero();
        assertThat(started.skipGram.toBytes()).as("the saved vectors and counts, pairs from 0")
                .isEqualTo(source.warmStart(source.spec(), 5).toBytes());
    }

    @Test
    void aLabelModelVariantStartsFromASavedLabelModel() throws Exception {
        String plain = MinibatchSgdFunctionTest.LABEL_MODEL_SPEC;
        String spec = plain.substring(0, plain.lastIndexOf('}')) + ",\"warmStart\":{\"from\":\"variant:default\"}}";
        LabelModel source = LabelModels.create(TaskSpecs.parse(plain));
        float[] x = new float[8 * 4];
        long[] items = new long[8];
        String[] annotators = new String[8];
        int[] labels = new int[8];
        for (int i = 0; i < 8; i++) {
            ExampleTensors.copyFeatures(example(100 + i), x, i * 4, 4);
            items[i] = i;
            annotators[i] = "a" + i % 2;
            labels[i] = example(100 + i).getLabel();
        }
        source.train(x, items, annotators, labels, 8);
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", spec, source.toBytes()), 0);
            for (int i = 0; i < 4; i++) {
                Example unlabelled = example(i);
                unlabelled.setLabel(null);
                h.processElement(new VariantExample("w", new Sourced<>(unlabelled, 0, i), null), i);
            }
            List<Prediction> first = h.extractOutputValues();
            assertThat(first).hasSize(4).extracting(Prediction::getModelVersion).containsOnly(0L);
            assertPredictedBy(first, 0, 4, source);
        }
    }

    /**
     * Predictions {@code from..to-1}, of examples {@code from..to-1} ({@link MinibatchSgdFunctionTest#example}), are
     * {@code model}'s (to 1e-6: the job predicts a minibatch in one batched pass).
     */
    static void assertPredictedBy(List<Prediction> predictions, int from, int to, Predictor model) {
        for (int i = from; i < to; i++) {
            float[] x = new float[4];
            ExampleTensors.copyFeatures(example(i), x, 0, 4);
            float[] expected = new float[3];
            model.predictProba(x, 0, expected);
            assertThat(Float32.unpack(predictions.get(i).getProbabilities())).as("row %d", i)
                    .containsExactly(expected, org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    static VariantSpecRecord withModel(VariantSpecRecord record, byte[] model) {
        record.setInitialModel(ByteBuffer.wrap(model));
        return record;
    }
}
