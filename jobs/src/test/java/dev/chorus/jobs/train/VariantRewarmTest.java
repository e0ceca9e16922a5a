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
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A rewarm in place (a drift reaction's {@code rewarm}): a reset in place whose spec warm-starts the variant from
 * itself, without a model. The trainer that owns the variant restarts it from its own weights, with its optimizer
 * and model version from 0, keeps its open minibatch, and tombstones its models-topic key ahead of that version 0.
 */
class VariantRewarmTest {
    static final String REWARM = VariantSpecs.rewarmSpec(SPEC, "w");

    /**
     * A rewarm of a live variant goes out as a reset without a model; one of a variant that is not live (a job
     * started from a compacted control topic that holds only the variant's rewarm record) as a new variant, which its
     * trainer starts fresh, having no weights of its own; one without {@code revive} is a dead letter.
     */
    @Test
    void aRewarmOfALiveVariantIsAResetWithoutAModelOfANewOneAStartAndWithoutReviveADeadLetter() throws Exception {
        String ofV = VariantSpecs.rewarmSpec(SPEC, "v");
        String withoutRevive = REWARM.replace("\"revive\":true,\"reset\":true,", "");
        assertThat(withoutRevive).isNotEqualTo(REWARM);
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/v", live("t", "v", ofV)), 0);
            h.processElement(record("t/w", live("t", "w", SPEC)), 1);
            h.processElement(record("t/w", live("t", "w", REWARM)), 2);
            h.processElement(record("t/w", live("t", "w", withoutRevive)), 3);

            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("t", "v", ofV),
                    new SpecChange("t", "w", SPEC), new SpecChange("t", "w", REWARM));
            SpecChange started = h.extractOutputValues().get(0);
            assertThat(started.reset).isFalse();
            assertThat(started.initialModel).isNull();
            SpecChange rewarm = h.extractOutputValues().get(2);
            assertThat(rewarm.reset).isTrue();
            assertThat(rewarm.initialModel).isNull();
            assertThat(WarmStarts.rewarms(rewarm)).isTrue();
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).singleElement().satisfies(d -> assertThat(d.getReason()).isEqualTo("field "
                    + "'initialModel': expected the saved model the spec's warmStart names, or none for a warm start "
                    + "from the variant itself (a rewarm: \"revive\":true, not a label model or a skip-gram, which "
                    + "restarts from its own weights), got none for a record without \"revive\":true"));
        }
    }

    /**
     * A hashed variant rewarms too: version 0 has its weights with FTRL's {@code z} and {@code n} at 0, and in either
     * state layout a checkpoint taken right after the rewarm restores it exactly (with rows kept apart, every row of
     * the restarted model is written, not only those a step changed).
     */
    @ParameterizedTest
    @EnumSource(TrainSettings.HashedState.class)
    void aHashedVariantRewarmsFromItsOwnWeightsAndACheckpointRightAfterRestoresIt(TrainSettings.HashedState layout)
            throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 30, 5);
        String rewarm = VariantSpecs.rewarmSpec(ClickExamples.SPEC, "w");
        List<List<Either<String, ModelSnapshot>>> runs = new ArrayList<>();
        for (boolean restore : List.of(false, true)) {
            List<Either<String, ModelSnapshot>> models = new ArrayList<>();
            OperatorSubtaskState saved = null;
            try (var h = new TrainerHarness(HashedTrainingTest.settings().hashedState(layout))) {
                h.open();
                h.processBroadcastElement(new SpecChange("clicks", "w", ClickExamples.SPEC), 0);
                clicks(h, clicks, 0, 18);
                h.processBroadcastElement(new SpecChange("clicks", "w", rewarm), 18);
                if (restore) {
                    saved = h.snapshot(1, 18);
                } else {
                    clicks(h, clicks, 18, 30);
                    h.processWatermark(new Watermark(Long.MAX_VALUE));
                }
                models.addAll(models(h));
            }
            if (restore) {
                try (var h = new TrainerHarness(HashedTrainingTest.settings().hashedState(layout))) {
                    h.initializeState(saved);
                    h.open();
                    clicks(h, clicks, 18, 30);
                    h.processWatermark(new Watermark(Long.MAX_VALUE));
                    models.addAll(models(h));
                }
            }
            runs.add(models);
        }
        List<Either<String, ModelSnapshot>> models = runs.get(0);
        assertThat(models).extracting(m -> m.isLeft() ? m.left() : m.right().getVersion())
                .containsExactly(2L, 4L, "clicks/w", 0L, 2L, 4L);
        SparseLinearModel before = SparseLinearModel.fromBytes(HashedTrainingTest.bytes(models.get(1).right()
                .getParameters()));
        assertThat(HashedTrainingTest.bytes(models.get(3).right().getParameters()))
                .as("its own weights, FTRL's state from 0")
                .isEqualTo(before.warmStart(TaskSpecs.parse(ClickExamples.SPEC), false).toBytes())
                .isNotEqualTo(SparseLinearModel.create(TaskSpecs.parse(ClickExamples.SPEC)).toBytes());
        assertThat(runs.get(1)).as("%s: restored right after the rewarm, the same models", layout)
                .extracting(m -> m.isLeft() ? m.left() : HashedTrainingTest.bytes(m.right().getParameters()))
                .containsExactlyElementsOf(models.stream()
                        .map(m -> m.isLeft() ? m.left() : HashedTrainingTest.bytes(m.right().getParameters())).toList());
    }

    private static void clicks(TrainerHarness h, List<Example> clicks, int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            h.processElement(new VariantExample("w", new Sourced<>(clicks.get(i), 0, i), null), i);
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
