package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.labelled;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.snapshots;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.TaskBound;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Example;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The minibatch operator's per-task metrics, as Flink's Prometheus reporter would name and label them: registered
 * when a task is first seen, labelled with task and variant, and moving as examples arrive.
 */
class TrainMetricsTest {
    static final String PREFIX = "flink_taskmanager_job_task_operator_task_variant_";

    static TrainerHarness harness(TrainSettings settings,
            RegisteredMetrics metrics) throws Exception {
        return new TrainerHarness(settings, metrics.environment());
    }

    static double value(RegisteredMetrics metrics, String name, String task) {
        List<RegisteredMetrics.Registered> found =
                metrics.find(PREFIX + name, Map.of("task", task, "variant", "default"));
        assertThat(found).as("%s of task %s", name, task).hasSize(1);
        return found.get(0).value();
    }

    @Test
    void perTaskGaugesAppearWhenATaskIsFirstSeenAndMoveAsItTrains() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = harness(MinibatchSgdFunctionTest.settings(), metrics)) {
            h.open();
            assertThat(metrics.all()).noneMatch(r -> r.name().startsWith(PREFIX));
            long now = System.currentTimeMillis();
            h.setProcessingTime(now);
            for (int i = 0; i < 8; i++) {
                h.processElement(sourced(example(i), i), i);
            }
            assertThat(value(metrics, "examplesTrained", "t")).isEqualTo(8);
            assertThat(value(metrics, "modelVersion", "t")).isEqualTo(1);
            assertThat(value(metrics, "minibatchesRejected", "t")).isZero();
            assertThat(value(metrics, "prequentialAccuracy", "t")).isBetween(0.0, 1.0);
            assertThat(value(metrics, "prequentialLoss", "t")).isPositive();
            assertThat(value(metrics, "snapshotAgeMs", "t")).as("no snapshot yet").isNaN();

            for (int i = 8; i < 80; i++) {
                h.processElement(sourced(example(i), i), i);
            }
            assertThat(value(metrics, "examplesTrained", "t")).isEqualTo(80);
            assertThat(value(metrics, "modelVersion", "t")).isEqualTo(10);
            // Blobs are easy: after 10 updates most of the window is right and the loss has fallen.
            assertThat(value(metrics, "prequentialAccuracy", "t")).isGreaterThan(0.5);
            assertThat(value(metrics, "snapshotAgeMs", "t")).isBetween(0.0, 3_600_000.0);
            Map<String, Double> published = snapshots(h).get(snapshots(h).size() - 1).getMetrics();
            assertThat(published).containsEntry("prequentialLoss", value(metrics, "prequentialLoss", "t"))
                    .containsEntry("prequentialAccuracy", value(metrics, "prequentialAccuracy", "t"));

            h.processElement(MinibatchSgdFunctionTest.ofTask("other", 100), 100);
            assertThat(value(metrics, "examplesTrained", "other")).as("a task of its own").isZero();
            assertThat(value(metrics, "examplesTrained", "t")).isEqualTo(80);
        }
    }

    @Test
    void labelModelTasksReportTheAnnotatorsTheyTrack() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(MinibatchSgdFunctionTest.LABEL_MODEL_SPEC))
                .snapshotEveryBatches(4).snapshotIntervalMs(0).batchTimeoutMs(0);
        try (var h = harness(settings, metrics)) {
            h.open();
            for (int i = 0; i < 16; i++) {
                h.processElement(sourced(labelled(i, 3), i), i);
            }
            assertThat(value(metrics, "annotatorsTracked", "t")).isEqualTo(3);
            assertThat(value(metrics, "examplesTrained", "t")).isEqualTo(16);
        }
    }

    @Test
    void rejectedMinibatchesAreCountedPerTask() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        String spec = """
                {"algorithm":"linear-regression","inputDim":4,"batchSize":8,"standardize":false,
                 "optimizer":{"type":"sgd","learningRate":0.01},"seed":2}""";
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(spec)).snapshotIntervalMs(0)
                .batchTimeoutMs(0);
        try (var h = harness(settings, metrics)) {
            h.open();
            for (int i = 0; i < 16; i++) {
                Example e = example(i);
                e.setLabel(null);
                e.setTarget(1.0);
                if (i >= 8) { // one whole minibatch of finite but enormous features
                    e.setFeatures(dev.chorus.schemas.Float32.pack(new float[] {3e38f, 3e38f, 3e38f, 3e38f}));
                }
                h.processElement(sourced(e, i), i);
            }
            assertThat(value(metrics, "minibatchesRejected", "t")).isEqualTo(1);
            assertThat(value(metrics, "modelVersion", "t")).isEqualTo(1);
            assertThat(value(metrics, "prequentialLoss", "t")).as("regression: squared error").isPositive();
        }
    }

    @Test
    void deadLettersAreCountedInTotalAndByFieldUnderNamesThatDoNotCollide() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        TrainSettings settings = MinibatchSgdFunctionTest.settings().taskBound(new TaskBound(1, List.of()));
        try (var h = harness(settings, metrics)) {
            h.open();
            h.processElement(MinibatchSgdFunctionTest.ofTask("a", 0), 0);
            h.processElement(MinibatchSgdFunctionTest.ofTask("b", 1), 1);
            h.processElement(MinibatchSgdFunctionTest.ofTask("c", 2), 2);
            assertThat(metrics.find("flink_taskmanager_job_task_operator_deadLetters", Map.of()))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(2));
            assertThat(metrics.find("flink_taskmanager_job_task_operator_field_deadLetters", Map.of("field", "task")))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(2));
        }
    }

    /** The trainer's own dead letters (here a retired variant's) count under their field as the decoder's do. */
    @Test
    void theTrainersOwnDeadLettersAreCountedByFieldToo() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = harness(MinibatchSgdFunctionTest.settings(), metrics)) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "slow", VariantsTest.OTHER_SPEC), 0);
            h.processBroadcastElement(new SpecChange("t", "slow", null), 1);
            h.processElement(new VariantExample("slow", new Sourced<>(example(1), 0, 1), VariantsTest.OTHER_SPEC), 2);
            assertThat(metrics.find("flink_taskmanager_job_task_operator_deadLetters", Map.of()))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(1));
            assertThat(metrics.find("flink_taskmanager_job_task_operator_field_deadLetters", Map.of("field", "variant")))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(1));
        }
    }

    /**
     * A retired variant's metrics go (its gauges and counters unregistered, its prequential window dropped) once more
     * than {@link TrainingMetricsByVariant#RETIRED_KEPT} variants retired after it on this instance: drift forks and
     * searches retire variants whose names never come back, and each kept a window and its metric series for good. A
     * variant revived while its metrics are kept goes on with them; one revived later registers them again.
     */
    @Test
    void retiredVariantsMetricsGoOnceOthersRetiredAfterThem() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        int variants = 200;
        try (var h = harness(MinibatchSgdFunctionTest.settings(), metrics)) {
            h.open();
            for (int v = 0; v < variants; v++) {
                h.processBroadcastElement(new SpecChange("t", "v" + v, MinibatchSgdFunctionTest.SPEC), v);
                h.processElement(new VariantExample("v" + v, new Sourced<>(example(v % 150), 0, v), null), v);
                h.processBroadcastElement(new SpecChange("t", "v" + v, null), v);
            }
            assertThat(registeredVariants(metrics)).as("the variants whose metrics are still registered")
                    .hasSize(TrainingMetricsByVariant.RETIRED_KEPT).contains("v" + (variants - 1)).doesNotContain("v0");

            for (String revived : List.of("v0", "v" + (variants - 1))) {
                h.processBroadcastElement(new SpecChange("t", revived, MinibatchSgdFunctionTest.SPEC), variants);
                h.processElement(new VariantExample(revived, new Sourced<>(example(0), 0, variants), null), variants);
                assertThat(metrics.current()).as(revived).filteredOn(r -> r.name().equals(PREFIX + "examplesTrained")
                        && revived.equals(r.labels().get("variant"))).hasSize(1);
            }
        }
    }

    private static java.util.Set<String> registeredVariants(RegisteredMetrics metrics) {
        return metrics.current().stream().filter(r -> r.name().startsWith(PREFIX))
                .map(r -> r.labels().get("variant")).collect(java.util.stream.Collectors.toSet());
    }
}
