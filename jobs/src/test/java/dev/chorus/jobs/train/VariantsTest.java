package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Received;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

/** Variants of one task: the control topic's checks, the router's fan-out, the trainer's keyed state per variant. */
class VariantsTest {
    static final String OTHER_SPEC = SPEC.replace("0.05", "0.01");

    @Test
    void theDefaultVariantKeepsTheBareTaskAsItsKeySoStateKeyedByTaskRestoresAsIt() {
        assertThat(Variants.key("a/b", "default")).isEqualTo("a/b");
        assertThat(Variants.key("a/b", "lr/2")).isEqualTo("a/b\u001Flr/2");
        assertThat(Variants.task("a/b\u001Flr/2")).isEqualTo("a/b");
        assertThat(Variants.variant("a/b\u001Flr/2")).isEqualTo("lr/2");
        assertThat(Variants.variant("a/b")).isEqualTo("default");
    }

    /**
     * Task a with annotator (or item) b/c and task a/b with c both had key a/b/c on a compacted topic: compaction kept
     * one of them, and a tombstone of one deleted the other. The task's '/' and '%' are escaped; other keys are as
     * they were.
     */
    @Test
    void annotatorAndConsensusKeysOfTasksWithASlashNeverCollideAndOrdinaryKeysAreUnchanged() {
        assertThat(TrainRecords.annotatorKey("a", "default", "b/c"))
                .isNotEqualTo(TrainRecords.annotatorKey("a/b", "default", "c"));
        assertThat(TrainRecords.consensusKey("a", "default", "b/c"))
                .isNotEqualTo(TrainRecords.consensusKey("a/b", "default", "c"));
        assertThat(TrainRecords.annotatorKey("a", "fast", "b/c"))
                .isNotEqualTo(TrainRecords.annotatorKey("a/b", "fast", "c"));
        assertThat(TrainRecords.annotatorKey("a%2Fb", "default", "c"))
                .isNotEqualTo(TrainRecords.annotatorKey("a/b", "default", "c"));

        assertThat(TrainRecords.annotatorKey("a/b", "default", "c")).isEqualTo("a%2Fb/c");
        assertThat(TrainRecords.consensusKey("50%/x", "fast", "i/1")).isEqualTo("50%25%2Fx/i/1\u001Ffast");
        assertThat(TrainRecords.annotatorKey("iris", "default", "ann-7/b")).isEqualTo("iris/ann-7/b");
        assertThat(TrainRecords.annotatorKey("iris", "fast", "ann-7")).isEqualTo("iris/ann-7\u001Ffast");
        assertThat(TrainRecords.consensusKey("crowd.v2", "default", "x-1")).isEqualTo("crowd.v2/x-1");
    }

    @Test
    void eachVariantTrainsItsOwnModelAndARetiredOneLosesItsState() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "slow", OTHER_SPEC), 0);
            for (int i = 0; i < 16; i++) {
                Sourced<dev.chorus.schemas.Example> input = new Sourced<>(example(i), 0, i);
                h.processElement(new VariantExample("default", input, null), i);
                h.processElement(new VariantExample("slow", input, null), i);
            }
            List<Prediction> predictions = h.extractOutputValues();
            assertThat(predictions).extracting(Prediction::getVariant).containsOnly("default", "slow");
            assertThat(predictions.stream().filter(p -> p.getVariant().equals("slow"))).hasSize(16);
            assertThat(predictions.stream().filter(p -> p.getVariant().equals("default"))).hasSize(16);
            List<ModelSnapshot> snapshots = MinibatchSgdFunctionTest.snapshots(h);
            assertThat(snapshots).extracting(ModelSnapshot::getVariant).containsExactlyInAnyOrder("default", "slow");
            assertThat(snapshots).filteredOn(m -> m.getVariant().equals("slow")).singleElement()
                    .satisfies(m -> assertThat(m.getSpec()).contains("0.01"));
            assertThat(h.numKeyedStateEntries()).isEqualTo(2);

            h.processBroadcastElement(new SpecChange("t", "slow", null), 20);
            assertThat(h.numKeyedStateEntries()).as("the retired variant's state is gone").isEqualTo(1);
            h.processElement(new VariantExample("slow", new Sourced<>(example(20), 0, 20), OTHER_SPEC), 20);
            assertThat(MinibatchSgdFunctionTest.deadLetters(h)).singleElement()
                    .satisfies(d -> assertThat(d.getField()).isEqualTo("variant"));
            assertThat(h.numKeyedStateEntries()).isEqualTo(1);
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(h.extractOutputValues()).hasSize(32);
        }
    }

    @Test
    void aVariantTheTrainerHasNotHeardOfYetStartsFromTheSpecItsFirstExampleCarries() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            for (int i = 0; i < 8; i++) {
                h.processElement(new VariantExample("new", new Sourced<>(example(i), 0, i), i == 0 ? OTHER_SPEC : null),
                        i);
            }
            assertThat(MinibatchSgdFunctionTest.deadLetters(h)).isEmpty();
            assertThat(h.extractOutputValues()).hasSize(8).extracting(Prediction::getVariant).containsOnly("new");
            h.processBroadcastElement(new SpecChange("t", "new", OTHER_SPEC), 8);
            h.processElement(new VariantExample("new", new Sourced<>(example(8), 0, 8), null), 8);
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(MinibatchSgdFunctionTest.snapshots(h)).singleElement()
                    .satisfies(m -> assertThat(m.getExamplesSeen()).isEqualTo(9));
        }
    }

    @Test
    void eachVariantOfALabelModelTaskPublishesItsOwnAnnotatorsAndConsensusUnderItsOwnKeys() throws Exception {
        TrainSettings settings = new TrainSettings()
                .specs(TaskSpecs.ofDefault(MinibatchSgdFunctionTest.LABEL_MODEL_SPEC)).snapshotEveryBatches(1)
                .snapshotIntervalMs(0).batchTimeoutMs(0).annotatorPublishIntervalMs(0);
        try (var h = new TrainerHarness(settings)) {
            h.open();
            String slow = MinibatchSgdFunctionTest.LABEL_MODEL_SPEC.replace("0.05", "0.01");
            h.processBroadcastElement(new SpecChange("t", "slow", slow), 0);
            for (int i = 0; i < 8; i++) {
                Sourced<dev.chorus.schemas.Example> input =
                        new Sourced<>(MinibatchSgdFunctionTest.labelled(i, 3), 0, i);
                h.processElement(new VariantExample("default", input, null), i);
                h.processElement(new VariantExample("slow", input, null), i);
            }
            List<dev.chorus.schemas.AnnotatorModel> annotators = MinibatchSgdFunctionTest.annotatorModels(h);
            assertThat(annotators).extracting(dev.chorus.schemas.AnnotatorModel::getVariant)
                    .containsOnly("default", "slow");
            assertThat(annotators.stream().map(a -> TrainRecords.annotatorKey(a.getTask(), a.getVariant(),
                    a.getAnnotator())).distinct()).as("one key per variant and annotator").hasSize(6)
                    .contains("t/a0", "t/a0\u001Fslow");
            List<dev.chorus.schemas.Consensus> consensus = h.getSideOutput(MinibatchSgdFunction.CONSENSUS).stream()
                    .map(StreamRecord::getValue).map(Either::right).toList();
            assertThat(consensus).extracting(dev.chorus.schemas.Consensus::getVariant).containsOnly("default", "slow");
            assertThat(consensus.stream().map(c -> TrainRecords.consensusKey(c.getTask(), c.getVariant(), c.getItem()))
                    .distinct().count()).as("no variant's consensus compacts the other's")
                    .isEqualTo(consensus.stream().map(c -> c.getVariant() + "|" + c.getItem()).distinct().count());
        }
    }

    @Test
    void theRouterSendsEachExampleToEveryLiveVariantOfItsTask() throws Exception {
        try (BroadcastOperatorTestHarness<Received<dev.chorus.schemas.Example>, SpecChange, VariantExample> h =
                VariantRouterTest.harness()) {
            Received<dev.chorus.schemas.Example> input = VariantRouterTest.received(example(0), 0, 0);
            h.processElement(input, 0);
            h.processBroadcastElement(new SpecChange("t", "slow", OTHER_SPEC), 1);
            h.processBroadcastElement(new SpecChange("other", "x", OTHER_SPEC), 1);
            h.processElement(input, 2);
            h.processBroadcastElement(new SpecChange("t", "default", null), 3);
            h.processElement(input, 4);
            h.processBroadcastElement(new SpecChange("t", "slow", null), 5);
            h.processElement(input, 6);
            assertThat(h.extractOutputValues()).extracting(VariantExample::variant)
                    .containsExactly("default", "default", "slow", "slow");
            assertThat(h.extractOutputValues()).extracting(VariantExample::spec)
                    .as("the spec goes with the first example of a variant only").containsExactly(null, null, OTHER_SPEC, null);
            // The harness copies what the operator emits: equal here; in the job, the one decoded example.
            assertThat(h.extractOutputValues()).allSatisfy(v -> assertThat(v.input()).isEqualTo(input.sourced()));
            List<DeadLetter> dead = h.getSideOutput(VariantRouter.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).singleElement().satisfies(d -> assertThat(d.getField()).isEqualTo("task"));
        }
    }

    @Test
    void invalidControlRecordsAreDeadLettersAndChangeNothing() throws Exception {
        TrainSettings settings = settings().maxVariantsPerTask(2);
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings)) {
            h.processElement(record("t/a", live("t", "a", OTHER_SPEC)), 0);
            h.processElement(record("t/a", live("t", "a", OTHER_SPEC)), 1);
            h.processElement(record("t/b", live("t", "b", "{\"algorithm\":\"nope\"}")), 2);
            h.processElement(record("t/b", live("t", "b", OTHER_SPEC)), 3);
            h.processElement(record("t/a", live("t", "a", SPEC)), 4);
            h.processElement(record("t/c", live("t", "x", SPEC)), 5);
            h.processElement(record("t/b\u0007", live("t", "b\u0007", SPEC)), 6);
            h.processElement(new KafkaRecord("chorus.specs", 0, 7, 0, bytes("t/z"), bytes("{not json")), 7);
            h.processElement(new KafkaRecord("chorus.specs", 0, 8, 0, bytes("t/a"), null), 8);
            h.processElement(record("t/b", live("t", "b", OTHER_SPEC)), 9);

            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("t", "a", OTHER_SPEC),
                    new SpecChange("t", "a", null), new SpecChange("t", "b", OTHER_SPEC));
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).extracting(DeadLetter::getField)
                    .containsExactly("spec", "variant", "spec", "key", "variant", null);
            assertThat(dead.get(0).getReason()).startsWith("field 'spec': expected a model spec");
            assertThat(dead.get(1).getReason()).contains("maxVariantsPerTask=2").contains("\"b\"");
            assertThat(dead.get(2).getReason()).contains("a live variant's spec never changes");
        }
    }

    /**
     * A live variant's name is at most 256 characters, as a task's: a longer one is a dead letter naming the field, the
     * bound and its length (before: accepted, and one of more than 64 KiB of UTF-8 failed the router's every example of
     * its task, then every restart, from the restored broadcast state). Only a record that makes the variant live is
     * bounded: one an older release let live can still be retired.
     */
    @Test
    void aLiveVariantsNameOfMoreThan256CharactersIsADeadLetter() throws Exception {
        String longest = "v".repeat(Variants.MAX_VARIANT_LENGTH);
        String tooLong = "\u00e9".repeat(40_000);
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h = CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/" + tooLong, live("t", tooLong, OTHER_SPEC)), 0);
            h.processElement(record("t/" + longest, live("t", longest, OTHER_SPEC)), 1);

            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("t", longest, OTHER_SPEC));
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).singleElement().satisfies(d -> {
                assertThat(d.getValue().getField()).isEqualTo("variant");
                assertThat(d.getValue().getReason())
                        .isEqualTo("field 'variant': expected 1 to 256 characters, got 40000");
            });
        }
        assertThat(Variants.checkNames("t", tooLong, false)).as("a retirement").isNull();
    }

    /**
     * A spec for a retired variant's key revives it only if asked: without {@code "revive":true} it is a dead letter
     * naming the field, whether the key was retired by a RETIRED record or a tombstone, or held a search; with it, the
     * variant (or the search) is live again. A tombstone of a key that was never live retires nothing.
     */
    @Test
    void aSpecForARetiredKeyIsADeadLetterUnlessItSaysRevive() throws Exception {
        String revived = OTHER_SPEC.substring(0, OTHER_SPEC.lastIndexOf('}')) + ",\"revive\":true}";
        String search = SpecSearchesTest.SEARCH;
        String searchRevived = search.substring(0, search.lastIndexOf('}')) + ",\"revive\":true}";
        VariantSpecRecord retire = live("t", "a", null);
        retire.setStatus(VariantStatus.RETIRED);
        VariantSpecRecord retireSearch = live("t", "hp", null);
        retireSearch.setStatus(VariantStatus.RETIRED);
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (CheckSpecsHarness h = CheckSpecsHarness.open(settings(), metrics.environment())) {
            h.processElement(record("t/a", live("t", "a", OTHER_SPEC)), 0);
            h.processElement(record("t/a", retire), 1);
            h.processElement(record("t/a", live("t", "a", OTHER_SPEC)), 2);
            h.processElement(record("t/a", live("t", "a", revived)), 3);
            h.processElement(record("t/b", live("t", "b", OTHER_SPEC)), 4);
            h.processElement(new KafkaRecord("chorus.specs", 0, 5, 0, bytes("t/b"), null), 5);
            h.processElement(record("t/b", live("t", "b", OTHER_SPEC)), 6);
            h.processElement(new KafkaRecord("chorus.specs", 0, 7, 0, bytes("t/c"), null), 7);
            h.processElement(record("t/c", live("t", "c", OTHER_SPEC)), 8);
            h.processElement(record("t/hp", live("t", "hp", search)), 9);
            h.processElement(record("t/hp", retireSearch), 10);
            h.processElement(record("t/hp", live("t", "hp", search)), 11);
            h.processElement(record("t/hp", live("t", "hp", searchRevived)), 12);

            assertThat(h.extractOutputValues()).extracting(c -> c.variant + (c.retires() ? " retired" : " live"))
                    .containsExactly("a live", "a retired", "a live", "b live", "b retired", "c live",
                            "hp live", "hp-s0 live", "hp-s1 live", "hp-s2 live", "hp-s3 live",
                            "hp retired", "hp-s0 retired", "hp-s1 retired", "hp-s2 retired", "hp-s3 retired",
                            "hp live", "hp-s0 live", "hp-s1 live", "hp-s2 live", "hp-s3 live");
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).extracting(DeadLetter::getField).containsExactly("spec", "spec", "spec");
            assertThat(dead).extracting(DeadLetter::getKey).extracting(k -> StandardCharsets.UTF_8.decode(k.duplicate())
                    .toString()).containsExactly("t/a", "t/b", "t/hp");
            assertThat(dead.get(0).getReason()).isEqualTo("field 'spec': expected \"revive\":true to make retired "
                    + "variant \"t/a\" live again (chorus specs put --revive), got a spec without it: " + SpecControl.quotedSpec(OTHER_SPEC));
            String prefix = "flink_taskmanager_job_task_operator_";
            assertThat(metrics.find(prefix + "specChanges", Map.of())).singleElement()
                    .extracting(RegisteredMetrics.Registered::value).isEqualTo(21.0);
            assertThat(metrics.find(prefix + "deadLetters", Map.of())).singleElement()
                    .extracting(RegisteredMetrics.Registered::value).isEqualTo(3.0);
            assertThat(metrics.find(prefix + "field_deadLetters", Map.of("field", "spec"))).singleElement()
                    .extracting(RegisteredMetrics.Registered::value).isEqualTo(3.0);
        }
    }

    /**
     * A retirement a search decided carries the record's reason to the selection, which tells its own decisions by it
     * ({@code SearchRungs}); any other retirement carries none, whatever its reason says.
     */
    @Test
    void aSearchsRetirementCarriesItsEvidenceAndNoOtherDoes() throws Exception {
        VariantSpecRecord bySearch = live("t", "a", null);
        bySearch.setStatus(VariantStatus.RETIRED);
        bySearch.setSource(SpecChange.SEARCH_SOURCE);
        bySearch.setReason("search hp rung 0 of 2 over 2 examples: ...");
        VariantSpecRecord byHand = live("t", "b", null);
        byHand.setStatus(VariantStatus.RETIRED);
        byHand.setSource("cli");
        byHand.setReason("search hp rung 0 of 2 over 2 examples: ...");
        try (CheckSpecsHarness h = CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/a", live("t", "a", SPEC)), 0);
            h.processElement(record("t/b", live("t", "b", SPEC)), 1);
            h.processElement(record("t/a", bySearch), 2);
            h.processElement(record("t/b", byHand), 3);

            assertThat(h.extractOutputValues()).extracting(c -> c.variant + (c.retires() ? " retired" : " live"),
                    c -> c.evidence).containsExactly(org.assertj.core.groups.Tuple.tuple("a live", null),
                    org.assertj.core.groups.Tuple.tuple("b live", null),
                    org.assertj.core.groups.Tuple.tuple("a retired", "search hp rung 0 of 2 over 2 examples: ..."),
                    org.assertj.core.groups.Tuple.tuple("b retired", null));
        }
    }

    /**
     * A live variant's spec written again another way (whitespace, key order), or without the {@code "revive":true} its
     * revival wrote into it, asks for the variant it is: no change and no dead letter, as the same text is; another
     * spec is still refused.
     */
    @Test
    void aLiveVariantsSpecWrittenAnotherWayOrWithoutItsReviveChangesNothing() throws Exception {
        String revived = OTHER_SPEC.substring(0, OTHER_SPEC.lastIndexOf('}')) + ",\"revive\":true}";
        VariantSpecRecord retire = live("t", "a", null);
        retire.setStatus(VariantStatus.RETIRED);
        try (CheckSpecsHarness h = CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/a", live("t", "a", OTHER_SPEC)), 0);
            h.processElement(record("t/a", retire), 1);
            h.processElement(record("t/a", live("t", "a", revived)), 2);
            h.processElement(record("t/a", live("t", "a", OTHER_SPEC)), 3);
            h.processElement(record("t/a", live("t", "a", OTHER_SPEC.replace(",", " , "))), 4);
            h.processElement(record("t/a", live("t", "a", SPEC)), 5);

            assertThat(h.extractOutputValues()).extracting(c -> c.variant + (c.retires() ? " retired" : " live"))
                    .containsExactly("a live", "a retired", "a live");
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).singleElement()
                    .extracting(r -> r.getValue().getReason()).asString()
                    .contains("a live variant's spec never changes");
        }
    }

    /**
     * A warm start says only how a variant starts: a live variant's spec put again with another warm start, or none,
     * changes nothing (a deploy script's put after a drift reset, whose record has none, is not refused).
     */
    @Test
    void aLiveVariantsSpecPutAgainWithAnotherWarmStartOrNoneChangesNothing() throws Exception {
        String warm = SPEC.substring(0, SPEC.lastIndexOf('}')) + ",\"warmStart\":{\"from\":\"file:/models/t.chorus\"}}";
        byte[] model = WarmStartTrainingTest.source().toBytes();
        try (CheckSpecsHarness h = CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/w", WarmStartTrainingTest.withModel(live("t", "w", warm), model)), 0);
            h.processElement(record("t/w", live("t", "w", SPEC)), 1);
            h.processElement(record("t/w", WarmStartTrainingTest.withModel(live("t", "w",
                    warm.replace("t.chorus", "u.chorus")), model)), 2);
            h.processElement(record("t/p", live("t", "p", SPEC)), 3);
            h.processElement(record("t/p", WarmStartTrainingTest.withModel(live("t", "p", warm), model)), 4);

            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).isNull();
            assertThat(h.extractOutputValues()).extracting(c -> c.variant + " " + (c.initialModel != null))
                    .containsExactly("w true", "p false");
        }
    }

    /** The router holds a fresh job's examples until these markers reach the control topic's end (VariantRouter). */
    @Test
    void afterEachControlRecordItsChangesOrNoneComesAProgressMarkerOfItsOffset() throws Exception {
        try (CheckSpecsHarness h = CheckSpecsHarness.open(settings())) {
            KafkaRecord live = record("t/a", live("t", "a", OTHER_SPEC));
            h.processElement(new KafkaRecord(live.topic, 0, 3, 0, live.key, live.value), 0);
            h.processElement(new KafkaRecord(live.topic, 0, 4, 0, live.key, live.value), 1);
            h.processElement(new KafkaRecord("chorus.specs", 0, 5, 0, bytes("t/z"), bytes("{not json")), 2);
            h.processElement(new KafkaRecord("chorus.specs", 0, 7, 0, bytes("t/a"), null), 3);

            assertThat(h.sent()).as("a change, no change, a dead letter, a retirement").containsExactly("t/a live",
                    "read up to 3", "read up to 4", "read up to 5", "t/a retired", "read up to 7");
            assertThat(h.extractOutputValues()).extracting(c -> c.generation).containsExactly(3L, 7L);
        }
    }

    /** A wide and deep spec on the control topic becomes a variant of its own, as at submission. */
    @Test
    void aWideAndDeepSpecOnTheControlTopicIsAVariant() throws Exception {
        String wideDeep = "{\"algorithm\":\"wide-deep\",\"numClasses\":2,\"hashing\":{\"bits\":10},"
                + "\"embeddings\":{\"dim\":4,\"buckets\":64,\"fields\":[\"user\"]},"
                + "\"layers\":[{\"units\":8,\"activation\":\"relu\"}],\"standardize\":false}";
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("clicks/wd", live("clicks", "wd", wideDeep)), 0);
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).isNull();
            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("clicks", "wd", wideDeep));
        }
    }

    /** A control record is a VariantSpec: its management keys are taken out before the model's are read. */
    @Test
    void aControlSpecWithDriftWarmStartAndReviveIsAcceptedAndTrainsItsModel() throws Exception {
        String managed = SPEC.substring(0, SPEC.lastIndexOf('}'))
                + ",\"drift\":{\"detector\":\"page-hinkley\",\"lambda\":50,\"reaction\":\"none\"},"
                + "\"warmStart\":{\"from\":\"variant:default\"},\"revive\":true}";
        assertThat(VariantSpecs.parse(managed)).as("the model it trains is the spec without its management keys")
                .isEqualTo(TaskSpecs.parse(SPEC));
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/d", WarmStartTrainingTest.withModel(live("t", "d", managed),
                    WarmStartTrainingTest.source().toBytes())), 0);
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).isNull();
            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("t", "d", managed));
        }
    }

    /** Management keys that do not parse are refused, naming the key. */
    @Test
    void aBadDriftOnTheControlTopicIsADeadLetter() throws Exception {
        String base = SPEC.substring(0, SPEC.lastIndexOf('}'));
        String badDrift = base + ",\"drift\":{\"detector\":\"cusum\"}}";
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/b", live("t", "b", badDrift)), 1);
            assertThat(h.extractOutputValues()).isEmpty();
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).extracting(DeadLetter::getField).containsExactly("spec");
            assertThat(dead.get(0).getReason()).contains("drift.detector").contains("cusum");
        }
    }

    /**
     * A fork's space is checked as the job checks a search's points: a point a label model cannot train (a doctor
     * net's body takes no dropout) is refused when the spec is read, naming {@code drift.forkSpace}, though each of its
     * values makes a valid ModelSpec.
     */
    @Test
    void aForkSpaceWhosePointsTheJobCannotTrainIsADeadLetter() throws Exception {
        String doctor = "{\"algorithm\":\"mlp\",\"inputDim\":4,\"numClasses\":3,"
                + "\"layers\":[{\"units\":8,\"activation\":\"relu\"}],\"seed\":3,"
                + "\"labelModel\":{\"method\":\"doctor-net\",\"maxAnnotators\":3},"
                + "\"drift\":{\"detector\":\"page-hinkley\",\"reaction\":\"fork\",\"forkVariants\":2,"
                + "\"forkSpace\":{\"layers[0].dropout\":[0.0,0.3]}}}";
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/b", live("t", "b", doctor)), 1);
            h.processElement(record("t/c", live("t", "c", doctor.replace("0.3]", "0.0]"))), 2);
            assertThat(h.extractOutputValues()).extracting(c -> c.variant).containsExactly("c");
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).extracting(DeadLetter::getField).containsExactly("spec");
            assertThat(dead.get(0).getReason()).contains("VariantSpec key 'drift.forkSpace': expected a space whose "
                    + "points the train job can train, got challenger default-f").contains("layers[0].dropout=0.3")
                    .contains("doctor net");
        }
    }

    /**
     * A variant named like a chunk key ({@code v#3}) or with a {@code /} would share a models-topic key with another
     * variant's records: a dead letter naming the field, the expected and the actual name. Names a search draws
     * ({@code <variant>-s<i>}) and a fork's ({@code <champion>-f<n>}) pass; a task may hold either character, as the
     * variant is the key's last segment; a RETIRED record is not refused for it.
     */
    @Test
    void aVariantNameThatWouldCollideWithAModelsTopicKeyIsADeadLetter() throws Exception {
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/v#3", live("t", "v#3", SPEC)), 1);
            h.processElement(record("t/lr/2", live("t", "lr/2", SPEC)), 2);
            h.processElement(record("t/hp-s0", live("t", "hp-s0", SPEC)), 3);
            h.processElement(record("t/default-f1", live("t", "default-f1", SPEC)), 4);
            h.processElement(record("a/b#1/w", live("a/b#1", "w", SPEC)), 5);
            VariantSpecRecord retire = live("t", "old/2", null);
            retire.setStatus(VariantStatus.RETIRED);
            h.processElement(record("t/old/2", retire), 6);

            assertThat(h.extractOutputValues()).as("a variant an older release let live can still be retired")
                    .extracting(c -> c.variant).containsExactly("hp-s0", "default-f1", "w", "old/2");
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).extracting(DeadLetter::getField).containsExactly("variant", "variant");
            assertThat(dead).extracting(DeadLetter::getReason).containsExactly(
                    "field 'variant': expected a name without '#' or '/' (the models topic's keys are task/variant and "
                            + "task/variant#chunk), got \"v#3\" ('#' at position 1)",
                    "field 'variant': expected a name without '#' or '/' (the models topic's keys are task/variant and "
                            + "task/variant#chunk), got \"lr/2\" ('/' at position 2)");
        }
    }

    /**
     * A task may hold a {@code /}, so task {@code a/b}'s variant {@code c} and a retirement of task {@code a}'s
     * variant {@code b/c} share the key {@code a/b/c}: the retirement is a dead letter while the other is live (it
     * would retire nothing of its own and leave the live one untracked), and a stray one before it does not make the
     * live variant's first record a revival.
     */
    @Test
    void aRetirementWhoseKeyIsAnotherTasksLiveVariantIsADeadLetter() throws Exception {
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h = CheckSpecsHarness.open(settings())) {
            VariantSpecRecord stray = live("x", "y/z", null);
            stray.setStatus(VariantStatus.RETIRED);
            h.processElement(record("x/y/z", stray), 0);
            h.processElement(record("x/y/z", live("x/y", "z", SPEC)), 1);
            h.processElement(record("a/b/c", live("a/b", "c", SPEC)), 2);
            VariantSpecRecord other = live("a", "b/c", null);
            other.setStatus(VariantStatus.RETIRED);
            h.processElement(record("a/b/c", other), 3);
            VariantSpecRecord own = live("a/b", "c", null);
            own.setStatus(VariantStatus.RETIRED);
            h.processElement(record("a/b/c", own), 4);

            assertThat(h.extractOutputValues()).filteredOn(c -> c.task != null)
                    .extracting(c -> c.task + " " + c.variant + (c.retires() ? " retired" : " live"))
                    .containsExactly("x y/z retired", "x/y z live", "a/b c live", "a/b c retired");
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("variant");
                assertThat(d.getReason()).isEqualTo("field 'variant': expected a variant whose key \"a/b/c\" names "
                        + "no other live variant, got variant \"b/c\" of task \"a\", whose key is that of live variant "
                        + "\"c\" of task \"a/b\"");
            });
        }
    }

    static VariantSpecRecord live(String task, String variant, String spec) {
        return VariantSpecRecord.newBuilder().setTask(task).setVariant(variant).setStatus(VariantStatus.LIVE)
                .setSpec(spec).setUpdatedAt(0L).setSource("test").build();
    }

    static KafkaRecord record(String key, VariantSpecRecord value) {
        return new KafkaRecord("chorus.specs", 0, 0, 0, bytes(key), settings().specsTopic().codec().encode(value));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
