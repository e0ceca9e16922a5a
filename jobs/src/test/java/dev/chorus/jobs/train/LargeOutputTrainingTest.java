package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.predictions;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.snapshots;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.output.Scored;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;

/** A large-output task in the minibatch operator: top-k predictions, bit-exact training, snapshots, restore. */
class LargeOutputTrainingTest {

    static final int CLASSES = 5_000;
    static final String SPEC = LargeOutputExamples.spec(CLASSES);

    static TrainerHarness harness() throws Exception {
        return new TrainerHarness(new TrainSettings().specs(TaskSpecs.of(null, Map.of("many", SPEC)))
                .snapshotEveryBatches(2).snapshotIntervalMs(0).batchTimeoutMs(0), new RegisteredMetrics().environment());
    }

    static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    /** The prediction carries the reference's top k, in order, with float32 probabilities, and no dense vector. */
    static void assertTopK(Prediction p, List<Scored> expected) {
        assertThat(p.getProbabilities().remaining()).as("%s: no dense probabilities", p.getId()).isZero();
        assertThat(p.getTopClasses()).as(p.getId()).containsExactlyElementsOf(expected.stream().map(Scored::id).toList());
        float[] probabilities = new float[expected.size()];
        for (int k = 0; k < probabilities.length; k++) {
            probabilities[k] = (float) expected.get(k).score();
        }
        assertThat(Float32.unpack(p.getTopProbabilities())).as(p.getId()).containsExactly(probabilities);
        assertThat(p.getPredictedClass()).isEqualTo(expected.get(0).id());
    }

    @Test
    void trainsALargeOutputTaskTestThenTrainBitForBitAsModelCore() throws Exception {
        List<Example> examples = LargeOutputExamples.stream("many", 64, CLASSES, 5);
        LargeOutputExamples.Reference reference = LargeOutputExamples.reference(SPEC, examples);
        try (var h = harness()) {
            h.open();
            for (int i = 0; i < examples.size(); i++) {
                h.processElement(sourced(examples.get(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            List<Prediction> predictions = predictions(h);
            assertThat(predictions).hasSize(64);
            for (int i = 0; i < examples.size(); i++) {
                assertThat(predictions.get(i).getModelVersion()).isEqualTo(i / 16);
                assertTopK(predictions.get(i), reference.top().get(i));
            }
            List<ModelSnapshot> snapshots = snapshots(h);
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(2L, 4L);
            ModelSnapshot last = snapshots.get(snapshots.size() - 1);
            assertThat(last.getAlgorithm()).isEqualTo("large-softmax");
            assertThat(last.getParametersFormat()).isEqualTo(LargeOutputModel.FORMAT_VERSION);
            assertThat(bytes(last.getParameters())).isEqualTo(reference.model().toBytes());
        }
    }

    /** Each example's weight scales its loss, as model-core's reference trains with them; weight 0 trains nothing. */
    @Test
    void aLargeOutputTaskTrainsWithTheExamplesWeights() throws Exception {
        List<Example> examples = new ArrayList<>(LargeOutputExamples.stream("many", 32, CLASSES, 8));
        examples.replaceAll(e -> Example.newBuilder(e).setWeight(Integer.parseInt(e.getId().substring(5)) % 3).build());
        LargeOutputExamples.Reference reference = LargeOutputExamples.reference(SPEC, examples);
        try (var h = harness()) {
            h.open();
            for (int i = 0; i < examples.size(); i++) {
                h.processElement(sourced(examples.get(i), i), i);
            }
            List<ModelSnapshot> snapshots = snapshots(h);
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(2L);
            assertThat(bytes(snapshots.get(0).getParameters())).as("the model trained with the examples' weights")
                    .isEqualTo(reference.model().toBytes());
        }
        List<Example> unweighted = LargeOutputExamples.stream("many", 32, CLASSES, 8);
        assertThat(reference.model().toBytes()).as("the weights matter")
                .isNotEqualTo(LargeOutputExamples.reference(SPEC, unweighted).model().toBytes());
    }

    @Test
    void aPartialLargeOutputMinibatchSurvivesASnapshotAndRestoreExactly() throws Exception {
        List<Example> examples = LargeOutputExamples.stream("many", 64, CLASSES, 6);
        LargeOutputExamples.Reference reference = LargeOutputExamples.reference(SPEC, examples);
        OperatorSubtaskState saved;
        List<Prediction> all = new ArrayList<>();
        try (var h = harness()) {
            h.open();
            for (int i = 0; i < 40; i++) {
                h.processElement(sourced(examples.get(i), i), i);
            }
            saved = h.snapshot(1, 40);
            all.addAll(predictions(h));
        }
        try (var h = harness()) {
            h.initializeState(saved);
            h.open();
            for (int i = 40; i < examples.size(); i++) {
                h.processElement(sourced(examples.get(i), i), i);
            }
            all.addAll(predictions(h));
            List<ModelSnapshot> snapshots = snapshots(h);
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(4L);
            assertThat(bytes(snapshots.get(0).getParameters())).as("the restored model, sampler included")
                    .isEqualTo(reference.model().toBytes());
        }
        assertThat(all).hasSize(64);
        for (int i = 0; i < 64; i++) {
            assertTopK(all.get(i), reference.top().get(i));
        }
    }
}
