package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.LABEL_MODEL_SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.deadLetters;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.labelled;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantsTest.OTHER_SPEC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A plain retire of a variant with an open minibatch: each labelled example it holds gets the prediction the variant
 * owed it (the retiring model's, which it met on arrival), is not trained, and is counted; none vanishes.
 */
class VariantRetireTest {

    /** Dense, label-model, hashed, wide and deep and large-output variants, each fed examples that leave {@code open} rows in a minibatch. */
    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of("dense", OTHER_SPEC, IntStream.range(0, 13).mapToObj(i -> example(i)).toList(), 5),
                Arguments.of("label model", LABEL_MODEL_SPEC,
                        IntStream.range(0, 13).mapToObj(i -> labelled(i, 3)).toList(), 5),
                Arguments.of("hashed", ClickExamples.SPEC, ClickExamples.stream("t", 14, 7), 2),
                Arguments.of("wide and deep", WideDeepClicks.SPEC, ClickExamples.stream("t", 15, 7), 3),
                Arguments.of("large output", LargeOutputExamples.spec(5_000),
                        LargeOutputExamples.stream("t", 20, 5_000, 5), 4));
    }

    /** The examples to variant {@code w} of task t, which trains {@code spec}. */
    private static void feed(TrainerHarness h, String spec, List<Example> examples) throws Exception {
        h.processBroadcastElement(new SpecChange("t", "w", spec), 0);
        for (int i = 0; i < examples.size(); i++) {
            h.processElement(new VariantExample("w", new Sourced<>(examples.get(i), 0, i), null), i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void retiringAVariantMidMinibatchPredictsItsOpenRowsWithTheRetiringModelAndCountsThem(String kind, String spec,
            List<Example> examples, int open) throws Exception {
        int closed = examples.size() - open;
        List<Prediction> owed;
        try (var h = new TrainerHarness(settings())) {
            h.open();
            feed(h, spec, examples);
            // Had it not retired, the open minibatch would be predicted when it closes, here at the end of input.
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            owed = h.extractOutputValues().subList(closed, examples.size());
        }
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new TrainerHarness(settings(), metrics.environment())) {
            h.open();
            feed(h, spec, examples);
            assertThat(h.extractOutputValues()).as("the closed minibatches").hasSize(closed);

            h.processBroadcastElement(new SpecChange("t", "w", null), examples.size());

            List<Prediction> predictions = h.extractOutputValues();
            assertThat(predictions).extracting(Prediction::getId).as("each example once, none lost at the retire")
                    .containsExactlyElementsOf(examples.stream().map(Example::getId).toList());
            assertThat(predictions.subList(closed, examples.size())).as("the retiring model's predictions")
                    .containsExactlyElementsOf(owed);
            assertThat(deadLetters(h)).isEmpty();
            assertThat(h.numKeyedStateEntries()).as("the retired variant's state is gone").isZero();
            assertThat(metrics.find("flink_taskmanager_job_task_operator_retiredOpenExamples", Map.of()))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(open));
            assertThat(metrics.find("flink_taskmanager_job_task_operator_task_variant_retiredOpenExamples",
                    Map.of("task", "t", "variant", "w"))).as("the retired variant's own count")
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(open));
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(h.extractOutputValues()).as("nothing more at the end of input").hasSize(examples.size());
        }
    }
}
