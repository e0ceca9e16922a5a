package dev.chorus.jobs.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.output.Scored;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The serve function in Flink's keyed broadcast test harness: hot swap, waiting, bounds, restore. */
class ServeFunctionTest {

    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":3}""";
    static final LabeledDataset DATA = SyntheticBlobs.generate(100, 4, 3, 5);

    static ServeSettings settings() {
        return new ServeSettings().maxWaitingPerTask(3);
    }

    static Example example(int row) {
        return ExampleProducer.example(DATA, row, "t", "x", 0);
    }

    /** A snapshot of a model trained for {@code updates} minibatches, with that many as its version. */
    static ModelSnapshot snapshot(String task, long updates) {
        return snapshot(task, updates, SPEC);
    }

    /** As {@link #snapshot(String, long)}, of a model of {@code spec} (SPEC's shape). */
    static ModelSnapshot snapshot(String task, long updates, String spec) {
        OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(spec));
        float[] weights = new float[8];
        java.util.Arrays.fill(weights, 1f);
        for (int i = 0; i < updates; i++) {
            learner.trainMinibatch(DATA.features(), DATA.labels(), weights, 8);
        }
        return ModelSnapshot.newBuilder().setTask(task).setVariant("default").setVersion(updates)
                .setAlgorithm("softmax-regression").setSpec(spec).setParametersFormat(OnlineLearner.FORMAT_VERSION)
                .setParameters(ByteBuffer.wrap(learner.toBytes())).setExamplesSeen(updates * 8)
                .setMetrics(Map.of()).setCreatedAt(0).setProvenance(Map.of()).build();
    }

    /** {@code snapshot} as the models topic holds it, at {@code offset}, keyed by task/variant. */
    /** {@code example} as the serve function receives it, read from partition 0 at offset 0. */
    static Sourced<Example> sourced(Example example) {
        return new Sourced<>(example, 0, 0);
    }

    static String taskOf(Sourced<Example> example) {
        return example.value().getTask();
    }

    static KafkaRecord record(ModelSnapshot snapshot, long offset) {
        return new KafkaRecord(settings().modelsTopic().name(), 0, offset, 0,
                (snapshot.getTask() + "/" + snapshot.getVariant()).getBytes(StandardCharsets.UTF_8),
                settings().modelsTopic().codec().encode(snapshot));
    }

    /** What {@code chorus models reset} writes: a tombstone for {@code key}. */
    static KafkaRecord tombstone(String key, long offset) {
        return new KafkaRecord(settings().modelsTopic().name(), 0, offset, 0, key.getBytes(StandardCharsets.UTF_8),
                null);
    }

    static KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> harness(ServeSettings s)
            throws Exception {
        var h = new KeyedBroadcastOperatorTestHarness<>(
                new CoBroadcastWithKeyedOperator<>(new ServeFunction(s), ServeJob.BROADCAST_STATES),
                ServeFunctionTest::taskOf, Types.STRING, 1, 1, 0);
        return h;
    }

    static List<DeadLetter> deadLetters(
            KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> h) {
        ConcurrentLinkedQueue<StreamRecord<DeadLetter>> out = h.getSideOutput(ServeFunction.DEAD_LETTERS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    /** Serving a fixed variant, the job keeps no other variant's models: a search's 8 would cost 8 times the memory. */
    @Test
    void aFixedVariantServeJobKeepsNoOtherVariantsModels() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            ModelSnapshot other = snapshot("t", 9);
            other.setVariant("w");
            h.processBroadcastElement(record(snapshot("t", 2), 0), 0);
            h.processBroadcastElement(record(other, 1), 0);
            h.processElement(sourced(example(0)), 1);

            assertThat(h.getBroadcastState(ServeFunction.MODELS).get("t/w")).isNull();
            assertThat(h.getBroadcastState(ServeFunction.MODELS).get("t/default").getVersion()).isEqualTo(2L);
            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsExactly(2L);
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    /**
     * Task a/b's variant c and task a's variant b/c would share the key a/b/c: a model whose variant holds a '/' (no
     * live variant may) is a dead letter, and never answers another task's examples.
     */
    @Test
    void aModelWhoseVariantHoldsASlashIsADeadLetterAndNeverAnswersAnotherTask() throws Exception {
        try (var h = harness(settings().variant("c"))) {
            h.open();
            ModelSnapshot own = snapshot("a/b", 5);
            own.setVariant("c");
            ModelSnapshot other = snapshot("a", 7);
            other.setVariant("b/c");
            h.processBroadcastElement(record(own, 0), 0);
            h.processBroadcastElement(record(other, 1), 0);
            Example e = example(0);
            e.setTask("a/b");
            h.processElement(sourced(e), 1);

            assertThat(h.extractOutputValues()).singleElement().satisfies(p -> {
                assertThat(p.getModelVersion()).isEqualTo(5L);
                assertThat(p.getVariant()).isEqualTo("c");
            });
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("variant");
                assertThat(d.getReason()).isEqualTo("model \"a/b/c\" version 7: field 'variant': expected a name without "
                        + "'/' (models are kept by task/variant, and a task may hold '/'), got \"b/c\" ('/' at "
                        + "position 1) (at chorus.models-0@1)");
            });
        }
    }

    /**
     * Following the champion, a champion record of task a naming variant b/c would have task a answered by task a/b's
     * variant c (key a/b/c): it is a dead letter naming the field, and task a keeps its champion.
     */
    @Test
    void aChampionRecordWhoseVariantHoldsASlashIsADeadLetterAndServingIsUnchanged() throws Exception {
        try (var h = harness(settings().variant(ServeSettings.CHAMPION))) {
            h.open();
            h.processBroadcastElement(ServeStateFixture.model("a/b", "c", 5, 0), 0);
            h.processBroadcastElement(ServeStateFixture.model("a", "default", 3, 1), 0);
            h.processBroadcastElement(ServeStateFixture.champion("a", "default", 0), 0);
            h.processBroadcastElement(ServeStateFixture.champion("a", "b/c", 1), 0);
            h.processElement(sourced(ofTask("a", 0)), 1);

            assertThat(h.extractOutputValues()).singleElement().satisfies(p -> {
                assertThat(p.getVariant()).isEqualTo("default");
                assertThat(p.getModelVersion()).isEqualTo(3L);
            });
            assertThat(h.getBroadcastState(ServeFunction.SERVING).get("a")).isEqualTo("default");
            assertThat(h.getBroadcastState(ServeFunction.WANTED).get("a")).isNull();
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("variant");
                assertThat(d.getReason()).isEqualTo("champion record of task \"a\": field 'variant': expected a name"
                        + " without '/' (models are kept by task/variant, and a task may hold '/'), got \"b/c\" ('/' at"
                        + " position 1); serving unchanged (at chorus.champions-0@1)");
            });
        }
    }

    @Test
    void servesLabelModelSnapshotsWithTheCombinedModelsProbabilities() throws Exception {
        String spec = SPEC.substring(0, SPEC.lastIndexOf('}')) + ",\"labelModel\":\"weighted-doctor-net\"}";
        LabelModel model = LabelModels.create(ModelSpec.parse(spec));
        model.train(DATA.features(), new long[] {1, 1, 2, 2, 3, 3, 4, 4},
                new String[] {"a", "b", "a", "b", "a", "b", "a", "b"}, DATA.labels(), 8);
        ModelSnapshot snapshot = ModelSnapshot.newBuilder().setTask("t").setVariant("default").setVersion(1)
                .setAlgorithm("softmax-regression").setSpec(spec).setParametersFormat(LabelModels.FORMAT_VERSION)
                .setParameters(ByteBuffer.wrap(model.toBytes())).setExamplesSeen(8)
                .setMetrics(Map.of()).setCreatedAt(0).setProvenance(Map.of()).build();
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot, 0), 0);
            h.processElement(sourced(example(9)), 1);
            Prediction p = h.extractOutputValues().get(0);
            float[] expected = new float[3];
            model.predictProba(DATA.features(), 9 * 4, expected);
            assertThat(Float32.unpack(p.getProbabilities())).containsExactly(expected);
            assertThat(p.getModelVersion()).isEqualTo(1);
        }
    }

    @Test
    void servesHashedSnapshotsByHashingTheExamplesFieldsTheSameWay() throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 12, 9);
        SparseLinearModel model = ClickExamples.reference(ClickExamples.SPEC, clicks.subList(0, 8), false).model();
        ModelSnapshot snapshot = ModelSnapshot.newBuilder().setTask("clicks").setVariant("default").setVersion(2)
                .setAlgorithm("logistic-regression").setSpec(ClickExamples.SPEC)
                .setParametersFormat(model.formatVersion()).setParameters(ByteBuffer.wrap(model.toBytes()))
                .setExamplesSeen(8).setMetrics(Map.of()).setCreatedAt(0).setProvenance(Map.of()).build();
        FeatureHasher hasher = new FeatureHasher(model.spec().hashing());
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot, 0), 0);
            for (int i = 8; i < 12; i++) {
                h.processElement(sourced(clicks.get(i)), i);
            }
            Example unknown = ClickExamples.example("clicks", 12, 9);
            unknown.setFields(Map.of("city", "Paris"));
            h.processElement(sourced(unknown), 12);
            List<Prediction> predictions = h.extractOutputValues();
            assertThat(predictions).hasSize(4);
            for (int i = 0; i < 4; i++) {
                float[] expected = new float[2];
                model.predictProba(hasher.hash(clicks.get(8 + i).getFields()), expected);
                assertThat(Float32.unpack(predictions.get(i).getProbabilities())).containsExactly(expected);
                assertThat(predictions.get(i).getModelVersion()).isEqualTo(2);
            }
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("fields");
                assertThat(d.getReason()).startsWith("field 'fields.city': expected one of the spec's fields");
            });
        }
    }

    /** A wide and deep snapshot answers named-field examples, and is hot-swapped by the next version. */
    @Test
    void servesWideDeepSnapshotsWithTheirSpecAndSwapsThem() throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 16, 9);
        WideDeepModel two = WideDeepClicks.reference(WideDeepClicks.SPEC, clicks.subList(0, 8), false).model();
        WideDeepModel three = WideDeepClicks.reference(WideDeepClicks.SPEC, clicks.subList(0, 12), false).model();
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(wideDeepSnapshot(two), 0), 0);
            h.processElement(sourced(clicks.get(12)), 1);
            h.processBroadcastElement(record(wideDeepSnapshot(three), 1), 2);
            h.processElement(sourced(clicks.get(13)), 3);
            Example bad = ClickExamples.example("clicks", 14, 9);
            bad.getFields().put("words", "free");
            bad.getFields().put("user", 3.0);
            h.processElement(sourced(bad), 4);
            List<Prediction> predictions = h.extractOutputValues();
            assertThat(predictions).extracting(Prediction::getModelVersion).containsExactly(2L, 3L);
            assertThat(Float32.unpack(predictions.get(0).getProbabilities()))
                    .containsExactly(WideDeepClicks.predict(two, clicks.get(12)));
            assertThat(Float32.unpack(predictions.get(1).getProbabilities()))
                    .containsExactly(WideDeepClicks.predict(three, clicks.get(13)));
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("fields");
                assertThat(d.getReason()).isEqualTo("field 'fields.user': expected a string or a list of strings "
                        + "(an embedding field), got 3.0 (model \"clicks/default\" version 3)");
            });
        }
    }

    /** A large-output snapshot serves each example its top k, as model-core's model predicts them; a bad label too. */
    @Test
    void servesLargeOutputSnapshotsWithTheirTopKClasses() throws Exception {
        String spec = LargeOutputExamples.spec(20_000);
        List<Example> examples = LargeOutputExamples.stream("many", 36, 20_000, 4);
        LargeOutputModel model = LargeOutputExamples.reference(spec, examples.subList(0, 32)).model();
        ModelSnapshot snapshot = ModelSnapshot.newBuilder().setTask("many").setVariant("default").setVersion(2)
                .setAlgorithm("large-softmax").setSpec(spec)
                .setParametersFormat(LargeOutputModel.FORMAT_VERSION).setParameters(ByteBuffer.wrap(model.toBytes()))
                .setExamplesSeen(32).setMetrics(Map.of()).setCreatedAt(0).setProvenance(Map.of()).build();
        FeatureHasher hasher = new FeatureHasher(model.spec().hashing());
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot, 0), 0);
            for (int i = 32; i < 36; i++) {
                h.processElement(sourced(examples.get(i)), i);
            }
            Example outside = LargeOutputExamples.example("many", 36, 20_000, 4);
            outside.setLabel(20_000);
            h.processElement(sourced(outside), 36);
            List<Prediction> predictions = h.extractOutputValues();
            assertThat(predictions).hasSize(4);
            for (int i = 0; i < 4; i++) {
                Prediction p = predictions.get(i);
                List<Scored> expected = model.predictTopK(hasher.hash(examples.get(32 + i).getFields()));
                assertThat(p.getTopClasses()).containsExactlyElementsOf(expected.stream().map(Scored::id).toList());
                assertThat(Float32.unpack(p.getTopProbabilities())).hasSize(5)
                        .containsExactly((float) expected.get(0).score(), (float) expected.get(1).score(),
                                (float) expected.get(2).score(), (float) expected.get(3).score(),
                                (float) expected.get(4).score());
                assertThat(p.getPredictedClass()).isEqualTo(expected.get(0).id());
                assertThat(p.getProbabilities().remaining()).isZero();
            }
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("label");
                assertThat(d.getReason()).contains("20000");
            });
        }
    }

    static ModelSnapshot wideDeepSnapshot(WideDeepModel model) {
        return ModelSnapshot.newBuilder().setTask("clicks").setVariant("default").setVersion(model.steps())
                .setAlgorithm("wide-deep").setSpec(WideDeepClicks.SPEC)
                .setParametersFormat(WideDeepModel.FORMAT_VERSION).setParameters(ByteBuffer.wrap(model.toBytes()))
                .setExamplesSeen(model.examplesSeen()).setMetrics(Map.of()).setCreatedAt(0).setProvenance(Map.of())
                .build();
    }

    @Test
    void swapsToNewerVersionsAndIgnoresOlderOrRepeatedOnes() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot("t", 2), 0), 0);
            h.processElement(sourced(example(0)), 1);
            h.processBroadcastElement(record(snapshot("t", 5), 2), 2);
            h.processElement(sourced(example(1)), 3);
            h.processBroadcastElement(record(snapshot("t", 4), 4), 4);
            h.processBroadcastElement(record(snapshot("t", 5), 5), 5);
            h.processElement(sourced(example(2)), 6);
            List<Prediction> out = h.extractOutputValues();
            assertThat(out).extracting(Prediction::getModelVersion).containsExactly(2L, 5L, 5L);
            assertThat(out).allSatisfy(p -> {
                assertThat(p.getTask()).isEqualTo("t");
                assertThat(p.getVariant()).isEqualTo("default");
                assertThat(Float32.count(p.getProbabilities())).isEqualTo(3);
            });
            assertThat(out.get(1).getProbabilities()).as("the swapped model predicts differently")
                    .isNotEqualTo(out.get(0).getProbabilities());
        }
    }

    @Test
    void examplesWaitForTheFirstModelAndAreServedWhenItArrives() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            h.processElement(sourced(example(0)), 0);
            h.processElement(sourced(example(1)), 1);
            assertThat(h.extractOutputValues()).isEmpty();
            h.processBroadcastElement(record(snapshot("other-task", 1), 2), 2);
            assertThat(h.extractOutputValues()).as("another task's model does not answer").isEmpty();
            h.processBroadcastElement(record(snapshot("t", 3), 3), 3);
            assertThat(h.extractOutputValues()).extracting(Prediction::getId).containsExactly("x-0", "x-1");
            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsOnly(3L);
            h.processBroadcastElement(record(snapshot("t", 4), 4), 4);
            assertThat(h.extractOutputValues()).as("served once, not again on the next swap").hasSize(2);
        }
    }

    @Test
    void pastTheWaitingBoundExamplesGoToTheDeadLetterOutput() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            for (int i = 0; i < 5; i++) {
                h.processElement(sourced(example(i)), i);
            }
            assertThat(deadLetters(h)).hasSize(2).allSatisfy(d -> {
                assertThat(d.getField()).isEqualTo("task");
                assertThat(d.getReason()).isEqualTo("no model yet for task \"t\" (variant \"default\"): expected at most 3 "
                        + "examples waiting for it, got one more");
            });
            h.processBroadcastElement(record(snapshot("t", 1), 9), 9);
            assertThat(h.extractOutputValues()).hasSize(3);
        }
    }

    @Test
    void atTheEndOfABoundedInputExamplesStillWaitingAreDeadLettered() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            h.processElement(sourced(example(0)), 0);
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(deadLetters(h)).singleElement().satisfies(d -> assertThat(d.getReason())
                    .contains("arrived before the end of the input: expected a model snapshot, got none"));
        }
    }

    @Test
    void examplesThatDoNotFitTheModelAreDeadLettered() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot("t", 1), 0), 0);
            Example wrong = example(0);
            wrong.setFeatures(Float32.pack(new float[5]));
            h.processElement(new Sourced<>(wrong, 1, 42), 1);
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getReason()).isEqualTo(
                        "field 'features': expected 4 float32 values, got 5 (model \"t/default\" version 1)");
                assertThat(d.getPartition()).isEqualTo(1);
                assertThat(d.getOffset()).isEqualTo(42);
            });
        }
    }

    @Test
    void anExampleOutsideTheModelsFeatureRangeIsDeadLettered() throws Exception {
        String bounded = SPEC.replace("\"seed\":3}", "\"seed\":3,\"featureRange\":{\"min\":-100,\"max\":100}}");
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot("t", 1, bounded), 0), 0);
            Example outside = example(0);
            outside.setFeatures(Float32.pack(new float[] {1, 2, 1e6f, 4}));
            h.processElement(new Sourced<>(outside, 1, 42), 1);
            h.processElement(sourced(example(1)), 2);
            assertThat(h.extractOutputValues()).singleElement()
                    .satisfies(p -> assertThat(p.getModelVersion()).isEqualTo(1));
            assertThat(deadLetters(h)).singleElement().satisfies(d -> assertThat(d.getReason()).isEqualTo(
                    "field 'features': expected values in [-100.0, 100.0] (the spec's featureRange), got 1000000.0 at "
                            + "position 2 (model \"t/default\" version 1)"));
        }
    }

    @Test
    void aRestoredJobServesAtOnceWithTheModelFromState() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot("t", 6), 0), 0);
            h.processElement(sourced(example(0)), 1);
            checkpoint = h.snapshot(1, 1);
        }
        try (var h = harness(settings())) {
            h.initializeState(checkpoint);
            h.open();
            h.processElement(sourced(example(1)), 2);
            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsExactly(6L);
            h.processBroadcastElement(record(snapshot("t", 6), 3), 3);
            h.processElement(sourced(example(2)), 4);
            assertThat(h.extractOutputValues()).as("the restored version is current: a repeat is ignored")
                    .extracting(Prediction::getModelVersion).containsExactly(6L, 6L);
        }
    }

    static Example ofTask(String task, int row) {
        Example e = example(row);
        e.setTask(task);
        return e;
    }

    @Test
    void holdsModelsAndWaitingExamplesOfBoundedTasksOnly() throws Exception {
        ServeSettings settings = settings().taskBound(new dev.chorus.jobs.TaskBound(1, List.of("allowed")));
        try (var h = harness(settings)) {
            h.open();
            h.processBroadcastElement(record(snapshot("first", 1), 0), 0);
            h.processBroadcastElement(record(snapshot("invented", 1), 1), 1);
            h.processBroadcastElement(record(snapshot("allowed", 1), 2), 2);
            h.processBroadcastElement(record(snapshot("first", 2), 3), 3);
            List<String> held = new java.util.ArrayList<>();
            h.getBroadcastState(ServeFunction.MODELS).immutableEntries().forEach(e -> held.add(e.getKey()));
            assertThat(held).as("models held")
                    .containsExactlyInAnyOrder("first/default", "allowed/default");
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("task");
                assertThat(d.getReason()).startsWith("field 'task': expected one of the allowed tasks [allowed] or "
                        + "one of at most maxTasks=1 other tasks").contains("got \"invented\"");
                assertThat(d.getTopic()).isEqualTo(settings.modelsTopic().name());
            });

            h.processElement(sourced(ofTask("first", 0)), 4);
            assertThat(h.extractOutputValues()).extracting(Prediction::getTask).containsExactly("first");
        }
        // Two tasks may hold models, and two wait on an instance (w3 could hold a model, a dead letter only here).
        try (var h = harness(settings().taskBound(new dev.chorus.jobs.TaskBound(2, List.of())))) {
            h.open();
            h.processElement(sourced(ofTask("w1", 2)), 0);
            h.processElement(sourced(ofTask("w2", 3)), 1);
            h.processElement(sourced(ofTask("w3", 3)), 1);
            h.processElement(sourced(ofTask("w1", 4)), 2);
            assertThat(deadLetters(h)).as("w3: a third task waiting for a first model").singleElement()
                    .satisfies(d -> assertThat(d.getReason()).contains("waiting").endsWith("got \"w3\""));
            // w1's model answers its two waiting examples and frees its slot for w3.
            h.processBroadcastElement(record(snapshot("w1", 1), 3), 3);
            assertThat(h.extractOutputValues()).extracting(Prediction::getTask).containsExactly("w1", "w1");
            h.processElement(sourced(ofTask("w3", 5)), 4);
            assertThat(deadLetters(h)).hasSize(1);
        }
    }

    /**
     * An example of a task with no model asks whether its task may hold a place under --max-tasks: it looks the task
     * up in an index of the tasks that hold one, read from broadcast state once after each broadcast record, instead
     * of scanning every model held. Before, each such example scanned them all, so a flood of invented task names cost
     * (examples × models held), with a large allow-list a scan of thousands of models per example. Counted as the
     * entries of broadcast state read: one scan of the models held, however many examples follow.
     */
    @Test
    void examplesOfTasksWithNoModelLookTheirTaskUpRatherThanScanTheModelsHeld() throws Exception {
        for (int allowed : new int[] {4, 64}) {
            List<String> allowList = new java.util.ArrayList<>();
            for (int i = 0; i < allowed; i++) {
                allowList.add("allowed-" + i);
            }
            ServeSettings settings = settings().taskBound(new dev.chorus.jobs.TaskBound(2, allowList));
            try (var h = new ServeHarness(settings, new dev.chorus.jobs.RegisteredMetrics().environment())) {
                h.open();
                for (int i = 0; i < allowed; i++) {
                    h.processBroadcastElement(record(snapshot("allowed-" + i, 1), i), i);
                }
                long before = h.function().bounds().entriesExamined();
                for (int i = 0; i < 50; i++) {
                    h.processElement(sourced(ofTask("invented-" + i, i)), allowed + i);
                }

                assertThat(h.function().bounds().entriesExamined() - before).as("entries read for 50 examples beside %s"
                        + " models", allowed).isEqualTo(allowed);
                assertThat(h.deadLetters()).as("all but the two tasks that may wait").hasSize(48)
                        .allSatisfy(d -> assertThat(d.getReason()).contains("waiting for a first model"));
            }
        }
    }

    /**
     * An example of a task whose models the job cannot hold (past --max-tasks) would wait for a model that is always
     * refused: it is a dead letter at once, and so are the examples that waited for a task whose model was then refused.
     */
    @Test
    void examplesOfATaskWhoseModelsTheJobCannotHoldAreDeadLettersNotWaiting() throws Exception {
        ServeSettings settings = settings().taskBound(new dev.chorus.jobs.TaskBound(1, List.of()));
        String reason = "field 'task': expected one of at most maxTasks=1 other tasks whose models the serve job holds,"
                + " got \"w\"";
        try (var h = harness(settings)) {
            h.open();
            h.processBroadcastElement(record(snapshot("first", 1), 0), 0);
            h.processElement(sourced(ofTask("w", 2)), 1);

            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("task");
                assertThat(d.getReason()).isEqualTo(reason);
                assertThat(d.getTopic()).isEqualTo(settings.examplesTopic().name());
            });
        }
        try (var h = harness(settings)) {
            h.open();
            h.processElement(sourced(ofTask("w", 2)), 0);
            h.processBroadcastElement(record(snapshot("first", 1), 0), 1);
            h.processBroadcastElement(record(snapshot("w", 1), 1), 2);
            h.processElement(sourced(ofTask("first", 3)), 3);

            assertThat(deadLetters(h)).extracting(DeadLetter::getTopic, DeadLetter::getReason).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple(settings.modelsTopic().name(), reason + " (at chorus.models-0@1)"),
                    org.assertj.core.groups.Tuple.tuple(settings.examplesTopic().name(), reason));
            assertThat(h.extractOutputValues()).extracting(Prediction::getTask).containsExactly("first");
        }
    }

    /** Bytes of a learner state whose spec declares 2e9 weights, in under 300 bytes. */
    static byte[] forgedHugeDimensions() throws java.io.IOException {
        var bytes = new java.io.ByteArrayOutputStream();
        var out = new java.io.DataOutputStream(bytes);
        out.writeInt(OnlineLearner.MAGIC);
        out.writeInt(OnlineLearner.FORMAT_VERSION);
        byte[] spec = "{\"algorithm\":\"softmax-regression\",\"inputDim\":1000000,\"numClasses\":2000}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(spec.length);
        out.write(spec);
        out.writeLong(1);
        return bytes.toByteArray();
    }

    /** {@link #snapshot} with every weight of its first parameter set to {@code value}. */
    static ModelSnapshot withWeights(ModelSnapshot snapshot, float value) {
        OnlineLearner learner = OnlineLearner.fromBytes(snapshot.getParameters().array());
        java.util.Arrays.fill(learner.model().network().parameters().get(0).value().data(), value);
        snapshot.setParameters(ByteBuffer.wrap(learner.toBytes()));
        return snapshot;
    }

    @Test
    void aPredictionThatIsNotFiniteIsDeadLetteredInsteadOfPublished() throws Exception {
        // Finite weights and finite features whose products overflow float32: the logits are infinite, the
        // probabilities NaN. Every number the model holds is finite, so it loads; its predictions must not go out.
        ModelSnapshot overflowing = withWeights(snapshot("t", 3), Float.MAX_VALUE);
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot("t", 2), 0), 0);
            h.processElement(sourced(example(0)), 1);
            h.processBroadcastElement(record(overflowing, 1), 2);
            h.processElement(sourced(example(1)), 3);
            h.processBroadcastElement(record(snapshot("t", 4), 2), 4);
            h.processElement(sourced(example(2)), 5);
            List<Prediction> out = h.extractOutputValues();
            assertThat(out).extracting(Prediction::getModelVersion).containsExactly(2L, 4L);
            assertThat(out).extracting(Prediction::getId).containsExactly(example(0).getId(), example(2).getId());
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("prediction");
                assertThat(d.getReason()).isEqualTo("field 'prediction': expected finite class probabilities, got "
                        + "NaN for class 0 (model \"t/default\" version 3: its weights and these features overflow "
                        + "float32)");
                assertThat(d.getTopic()).isEqualTo("chorus.examples");
                // Refused after decoding, with no bytes at hand: the example encoded again, keyed by its id, as
                // docs/OPERATIONS.md (Recover) and DeadLetter.avsc say.
                byte[] encoded = settings().examplesTopic().codec().encode(example(1));
                assertThat(d.getOriginal()).isEqualTo(ByteBuffer.wrap(encoded));
                assertThat(d.getOriginalLength()).isEqualTo(encoded.length);
                assertThat(d.getKey()).isEqualTo(ByteBuffer.wrap(example(1).getId().getBytes(StandardCharsets.UTF_8)));
            });
        }
    }

    @Test
    void aSnapshotHoldingANaNWeightIsDeadLetteredAndThePreviousModelStillServes() throws Exception {
        ModelSnapshot poisoned = withWeights(snapshot("t", 3), Float.NaN);
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot("t", 2), 0), 0);
            h.processBroadcastElement(record(poisoned, 1), 1);
            h.processElement(sourced(example(0)), 2);
            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsExactly(2L);
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("parameters");
                assertThat(d.getReason()).startsWith("model \"t/default\" version 3: field 'parameters' does not load: "
                        + "expected finite weights and statistics, got a model whose parameter '")
                        .endsWith("' is NaN at index 0 (at chorus.models-0@1)");
            });
        }
    }

    @Test
    void aSnapshotDeclaringHugeDimensionsIsDeadLetteredNotStoredAndThePreviousModelStillServes() throws Exception {
        ModelSnapshot poisoned = snapshot("t", 9);
        poisoned.setParameters(ByteBuffer.wrap(forgedHugeDimensions()));
        OperatorSubtaskState checkpoint;
        // Past the spec bound (which refuses it first by default: below), the bytes bound refuses it still.
        try (var h = harness(settings().maxModelParameters(Long.MAX_VALUE))) {
            h.open();
            h.processBroadcastElement(record(snapshot("t", 2), 0), 0);
            h.processBroadcastElement(record(poisoned, 1), 1);
            h.processElement(sourced(example(0)), 2);
            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsExactly(2L);
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("parameters");
                assertThat(d.getReason()).isEqualTo("model \"t/default\" version 9: field 'parameters' does not load: "
                        + "model spec inputDim 1000000, numClasses 2000, hidden layers [] weights: expected at most 2 "
                        + "(4 bytes each in the 8 bytes that remain), got 2000000000 (at chorus.models-0@1)");
                assertThat(d.getTopic()).isEqualTo("chorus.models");
                assertThat(d.getOffset()).isEqualTo(1);
                assertThat(d.getKey().array()).asString(StandardCharsets.UTF_8).isEqualTo("t/default");
            });
            checkpoint = h.snapshot(1, 3);
        }
        try (var h = harness(settings())) {
            h.initializeState(checkpoint);
            h.open();
            h.processBroadcastElement(record(snapshot("t", 3), 2), 4);
            h.processElement(sourced(example(1)), 5);
            assertThat(h.extractOutputValues()).as("version 9 was never stored: version 3 is newer than what is")
                    .extracting(Prediction::getModelVersion).containsExactly(3L);
        }
    }

    @Test
    void aSnapshotWhoseSpecDeclaresMoreThanTheBoundIsRefusedBeforeItsBytesAreRead() throws Exception {
        ModelSnapshot poisoned = snapshot("t", 9);
        poisoned.setParameters(ByteBuffer.wrap(forgedHugeDimensions()));
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot("t", 2), 0), 0);
            h.processBroadcastElement(record(poisoned, 1), 1);
            h.processElement(sourced(example(0)), 2);
            assertThat(h.extractOutputValues()).extracting(Prediction::getModelVersion).containsExactly(2L);
            assertThat(deadLetters(h)).singleElement().extracting(DeadLetter::getReason).isEqualTo("model \"t/default\" "
                    + "version 9: field 'parameters' does not load: OnlineLearner state holds an invalid model spec: its "
                    + "spec: field 'spec': expected a model of at most --max-model-parameters=100,000,000 parameters, "
                    + "got 2,000,002,000 (softmax-regression: inputDim 1000000, numClasses 2000, hidden layers []) (at "
                    + "chorus.models-0@1)");
        }
    }

    @Test
    void anUndecodableModelRecordIsDeadLetteredWithItsCoordinates() throws Exception {
        KafkaRecord garbage = new KafkaRecord("chorus.models", 0, 7, 0, null, new byte[] {1, 2, 3});
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(garbage, 0);
            h.processBroadcastElement(record(snapshot("t", 1), 8), 1);
            h.processElement(sourced(example(0)), 2);
            assertThat(h.extractOutputValues()).hasSize(1);
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getReason()).startsWith("undecodable model record: ").endsWith("(at chorus.models-0@7)");
                assertThat(d.getOriginal().array()).containsExactly(1, 2, 3);
                assertThat(d.getOffset()).isEqualTo(7);
            });
        }
    }

    @Test
    void aTaskPinnedByABogusVersionIsUnpinnedByAResetTombstone() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot("t", 2), 0), 0);
            ModelSnapshot bogus = snapshot("t", 3);
            bogus.setVersion(Long.MAX_VALUE);
            h.processBroadcastElement(record(bogus, 1), 1);
            h.processBroadcastElement(record(snapshot("t", 40), 2), 2);
            h.processElement(sourced(example(0)), 3);
            assertThat(h.extractOutputValues()).as("pinned: version 40 is ignored")
                    .extracting(Prediction::getModelVersion).containsExactly(Long.MAX_VALUE);
            h.processBroadcastElement(tombstone("t/default", 3), 4);
            h.processElement(sourced(example(1)), 5);
            assertThat(h.extractOutputValues()).as("after the reset the example waits for a model").hasSize(1);
            checkpoint = h.snapshot(1, 6);
        }
        try (var h = harness(settings())) {
            h.initializeState(checkpoint);
            h.open();
            h.processBroadcastElement(record(snapshot("t", 41), 4), 7);
            h.processElement(sourced(example(2)), 8);
            assertThat(h.extractOutputValues()).as("the reset survives a restore; the waiting example is answered")
                    .extracting(Prediction::getId, Prediction::getModelVersion)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("x-1", 41L),
                            org.assertj.core.groups.Tuple.tuple("x-2", 41L));
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void aTombstoneWithoutAKeyIsDeadLettered() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(new KafkaRecord("chorus.models", 0, 4, 0, null, null), 0);
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("key");
                assertThat(d.getReason()).isEqualTo("model reset (a tombstone): field 'key': expected task/variant, "
                        + "got null (at chorus.models-0@4)");
            });
        }
    }
}
