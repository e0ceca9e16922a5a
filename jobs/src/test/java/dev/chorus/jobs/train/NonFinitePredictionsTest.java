package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantsTest.live;
import static dev.chorus.jobs.train.VariantsTest.record;
import static dev.chorus.jobs.train.WarmStartTrainingTest.WARM;
import static dev.chorus.jobs.train.WarmStartTrainingTest.withModel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.annotators.ClassifierLabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.embedded.CapturingAppender;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

/**
 * A model whose every number is finite can still predict NaN, when its weights and an example's features multiply
 * past float32: the trainer gives such a prediction to the selection alone, never to the predictions topic. A model
 * holding NaN itself is refused as a warm start.
 */
class NonFinitePredictionsTest {

    /** A learner of the warm spec whose weights are all {@code value}. */
    static OnlineLearner withWeights(float value) {
        OnlineLearner learner = WarmStartTrainingTest.source();
        Arrays.fill(learner.model().network().parameters().get(0).value().data(), value);
        return learner;
    }

    static List<DeadLetter> deadLetters(TrainerHarness h) {
        var out = h.getSideOutput(MinibatchSgdFunction.DEAD_LETTERS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void aPredictionThatOverflowsIsADeadLetterOrLoggedAndNeverReachesThePredictionsTopic() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new TrainerHarness(settings(), metrics.environment())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", WARM, withWeights(Float.MAX_VALUE).toBytes()), 0);
            Example unlabelled = example(0);
            unlabelled.setLabel(null);
            h.processElement(new VariantExample("w", new Sourced<>(unlabelled, 0, 0), null), 1);
            for (int i = 1; i <= 8; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(example(i), 0, i), null), 1 + i);
            }
            List<Prediction> emitted = h.extractOutputValues();
            assertThat(emitted).as("every prediction goes out on the trainer's output, for the selection")
                    .hasSize(9).allSatisfy(p -> assertThat(ExampleTensors.nonFiniteReason(p)).isNotNull());
            assertThat(TrainTopologyTest.toPredictionsTopic(emitted)).as("none of them to the predictions topic")
                    .isEmpty();
            assertThat(deadLetters(h)).as("the unlabelled example's prediction, made at once").singleElement()
                    .satisfies(d -> {
                        assertThat(d.getField()).isEqualTo("prediction");
                        assertThat(d.getReason()).isEqualTo("field 'prediction': expected finite class probabilities, "
                                + "got NaN for class 0 (model \"t/w\" version 0: its weights and these features overflow "
                                + "float32)");
                        assertThat(d.getOffset()).isEqualTo(0);
                    });
            assertThat(metrics.find("flink_taskmanager_job_task_operator_nonFinitePredictions", Map.of()))
                    .singleElement()
                    .satisfies(r -> assertThat(r.value()).as("the unlabelled one and the minibatch's 8").isEqualTo(9));
            assertThat(variantCounter(metrics)).isEqualTo(9);
        }
    }

    /**
     * A diverged variant logs one WARN when its predictions stop being finite, however many follow, and one INFO when
     * they are finite again (here after a revival with finite weights); its own counter counts every one.
     */
    @Test
    void aDivergedVariantLogsOnceAndCountsEveryPredictionThatIsNotFinite() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        CapturingAppender logs = CapturingAppender.attach();
        String revived = WARM.substring(0, WARM.lastIndexOf('}')) + ",\"revive\":true}";
        try (var h = new TrainerHarness(settings(), metrics.environment())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", WARM, withWeights(Float.MAX_VALUE).toBytes()), 0);
            Example unlabelled = example(0);
            unlabelled.setLabel(null);
            h.processElement(new VariantExample("w", new Sourced<>(unlabelled, 0, 0), null), 1);
            for (int i = 1; i <= 16; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(example(i), 0, i), null), 1 + i);
            }
            assertThat(h.extractOutputValues()).as("the unlabelled one and two minibatches of 8").hasSize(17)
                    .allSatisfy(p -> assertThat(ExampleTensors.nonFiniteReason(p)).isNotNull());
            assertThat(variantCounter(metrics)).as("every one of them").isEqualTo(17);
            assertThat(lines(logs, Level.WARN)).as("one WARN for 17").singleElement().asString()
                    .contains("variant w of task t").contains("not finite");

            h.processBroadcastElement(new SpecChange("t", "w", revived, withWeights(0.01f).toBytes()), 30);
            for (int i = 17; i < 33; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(example(i), 0, i), null), 31 + i);
            }
            assertThat(h.extractOutputValues().subList(17, h.extractOutputValues().size()))
                    .as("the revived model's").hasSize(16)
                    .allSatisfy(p -> assertThat(ExampleTensors.nonFiniteReason(p)).isNull());
            assertThat(lines(logs, Level.INFO)).as("once finite again").singleElement().asString()
                    .contains("variant w of task t").contains("finite again");
            assertThat(lines(logs, Level.WARN)).hasSize(1);
            assertThat(variantCounter(metrics)).isEqualTo(17);
        } finally {
            logs.detach();
        }
    }

    private static double variantCounter(RegisteredMetrics metrics) {
        return metrics.find("flink_taskmanager_job_task_operator_task_variant_nonFinitePredictions",
                Map.of("task", "t", "variant", "w")).stream().mapToDouble(RegisteredMetrics.Registered::value).sum();
    }

    private static List<String> lines(CapturingAppender logs, Level level) {
        return logs.at(level).stream().filter(l -> l.startsWith(MinibatchPredictions.class.getName())).toList();
    }

    /** The label-model task's spec, its features taken as they come (no standardiser). */
    static final String RAW_LABEL_MODEL_SPEC = MinibatchSgdFunctionTest.LABEL_MODEL_SPEC
            .replace("\"standardize\":true", "\"standardize\":false");

    /** Row {@code row} of {@link MinibatchSgdFunctionTest#labelled}, every feature {@code value}. */
    static VariantExample labelledWithFeatures(int row, float value) {
        Example e = MinibatchSgdFunctionTest.labelled(row, 3);
        float[] features = new float[4];
        Arrays.fill(features, value);
        e.setFeatures(Float32.pack(features));
        return new VariantExample("w", new Sourced<>(e, 0, row), null);
    }

    /** Variant {@code variant} of task t's trainer state, as the operator keeps it. */
    static TrainerState trainerState(TrainerHarness h, String variant) throws Exception {
        var backend = h.getOperator().getKeyedStateBackend();
        backend.setCurrentKey(Variants.key("t", variant));
        return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                new ValueStateDescriptor<>("trainer", new TrainerStateSerializer())).value();
    }

    /**
     * A minibatch the numeric guard rejects is dropped whole: its labels are not learned, and its predictions are
     * no item's prior. An item owed since the minibatch before (its third label came inside the rate limit) goes out
     * when the rejected one closes, with the class prior, not with the prediction the rejected minibatch made of it
     * (that of its item, with features all 0, is finite; the poisoned row's, whose features 10^10 overflow the warm
     * start's weights 10^30, is NaN and kept off the predictions topic).
     */
    @Test
    void aRejectedMinibatchsPredictionsAreNoConsensusPrior() throws Exception {
        ClassifierLabelModel warm = (ClassifierLabelModel) LabelModels.create(TaskSpecs.parse(RAW_LABEL_MODEL_SPEC));
        Arrays.fill(warm.learner().model().network().parameters().get(0).value().data(), 1e30f);
        String spec = RAW_LABEL_MODEL_SPEC.substring(0, RAW_LABEL_MODEL_SPEC.lastIndexOf('}'))
                + ",\"warmStart\":{\"from\":\"variant:default\"}}";
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(MinibatchSgdFunctionTest.LABEL_MODEL_SPEC))
                .snapshotEveryBatches(100).snapshotIntervalMs(0).batchTimeoutMs(0).annotatorPublishIntervalMs(1000);
        try (var h = new TrainerHarness(settings)) {
            h.open();
            h.setProcessingTime(0);
            h.processBroadcastElement(new SpecChange("t", "w", spec, warm.toSnapshotBytes()), 0);
            for (int i = 0; i < 16; i++) { // two minibatches; item x-2's third label (row 8) is in the second
                h.processElement(labelledWithFeatures(i, 0f), i);
            }
            h.setProcessingTime(1000);
            h.processElement(labelledWithFeatures(6, 0f), 16);
            for (int i = 16; i < 22; i++) {
                h.processElement(labelledWithFeatures(i, 0f), i + 1);
            }
            h.processElement(labelledWithFeatures(22, 1e10f), 23);

            TrainerState s = trainerState(h, "w");
            assertThat(s.version()).as("the third minibatch rejected").isEqualTo(2);
            List<Consensus> item2 = h.getSideOutput(MinibatchSgdFunction.CONSENSUS).stream().map(StreamRecord::getValue)
                    .map(Either::right).filter(c -> c.getItem().equals("x-2")).toList();
            assertThat(item2).as("at once, then owed until the rate limit allows").hasSize(2);
            Consensus owed = item2.get(1);
            assertThat(owed.getUpdatedAt()).isEqualTo(1000);
            assertThat(owed.getLabels()).isEqualTo(3);
            double[] classPrior = s.labelModel.consensus(ExampleTensors.itemKey("x-2"), null).posterior();
            assertThat(owed.getPosterior()).containsExactly(Arrays.stream(classPrior).boxed().toArray(Double[]::new));
        }
    }

    @Test
    void aWarmStartFromAModelHoldingNaNIsADeadLetterOfCheckSpecs() throws Exception {
        byte[] poisoned = withWeights(Float.NaN).toBytes();
        try (var h = CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/w", withModel(live("t", "w", WARM), poisoned)), 0);
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).singleElement().satisfies(d -> {
                assertThat(d.getValue().getField()).isEqualTo("initialModel");
                assertThat(d.getValue().getReason()).startsWith("field 'initialModel': expected a saved model that "
                        + "fits the variant's spec, got " + poisoned.length + " bytes: expected a saved OnlineLearner")
                        .contains("expected finite weights and statistics, got a model whose parameter '")
                        .endsWith("' is NaN at index 0");
            });
        }
    }
}
