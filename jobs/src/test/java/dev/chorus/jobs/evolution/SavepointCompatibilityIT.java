package dev.chorus.jobs.evolution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.PairedComparison;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.select.SelectionSettings;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Restores the train-job savepoints made by earlier versions (see {@link SavepointFixture}): a later change that
 * breaks restoring one fails here. Each holds task {@code fixture} at model version 6 with an open minibatch of 4
 * examples (of 16): restored, its next 12 examples are predicted by version 6, the 16 after by version 7, then
 * 16 by version 8 (layout 1 had predicted the 4 open examples already; layout 2 predicts them with the 12). {@code train-v1} (layout 1, Chorus 0.1) has only that task; {@code train-v2} (layout 2) also holds
 * task {@code crowd}, a Dawid–Skene label model in the same position, whose annotators' label counts continue
 * from the savepoint; {@code train-v3} (layout 3) also holds the crowd task's consensus ledger, so the consensus
 * records published after the restore are those of an uninterrupted run ({@link SavepointFixture#replayConsensus});
 * {@code train-v4} (layout 4) also holds task {@code clicks}, a hashed FTRL model with an open minibatch of 4 sparse
 * rows, in the same position; {@code train-v5} (layout 5) holds the same, its consensus ledger keeping each item's
 * class on its labels alone, which a recheck compares with (a layout-3 or 4 ledger's first recheck of an item takes
 * the class it finds, without a record, so their records after the restore are still an uninterrupted run's);
 * {@code train-large-output-v1} (layout 4) also task {@code many}, a large-softmax
 * model over 10,000 classes (kind 5: embedding rows, output rows and the sampler's generator), in the same position;
 * {@code train-large-output-rows-v1} is that made with {@code --hashed-state rows} (kinds 6 and 8, the clicks' and the
 * large-softmax model's rows in blocks of map state), restored with the rows apart and into one value.
 * Every model snapshot after the restore carries the model's complete state, bit-identical to an in-memory replay
 * of the fixture's data ({@link SavepointFixture#replay}).
 */
class SavepointCompatibilityIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(1, JobTestSupport.failFast());

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"train-v1, VALUE", "train-v2, VALUE", "train-v3, VALUE", "train-v4, VALUE", "train-v5, VALUE",
        "train-large-output-v1, VALUE",
        "train-large-output-rows-v1, ROWS", "train-large-output-rows-v1, VALUE"})
    void aSavepointOfAnEarlierLayoutRestoresModelOptimizerAndOpenMinibatch(String fixture,
            TrainSettings.HashedState hashedState) throws Exception {
        boolean largeOutput = SavepointFixture.largeOutput(fixture);
        int layout = largeOutput ? 4 : Integer.parseInt(fixture.substring("train-v".length()));
        boolean crowd = layout >= 2;
        List<String> tasks = largeOutput ? List.of(SavepointFixture.TASK, SavepointFixture.CROWD, SavepointFixture.CLICKS,
                        SavepointFixture.LARGE)
                : layout >= 4 ? List.of(SavepointFixture.TASK, SavepointFixture.CROWD, SavepointFixture.CLICKS)
                : crowd ? List.of(SavepointFixture.TASK, SavepointFixture.CROWD) : List.of(SavepointFixture.TASK);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers()).hashedState(hashedState);
            SavepointFixture.createTopics(kafka, settings);
            // 12 examples complete the restored minibatch, then two whole ones: every minibatch closes by count.
            SavepointFixture.produce(kafka, settings, SavepointFixture.data(), SavepointFixture.EXAMPLES,
                    SavepointFixture.EXAMPLES + 44, layout, largeOutput);
            JobClient job = restore(settings, fixture);

            // Layout 1 predicted each example on arrival; from layout 2 the 4 open rows are predicted when their
            // minibatch closes after the restore.
            int perTask = crowd ? 48 : 44;
            int expected = tasks.size() * perTask;
            List<Prediction> predictions;
            List<ModelSnapshot> snapshots;
            List<Consensus> replayedConsensus = layout >= 3 ? SavepointFixture.replayConsensus(settings, 9, 7)
                    : List.of();
            List<Consensus> consensus;
            try {
                predictions = JobTestSupport.awaitCommitted(kafka, settings.predictionsTopic(), p -> true, expected);
                snapshots = JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(), m -> true, 3 * tasks.size());
                consensus = layout >= 3 ? JobTestSupport.awaitCommitted(kafka, settings.consensusTopic(), c -> true,
                        replayedConsensus.size()) : List.of();
                if (crowd) {
                    // Committed by a sink of their own, apart from the snapshot of version 9 they go out with: a cancel
                    // before that commit would leave them open for good.
                    JobTestSupport.awaitCommittedValues(kafka, settings.annotatorsTopic(), a -> a.getVersion() == 9, 3);
                }
            } finally {
                JobTestSupport.cancel(job);
            }
            assertThat(predictions).hasSize(expected);

            for (String task : tasks) {
                List<Long> versions = predictions.stream().filter(p -> p.getTask().equals(task))
                        .sorted(Comparator.comparingLong(Prediction::getEventTime))
                        .map(Prediction::getModelVersion).toList();
                int restored = perTask - 44;
                assertThat(versions.subList(0, restored + 12)).as("%s: restored model version 6, 4 examples already in "
                        + "its minibatch", task).containsOnly(6L);
                assertThat(versions.subList(restored + 12, restored + 28)).containsOnly(7L);
                assertThat(versions.subList(restored + 28, restored + 44)).containsOnly(8L);
                List<ModelSnapshot> mine = snapshots.stream().filter(m -> m.getTask().equals(task)).toList();
                assertThat(mine).extracting(ModelSnapshot::getVersion).containsExactly(7L, 8L, 9L);
                assertThat(mine).extracting(ModelSnapshot::getExamplesSeen).containsExactly(112L, 128L, 144L);
                // Version 7 is the restored state (version 6 and its open minibatch) after one more minibatch: its
                // parameters, Adam moments and step count, standardiser statistics and RNG all enter it, so any of
                // them restored wrong (moments zeroed, say) makes it differ from the replay, bit for bit.
                List<byte[]> replayed = SavepointFixture.replay(fixture, task, 9);
                for (ModelSnapshot m : mine) {
                    assertSameState(bytes(m.getParameters()), replayed.get((int) m.getVersion() - 1),
                            fixture.equals("train-v1"), String.format("%s version %d: the complete model state"
                                    + " against an in-memory replay of the fixture's data", task, m.getVersion()));
                }
            }
            if (crowd) {
                List<AnnotatorModel> annotators = JobTestSupport.read(kafka, settings.annotatorsTopic());
                assertThat(annotators.stream().filter(a -> a.getVersion() == 9).mapToLong(AnnotatorModel::getLabelsSeen)
                        .sum()).as("label counts continue from the savepoint").isEqualTo(144);
                assertThat(annotators).extracting(AnnotatorModel::getAnnotator).containsOnly("a0", "a1", "a2");
            }
            if (layout >= 3) {
                // Which items go out after the restore, with which posterior and in which order, follows from the
                // restored ledger (what each item last published, where the round-robin recheck stands).
                assertThat(replayedConsensus).as("items 48..71 are labelled after the restore")
                        .extracting(Consensus::getItem).contains("item-48", "item-71");
                assertThat(consensus).as("consensus records after restoring %s against an uninterrupted run", fixture)
                        .extracting(SavepointFixture::unstamped).containsExactlyElementsOf(replayedConsensus);
            }
        }
    }

    /**
     * {@code train-skip-gram-v1} (layout 4, model kind 4): task words, a skip-gram model after 100 sequences. Restored,
     * each of the next 44 sequences is one version, and each version's snapshot is, bit for bit, model-core's SkipGram
     * replayed in memory on the same sequences: vectors, counts, noise table and RNG all restored.
     */
    @Test
    void aSkipGramSavepointRestoresItsModelBitForBit() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers());
            SavepointFixture.createTopics(kafka, settings);
            SavepointFixture.produceSequences(kafka, settings, SavepointFixture.EXAMPLES, SavepointFixture.EXAMPLES + 44);
            JobClient job = restore(settings, "train-skip-gram-v1");
            List<ModelSnapshot> snapshots;
            try {
                snapshots = JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(), m -> true, 44);
            } finally {
                JobTestSupport.cancel(job);
            }
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(101, 144).boxed().toList());
            assertThat(snapshots).extracting(ModelSnapshot::getTask).containsOnly(SavepointFixture.WORDS);
            List<byte[]> replayed = SavepointFixture.replaySequences(144);
            for (ModelSnapshot m : snapshots) {
                assertSameState(bytes(m.getParameters()), replayed.get((int) m.getVersion() - 1), false,
                        "words version " + m.getVersion() + " against an in-memory replay of the sequences");
            }
        }
    }

    /**
     * {@code train-wide-deep-v1} (layout 4, model kind 3): task {@code wide-clicks}, a wide and deep model at version 6
     * with an open minibatch of 4 clicks. Restored, the next 44 clicks are predicted and trained on as model-core's
     * {@code WideDeepModel} does fed all 144 without interruption: every prediction and every snapshot, bit for bit.
     * {@code train-wide-deep-rows-v1} (model kind 7, made with {@code --hashed-state rows}) is the same with the
     * model's rows in blocks of map state: restored with its rows apart and into one value, the same.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"train-wide-deep-v1, VALUE", "train-wide-deep-rows-v1, ROWS", "train-wide-deep-rows-v1, VALUE"})
    void aWideAndDeepSavepointRestoresItsModelAndOpenMinibatchBitForBit(String fixture,
            TrainSettings.HashedState layout) throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers()).hashedState(layout);
            SavepointFixture.createTopics(kafka, settings);
            SavepointFixture.produceWideDeep(kafka, settings, SavepointFixture.EXAMPLES, SavepointFixture.EXAMPLES + 44);
            Restored restored = restoreAndAwait(kafka, settings, fixture);
            List<ModelSnapshot> snapshots = restored.snapshots();
            List<Example> clicks = java.util.stream.IntStream.range(0, 144).mapToObj(SavepointFixture::wideClick)
                    .toList();
            WideDeepClicks.Reference reference = WideDeepClicks.reference(SavepointFixture.WIDE_DEEP_SPEC, clicks, false);
            List<Prediction> ordered = restored.predictions();
            assertThat(ordered).extracting(Prediction::getId).as("the 4 restored open rows, then the 44 sent")
                    .containsExactlyElementsOf(clicks.subList(96, 144).stream().map(Example::getId).toList());
            for (int i = 0; i < 48; i++) {
                assertThat(Float32.unpack(ordered.get(i).getProbabilities())).as("prediction of click %d", 96 + i)
                        .containsExactly(reference.outputs().get(96 + i));
                assertThat(ordered.get(i).getModelVersion()).isEqualTo(6 + i / 16);
            }
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(7L, 8L, 9L);
            for (ModelSnapshot m : snapshots) {
                byte[] replayed = WideDeepClicks.reference(SavepointFixture.WIDE_DEEP_SPEC,
                        clicks.subList(0, 16 * (int) m.getVersion()), false).model().toBytes();
                assertSameState(bytes(m.getParameters()), replayed, false, "wide-clicks version " + m.getVersion());
            }
        }
    }

    /**
     * {@code train-hashed-rows-v1} (layout 4, model kind 6, made with {@code --hashed-state rows}): task {@code clicks}
     * at version 6 with an open minibatch of 4, its model's rows in blocks of map state. Restored with its rows apart,
     * and into one value, the next 44 clicks are predicted and trained on as model-core's {@code SparseLinearModel}
     * does fed all 144 without interruption: every prediction and every snapshot, bit for bit.
     */
    @ParameterizedTest
    @EnumSource(TrainSettings.HashedState.class)
    void aSavepointWithAHashedModelsRowsApartRestoresInEitherLayoutBitForBit(TrainSettings.HashedState layout)
            throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers()).hashedState(layout);
            SavepointFixture.createTopics(kafka, settings);
            SavepointFixture.produceClicks(kafka, settings, SavepointFixture.EXAMPLES, SavepointFixture.EXAMPLES + 44);
            Restored restored = restoreAndAwait(kafka, settings, "train-hashed-rows-v1");
            List<ModelSnapshot> snapshots = restored.snapshots();
            List<Example> clicks = java.util.stream.IntStream.range(0, 144).mapToObj(SavepointFixture::click).toList();
            ClickExamples.Reference reference = ClickExamples.reference(SavepointFixture.CLICKS_SPEC, clicks, false);
            List<Prediction> ordered = restored.predictions();
            assertThat(ordered).extracting(Prediction::getId).as("the 4 restored open rows, then the 44 sent")
                    .containsExactlyElementsOf(clicks.subList(96, 144).stream().map(Example::getId).toList());
            for (int i = 0; i < 48; i++) {
                assertThat(Float32.unpack(ordered.get(i).getProbabilities())).as("prediction of click %d", 96 + i)
                        .containsExactly(reference.probabilities().get(96 + i));
                assertThat(ordered.get(i).getModelVersion()).isEqualTo(6 + i / 16);
            }
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(7L, 8L, 9L);
            for (ModelSnapshot m : snapshots) {
                assertThat(bytes(m.getParameters())).as("clicks version %d", m.getVersion())
                        .isEqualTo(ClickExamples.reference(SavepointFixture.CLICKS_SPEC,
                                clicks.subList(0, 16 * (int) m.getVersion()), false).model().toBytes());
            }
        }
    }

    /**
     * State keyed by task, from before variants, restores into the trainer keyed by variant (connected to the specs
     * broadcast, same uid and state name) as each task's variant {@code default}: its predictions, snapshots and
     * consensus records say so.
     */
    @Test
    void aSavepointFromBeforeVariantsRestoresAsVariantDefault() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers());
            JobClient job = restoreWithNextExamples(kafka, settings, "train-v3");
            try {
                List<Prediction> predictions =
                        JobTestSupport.awaitCommitted(kafka, settings.predictionsTopic(), p -> true, 96);
                List<ModelSnapshot> snapshots =
                        JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(), m -> true, 6);
                assertThat(predictions).extracting(Prediction::getVariant).containsOnly("default");
                assertThat(predictions).filteredOn(p -> p.getModelVersion() == 6).hasSize(2 * 16)
                        .as("the restored models, not new ones, predict first");
                assertThat(snapshots).extracting(ModelSnapshot::getVariant).containsOnly("default");
                assertThat(snapshots).extracting(ModelSnapshot::getVersion).contains(7L, 8L, 9L)
                        .doesNotContain(1L);
                assertThat(JobTestSupport.read(kafka, settings.consensusTopic())).isNotEmpty()
                        .extracting(Consensus::getVariant).containsOnly("default");
            } finally {
                JobTestSupport.cancel(job);
            }
        }
    }

    /**
     * {@code variants-v1}, of the job keyed by task and variant: task fixture trains variants default and fast (set on
     * the control topic), crowd its default, each at model version 6 with an open minibatch of 4. Restored with an
     * empty control topic (the broadcast spec map is in the savepoint), every variant continues where it stood:
     * versions 7, 8, 9 after 112, 128, 144 examples, and fast's state is that of its own spec replayed in memory.
     */
    @Test
    void aSavepointWithTwoVariantsOfATaskRestoresBoth() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers());
            JobClient job = restoreWithNextExamples(kafka, settings, "variants-v1");
            List<Prediction> predictions;
            List<ModelSnapshot> snapshots;
            try {
                predictions = JobTestSupport.awaitCommitted(kafka, settings.predictionsTopic(), p -> true, 3 * 48);
                snapshots = JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(), m -> true, 9);
            } finally {
                JobTestSupport.cancel(job);
            }
            assertThat(predictions.stream().collect(java.util.stream.Collectors.groupingBy(
                    p -> p.getTask() + "/" + p.getVariant(), java.util.stream.Collectors.counting())))
                    .isEqualTo(java.util.Map.of("fixture/default", 48L, "fixture/fast", 48L, "crowd/default", 48L));
            for (String key : List.of("fixture/default", "fixture/fast", "crowd/default")) {
                List<ModelSnapshot> mine = snapshots.stream()
                        .filter(m -> (m.getTask() + "/" + m.getVariant()).equals(key)).toList();
                assertThat(mine).as(key).extracting(ModelSnapshot::getVersion).containsExactly(7L, 8L, 9L);
                assertThat(mine).as(key).extracting(ModelSnapshot::getExamplesSeen).containsExactly(112L, 128L, 144L);
            }
            List<byte[]> fast = SavepointFixture.replayWithSpec(SavepointFixture.FAST_SPEC, SavepointFixture.TASK, 9);
            for (ModelSnapshot m : snapshots) {
                if (m.getVariant().equals(SavepointFixture.FAST)) {
                    assertSameState(bytes(m.getParameters()), fast.get((int) m.getVersion() - 1), false,
                            "variant fast version " + m.getVersion() + " against an in-memory replay of its spec");
                }
            }
        }
    }

    /**
     * {@code variants-v2} is {@code variants-v1} made again once the routers kept, at every checkpoint, how far
     * check-specs had read the control topic (it had judged the fixture's two records, offsets 0 and 1). Restored
     * after variant fast was retired on the topic (offset 2), the routers hold the examples until that record is
     * judged: fast predicts none of them, only, as it retires, the open minibatch of 4 the savepoint holds (rows 96 to
     * 99). (A router restored from {@code variants-v1}, which kept nothing, does not wait, and fast may predict the
     * first examples before its retirement arrives.)
     */
    @Test
    void aSavepointThatKeptHowFarItReadTheControlTopicWaitsForWhatWasPutSince() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers());
            SavepointFixture.createTopics(kafka, settings);
            putFastAfterTheFixturesRecords(kafka, settings, VariantStatus.RETIRED, null);
            JobClient job = restoreWithNextExamples(kafka, settings, "variants-v2");
            try {
                JobTestSupport.awaitCommitted(kafka, settings.predictionsTopic(),
                        p -> p.getVariant().equals("default"), 2 * 48);
            } finally {
                JobTestSupport.cancel(job);
            }
            List<Prediction> predictions = JobTestSupport.read(kafka, settings.predictionsTopic());
            assertThat(predictions.stream().collect(java.util.stream.Collectors.groupingBy(
                    p -> p.getTask() + "/" + p.getVariant(), java.util.stream.Collectors.counting())))
                    .isEqualTo(java.util.Map.of("fixture/default", 48L, "fixture/fast", 4L, "crowd/default", 48L));
            assertThat(predictions).filteredOn(p -> p.getVariant().equals(SavepointFixture.FAST))
                    .extracting(Prediction::getId).as("the savepoint's open minibatch, no example routed since")
                    .containsExactlyInAnyOrder("fx-96", "fx-97", "fx-98", "fx-99");
        }
    }

    /**
     * {@code variants-v1} was made before the champion selection read the control topic's broadcast: restored, the
     * selection's broadcast state starts empty while the specs source goes on after the fixture's control records, so
     * variant fast reaches it only through its predictions. A reset of fast (its spec with {@code "revive":true}) must
     * still start fast's record afresh, as its trainer restarts its model: check-specs, whose entries the savepoint
     * holds, marks the change a reset.
     */
    @Test
    void aResetOfAVariantRestoredFromBeforeTheSelectionReadTheBroadcastRestartsItsRecord() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers()).selection(
                    new SelectionSettings(PairedComparison.Settings.defaults(), 1000, 200));
            JobClient job = restoreWithNextExamples(kafka, settings, "variants-v1");
            try {
                JobTestSupport.awaitCommitted(kafka, settings.championsTopic(),
                        c -> labelled(c, "default") == 48 && labelled(c, SavepointFixture.FAST) == 48, 1);
                putFastAfterTheFixturesRecords(kafka, settings, VariantStatus.LIVE,
                        VariantSpecs.resetSpec(SavepointFixture.FAST_SPEC));
                awaitFreshVersion0(kafka, settings, SavepointFixture.TASK + "/" + SavepointFixture.FAST);
                SavepointFixture.produce(kafka, settings, SavepointFixture.data(), SavepointFixture.EXAMPLES + 44,
                        SavepointFixture.EXAMPLES + 60, 3);
                Champion after = JobTestSupport.awaitCommitted(kafka, settings.championsTopic(),
                        c -> labelled(c, "default") == 64 && (labelled(c, SavepointFixture.FAST) == 16
                                || labelled(c, SavepointFixture.FAST) == 64), 1).get(0);
                assertThat(labelled(after, SavepointFixture.FAST)).as("fast's labelled examples once default has 64: "
                        + "the 16 of its fresh model, not its old record's 48 with them").isEqualTo(16);
            } finally {
                JobTestSupport.cancel(job);
            }
        }
    }

    /**
     * A control record of variant fast ({@code status}, {@code spec}) at offset 2 of a fresh control topic: the specs
     * source restored from a {@code variants-vN} fixture goes on after the fixture's two records (offsets 0 and 1), so
     * two tombstones of another key stand in for them.
     */
    private static void putFastAfterTheFixturesRecords(EmbeddedKafkaBroker kafka, TrainSettings settings,
            VariantStatus status, String spec) throws Exception {
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), java.util.Map.of())) {
            for (int i = 0; i < 2; i++) {
                producer.sendRaw(settings.specsTopic().name(), SavepointFixture.TASK + "/none", null).get();
            }
            producer.sendRaw(settings.specsTopic().name(), SavepointFixture.TASK + "/" + SavepointFixture.FAST,
                    settings.specsTopic().codec().encode(VariantSpecRecord.newBuilder().setTask(SavepointFixture.TASK)
                            .setVariant(SavepointFixture.FAST).setStatus(status).setSpec(spec).setUpdatedAt(0L)
                            .setSource("test").build())).get();
        }
    }

    /** Waits (bounded) until the models topic has a committed version 0 of {@code key}: its trainer restarted it. */
    private static void awaitFreshVersion0(EmbeddedKafkaBroker kafka, TrainSettings settings, String key)
            throws InterruptedException {
        var codec = settings.modelsTopic().codec();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(120).toNanos();
        while (TopicReader.readAllRecords(kafka.bootstrapServers(), java.util.Map.of(), settings.modelsTopic().name())
                .stream().noneMatch(r -> r.value() != null && key.equals(new String(r.key(),
                        java.nio.charset.StandardCharsets.UTF_8)) && codec.decode(r.value()).getVersion() == 0)) {
            assertThat(System.nanoTime()).as("a committed version 0 of %s within 120 s", key).isLessThan(deadline);
            Thread.sleep(100); // polling interval, bounded by the deadline above
        }
    }

    /** The labelled examples of {@code variant}'s standing in {@code record}, or -1 when it stands in none. */
    private static long labelled(Champion record, String variant) {
        return record.getTask().equals(SavepointFixture.TASK) ? record.getStandings().stream()
                .filter(s -> s.getVariant().equals(variant)).mapToLong(VariantStanding::getLabelledExamples)
                .findFirst().orElse(-1) : -1;
    }

    /**
     * {@code train-restart-chunks-v1}: variant w of task restarted revived with no example, its version 0 in chunks
     * counted only in the union operator state {@code restarted-version0-chunks}. Restored, a reset of w tombstones the
     * key and then every chunk key that count names, before its fresh version 0: the count came back intact.
     */
    @Test
    void aSavepointWithARestartsChunkCountTombstonesThoseChunkKeysAtTheNextReset() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers());
            SavepointFixture.createTopics(kafka, settings);
            var codec = settings.specsTopic().codec();
            try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), java.util.Map.of())) {
                // The restored specs source goes on after the fixture's control records: tombstones of a key never
                // live, which change nothing, take their offsets.
                for (int i = 0; i < SavepointFixture.RESTART_CONTROL_RECORDS; i++) {
                    producer.sendRaw(settings.specsTopic().name(), SavepointFixture.RESTARTED + "/none", null).get();
                }
                producer.sendRaw(settings.specsTopic().name(), SavepointFixture.RESTARTED + "/" + SavepointFixture.W,
                        codec.encode(VariantSpecRecord.newBuilder().setTask(SavepointFixture.RESTARTED)
                                .setVariant(SavepointFixture.W).setStatus(VariantStatus.LIVE)
                                .setSpec(SavepointFixture.RESTARTED_REVIVE).setUpdatedAt(0L).setSource("test").build()))
                        .get();
            }
            JobClient job = restore(settings, "train-restart-chunks-v1");
            List<String> written;
            try {
                written = SavepointFixture.awaitModelRecords(kafka, settings, 1);
            } finally {
                JobTestSupport.cancel(job);
            }
            String key = SavepointFixture.RESTARTED + "/" + SavepointFixture.W;
            int chunks = (int) written.stream().filter(k -> k.startsWith(key + "#")).count();
            assertThat(chunks).as("the fresh version 0's chunks").isGreaterThan(1);
            List<String> expected = new java.util.ArrayList<>(List.of("tombstone " + key));
            for (int k = 0; k < chunks; k++) {
                expected.add("tombstone " + key + "#" + k);
            }
            assertThat(written).as("the reset's tombstones, the restored count's chunk keys among them")
                    .startsWith(expected.toArray(String[]::new)).endsWith(key);
        }
    }

    /**
     * The train job restored from {@code fixture} (one made at layout 3), with both tasks' next 44 examples (crowd
     * too) on its topic.
     */
    private static JobClient restoreWithNextExamples(EmbeddedKafkaBroker kafka, TrainSettings settings, String fixture)
            throws Exception {
        SavepointFixture.createTopics(kafka, settings);
        SavepointFixture.produce(kafka, settings, SavepointFixture.data(), SavepointFixture.EXAMPLES,
                SavepointFixture.EXAMPLES + 44, 3);
        return restore(settings, fixture);
    }

    /** What a job restored from a savepoint of 96 trained examples and an open minibatch of 4 commits for 44 more. */
    private record Restored(List<Prediction> predictions, List<ModelSnapshot> snapshots) {}

    /** Restores {@code fixture}, then its 48 predictions (by event time) and its 3 snapshots once committed. */
    private static Restored restoreAndAwait(EmbeddedKafkaBroker kafka, TrainSettings settings, String fixture)
            throws Exception {
        JobClient job = restore(settings, fixture);
        try {
            List<Prediction> predictions = JobTestSupport.awaitCommitted(kafka, settings.predictionsTopic(), p -> true,
                    48);
            return new Restored(predictions.stream().sorted(Comparator.comparingLong(Prediction::getEventTime)).toList(),
                    JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(), m -> true, 3));
        } finally {
            JobTestSupport.cancel(job);
        }
    }

    /** The train job of {@code settings}, started from the committed savepoint {@code fixture}. */
    private static JobClient restore(TrainSettings settings, String fixture) throws Exception {
        Path savepoint = Path.of("src/test/resources/savepoints", fixture).toAbsolutePath();
        return JobTestSupport.startTrain(settings, savepoint.toUri().toString(), "savepoint-" + fixture);
    }

    /**
     * {@code train-v1} was made before the standardiser's update became one double-precision pass around the running
     * mean per minibatch (commit 34db30e): its sums of squared deviations were rounded differently, and a fixture
     * never changes. For it ({@code squaredDeviationsRounded}) those doubles may differ from the replay's by rounding
     * (measured: 3 units in the last place at version 7; allowed: a relative 1e-12, far below what a lost minibatch or
     * a zeroed statistic would change); every other byte of the state (parameters, Adam moments and step count, means
     * and count, RNG) must match exactly, as the whole state must for every later fixture.
     */
    private static void assertSameState(byte[] actual, byte[] replayed, boolean squaredDeviationsRounded,
            String what) {
        if (!squaredDeviationsRounded) {
            int firstDiff = java.util.Arrays.mismatch(actual, replayed);
            assertThat(firstDiff).as("%s: first differing byte of %d and %d bytes, around: %s against %s", what,
                    actual.length, replayed.length,
                    firstDiff < 0 ? "" : java.util.Arrays.toString(java.util.Arrays.copyOfRange(actual,
                            Math.max(0, firstDiff - 24), Math.min(actual.length, firstDiff + 24))),
                    firstDiff < 0 ? "" : java.util.Arrays.toString(java.util.Arrays.copyOfRange(replayed,
                            Math.max(0, firstDiff - 24), Math.min(replayed.length, firstDiff + 24))))
                    .isEqualTo(-1);
            return;
        }
        int[] region = squaredDeviations(replayed);
        assertThat(squaredDeviations(actual)).as("%s: where the squared deviations are", what).isEqualTo(region);
        byte[] a = actual.clone();
        byte[] r = replayed.clone();
        for (int i = 0; i < region[1]; i++) {
            int at = region[0] + 8 * i;
            double x = ByteBuffer.wrap(a).getDouble(at);
            double y = ByteBuffer.wrap(r).getDouble(at);
            assertThat(Math.abs(x - y)).as("%s: squared deviations of feature %d, %s against %s", what, i, x, y)
                    .isLessThanOrEqualTo(1e-12 * Math.abs(y));
            ByteBuffer.wrap(a).putDouble(at, 0);
            ByteBuffer.wrap(r).putDouble(at, 0);
        }
        assertThat(a).as("%s, apart from the squared deviations", what).isEqualTo(r);
    }

    /**
     * Offset and number of the standardiser's sums of squared deviations in a learner state, as
     * {@code OnlineLearner.writeTo} lays it out (big-endian, as {@code DataOutput} writes).
     */
    private static int[] squaredDeviations(byte[] state) {
        ByteBuffer b = ByteBuffer.wrap(state);
        b.position(8); // magic, format version
        int specLength = b.getInt();
        b.position(b.position() + specLength + 8 + 8 + 8); // spec JSON, steps, examples seen, RNG
        assertThat(b.get()).as("the learner has a standardiser").isEqualTo((byte) 1);
        b.position(b.position() + 8); // example count
        int means = b.getInt();
        b.position(b.position() + 8 * means);
        int deviations = b.getInt();
        return new int[] {b.position(), deviations};
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }
}
