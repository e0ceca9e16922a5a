package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.runtime.ExampleProducer;
import dev.chorus.runtime.LabeledDataset;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
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

    static KeyedOneInputStreamOperatorTestHarness<String, Example, Prediction> harness(TrainSettings settings)
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new MinibatchSgdFunction(settings)),
                Example::getTask, Types.STRING);
    }

    static List<Prediction> predictions(KeyedOneInputStreamOperatorTestHarness<String, Example, Prediction> h) {
        return h.extractOutputValues();
    }

    static List<ModelSnapshot> snapshots(KeyedOneInputStreamOperatorTestHarness<String, Example, Prediction> h) {
        ConcurrentLinkedQueue<StreamRecord<ModelSnapshot>> out = h.getSideOutput(MinibatchSgdFunction.MODEL_SNAPSHOTS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void predictsEachExampleBeforeTrainingAndClosesMinibatchesByCount() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            for (int i = 0; i < 17; i++) {
                h.processElement(example(i), i);
            }
            List<Prediction> predictions = predictions(h);
            assertThat(predictions).hasSize(17);
            // The first 8 were predicted by the untrained model (version 0), the next 8 by version 1, then version 2.
            assertThat(predictions.subList(0, 8)).allSatisfy(p -> assertThat(p.getModelVersion()).isZero());
            assertThat(predictions.subList(8, 16)).allSatisfy(p -> assertThat(p.getModelVersion()).isEqualTo(1));
            assertThat(predictions.get(16).getModelVersion()).isEqualTo(2);
            assertThat(predictions.get(3).getLabel()).isEqualTo(DATA.labels()[3]);
            // snapshotEveryBatches = 2: one snapshot, after the second update.
            assertThat(snapshots(h)).extracting(ModelSnapshot::getVersion).containsExactly(2L);
            assertThat(snapshots(h).get(0).getExamplesSeen()).isEqualTo(16);
        }
    }

    @Test
    void closesAPartialMinibatchWhenItsTimeoutFires() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 0; i < 3; i++) {
                h.processElement(example(i), i);
            }
            assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
            h.setProcessingTime(999);
            h.processElement(example(3), 3);
            assertThat(predictions(h).get(3).getModelVersion()).isZero();
            h.setProcessingTime(1000);
            h.processElement(example(4), 4);
            assertThat(predictions(h).get(4).getModelVersion()).isEqualTo(1);
            assertThat(h.numProcessingTimeTimers()).as("a new timer for the new minibatch").isEqualTo(1);
        }
    }

    @Test
    void unlabeledExamplesArePredictedButNotTrainedOn() throws Exception {
        try (var h = harness(settings().batchTimeoutMs(0))) {
            h.open();
            for (int i = 0; i < 20; i++) {
                Example e = example(i);
                e.setLabel(null);
                h.processElement(e, i);
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
                h.processElement(example(i), i);
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
                h.processElement(example(i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            uninterrupted = snapshots(h).get(0).getParameters().array();
        }

        OperatorSubtaskState checkpoint;
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 77; i++) { // stops mid-minibatch: 77 = 9 full batches + 5
                h.processElement(example(i), i);
            }
            checkpoint = h.snapshot(1, 77);
        }
        try (var h = harness(settings)) {
            h.initializeState(checkpoint);
            h.open();
            for (int i = 77; i < 150; i++) {
                h.processElement(example(i), i);
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
                h.processElement(example.apply(i), i);
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
                h.processElement(example.apply(i), i);
            }
            checkpoint = h.snapshot(1, 77);
        }
        try (var h = harness(settings)) {
            h.initializeState(checkpoint);
            h.open();
            for (int i = 77; i < 150; i++) {
                h.processElement(example.apply(i), i);
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
                h.processElement(clean.apply(i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            withoutPoison = snapshots(h).get(0).getParameters().array();
        }
        try (var h = harness(settings)) {
            h.open();
            for (int i = 0; i < 16; i++) {
                h.processElement(clean.apply(i), i);
            }
            for (int i = 0; i < 8; i++) { // one whole minibatch of finite but enormous features
                Example poison = clean.apply(i);
                poison.setId("poison-" + i);
                poison.setFeatures(dev.chorus.schemas.Float32.pack(new float[] {3e38f, 3e38f, 3e38f, 3e38f}));
                h.processElement(poison, 100 + i);
            }
            for (int i = 16; i < 40; i++) {
                h.processElement(clean.apply(i), i);
            }
            List<Prediction> out = predictions(h);
            assertThat(out.get(24).getModelVersion()).as("the poisoned minibatch made no version").isEqualTo(2);
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
            h.processElement(example(0), 0);
            for (int i = 1; i < 8; i++) {
                h.processElement(example(i), i);
            }
            h.setProcessingTime(1000);
            for (int i = 8; i < 16; i++) {
                h.processElement(example(i), i);
            }
            h.setProcessingTime(9000);
            assertThat(snapshots(h)).as("the periodic snapshot still fired").isNotEmpty();
        }
    }
}
