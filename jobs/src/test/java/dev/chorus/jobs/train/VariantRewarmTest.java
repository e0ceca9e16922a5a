package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.deadLetters;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.models;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantResetTest.train;
import static dev.chorus.jobs.train.VariantsTest.live;
import static dev.chorus.jobs.train.VariantsTest.record;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.LearnerWarmStart;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

/**
 * A rewarm in place (a drift reaction's {@code rewarm}): a reset in place whose spec warm-starts the variant from
 * itself, without a model. The trainer that owns the variant restarts it from its own weights, with its optimizer
 * and model version from 0, keeps its open minibatch, and tombstones its models-topic key ahead of that version 0.
 */
class VariantRewarmTest {
    static final String REWARM = VariantSpecs.rewarmSpec(SPEC, "w");

    @Test
    void aRewarmOfALiveDenseVariantGoesOutAsAResetWithoutAModelAndOneOfAVariantNotLiveIsADeadLetter()
            throws Exception {
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                ProcessFunctionTestHarnesses.forProcessFunction(new SpecControl(settings()))) {
            h.processElement(record("t/w", live("t", "w", REWARM)), 0);
            h.processElement(record("t/w", live("t", "w", SPEC)), 1);
            h.processElement(record("t/w", live("t", "w", REWARM)), 2);

            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("t", "w", SPEC),
                    new SpecChange("t", "w", REWARM));
            SpecChange rewarm = h.extractOutputValues().get(1);
            assertThat(rewarm.reset).isTrue();
            assertThat(rewarm.initialModel).isNull();
            assertThat(WarmStarts.rewarms(rewarm)).isTrue();
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).singleElement().satisfies(d -> assertThat(d.getReason()).isEqualTo("field "
                    + "'initialModel': expected the saved model the spec's warmStart names, or none for a warm start "
                    + "from the variant itself (a rewarm: \"revive\":true of a live dense learner, which restarts from "
                    + "its own weights), got none for variant \"w\", not live"));
        }
    }

    @Test
    void aRewarmRestartsTheVariantFromItsOwnWeightsWithItsOptimizerAndVersionsFromZero() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", SPEC), 0);
            train(h, 0, 35);
            h.processBroadcastElement(new SpecChange("t", "w", REWARM), 35);
            train(h, 35, 48);

            assertThat(models(h)).as("the variant's key tombstoned ahead of the restart's version 0")
                    .extracting(m -> m.isLeft() ? m.left() : m.right().getVersion())
                    .containsExactly(2L, 4L, "t/w", 0L, 2L);
            ModelSnapshot last = models(h).get(1).right();
            ModelSnapshot first = models(h).get(3).right();
            OnlineLearner before = OnlineLearner.fromBytes(HashedTrainingTest.bytes(last.getParameters()));
            OnlineLearner after = OnlineLearner.fromBytes(HashedTrainingTest.bytes(first.getParameters()));
            List<Prediction> predictions = h.extractOutputValues();
            WarmStartTrainingTest.assertPredictedBy(predictions, 32, 40, before);
            assertThat(after.toBytes()).as("its own weights, its optimizer from step 0")
                    .isEqualTo(LearnerWarmStart.startFrom(TaskSpecs.parse(SPEC), before, false).toBytes())
                    .isNotEqualTo(OnlineLearner.create(TaskSpecs.parse(SPEC)).toBytes());
            assertThat(after.steps()).isZero();
            assertThat(after.examplesSeen()).isZero();
            assertThat(first.getExamplesSeen()).isZero();

            assertThat(predictions).extracting(Prediction::getId).as("each example once, none lost at the rewarm")
                    .containsExactlyElementsOf(IntStream.range(0, 48).mapToObj(i -> example(i).getId()).toList());
            assertThat(predictions.subList(32, 40)).extracting(Prediction::getModelVersion)
                    .as("the minibatch open at the rewarm is the restarted model's first").containsOnly(0L);
            assertThat(deadLetters(h)).isEmpty();
        }
    }
}
