package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.DATA;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.deadLetters;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A retired variant revived as another kind of model ({@code "revive":true} with a spec of its own): the trainer
 * measures the revived model's prequential loss as its kind has it (log loss for a classifier, squared error for a
 * regressor), from its first prediction, not the retired model's.
 */
class VariantReviveTest {

    static final String CLASSIFIER = MinibatchSgdFunctionTest.SPEC;
    static final String REGRESSOR = """
            {"algorithm":"linear-regression","inputDim":4,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":2}""";

    static Example classified(int row) {
        return example(row);
    }

    static Example regressed(int row) {
        Example e = example(row);
        float[] x = Arrays.copyOfRange(DATA.features(), row * 4, row * 4 + 4);
        e.setLabel(null);
        e.setTarget(2.0 * x[0] - x[1] + 0.5);
        return e;
    }

    static Stream<Arguments> kinds() {
        IntFunction<Example> classified = VariantReviveTest::classified;
        IntFunction<Example> regressed = VariantReviveTest::regressed;
        return Stream.of(
                Arguments.of("classifier revived as a regressor", CLASSIFIER, classified, REGRESSOR, regressed),
                Arguments.of("regressor revived as a classifier", REGRESSOR, regressed, CLASSIFIER, classified),
                Arguments.of("classifier revived as another classifier", CLASSIFIER, classified,
                        VariantsTest.OTHER_SPEC, classified));
    }

    private static String revived(String spec) {
        return spec.substring(0, spec.lastIndexOf('}')) + ",\"revive\":true}";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void aVariantRevivedAsAnotherKindTrainsAndMeasuresItsOwnLoss(String name, String before,
            IntFunction<Example> beforeExample, String after, IntFunction<Example> afterExample) throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new TrainerHarness(settings(), metrics.environment())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", before), 0);
            for (int i = 0; i < 16; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(beforeExample.apply(i), 0, i), null), i);
            }
            assertThat(h.extractOutputValues()).as("two minibatches of the first kind").hasSize(16);

            h.processBroadcastElement(new SpecChange("t", "w", null), 16);
            h.processBroadcastElement(new SpecChange("t", "w", revived(after)), 16);
            for (int i = 16; i < 40; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(afterExample.apply(i), 0, i), null), i);
            }

            List<Prediction> revived = h.extractOutputValues().subList(16, 40);
            assertThat(revived).as("three minibatches of the revived model").hasSize(24)
                    .allSatisfy(p -> assertThat(p.getPredictedValue() != null).isEqualTo(after == REGRESSOR));
            assertThat(deadLetters(h)).isEmpty();
            double loss = metrics.find("flink_taskmanager_job_task_operator_task_variant_prequentialLoss",
                    Map.of("task", "t", "variant", "w")).get(0).value();
            assertThat(loss).as("the revived model's own loss").isEqualTo(ownLoss(after, afterExample));
        }
    }

    /** The prequential loss of {@code spec} trained alone on the examples the revived variant trained on. */
    private static double ownLoss(String spec, IntFunction<Example> example) throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new TrainerHarness(settings(), metrics.environment())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", spec), 0);
            for (int i = 16; i < 40; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(example.apply(i), 0, i), null), i);
            }
            return metrics.find("flink_taskmanager_job_task_operator_task_variant_prequentialLoss",
                    Map.of("task", "t", "variant", "w")).get(0).value();
        }
    }
}
