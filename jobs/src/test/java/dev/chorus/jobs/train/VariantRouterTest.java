package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantsTest.OTHER_SPEC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Received;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/**
 * Which spec an example must fit: the decoder checks what holds for every variant (the record, the task admitted),
 * the router checks each live variant's spec, the control topic's or else {@code --spec}'s (4 inputs here).
 */
class VariantRouterTest {
    static final RecordCodec<Example> AVRO = WireFormat.AVRO.codec(Example.class);
    static final String IRIS_SPEC = """
            {"algorithm":"softmax-regression","inputDim":2,"numClasses":3,"batchSize":4}""";

    static Example iris(String id, float... features) {
        return Example.newBuilder().setId(id).setTask("iris").setFeatures(Float32.pack(features)).setLabel(1)
                .setEventTime(0).build();
    }

    @Test
    void theDecoderAdmitsAnExampleOfAnyShapeForTheRouterToCheck() {
        assertThat(settings().specs().check().check(iris("i0", 1, 2))).isNull();
        assertThat(settings().specs().check().check(iris("i1", Float.NaN, 2)).field()).isEqualTo("features");
    }

    @Test
    void aTaskWhoseDefaultTheControlTopicSetsTrainsAtThatSpecsShape() throws Exception {
        try (BroadcastOperatorTestHarness<Received<Example>, SpecChange, VariantExample> h = harness()) {
            h.processBroadcastElement(new SpecChange("iris", "default", IRIS_SPEC), 0);
            h.processElement(received(iris("fits", 1, 2), 0, 0), 1);
            h.processElement(received(iris("jobs-shape", 1, 2, 3, 4), 0, 1), 2);

            assertThat(h.extractOutputValues()).singleElement().satisfies(v -> {
                assertThat(v.variant()).isEqualTo("default");
                assertThat(v.input().value().getId()).isEqualTo("fits");
            });
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("features");
                assertThat(d.getReason()).isEqualTo("field 'features': expected 2 float32 values, got 4");
                assertThat(d.getOffset()).isEqualTo(1L);
            });
        }
    }

    @Test
    void anExampleThatDoesNotFitTheJobsSpecIsOneDeadLetterWithTheDecodersReason() throws Exception {
        try (BroadcastOperatorTestHarness<Received<Example>, SpecChange, VariantExample> h = harness()) {
            Example wrong = example(0);
            wrong.setFeatures(Float32.pack(new float[] {1, 2, 3}));
            h.processElement(received(wrong, 1, 7), 0);
            h.processElement(received(example(1), 1, 8), 1);

            assertThat(h.extractOutputValues()).extracting(v -> v.input().offset()).containsExactly(8L);
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("features");
                assertThat(d.getReason()).isEqualTo("field 'features': expected 4 float32 values, got 3");
                assertThat(d.getPartition()).isEqualTo(1);
                assertThat(d.getOffset()).isEqualTo(7L);
                assertThat(JobTestSupport.bytes(d.getKey())).as("the record's key, not the example id")
                        .isEqualTo(bytes("key-7"));
                assertThat(JobTestSupport.bytes(d.getOriginal())).isEqualTo(AVRO.encode(wrong));
            });
        }
    }

    @Test
    void withTwoLiveVariantsEachMisfitIsADeadLetterNamingItsVariantAndTheOtherStillTrains() throws Exception {
        try (BroadcastOperatorTestHarness<Received<Example>, SpecChange, VariantExample> h = harness()) {
            h.processBroadcastElement(new SpecChange("t", "narrow", IRIS_SPEC), 0);
            h.processElement(received(example(0), 0, 0), 1);
            Example neither = example(1);
            neither.setFeatures(Float32.pack(new float[] {1, 2, 3}));
            h.processElement(received(neither, 0, 1), 2);

            assertThat(h.extractOutputValues()).extracting(VariantExample::variant).containsExactly("default");
            assertThat(deadLetters(h)).extracting(DeadLetter::getOffset, DeadLetter::getReason).containsExactly(
                    tuple(0L, "variant \"narrow\": field 'features': expected 2 float32 values, got 4"),
                    tuple(1L, "variant \"default\": field 'features': expected 4 float32 values, got 3"),
                    tuple(1L, "variant \"narrow\": field 'features': expected 2 float32 values, got 3"));
        }
    }

    @Test
    void theControlTopicMayGiveATasksDefaultItsFirstSpecOfAnotherShape() throws Exception {
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> h =
                CheckSpecsHarness.open(settings())) {
            h.processElement(VariantsTest.record("iris/default", VariantsTest.live("iris", "default", IRIS_SPEC)), 0);
            h.processElement(VariantsTest.record("iris/default", VariantsTest.live("iris", "default",
                    IRIS_SPEC.replace("4}", "8}"))), 1);

            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("iris", "default", IRIS_SPEC));
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).singleElement().satisfies(d ->
                    assertThat(d.getValue().getReason()).contains("as a live variant's spec never changes"));
        }
    }

    /**
     * A default the job trained at {@code --spec}'s shape, then given another spec by the topic: its open minibatch
     * is predicted by the old model (as at a retirement), its model restarts at version 0 with the new spec.
     */
    @Test
    void aTrainedDefaultGivenAnotherShapeByTheTopicRestartsAtIt() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            for (int i = 0; i < 12; i++) {
                h.processElement(VariantExample.ofDefault(new Sourced<>(example(i), 0, i)), i);
            }
            h.processBroadcastElement(new SpecChange("t", "default", IRIS_SPEC), 12);
            Example narrow = example(12);
            narrow.setFeatures(Float32.pack(new float[] {1, 2}));
            for (int i = 0; i < 4; i++) {
                h.processElement(new VariantExample("default", new Sourced<>(narrow, 0, 13 + i),
                        i == 0 ? IRIS_SPEC : null), 13 + i);
            }

            assertThat(MinibatchSgdFunctionTest.deadLetters(h)).isEmpty();
            assertThat(h.extractOutputValues()).as("12 at --spec's shape, 4 at the topic's").hasSize(16);
            assertThat(MinibatchSgdFunctionTest.snapshots(h)).as("the restart's snapshot").last().satisfies(m -> {
                assertThat(TaskSpecs.parse(m.getSpec()).inputDim()).isEqualTo(2);
                assertThat(m.getVersion()).isZero();
            });
            assertThat(h.extractOutputValues().subList(12, 16)).extracting(Prediction::getModelVersion)
                    .as("the narrow examples, predicted by the restarted model").containsOnly(0L);
        }
    }

    @Test
    void onlyAnExampleThatDoesNotFitTheJobsSpecCarriesItsRecordsBytesToTheRouter() throws Exception {
        var decode = dev.chorus.jobs.DecodeRecords.received(settings().examplesTopic(), settings().specs().check(),
                "examples", 1 << 20, 1 << 20, settings().specs()::misfits);
        try (OneInputStreamOperatorTestHarness<KafkaRecord, Received<Example>> h =
                ProcessFunctionTestHarnesses.forProcessFunction(decode)) {
            var codec = settings().examplesTopic().codec();
            h.processElement(new KafkaRecord("examples", 0, 0, 0, bytes("k0"), codec.encode(example(0))), 0);
            h.processElement(new KafkaRecord("examples", 0, 1, 0, bytes("k1"), codec.encode(iris("i1", 1, 2))), 1);

            assertThat(h.extractOutputValues()).extracting(r -> r.value().getId(), r -> r.record().key != null,
                    r -> r.record().value != null, r -> r.record().offset)
                    .as("the example that fits --spec without its bytes, the one that does not with them")
                    .containsExactly(tuple(example(0).getId(), false, false, 0L), tuple("i1", true, true, 1L));
        }
    }

    @Test
    void aTopicVariantsMisfitOfAnExampleThatCameWithoutItsBytesIsEncodedAgainKeyedByItsId() throws Exception {
        try (BroadcastOperatorTestHarness<Received<Example>, SpecChange, VariantExample> h = harness()) {
            h.processBroadcastElement(new SpecChange("t", "narrow", IRIS_SPEC), 0);
            Example fits = example(3);
            h.processElement(new Received<>(fits, new KafkaRecord("examples", 1, 7, 0, bytes("k"), null)
                    .withoutBytes()), 1);

            assertThat(h.extractOutputValues()).extracting(VariantExample::variant).containsExactly("default");
            var codec = settings().examplesTopic().codec();
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getReason()).startsWith("variant \"narrow\": field 'features'");
                assertThat(d.getOffset()).isEqualTo(7L);
                assertThat(JobTestSupport.bytes(d.getKey())).isEqualTo(bytes(fits.getId()));
                assertThat(JobTestSupport.bytes(d.getOriginal())).isEqualTo(codec.encode(fits));
            });
        }
    }

    /** {@code example} as read from {@code partition} at {@code offset}: Avro, keyed {@code key-<offset>}. */
    /**
     * A task the control topic has never named routes to its --spec default without the router keeping anything of
     * it (before: each task name an example brought was kept for good, so a producer inventing names grew every
     * router's heap without bound); routing is as before, and a task the topic names is still routed by its records.
     */
    @Test
    void tasksTheControlTopicNeverNamedRouteToTheirDefaultAndAreNotKept() throws Exception {
        VariantRouter router = new VariantRouter(settings(), () -> -1);
        try (BroadcastOperatorTestHarness<Received<Example>, SpecChange, VariantExample> h =
                ProcessFunctionTestHarnesses.forBroadcastProcessFunction(router, VariantSpecs.DESCRIPTOR,
                        WarmStarts.DESCRIPTOR, ModelGenerations.DESCRIPTOR)) {
            h.processBroadcastElement(new SpecChange("t", "w", OTHER_SPEC), 0);
            h.processBroadcastElement(new SpecChange("gone", "default", null), 0);
            int invented = 20_000;
            for (int i = 0; i < invented; i++) {
                Example e = example(i % 150);
                e.setTask("invented-" + i);
                h.processElement(received(e, 0, i), i);
            }
            h.processElement(received(example(0), 0, invented), invented);
            Example gone = example(1);
            gone.setTask("gone");
            h.processElement(received(gone, 0, invented + 1), invented + 1);

            assertThat(router.tasksCached()).as("only tasks the control topic names").isLessThanOrEqualTo(2);
            List<VariantExample> out = h.extractOutputValues();
            assertThat(out).hasSize(invented + 2);
            assertThat(out.subList(0, invented)).extracting(VariantExample::variant).containsOnly("default");
            assertThat(out.subList(invented, invented + 2)).extracting(v -> v.input().value().getTask(),
                    VariantExample::variant).containsExactly(tuple("t", "default"), tuple("t", "w"));
            assertThat(deadLetters(h)).singleElement().satisfies(d -> assertThat(d.getReason())
                    .contains("\"gone\", whose variants are all retired"));
        }
    }

    static Received<Example> received(Example example, int partition, long offset) {
        return new Received<>(example, new KafkaRecord("examples", partition, offset, 0, bytes("key-" + offset),
                AVRO.encode(example)));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static BroadcastOperatorTestHarness<Received<Example>, SpecChange, VariantExample> harness() throws Exception {
        return ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new VariantRouter(settings(), () -> -1),
                VariantSpecs.DESCRIPTOR, WarmStarts.DESCRIPTOR, ModelGenerations.DESCRIPTOR);
    }

    static List<DeadLetter> deadLetters(BroadcastOperatorTestHarness<Received<Example>, SpecChange, VariantExample> h) {
        var side = h.getSideOutput(VariantRouter.DEAD_LETTERS);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }
}
