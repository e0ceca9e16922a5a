package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.HashedTrainingTest.bytes;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.deadLetters;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.predictions;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.snapshots;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.WideDeepModel;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;

/** A wide and deep task in the minibatch operator: test-then-train, snapshots, bad fields, restore. */
class WideDeepTrainingTest {

    static TrainSettings settings() {
        return new TrainSettings().specs(TaskSpecs.of(null, Map.of("clicks", WideDeepClicks.SPEC)))
                .snapshotEveryBatches(2).snapshotIntervalMs(0).batchTimeoutMs(0);
    }

    @Test
    void trainsAWideDeepTaskTestThenTrainBitForBitAsModelCore() throws Exception {
        // 30 labeled examples (7 full minibatches and a partial one the end of input flushes), then 2 unlabeled ones
        // that meet the model of 7 updates on arrival.
        List<Example> clicks = ClickExamples.stream("clicks", 32, 7);
        clicks.subList(30, 32).forEach(e -> e.setLabel(null));
        List<Example> labeled = clicks.subList(0, 30);
        WideDeepClicks.Reference seven = WideDeepClicks.reference(WideDeepClicks.SPEC, labeled.subList(0, 28), false);
        WideDeepClicks.Reference reference = WideDeepClicks.reference(WideDeepClicks.SPEC, labeled, true);
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new TrainerHarness(settings(), metrics.environment())) {
            h.open();
            for (int i = 0; i < clicks.size(); i++) {
                h.processElement(sourced(clicks.get(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            List<Prediction> predictions = predictions(h);
            // The unlabeled ones go out on arrival, before the partial minibatch the end of input closes.
            List<Example> order = new ArrayList<>(clicks.subList(0, 28));
            order.addAll(clicks.subList(30, 32));
            order.addAll(clicks.subList(28, 30));
            assertThat(predictions).extracting(Prediction::getId)
                    .containsExactlyElementsOf(order.stream().map(Example::getId).toList());
            for (int i = 0; i < 30; i++) {
                Prediction p = predictions.get(i < 28 ? i : i + 2);
                assertThat(Float32.unpack(p.getProbabilities())).as("prediction %d", i)
                        .containsExactly(reference.outputs().get(i));
                assertThat(p.getModelVersion()).isEqualTo(i / 4);
            }
            for (int i = 0; i < 2; i++) {
                assertThat(Float32.unpack(predictions.get(28 + i).getProbabilities())).as("unlabeled %d", i)
                        .containsExactly(WideDeepClicks.predict(seven.model(), clicks.get(30 + i)));
                assertThat(predictions.get(28 + i).getModelVersion()).isEqualTo(7);
            }
            List<ModelSnapshot> snapshots = snapshots(h);
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(2L, 4L, 6L, 8L);
            ModelSnapshot last = snapshots.get(snapshots.size() - 1);
            assertThat(last.getAlgorithm()).isEqualTo("wide-deep");
            assertThat(last.getParametersFormat()).isEqualTo(WideDeepModel.FORMAT_VERSION);
            assertThat(bytes(last.getParameters())).isEqualTo(reference.model().toBytes());
            assertThat(last.getExamplesSeen()).isEqualTo(30);
            assertThat(metrics.find("flink_taskmanager_job_task_operator_minibatchUpdates", Map.of()))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(8));
        }
    }

    @Test
    void aWideDeepRegressionTaskTrainsOnTargetsAsModelCoreDoes() throws Exception {
        String spec = WideDeepClicks.SPEC.replace("\"numClasses\":2,", "\"loss\":\"squared-error\",");
        List<Example> examples = ClickExamples.stream("amounts", 12, 4);
        for (Example e : examples) {
            e.setTarget((Double) e.getFields().get("amount") / 10);
            e.setLabel(null);
        }
        WideDeepClicks.Reference reference = WideDeepClicks.reference(spec, examples, false);
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(spec)).snapshotEveryBatches(1)
                .snapshotIntervalMs(0).batchTimeoutMs(0);
        try (var h = new TrainerHarness(settings)) {
            h.open();
            for (int i = 0; i < examples.size(); i++) {
                h.processElement(sourced(examples.get(i), i), i);
            }
            assertThat(predictions(h)).extracting(p -> p.getPredictedValue().floatValue())
                    .containsExactlyElementsOf(reference.outputs().stream().map(o -> o[0]).toList());
            assertThat(snapshots(h)).hasSize(3);
            assertThat(bytes(snapshots(h).get(2).getParameters())).isEqualTo(reference.model().toBytes());
        }
    }

    @Test
    void aPartialWideDeepMinibatchSurvivesASnapshotAndRestoreExactly() throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 22, 3);
        WideDeepClicks.Reference reference = WideDeepClicks.reference(WideDeepClicks.SPEC, clicks, true);
        OperatorSubtaskState saved;
        List<Prediction> all = new ArrayList<>();
        try (var h = new TrainerHarness(settings())) {
            h.open();
            for (int i = 0; i < 14; i++) {
                h.processElement(sourced(clicks.get(i), i), i);
            }
            saved = h.snapshot(1, 14);
            all.addAll(predictions(h));
        }
        try (var h = new TrainerHarness(settings())) {
            h.initializeState(saved);
            h.open();
            for (int i = 14; i < clicks.size(); i++) {
                h.processElement(sourced(clicks.get(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            all.addAll(predictions(h));
            assertThat(all).hasSize(22);
            for (int i = 0; i < all.size(); i++) {
                assertThat(Float32.unpack(all.get(i).getProbabilities())).as("prediction %d", i)
                        .containsExactly(reference.outputs().get(i));
            }
            List<ModelSnapshot> snapshots = snapshots(h);
            assertThat(bytes(snapshots.get(snapshots.size() - 1).getParameters()))
                    .isEqualTo(reference.model().toBytes());
        }
    }

    /** What only the wide and deep batch finds (an embedding field that is not a string) is a dead letter. */
    @Test
    void fieldsTheModelCannotTakeAreDeadLettersNamingTheField() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new TrainerHarness(settings(), metrics.environment())) {
            h.open();
            Example bad = ClickExamples.example("clicks", 0, 1);
            bad.getFields().put("user", 42.0);
            h.processElement(sourced(bad, 5), 0);
            Example fine = ClickExamples.example("clicks", 2, 1);
            fine.setLabel(null);
            h.processElement(sourced(fine, 6), 1);
            assertThat(predictions(h)).extracting(Prediction::getId).as("the next example is predicted at once")
                    .containsExactly(fine.getId());
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("fields");
                assertThat(d.getOffset()).isEqualTo(5);
                assertThat(d.getReason()).isEqualTo(
                        "field 'fields.user': expected a string or a list of strings (an embedding field), got 42.0");
            });
            assertThat(metrics.find("flink_taskmanager_job_task_operator_field_deadLetters", Map.of("field", "fields")))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(1));
            assertThat(metrics.find("flink_taskmanager_job_task_operator_hashCollisions", Map.of())).hasSize(1);
        }
    }
}
