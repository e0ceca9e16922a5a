package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.deadLetters;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.models;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantsTest.bytes;
import static dev.chorus.jobs.train.VariantsTest.live;
import static dev.chorus.jobs.train.VariantsTest.record;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import org.assertj.core.data.Offset;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

/**
 * A reset in place (a drift reaction's {@code reset}): a LIVE record with {@code revive} for a live variant with its
 * model goes out even when it equals the live spec, one with another model is a dead letter; the trainer swaps the
 * variant's model for a fresh one and keeps its open minibatch, so that no example is lost or dead-lettered. A reset,
 * and a revival after a retirement, tombstone the variant's models-topic key ahead of the fresh model's snapshots.
 */
class VariantResetTest {
    static final String REVIVED = SPEC.substring(0, SPEC.lastIndexOf('}')) + ",\"revive\":true}";
    static final String SMALLER = SPEC.replace("\"batchSize\":8", "\"batchSize\":4");
    static final String SMALLER_REVIVED = SMALLER.substring(0, SMALLER.lastIndexOf('}')) + ",\"revive\":true}";

    @Test
    void aReviveOfALiveVariantWithItsModelGoesOutEachTimeAndOneWithAnotherModelIsADeadLetter() throws Exception {
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/w", live("t", "w", SPEC)), 0);
            h.processElement(record("t/w", live("t", "w", REVIVED)), 1);
            h.processElement(record("t/w", live("t", "w", REVIVED)), 2);
            h.processElement(record("t/w", live("t", "w", REVIVED.replace("\"seed\":3", "\"seed\":4"))), 3);

            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("t", "w", SPEC),
                    new SpecChange("t", "w", REVIVED), new SpecChange("t", "w", REVIVED));
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).singleElement().satisfies(d -> assertThat(d.getReason()).startsWith(
                    "field 'spec': expected the live spec of \"t/w\" (" + SpecControl.quotedSpec(REVIVED) + "), as a live variant's spec "
                            + "never changes (but for a reset: \"revive\":true with the same model)"));
        }
    }

    /**
     * A task's --spec default, seeded on the control topic with --spec's own JSON, is live without check-specs ever
     * entering it: a reset of it is still a reset (before: sent as a plain change, so nothing restarted and the old
     * model went on under the reset's generation), and its tombstone still retires it.
     */
    @Test
    void aSeededDefaultIsResetAndRetiredAsAnyLiveVariantIs() throws Exception {
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(at(record("t/default", live("t", "default", SPEC)), 0), 0);
            h.processElement(at(record("t/default", live("t", "default", REVIVED)), 9), 1);
            assertThat(h.extractOutputValues()).singleElement().satisfies(c -> {
                assertThat(c).isEqualTo(new SpecChange("t", "default", REVIVED));
                assertThat(c.reset).as("a reset").isTrue();
                assertThat(c.generation).isEqualTo(9L);
            });
        }
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/default", live("t", "default", SPEC)), 0);
            h.processElement(new KafkaRecord("chorus.specs", 0, 1, 0, bytes("t/default"), null), 1);
            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("t", "default", null));
        }
    }

    /**
     * A task's --spec default that the control topic has never named (no entry) is reset in place only by a record
     * with --spec's own model; the topic's first default record may give it another model, and one that says
     * {@code revive} or {@code reset} too is that: a new spec, started fresh, not a reset (before: sent as a reset, so
     * the trainer copied the open minibatch into the smaller model's arrays and crash-looped).
     */
    @Test
    void aResetOfAnUnseededDefaultWithAnotherModelIsTheTopicsFirstDefaultNotAReset() throws Exception {
        for (String other : List.of(SMALLER_REVIVED, VariantSpecs.resetSpec(SMALLER))) {
            try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                    CheckSpecsHarness.open(settings())) {
                h.processElement(record("t/default", live("t", "default", other)), 0);
                assertThat(h.extractOutputValues()).singleElement().satisfies(c -> {
                    assertThat(c).isEqualTo(new SpecChange("t", "default", other));
                    assertThat(c.reset).as("not a reset: %s", other).isFalse();
                });
                assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).isNullOrEmpty();
            }
        }
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/default", live("t", "default", REVIVED)), 0);
            assertThat(h.extractOutputValues()).singleElement()
                    .satisfies(c -> assertThat(c.reset).as("--spec's own model: a reset").isTrue());
        }
    }

    /**
     * Defensively, a change the trainer is told is a reset but whose model spec is not the live state's (which
     * check-specs never sends) restarts the variant as a revival does, whatever the shapes: the open minibatch is
     * predicted by the old model, the model key tombstoned, the fresh model published at version 0 and trained.
     */
    @Test
    void aResetToAnotherModelSpecRestartsTheVariantInsteadOfFailingOnItsOpenMinibatch() throws Exception {
        String rewarm = VariantSpecs.rewarmSpec(SMALLER, "default");
        String otherShape = SPEC.replace("\"batchSize\":8", "\"batchSize\":16");
        for (String other : List.of(SMALLER_REVIVED, otherShape, rewarm)) {
            try (var h = new TrainerHarness(settings())) {
                h.open();
                for (int i = 0; i < 13; i++) { // a full minibatch and 5 rows of the next
                    h.processElement(MinibatchSgdFunctionTest.sourced(example(i), i), i);
                }
                SpecChange reset = new SpecChange("t", "default", other);
                reset.reset = true;
                h.processBroadcastElement(reset, 13);
                for (int i = 13; i < 29; i++) {
                    h.processElement(MinibatchSgdFunctionTest.sourced(example(i), i), i);
                }
                h.processWatermark(new org.apache.flink.streaming.api.watermark.Watermark(Long.MAX_VALUE));

                assertThat(h.extractOutputValues()).extracting(Prediction::getId).as(other)
                        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 29)
                                .mapToObj(i -> example(i).getId()).toList());
                assertThat(h.extractOutputValues().subList(8, 13)).extracting(Prediction::getModelVersion)
                        .as("the open minibatch, predicted by the old model").containsOnly(1L);
                assertThat(models(h).subList(0, 2)).extracting(m -> m.isLeft() ? m.left() : m.right().getVersion())
                        .as(other).containsExactly("t/default", 0L);
                assertThat(HashedTrainingTest.bytes(models(h).get(1).right().getParameters())).as(other)
                        .isEqualTo(OnlineLearner.create(VariantSpecs.parse(other)).toBytes());
                assertThat(models(h).get(models(h).size() - 1).right().getVersion()).as(other)
                        .isEqualTo(16 / VariantSpecs.parse(other).batchSize());
                assertThat(deadLetters(h)).isEmpty();
            }
        }
    }

    /** A reset after a restore still keeps the open minibatch: the restored model's spec is the reset's. */
    @Test
    void aResetAfterARestoreStillSwapsTheModelInPlace() throws Exception {
        org.apache.flink.runtime.checkpoint.OperatorSubtaskState checkpoint;
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", SPEC), 0);
            train(h, 0, 13);
            checkpoint = h.snapshot(1, 13);
        }
        try (var h = new TrainerHarness(settings())) {
            h.initializeState(checkpoint);
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", REVIVED), 13);
            train(h, 13, 16);
            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion)
                    .as("the minibatch open at the reset is the fresh model's first").containsOnly(0L).hasSize(8);
        }
    }

    /**
     * A reset marked as one ({@link VariantSpecs#resetSpec}: what a drift reaction and {@code chorus specs reset}
     * write) of a key the topic retired in the meantime (a drift reset is committed at the job's next checkpoint, and
     * a user's retire may land first) is a dead letter naming the field: it never revives the variant. A reset of a
     * key the job never saw (a fresh job reading the compacted topic) starts it, and a revive still revives.
     */
    @Test
    void aResetThatCrossedARetirementIsADeadLetterAndRevivesNothing() throws Exception {
        String reset = VariantSpecs.resetSpec(SPEC);
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/w", live("t", "w", SPEC)), 0);
            h.processElement(new KafkaRecord("chorus.specs", 0, 1, 0, bytes("t/w"), null), 1);
            h.processElement(at(record("t/w", live("t", "w", reset)), 2), 2);
            h.processElement(at(record("t/v", live("t", "v", reset)), 3), 3);
            h.processElement(at(record("t/w", live("t", "w", REVIVED)), 4), 4);

            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("t", "w", SPEC),
                    new SpecChange("t", "w", null), new SpecChange("t", "v", reset),
                    new SpecChange("t", "w", REVIVED));
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).singleElement().satisfies(d -> assertThat(d.getReason()).isEqualTo(
                    "field 'reset': expected a live variant to reset in place, got retired variant \"t/w\": a reset "
                            + "never revives (chorus specs put --revive does)"));
        }
    }

    /** Each accepted change carries its record's offset: the generation of the model a LIVE one starts. */
    @Test
    void eachChangeCarriesTheOffsetOfTheControlRecordThatCausedIt() throws Exception {
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(at(record("t/w", live("t", "w", SPEC)), 4), 0);
            h.processElement(at(record("t/w", live("t", "w", REVIVED)), 9), 1);

            assertThat(h.extractOutputValues()).extracting(c -> c.generation).containsExactly(4L, 9L);
        }
    }

    /**
     * Every snapshot carries the generation of the change that started its model, the restart's version 0 that of the
     * reset: what a serve job holding it asks of a champion record.
     */
    @Test
    void everySnapshotCarriesTheGenerationOfTheChangeThatStartedItsModel() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            SpecChange created = new SpecChange("t", "w", SPEC);
            created.generation = 4L;
            h.processBroadcastElement(created, 0);
            train(h, 0, 32);
            SpecChange reset = new SpecChange("t", "w", REVIVED);
            reset.generation = 9L;
            h.processBroadcastElement(reset, 32);
            train(h, 32, 48);

            assertThat(models(h)).filteredOn(Either::isRight).extracting(m -> m.right().getVersion(),
                    m -> m.right().getGeneration()).containsExactly(org.assertj.core.groups.Tuple.tuple(2L, 4L),
                    org.assertj.core.groups.Tuple.tuple(4L, 4L), org.assertj.core.groups.Tuple.tuple(0L, 9L),
                    org.assertj.core.groups.Tuple.tuple(2L, 9L));
        }
    }

    private static KafkaRecord at(KafkaRecord r, long offset) {
        return new KafkaRecord(r.topic, r.partition, offset, r.timestamp, r.key, r.value);
    }

    @Test
    void aResetSwapsTheModelForAFreshOneThatPredictsAndTrainsTheOpenMinibatch() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", SPEC), 0);
            for (int i = 0; i < 13; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(example(i), 0, i), null), i);
            }
            h.processBroadcastElement(new SpecChange("t", "w", REVIVED), 13);
            for (int i = 13; i < 16; i++) {
                h.processElement(new VariantExample("w", new Sourced<>(example(i), 0, i), null), i);
            }

            List<Prediction> predictions = h.extractOutputValues();
            assertThat(predictions).extracting(Prediction::getId).as("each example once, none lost at the reset")
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 16)
                            .mapToObj(i -> example(i).getId()).toList());
            assertThat(predictions.subList(8, 16)).extracting(Prediction::getModelVersion)
                    .as("the minibatch open at the reset is the fresh model's first").containsOnly(0L);
            WarmStartTrainingTest.assertPredictedBy(predictions, 8, 16, OnlineLearner.create(TaskSpecs.parse(SPEC)));
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    /**
     * Right after each tombstone, on the same output, the fresh model's version 0: a serve job swaps to it at once
     * instead of holding the variant's examples until the fresh model's first update is published.
     */
    @Test
    void aResetAndARevivalTombstoneTheVariantsModelKeyThenPublishTheFreshModelAtOnce() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", SPEC), 0);
            train(h, 0, 32);
            h.processBroadcastElement(new SpecChange("t", "w", REVIVED), 32);
            train(h, 32, 48);
            h.processBroadcastElement(new SpecChange("t", "w", null), 48);
            h.processBroadcastElement(new SpecChange("t", "w", REVIVED), 49);
            train(h, 48, 64);

            assertThat(models(h)).as("a new variant's first snapshots need none; each restart one, ahead of its "
                    + "fresh model's snapshots").extracting(m -> m.isLeft() ? m.left() : m.right().getVersion())
                    .containsExactly(2L, 4L, "t/w", 0L, 2L, "t/w", 0L, 2L);
            assertThat(models(h)).filteredOn(Either::isRight).extracting(m -> m.right().getVariant()).containsOnly("w");
            assertThat(HashedTrainingTest.bytes(models(h).get(3).right().getParameters()))
                    .as("fresh weights, as the spec's seed makes them")
                    .isEqualTo(OnlineLearner.create(TaskSpecs.parse(SPEC)).toBytes());
        }
    }

    /**
     * A trainer whose broadcast state lacks a variant that check-specs knows live (restored from a savepoint taken
     * before it read the broadcast; here variant default, trained at {@code --spec}'s spec, with no control record
     * on the trainer's broadcast) still takes a change check-specs judged a reset as one, as the selection operator
     * does: the model key's tombstone, then the fresh model at version 0, which the open minibatch's examples meet.
     */
    @Test
    void aChangeJudgedAResetResetsAVariantTheTrainersBroadcastStateLacks() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            for (int i = 0; i < 36; i++) {
                h.processElement(MinibatchSgdFunctionTest.sourced(example(i), i), i);
            }
            SpecChange reset = new SpecChange("t", "default", REVIVED);
            reset.reset = true;
            h.processBroadcastElement(reset, 36);
            for (int i = 36; i < 48; i++) {
                h.processElement(MinibatchSgdFunctionTest.sourced(example(i), i), i);
            }

            assertThat(models(h)).extracting(m -> m.isLeft() ? m.left() : m.right().getVersion())
                    .containsExactly(2L, 4L, "t/default", 0L, 2L);
            assertThat(HashedTrainingTest.bytes(models(h).get(3).right().getParameters()))
                    .isEqualTo(OnlineLearner.create(TaskSpecs.parse(SPEC)).toBytes());
            assertThat(h.extractOutputValues().subList(32, 40)).extracting(Prediction::getModelVersion)
                    .as("the minibatch open at the reset is the fresh model's first").containsOnly(0L);
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    /**
     * A revival that warm-starts: the version 0 published at the restart is the warm-started model, and the variant
     * created at its first example (the revival's keyed state went at the retirement) starts from the same weights.
     */
    @Test
    void aWarmStartedRevivalPublishesTheWarmStartedModelAsVersion0() throws Exception {
        OnlineLearner source = WarmStartTrainingTest.source();
        String warmRevived = WarmStartTrainingTest.WARM.substring(0, WarmStartTrainingTest.WARM.lastIndexOf('}'))
                + ",\"revive\":true}";
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", SPEC), 0);
            train(h, 0, 16);
            h.processBroadcastElement(new SpecChange("t", "w", null), 16);
            h.processBroadcastElement(new SpecChange("t", "w", warmRevived, source.toBytes()), 17);
            train(h, 16, 24);

            ModelSnapshot first = models(h).get(2).right();
            assertThat(first.getVersion()).isZero();
            Predictor published = SavedModels.read(HashedTrainingTest.bytes(first.getParameters()));
            float[] x = new float[4];
            ExampleTensors.copyFeatures(example(16), x, 0, 4);
            float[] expected = new float[3];
            float[] actual = new float[3];
            source.predictProba(x, 0, expected);
            published.predictProba(x, 0, actual);
            assertThat(actual).as("the warm-started weights").containsExactly(expected, Offset.offset(1e-6f));
            List<Prediction> revived = h.extractOutputValues().subList(16, 24);
            assertThat(revived).extracting(Prediction::getModelVersion).containsOnly(0L);
            float[] firstRevived = Float32.unpack(revived.get(0).getProbabilities());
            assertThat(firstRevived).as("the variant its first example creates starts from the same weights")
                    .containsExactly(expected, Offset.offset(1e-6f));
        }
    }

    /** A search declared under a retired variant's key trains no model of that name: nothing restarts there. */
    @Test
    void aSearchUnderARetiredVariantsKeyWritesNoTombstoneAndNoModel() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", SPEC), 0);
            train(h, 0, 16);
            h.processBroadcastElement(new SpecChange("t", "w", null), 16);
            h.processBroadcastElement(new SpecChange("t", "w", SpecSearchesTest.SEARCH), 17);

            assertThat(models(h)).extracting(m -> m.isLeft() ? m.left() : m.right().getVersion())
                    .containsExactly(2L);
        }
    }

    @Test
    void ofTheTrainersParallelInstancesOnlyTheOneThatOwnsTheVariantsKeyWritesItsTombstone() throws Exception {
        int tombstones = 0;
        for (int subtask = 0; subtask < 2; subtask++) {
            try (var h = new TrainerHarness(settings(), 128, 2, subtask)) {
                h.open();
                h.processBroadcastElement(new SpecChange("t", "w", SPEC), 0);
                h.processBroadcastElement(new SpecChange("t", "w", REVIVED), 1);
                long written = models(h).stream().filter(Either::isLeft).count();
                assertThat(models(h)).as("subtask %s: the fresh model's version 0 only where the tombstone is", subtask)
                        .filteredOn(Either::isRight).hasSize((int) written);
                assertThat(written).as("subtask %s", subtask).isEqualTo(
                        KeyGroupRangeAssignment.assignKeyToParallelOperator(Variants.key("t", "w"), 128, 2) == subtask
                                ? 1 : 0);
                tombstones += (int) written;
            }
        }
        assertThat(tombstones).isEqualTo(1);
    }

    /** Examples {@code from} until {@code to} of variant w, one timestamp each. */
    static void train(TrainerHarness h, int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            h.processElement(new VariantExample("w", new Sourced<>(example(i), 0, i), null), i);
        }
    }

    /**
     * A label model reset in place tombstones each annotator it published, ahead of the fresh model's records on the
     * same output: its versions count from 1 again, and a reader keeping the newest version per key would otherwise
     * keep the old model's.
     */
    @Test
    void aLabelModelResetInPlaceTombstonesTheAnnotatorsItPublished() throws Exception {
        try (var h = labelModelTrainedOn16Examples()) {
            int before = MinibatchSgdFunctionTest.annotatorOutput(h).size();
            assertThat(MinibatchSgdFunctionTest.annotatorModels(h)).extracting(a -> a.getAnnotator())
                    .as("published before the reset").contains("a0", "a1", "a2");
            resetInPlaceThenTrain8More(h);
            List<Either<String, dev.chorus.schemas.AnnotatorModel>> after =
                    MinibatchSgdFunctionTest.annotatorOutput(h).subList(before, MinibatchSgdFunctionTest.annotatorOutput(h).size());
            assertThat(after.subList(0, 3)).as("tombstones first").allSatisfy(e -> assertThat(e.isLeft()).isTrue())
                    .extracting(Either::left).containsExactlyInAnyOrder(
                            TrainRecords.annotatorKey("t", "w", "a0"), TrainRecords.annotatorKey("t", "w", "a1"),
                            TrainRecords.annotatorKey("t", "w", "a2"));
            assertThat(after.subList(3, after.size())).as("then the fresh model's records, from version 1")
                    .isNotEmpty().allSatisfy(e -> assertThat(e.right().getVersion()).isEqualTo(1L));
        }
    }

    /**
     * A label model reset in place tombstones the key of each item whose consensus it published, ahead of the fresh
     * model's first consensus record on the same output: an item the fresh model never meets (here x-0 .. x-4) would
     * otherwise keep the old model's record for good.
     */
    @Test
    void aLabelModelResetInPlaceTombstonesTheConsensusItPublished() throws Exception {
        try (var h = labelModelTrainedOn16Examples()) {
            List<Either<String, Consensus>> published = consensusOutput(h);
            assertThat(published).as("records alone before the reset")
                    .allSatisfy(c -> assertThat(c.isRight()).isTrue());
            List<String> publishedKeys = published.stream().map(Either::right)
                    .map(c -> TrainRecords.consensusKey(c.getTask(), c.getVariant(), c.getItem())).distinct().toList();
            assertThat(publishedKeys).as("items x-0 .. x-5 of variant w").hasSize(6)
                    .contains(TrainRecords.consensusKey("t", "w", "x-0"), TrainRecords.consensusKey("t", "w", "x-5"));

            resetInPlaceThenTrain8More(h);
            List<Either<String, Consensus>> all = consensusOutput(h);
            List<Either<String, Consensus>> after = all.subList(published.size(), all.size());
            List<String> tombstones = after.stream().takeWhile(Either::isLeft).map(Either::left).toList();
            assertThat(tombstones).as("a tombstone for each published item first")
                    .containsExactlyInAnyOrderElementsOf(publishedKeys);
            assertThat(after.subList(tombstones.size(), after.size()))
                    .as("then the fresh model's records, from version 1").isNotEmpty()
                    .allSatisfy(e -> assertThat(e.right().getVersion()).isEqualTo(1L));
        }
    }

    /** Variant w of task t with a label model, its annotators and consensus published after 16 labelled examples. */
    private static TrainerHarness labelModelTrainedOn16Examples() throws Exception {
        String spec = MinibatchSgdFunctionTest.LABEL_MODEL_SPEC;
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(spec)).snapshotEveryBatches(1)
                .snapshotIntervalMs(0).batchTimeoutMs(0).annotatorPublishIntervalMs(0);
        TrainerHarness h = new TrainerHarness(settings);
        h.open();
        h.processBroadcastElement(new SpecChange("t", "w", spec), 0);
        for (int i = 0; i < 16; i++) {
            h.processElement(new VariantExample("w", new Sourced<>(labelled(i), 0, i), null), i);
        }
        return h;
    }

    /** A reset in place of variant w (its spec again, asking for a revival), then 8 more labelled examples. */
    private static void resetInPlaceThenTrain8More(TrainerHarness h) throws Exception {
        String spec = MinibatchSgdFunctionTest.LABEL_MODEL_SPEC;
        String revived = spec.substring(0, spec.lastIndexOf('}')) + ",\"revive\":true}";
        h.processBroadcastElement(new SpecChange("t", "w", revived), 16);
        for (int i = 16; i < 24; i++) {
            h.processElement(new VariantExample("w", new Sourced<>(labelled(i), 0, i), null), i);
        }
    }

    /** The consensus output in order: records ({@code Right}) and tombstones' keys ({@code Left}). */
    static List<Either<String, Consensus>> consensusOutput(TrainerHarness h) {
        ConcurrentLinkedQueue<StreamRecord<Either<String, Consensus>>> out =
                h.getSideOutput(MinibatchSgdFunction.CONSENSUS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    /** Row {@code row} of task t labelled by annotator {@code a<row % 3>}. */
    static Example labelled(int row) {
        Example e = MinibatchSgdFunctionTest.labelled(row, 3);
        e.setTask("t");
        return e;
    }
}
