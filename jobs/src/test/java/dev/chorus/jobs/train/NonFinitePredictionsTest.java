package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantsTest.live;
import static dev.chorus.jobs.train.VariantsTest.record;
import static dev.chorus.jobs.train.WarmStartTrainingTest.WARM;
import static dev.chorus.jobs.train.WarmStartTrainingTest.withModel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.OnlineLearner;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;

/**
 * A model whose every number is finite can still predict NaN, when its weights and an example's features multiply
 * past float32: the trainer publishes no such prediction. A model holding NaN itself is refused as a warm start.
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
    void aPredictionThatOverflowsIsADeadLetterOrWithheldNeverPublished() throws Exception {
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
            List<Prediction> published = h.extractOutputValues();
            assertThat(published).as("no prediction of the overflowing model goes out").isEmpty();
            assertThat(deadLetters(h)).as("the unlabelled example's prediction, made at once").singleElement()
                    .satisfies(d -> {
                        assertThat(d.getField()).isEqualTo("prediction");
                        assertThat(d.getReason()).isEqualTo("field 'prediction': expected finite class probabilities, "
                                + "got NaN for class 0 (model t/w version 0: its weights and these features overflow "
                                + "float32)");
                        assertThat(d.getOffset()).isEqualTo(0);
                    });
            assertThat(metrics.all()).filteredOn(r -> r.name().endsWith("_nonFinitePredictions")).singleElement()
                    .satisfies(r -> assertThat(r.value()).as("the unlabelled one and the minibatch's 8").isEqualTo(9));
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
