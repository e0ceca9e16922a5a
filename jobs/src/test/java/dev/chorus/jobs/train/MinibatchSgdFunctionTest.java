package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

/** The minibatch operator in Flink's keyed operator test harness: outputs, state, timers, snapshot/restore. */
class MinibatchSgdFunctionTest {

    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":3}""";
    static final LabeledDataset DATA = SyntheticBlobs.generate(200, 4, 3, 11);

    static TrainSettings settings() {
        return new TrainSettings().specs(TaskSpecs.ofDefault(SPEC)).snapshotEveryBatches(2).snapshotIntervalMs(0)
                .batchTimeoutMs(1000);
    }

    static Example example(int row) {
        return ExampleProducer.example(DATA, row, "t", "x", 0);
    }

    /** The example as read from partition 0 at {@code offset}. */
    static VariantExample sourced(Example example, long offset) {
        return VariantExample.ofDefault(new Sourced<>(example, 0, offset));
    }

    static TrainerHarness harness(TrainSettings settings)
            throws Exception {
        return new TrainerHarness(settings);
    }

    static List<Prediction> predictions(TrainerHarness h) {
        return h.extractOutputValues();
    }

    static List<ModelSnapshot> snapshots(TrainerHarness h) {
        return models(h).stream().filter(Either::isRight).map(Either::right).toList();
    }

    /** The models side output: snapshots ({@code Right}) and tombstones of restarted variants ({@code Left}). */
    static List<Either<String, ModelSnapshot>> models(TrainerHarness h) {
        ConcurrentLinkedQueue<StreamRecord<Either<String, ModelSnapshot>>> out =
                h.getSideOutput(MinibatchSgdFunction.MODEL_SNAPSHOTS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void predictsEachExampleBeforeTrainingAndClosesMinibatchesByCount() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            for (int i = 0; i < 17; i++) {
                h.processElement(sourced(example(i), i), i);
            }
            List<Prediction> predictions = predictions(h);
            assertThat(predictions).as("the 17th waits for its minibatch to close").hasSize(16);
            // The first 8 were predicted by the untrained model (version 0), the next 8 by version 1.
            assertThat(predictions.subList(0, 8)).allSatisfy(p -> assertThat(p.getModelVersion()).isZero());
            assertThat(predictions.subList(8, 16)).allSatisfy(p -> assertThat(p.getModelVersion()).isEqualTo(1));
            assertThat(predictions).extracting(Prediction::getId).containsExactly(
                    java.util.stream.IntStream.range(0, 16).mapToObj(i -> "x-" + i).toArray(String[]::new));
            assertThat(predictions.get(3).getLabel()).isEqualTo(DATA.labels()[3]);
            assertThat(predictions.get(3).getEventTime()).isEqualTo(3);
            // Each prediction is what that model predicts for the example, one at a time.
            var replay = dev.chorus.core.model.OnlineLearner.create(dev.chorus.core.model.ModelSpec.parse(SPEC));
            float[] expected = new float[3];
            replay.predictProba(DATA.features(), 3 * 4, expected);
            float[] actual = dev.chorus.schemas.Float32.unpack(predictions.get(3).getProbabilities());
            for (int c = 0; c < 3; c++) {
                assertThat(actual[c]).isCloseTo(expected[c], within(1e-6f));
            }
            // snapshotEveryBatches = 2: one snapshot, after the second update.
            assertThat(snapshots(h)).extracting(ModelSnapshot::getVersion).containsExactly(2L);
            assertThat(snapshots(h).get(0).getExamplesSeen()).isEqualTo(16);
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(predictions(h)).hasSize(17);
            assertThat(predictions(h).get(16).getModelVersion()).isEqualTo(2);
        }
    }

    @Test
    void closesAPartialMinibatchWhenItsTimeoutFires() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 0; i < 3; i++) {
                h.processElement(sourced(example(i), i), i);
            }
            assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
            h.setProcessingTime(999);
            h.processElement(sourced(example(3), 3), 3);
            assertThat(predictions(h)).as("predicted when the minibatch closes").isEmpty();
            h.setProcessingTime(1000);
            assertThat(predictions(h)).hasSize(4).allSatisfy(p -> {
                assertThat(p.getModelVersion()).isZero();
                assertThat(p.getProducedAt()).isEqualTo(1000);
            });
            h.processElement(sourced(example(4), 4), 4);
            assertThat(h.numProcessingTimeTimers()).as("a new timer for the new minibatch").isEqualTo(1);
            h.setProcessingTime(2000);
            assertThat(predictions(h).get(4).getModelVersion()).isEqualTo(1);
        }
    }

    @Test
    void unlabeledExamplesArePredictedButNotTrainedOn() throws Exception {
        try (var h = harness(settings().batchTimeoutMs(0))) {
            h.open();
            for (int i = 0; i < 20; i++) {
                Example e = example(i);
                e.setLabel(null);
                h.processElement(sourced(e, i), i);
            }
            assertThat(predictions(h)).hasSize(20).allSatisfy(p -> {
                assertThat(p.getModelVersion()).isZero();
                assertThat(p.getLabel()).isNull();
            });
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(snapshots(h)).as("nothing trained, nothing to publish").isEmpty();
        }
    }

    @Test
    void endOfInputFlushesThePartialMinibatchAndPublishes() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            for (int i = 0; i < 11; i++) {
                h.processElement(sourced(example(i), i), i);
            }
            assertThat(snapshots(h)).isEmpty();
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(snapshots(h)).extracting(ModelSnapshot::getVersion).containsExactly(2L);
            assertThat(snapshots(h).get(0).getExamplesSeen()).isEqualTo(11);
        }
    }

    @Test
    void restoredStateContinuesBitIdenticallyToAnUninterruptedRun() throws Exception {
        TrainSettings settings = settings().batchTimeoutMs(0).snapshotEveryBatches(100);
        byte[] uninterrupted;
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 150; i++) {
                h.processElement(sourced(example(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            uninterrupted = snapshots(h).get(0).getParameters().array();
        }

        OperatorSubtaskState checkpoint;
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 77; i++) { // stops mid-minibatch: 77 = 9 full batches + 5
                h.processElement(sourced(example(i), i), i);
            }
            checkpoint = h.snapshot(1, 77);
        }
        try (var h = harness(settings)) {
            h.initializeState(checkpoint);
            h.open();
            for (int i = 77; i < 150; i++) {
                h.processElement(sourced(example(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(predictions(h).get(0).getModelVersion()).as("restored model version").isEqualTo(9);
            byte[] restored = snapshots(h).get(0).getParameters().array();
            assertThat(restored).isEqualTo(uninterrupted);
        }
    }

    @Test
    void regressionTasksPredictValuesTrainOnTargetsAndRestoreExactly() throws Exception {
        String spec = """
                {"algorithm":"linear-regression","inputDim":4,"batchSize":8,
                 "optimizer":{"type":"adam","learningRate":0.05},"seed":2}""";
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(spec)).snapshotEveryBatches(100)
                .snapshotIntervalMs(0).batchTimeoutMs(0);
        java.util.function.IntFunction<Example> example = row -> {
            Example e = MinibatchSgdFunctionTest.example(row);
            float[] x = java.util.Arrays.copyOfRange(DATA.features(), row * 4, row * 4 + 4);
            e.setLabel(null);
            e.setTarget(2.0 * x[0] - x[1] + 0.5);
            return e;
        };
        byte[] uninterrupted;
        List<Prediction> first;
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 150; i++) {
                h.processElement(sourced(example.apply(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            first = predictions(h);
            uninterrupted = snapshots(h).get(0).getParameters().array();
        }
        assertThat(first).allSatisfy(p -> {
            assertThat(p.getPredictedClass()).isNull();
            assertThat(p.getPredictedValue()).isNotNull();
            assertThat(p.getProbabilities().remaining()).isZero();
        });
        double earlyError = Math.abs(first.get(0).getPredictedValue() - first.get(0).getTarget());
        double lateError = first.subList(140, 150).stream()
                .mapToDouble(p -> Math.abs(p.getPredictedValue() - p.getTarget())).average().orElseThrow();
        assertThat(lateError).as("the regressor learned").isLessThan(earlyError);

        OperatorSubtaskState checkpoint;
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 77; i++) {
                h.processElement(sourced(example.apply(i), i), i);
            }
            checkpoint = h.snapshot(1, 77);
        }
        try (var h = harness(settings)) {
            h.initializeState(checkpoint);
            h.open();
            for (int i = 77; i < 150; i++) {
                h.processElement(sourced(example.apply(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(snapshots(h).get(0).getParameters().array()).isEqualTo(uninterrupted);
        }
    }

    @Test
    void aPoisonedMinibatchIsRejectedAndTrainingGoesOnAsIfItNeverCame() throws Exception {
        String spec = """
                {"algorithm":"linear-regression","inputDim":4,"batchSize":8,"standardize":false,
                 "optimizer":{"type":"sgd","learningRate":0.01},"seed":2}""";
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(spec)).snapshotEveryBatches(100)
                .snapshotIntervalMs(0).batchTimeoutMs(0);
        java.util.function.IntFunction<Example> clean = row -> {
            Example e = MinibatchSgdFunctionTest.example(row);
            e.setLabel(null);
            e.setTarget(1.0 + DATA.labels()[row]);
            return e;
        };
        byte[] withoutPoison;
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 40; i++) {
                h.processElement(sourced(clean.apply(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            withoutPoison = snapshots(h).get(0).getParameters().array();
        }
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 16; i++) {
                h.processElement(sourced(clean.apply(i), i), i);
            }
            for (int i = 0; i < 8; i++) { // one whole minibatch of finite but enormous features
                Example poison = clean.apply(i);
                poison.setId("poison-" + i);
                poison.setFeatures(dev.chorus.schemas.Float32.pack(new float[] {3e38f, 3e38f, 3e38f, 3e38f}));
                h.processElement(sourced(poison, 100 + i), 100 + i);
            }
            for (int i = 16; i < 40; i++) {
                h.processElement(sourced(clean.apply(i), i), i);
            }
            // The poisoned examples' predictions overflowed (Infinity): for the selection, never published.
            assertThat(predictions(h)).hasSize(48).filteredOn(p -> p.getId().startsWith("poison-")).hasSize(8)
                    .allSatisfy(p -> assertThat(ExampleTensors.nonFiniteReason(p)).isNotNull());
            List<Prediction> out = TrainTopologyTest.toPredictionsTopic(predictions(h));
            assertThat(out).hasSize(40).noneMatch(p -> p.getId().startsWith("poison-"));
            assertThat(out.get(16).getModelVersion()).as("the poisoned minibatch made no version").isEqualTo(2);
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(snapshots(h).get(0).getParameters().array()).isEqualTo(withoutPoison);
            assertThat(snapshots(h).get(0).getExamplesSeen()).isEqualTo(40);
        }
    }

    @Test
    void aBatchDeadlineOnTheSnapshotMillisecondDoesNotCancelPeriodicSnapshots() throws Exception {
        TrainSettings settings = settings().snapshotEveryBatches(1000).snapshotIntervalMs(2000).batchTimeoutMs(1000);
        try (var h = harness(settings)) {
            h.open();
            h.setProcessingTime(0);
            // The first example (t=0) schedules the snapshot check at 2000; a minibatch opened at 1000 has its
            // deadline at 2000 too, and is then filled (closed by count) before it fires.
            h.processElement(sourced(example(0), 0), 0);
            for (int i = 1; i < 8; i++) {
                h.processElement(sourced(example(i), i), i);
            }
            h.setProcessingTime(1000);
            for (int i = 8; i < 16; i++) {
                h.processElement(sourced(example(i), i), i);
            }
            h.setProcessingTime(9000);
            assertThat(snapshots(h)).as("the periodic snapshot still fired").isNotEmpty();
        }
    }

    static final String LABEL_MODEL_SPEC = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":3,
             "labelModel":{"method":"dawid-skene","maxAnnotators":3}}""";

    /** Row {@code row} labelled by annotator {@code a<row % annotators>}; annotator a2 always says class 0. */
    static Example labelled(int row, int annotators) {
        Example e = example(row / annotators);
        e.setAnnotator("a" + row % annotators);
        if (row % annotators == 2) {
            e.setLabel(0);
        }
        return e;
    }

    static List<AnnotatorModel> annotatorModels(
            TrainerHarness h) {
        return annotatorOutput(h).stream().filter(Either::isRight).map(Either::right).toList();
    }

    /** The annotators output in order: models ({@code Right}) and tombstones' keys ({@code Left}). */
    static List<Either<String, AnnotatorModel>> annotatorOutput(
            TrainerHarness h) {
        ConcurrentLinkedQueue<StreamRecord<Either<String, AnnotatorModel>>> out =
                h.getSideOutput(MinibatchSgdFunction.ANNOTATOR_MODELS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    static List<DeadLetter> deadLetters(TrainerHarness h) {
        ConcurrentLinkedQueue<StreamRecord<DeadLetter>> out = h.getSideOutput(MinibatchSgdFunction.DEAD_LETTERS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void labelModelTasksPublishEachAnnotatorOnChangeRateLimitedAndWithEverySnapshot() throws Exception {
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(LABEL_MODEL_SPEC))
                .snapshotEveryBatches(4).snapshotIntervalMs(0).batchTimeoutMs(0).annotatorPublishIntervalMs(1000);
        try (var h = harness(settings)) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 0; i < 24; i++) { // 3 minibatches, inside one rate-limit interval
                h.processElement(sourced(labelled(i, 3), i), i);
            }
            assertThat(annotatorModels(h)).as("the first change of each annotator goes out at once").hasSize(3)
                    .allSatisfy(a -> assertThat(a.getVersion()).isEqualTo(1));
            h.setProcessingTime(1000);
            for (int i = 24; i < 32; i++) { // the 4th minibatch: a change after the interval, and a snapshot
                h.processElement(sourced(labelled(i, 3), i), i);
            }
            List<AnnotatorModel> published = annotatorModels(h);
            assertThat(published).hasSize(6);
            assertThat(published.subList(3, 6)).allSatisfy(a -> assertThat(a.getVersion()).isEqualTo(4));
            assertThat(snapshots(h)).hasSize(1);
            assertThat(snapshots(h).get(0).getProvenance()).containsEntry("labelModel", "dawid-skene");
            assertThat(snapshots(h).get(0).getMetrics()).containsEntry("annotators", 3.0)
                    .containsEntry("historyItems", 11.0).containsEntry("historyEvictions", 0.0);
            assertThat(snapshots(h).get(0).getExamplesSeen()).isEqualTo(32);

            long labels = 0;
            for (AnnotatorModel a : published.subList(3, 6)) {
                assertThat(a.getTask()).isEqualTo("t");
                assertThat(a.getNumClasses()).isEqualTo(3);
                float[] confusion = dev.chorus.schemas.Float32.unpack(a.getConfusion());
                for (int row = 0; row < 3; row++) {
                    double sum = confusion[3 * row] + confusion[3 * row + 1] + confusion[3 * row + 2];
                    assertThat(sum).as("%s row %d", a.getAnnotator(), row).isCloseTo(1.0, within(1e-5));
                }
                assertThat(a.getWeight()).as("dawid-skene has no averaging weight").isNull();
                labels += a.getLabelsSeen();
            }
            assertThat(labels).isEqualTo(32);
            AnnotatorModel constant = published.stream().filter(a -> a.getAnnotator().equals("a2")).reduce((x, y) -> y)
                    .orElseThrow();
            AnnotatorModel honest = published.stream().filter(a -> a.getAnnotator().equals("a0")).reduce((x, y) -> y)
                    .orElseThrow();
            assertThat(honest.getReliability()).isGreaterThan(constant.getReliability());

            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(annotatorModels(h)).as("no new version at the end of input: nothing more to say").hasSize(6);
            var restored = dev.chorus.core.saved.SavedModels.read(snapshots(h).get(0).getParameters().array());
            float[] p = new float[3];
            float[] x = java.util.Arrays.copyOfRange(DATA.features(), 0, 4);
            restored.predictProba(x, 0, p);
            assertThat(restored).isInstanceOf(dev.chorus.core.annotators.LabelModel.class);
        }
    }

    /** A label-model task with room for 256 annotators, publishing every change. */
    private static TrainSettings inventedAnnotatorsSettings() {
        String spec = LABEL_MODEL_SPEC.replace("\"maxAnnotators\":3", "\"maxAnnotators\":256");
        return new TrainSettings().specs(TaskSpecs.ofDefault(spec))
                .snapshotEveryBatches(1000).snapshotIntervalMs(0).batchTimeoutMs(0).annotatorPublishIntervalMs(0);
    }

    /** 256 invented annotators with one label each fill every slot; then 16 labels from "real". */
    private static void labelByInventedAnnotatorsThenARealOne(
            TrainerHarness h) throws Exception {
        for (int i = 0; i < 256; i++) {
            Example fake = example(i % 100);
            fake.setId("fake-item-" + i);
            fake.setAnnotator("fake-" + i);
            h.processElement(sourced(fake, i), i);
        }
        for (int i = 256; i < 256 + 16; i++) {
            Example real = example(i - 256);
            real.setAnnotator("real");
            h.processElement(sourced(real, i), i);
        }
    }

    @Test
    void inventedAnnotatorsDoNotLockOutARealOne() throws Exception {
        try (var h = harness(inventedAnnotatorsSettings())) {
            h.open();
            labelByInventedAnnotatorsThenARealOne(h);
            assertThat(deadLetters(h)).as("the real annotator's labels are accepted").isEmpty();
            List<AnnotatorModel> real = annotatorModels(h).stream().filter(a -> a.getAnnotator().equals("real"))
                    .toList();
            assertThat(real).as("its model is published").isNotEmpty();
            assertThat(real.get(real.size() - 1).getLabelsSeen()).isEqualTo(16);
        }
    }

    @Test
    void anEvictedAnnotatorGetsATombstoneBeforeTheModelOfTheAnnotatorThatTookItsSlot() throws Exception {
        try (var h = harness(inventedAnnotatorsSettings())) {
            h.open();
            labelByInventedAnnotatorsThenARealOne(h);
            List<Either<String, AnnotatorModel>> out = annotatorOutput(h);
            List<String> tombstones = out.stream().filter(Either::isLeft).map(Either::left).toList();
            // The real annotator took the slot of the least recently seen invented one, fake-0, published before.
            assertThat(tombstones).containsExactly("t/fake-0");
            int tombstone = out.indexOf(Either.Left("t/fake-0"));
            int firstReal = -1;
            for (int i = 0; i < out.size() && firstReal < 0; i++) {
                if (out.get(i).isRight() && out.get(i).right().getAnnotator().equals("real")) {
                    firstReal = i;
                }
            }
            assertThat(firstReal).as("the real annotator's model is published after the tombstone")
                    .isGreaterThan(tombstone);
            assertThat(tombstone).isNotNegative();
            assertThat(annotatorModels(h).stream().filter(a -> a.getAnnotator().equals("fake-0")).count())
                    .as("fake-0 had been published, so its key is on the topic").isPositive();
        }
    }

    @Test
    void labelsFromOneAnnotatorTooManyGoToTheDeadLetterTopicAndTheExampleIsStillPredicted() throws Exception {
        // protectedLabels 0: every annotator keeps its slot, so the fourth finds none.
        String spec = LABEL_MODEL_SPEC.replace("\"maxAnnotators\":3", "\"maxAnnotators\":3,\"protectedLabels\":0");
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(spec))
                .snapshotEveryBatches(100).snapshotIntervalMs(0).batchTimeoutMs(0);
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 20; i++) { // a0..a3 in the same minibatches: a3 is the fourth of at most 3
                h.processElement(sourced(labelled(i, 4), i), i);
            }
            // 15 accepted labels: a3's first label closed the open minibatch of 3 early (on an empty label model it
            // could have found a slot), then one of 8 closed, 4 wait; the 5 rejected are predicted at once.
            assertThat(predictions(h)).hasSize(16);
            assertThat(predictions(h)).filteredOn(p -> "a3".equals(p.getAnnotator())).hasSize(5);
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(predictions(h)).hasSize(20);
            List<DeadLetter> dead = deadLetters(h);
            assertThat(dead).hasSize(5);
            DeadLetter first = dead.get(0);
            assertThat(first.getField()).isEqualTo("annotator");
            assertThat(first.getReason()).isEqualTo("field 'annotator': expected one of the 3 annotators task \"t\" "
                    + "already tracks, as all its label model's slots (maxAnnotators=3) are held by annotators with "
                    + "at least protectedLabels=0 labels or of the open minibatch, got \"a3\"");
            assertThat(first.getPartition()).isZero();
            assertThat(first.getOffset()).isEqualTo(3);
            assertThat(dead.get(4).getReason()).contains("expected one of the 3 annotators");
            assertThat(snapshots(h).get(0).getExamplesSeen()).isEqualTo(15);
            assertThat(annotatorModels(h)).extracting(AnnotatorModel::getAnnotator).containsOnly("a0", "a1", "a2");
        }
    }

    @Test
    void labelModelStateWithAPartialMinibatchRestoresExactly() throws Exception {
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(LABEL_MODEL_SPEC))
                .snapshotEveryBatches(100).snapshotIntervalMs(0).batchTimeoutMs(0);
        byte[] uninterrupted;
        List<AnnotatorModel> uninterruptedAnnotators;
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 150; i++) {
                h.processElement(sourced(labelled(i, 3), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            uninterrupted = snapshots(h).get(0).getParameters().array();
            uninterruptedAnnotators = annotatorModels(h);
        }
        OperatorSubtaskState checkpoint;
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 77; i++) { // 9 minibatches and 5 rows of the 10th
                h.processElement(sourced(labelled(i, 3), i), i);
            }
            checkpoint = h.snapshot(1, 77);
        }
        try (var h = harness(settings)) {
            h.initializeState(checkpoint);
            h.open();
            for (int i = 77; i < 150; i++) {
                h.processElement(sourced(labelled(i, 3), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(snapshots(h).get(0).getParameters().array()).isEqualTo(uninterrupted);
            List<AnnotatorModel> last = annotatorModels(h);
            assertThat(last.subList(last.size() - 3, last.size()))
                    .usingRecursiveFieldByFieldElementComparatorIgnoringFields("updatedAt")
                    .isEqualTo(uninterruptedAnnotators.subList(uninterruptedAnnotators.size() - 3,
                            uninterruptedAnnotators.size()));
        }
    }

    @Test
    void rejectedMinibatchesAreDescribedByTheirKafkaCoordinates() {
        TrainerState s = TrainerState.create(dev.chorus.core.model.ModelSpec.parse(SPEC), 10);
        int[][] rows = {{1, 40}, {0, 12}, {1, 41}, {0, 13}, {-1, -1}};
        for (int[] row : rows) {
            s.batchPartitions[s.batchFill] = row[0];
            s.batchOffsets[s.batchFill] = row[1];
            s.batchFill++;
        }
        assertThat(TrainRecords.coordinates(s)).isEqualTo("partition ? offsets -1..-1 (1 rows), "
                + "partition 0 offsets 12..13 (2 rows), partition 1 offsets 40..41 (2 rows)");
    }

    static VariantExample ofTask(String task, int row) {
        Example e = example(row);
        e.setTask(task);
        return sourced(e, row);
    }

    @Test
    void tasksPastTheBoundAreDeadLettersAndGetNoState() throws Exception {
        TrainSettings settings = settings().taskBound(new dev.chorus.jobs.TaskBound(2, List.of("allowed")));
        try (var h = harness(settings)) {
            h.open();
            for (int t = 0; t < 10; t++) {
                h.processElement(ofTask("t" + t, t), t);
            }
            h.processElement(ofTask("allowed", 10), 10);
            h.processElement(ofTask("t1", 11), 11);
            h.processElement(ofTask("bad\"\n" + "x".repeat(100), 12), 12);

            List<DeadLetter> dead = deadLetters(h);
            assertThat(dead).as("t2..t9 and the invented name, one dead letter each").hasSize(9);
            assertThat(dead).allSatisfy(d -> {
                assertThat(d.getField()).isEqualTo("task");
                assertThat(d.getReason()).contains("expected one of the allowed tasks [allowed] or one of at most "
                        + "maxTasks=2 other tasks");
                assertThat(d.getOffset()).isGreaterThanOrEqualTo(2);
            });
            assertThat(dead.get(0).getReason()).endsWith("got \"t2\"");
            assertThat(dead.get(8).getReason()).endsWith("got \"bad\\u0022\\u000A" + "x".repeat(75)
                    + "\"... (105 characters)");
            assertThat(h.numKeyedStateEntries()).as("state of t0, t1 and allowed only").isEqualTo(3);
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(predictions(h)).extracting(Prediction::getTask)
                    .containsExactlyInAnyOrder("t0", "t1", "t1", "allowed");
        }
    }

    @Test
    void admittedTasksSurviveARestoreAndARescale() throws Exception {
        TrainSettings settings = settings().taskBound(new dev.chorus.jobs.TaskBound(2, List.of()));
        int maxParallelism = 128;
        OperatorSubtaskState checkpoint;
        try (var h = harness(settings, maxParallelism, 1, 0)) {
            h.open();
            h.processElement(ofTask("t0", 0), 0);
            h.processElement(ofTask("t1", 1), 1);
            checkpoint = h.snapshot(1, 1);
        }
        try (var h = harness(settings, maxParallelism, 1, 0)) {
            h.initializeState(checkpoint);
            h.open();
            h.processElement(ofTask("new", 2), 2);
            h.processElement(ofTask("t1", 3), 3);
            assertThat(deadLetters(h)).as("the restored instance still holds t0 and t1")
                    .extracting(DeadLetter::getOffset).containsExactly(2L);
        }
        // Scaled out to 2: each instance keeps the admitted tasks whose key groups it owns, and has room for the rest.
        for (int subtask = 0; subtask < 2; subtask++) {
            try (var h = restoredAtTwo(settings, checkpoint, maxParallelism, subtask)) {
                int owned = 0;
                for (String task : List.of("t0", "t1")) {
                    if (owner(task, maxParallelism) == subtask) {
                        owned++;
                    }
                }
                int offered = 0;
                for (int t = 0; t < 200 && offered < 3; t++) {
                    String task = "n" + t;
                    if (owner(task, maxParallelism) == subtask) {
                        h.processElement(ofTask(task, offered), offered);
                        offered++;
                    }
                }
                assertThat(deadLetters(h)).as("subtask %d owns %d admitted tasks", subtask, owned)
                        .hasSize(3 - (2 - owned));
            }
        }
    }

    /**
     * A task admitted for its variant's state stays admitted where that state goes on a restore, which is where the
     * variant's key (not the task's name) hashes: here the instance that does not own the name.
     */
    @Test
    void aTaskAdmittedForAVariantStaysAdmittedWhereTheVariantsStateIsRestored() throws Exception {
        TrainSettings settings = settings().taskBound(new dev.chorus.jobs.TaskBound(1, List.of()));
        int maxParallelism = 128;
        String task = null;
        for (int t = 0; task == null; t++) {
            if (owner("v" + t, maxParallelism) == 0 && owner(Variants.key("v" + t, "w"), maxParallelism) == 1) {
                task = "v" + t;
            }
        }
        OperatorSubtaskState checkpoint;
        try (var h = harness(settings, maxParallelism, 1, 0)) {
            h.open();
            h.processBroadcastElement(new SpecChange(task, "w", SPEC), 0);
            Example e = example(0);
            e.setTask(task);
            h.processElement(new VariantExample("w", new Sourced<>(e, 0, 0), null), 0);
            checkpoint = h.snapshot(1, 1);
        }
        for (int subtask = 0; subtask < 2; subtask++) {
            try (var h = restoredAtTwo(settings, checkpoint, maxParallelism, subtask)) {
                String fresh = null;
                for (int t = 0; fresh == null; t++) {
                    if (owner("n" + t, maxParallelism) == subtask) {
                        fresh = "n" + t;
                    }
                }
                h.processElement(ofTask(fresh, 1), 1);
                assertThat(deadLetters(h)).as("subtask %d: a new task %s", subtask, fresh)
                        .hasSize(subtask == 1 ? 1 : 0);
            }
        }
    }

    /** Subtask {@code subtask} of 2, opened on its part of {@code checkpoint}, taken at parallelism 1. */
    private static TrainerHarness restoredAtTwo(TrainSettings settings, OperatorSubtaskState checkpoint,
            int maxParallelism, int subtask) throws Exception {
        OperatorSubtaskState part = org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness
                .repartitionOperatorState(checkpoint, maxParallelism, 1, 2, subtask);
        TrainerHarness h = harness(settings, maxParallelism, 2, subtask);
        h.initializeState(part);
        h.open();
        return h;
    }

    private static int owner(String key, int maxParallelism) {
        return org.apache.flink.runtime.state.KeyGroupRangeAssignment.assignKeyToParallelOperator(key, maxParallelism,
                2);
    }

    static TrainerHarness harness(TrainSettings settings,
            int maxParallelism, int parallelism, int subtask) throws Exception {
        return new TrainerHarness(settings, maxParallelism, parallelism, subtask);
    }
}
