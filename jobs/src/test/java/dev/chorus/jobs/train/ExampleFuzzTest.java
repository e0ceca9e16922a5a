package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.VariantsTest.live;
import static dev.chorus.jobs.train.VariantsTest.record;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.HashedFields;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.SequenceFields;
import dev.chorus.jobs.TokenSequences;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.RecordDecodingException;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.storage.JobManagerCheckpointStorage;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

/**
 * A seeded fuzz of hostile examples, the labelled records users produce: for every model family ({@link
 * SpecFuzzTest#BASES} but the search, whose own record trains nothing), a stream of examples that fit the spec, a
 * share of them mutated (extreme and non-finite numbers, wrong lengths and indices, odd labels, targets, weights,
 * annotators, ids, named fields, token sequences and event times, bursts of one id or of many annotators, and JSON
 * of the wrong types), sent through a wire format, the decode stage's and the router's checks ({@link
 * ExampleValidator#validate}, {@link VariantRouter#misfit}) and the real trainer ({@link MinibatchSgdFunction}),
 * checkpointed halfway, restored and fed to the end of input.
 *
 * <p>The project's rule: bad input never crashes a job and is never silently dropped, it goes to the dead-letter
 * output with a reason naming the field, the expected and the actual value. So: nothing throws; every rejection
 * names its field as {@code field '<name>': expected ..., got ...}; every example fed to a trainer (but a skip-gram
 * one, which predicts nothing and whose model version counts its sequences) ends as exactly one prediction or one
 * dead letter, a label past a label model's annotator bound as both (documented: the label is dead-lettered, the
 * example still predicted); a minibatch the numeric guard rejects is predicted before its update is dropped, so its
 * examples count as predicted; every number of a prediction, a consensus or an annotator model is a finite
 * probability or value.
 *
 * <p>{@code -Dfuzz.seed}, {@code -Dfuzz.trials}, and {@code -Dfuzz.trial=<n>} to run trial n alone (a failure says
 * its seed and trial, and a trial run alone prints its mutated examples); {@code -Dfuzz.verbose=true} prints the tally
 * of rejection reasons and the slow trials. What it found is pinned by the tests after it.
 */
class ExampleFuzzTest {

    private static final long SEED = Long.getLong("fuzz.seed", 0L);
    private static final int TRIALS = Integer.getInteger("fuzz.trials", 300);
    private static final int ONLY_TRIAL = Integer.getInteger("fuzz.trial", -1);
    private static final boolean VERBOSE = Boolean.getBoolean("fuzz.verbose");
    /** The share of a stream's examples mutated. */
    private static final double MUTATED = 0.4;
    private static final String TASK = "t";
    private static final String VARIANT = "fz";
    /** A second variant of the task, in a quarter of the trials: its spec's seed and minibatch size differ. */
    private static final String SECOND = "fz2";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JobManagerCheckpointStorage CHECKPOINTS = new JobManagerCheckpointStorage(Integer.MAX_VALUE);
    /** A rejection's reason: the router puts the variant first when the task has others than default. */
    private static final Pattern REASON = Pattern.compile("(?s)(variant \"[^\"]*\": )?field '(.*?)': expected .+, got .*");

    /** The base spec of each family, compact. */
    static final List<String> FAMILIES = SpecFuzzTest.BASES.stream().filter(s -> !s.contains("\"search\""))
            .map(ExampleFuzzTest::compact).toList();

    // ---- value pools ----

    private static final float[] FLOATS = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.NaN, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, -0.0f, Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, 1e30f, -1e30f, 1e20f};
    private static final double[] TARGETS = {1e30, -1e30, 3.4e38, -3.4e38, 3.5e38, 1e39, 1e300, Double.MAX_VALUE,
        -Double.MAX_VALUE, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, Double.MIN_VALUE, 1e20};
    private static final float[] WEIGHTS = {0f, Float.MIN_VALUE, 1e-30f, 1e20f, 1e30f, Float.MAX_VALUE, Float.NaN,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, -0.0f, -Float.MIN_VALUE};
    private static final double[] FIELD_NUMBERS = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        1e308, -1e308, 3.4e38, -3.4e38, 3.5e38, 1e30, 1e-320, -0.0, Double.MAX_VALUE, Float.MAX_VALUE};
    private static final long[] EVENT_TIMES = {-1, Long.MIN_VALUE, Long.MAX_VALUE, 0, Long.MIN_VALUE + 1,
        Long.MAX_VALUE - 1};

    // ---- the tests ----

    @Test
    void hostileExamplesNeverCrashTheTrainerNorGetLost() {
        List<String> failures = new ArrayList<>();
        Map<String, Long> tally = new TreeMap<>();
        long started = System.nanoTime();
        for (int trial = Math.max(0, ONLY_TRIAL); trial < (ONLY_TRIAL < 0 ? TRIALS : ONLY_TRIAL + 1); trial++) {
            long t0 = System.nanoTime();
            new Trial(trial, tally).run(failures);
            if (VERBOSE && System.nanoTime() - t0 > 300_000_000L) {
                System.out.printf("ExampleFuzzTest: trial %d (family %d) took %.1f s%n", trial,
                        trial % FAMILIES.size(), (System.nanoTime() - t0) / 1e9);
            }
        }
        // The first failure of each kind, and how many of each kind.
        Map<String, Long> kinds = new TreeMap<>();
        Map<String, String> firsts = new LinkedHashMap<>();
        for (String f : failures) {
            kinds.merge(kind(f), 1L, Long::sum);
            firsts.putIfAbsent(kind(f), f);
        }
        System.out.printf("ExampleFuzzTest: seed %d, %d trials, %.1f s, %d failures, %s%n", SEED, TRIALS,
                (System.nanoTime() - started) / 1e9, failures.size(), VERBOSE ? tally : brief(tally));
        kinds.forEach((k, n) -> System.out.println("ExampleFuzzTest kind: " + n + " x " + k));
        firsts.values().forEach(f -> System.out.println("ExampleFuzzTest failure: " + f + "\n"));
        assertThat(failures).as("%d failures, by kind %s; the first of each kind:%n%s", failures.size(), kinds,
                String.join("\n\n", firsts.values())).isEmpty();
        if (ONLY_TRIAL < 0 && TRIALS >= FAMILIES.size()) {
            for (int family = 0; family < FAMILIES.size(); family++) {
                assertThat(tally.getOrDefault(String.format("fed.family%02d", family), 0L))
                        .as("examples fed, family %d: %s", family, FAMILIES.get(family)).isPositive();
            }
        }
    }

    /** A failure's kind, for the summary: its stage and the start of its message, without numbers. */
    private static String kind(String failure) {
        String head = failure.substring(failure.indexOf("stage ") + 6);
        head = head.substring(0, Math.min(head.indexOf('\n') < 0 ? head.length() : head.indexOf('\n'), 60));
        return head.replaceAll("-?[0-9][-0-9.E,]*", "#");
    }

    // ---- what the fuzz found, each alone ----

    /**
     * Features at the edge of float's range made every family's forward pass overflow to NaN probabilities: the gate
     * refuses values whose square is not finite in float32 ({@link ExampleValidator#MAX_MAGNITUDE}); at the bound,
     * predictions are finite.
     */
    @Test
    void featuresPastTheMagnitudeBoundAreRefusedAndAtItPredictedFinitely() throws Exception {
        String spec = compact("""
                {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8,
                 "optimizer":{"type":"adam","learningRate":0.05},"standardize":false,"seed":3}""");
        float max = Float.MAX_VALUE;
        float bound = ExampleValidator.MAX_MAGNITUDE;
        Example past = Example.newBuilder().setId("x").setTask(TASK).setFeatures(Float32.pack(new float[] {max, max,
            max, max})).setLabel(null).setEventTime(0L).build();
        assertThat(ExampleValidator.validate(past, VariantSpecs.parse(spec)).field()).isEqualTo("features");
        Example at = Example.newBuilder(past).setFeatures(Float32.pack(new float[] {bound, -bound, bound, -bound}))
                .build();
        assertThat(ExampleValidator.validate(at, VariantSpecs.parse(spec))).isNull();
        try (var h = new TrainerHarness(settings(false))) {
            h.open();
            h.processBroadcastElement(new SpecChange(TASK, VARIANT, spec), 0);
            h.processElement(new VariantExample(VARIANT, new Sourced<>(at, 0, 0), null), 0);
            List<Prediction> predictions = h.extractOutputValues();
            assertThat(predictions).hasSize(1);
            assertThat(badNumbers(predictions.get(0), VariantSpecs.parse(spec))).as(show(predictions.get(0))).isNull();
        }
    }

    /**
     * A label model with a free slot: a minibatch of labels from more new annotators than free slots fills the slot,
     * then evicts (the slots' annotators have fewer than protectedLabels labels). The trainer recorded the slots before
     * the update only of a full model, and threw a NullPointerException here.
     */
    @Test
    void aMinibatchThatFillsTheLastAnnotatorSlotAndEvictsIsTrained() throws Exception {
        String spec = compact(MinibatchSgdFunctionTest.LABEL_MODEL_SPEC); // dawid-skene, maxAnnotators 3, batches of 8
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            // Minibatch 1: annotators a0 and a1 take 2 of the 3 slots. Minibatch 2: 8 new annotators.
            Example e = Example.newBuilder().setId("item-" + i % 4).setTask(TASK)
                    .setFeatures(Float32.pack(new float[] {i, 1, -i, 0.5f})).setLabel(i % 3)
                    .setAnnotator(i < 8 ? "a" + i % 2 : "n" + i).setEventTime(i).build();
            assertThat(ExampleValidator.validate(e, VariantSpecs.parse(spec))).isNull();
            examples.add(e);
        }
        try (var h = new TrainerHarness(settings(false))) {
            h.open();
            h.processBroadcastElement(new SpecChange(TASK, VARIANT, spec), 0);
            for (int i = 0; i < examples.size(); i++) {
                h.processElement(new VariantExample(VARIANT, new Sourced<>(examples.get(i), 0, i), null), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(h.extractOutputValues()).hasSize(16);
        }
    }

    /**
     * A regression target finite as a double but past float's range made the learner throw, uncaught, at the
     * minibatch's close: the gate refuses a target whose square is not finite in float32; at the bound, it trains.
     */
    @Test
    void aTargetPastTheMagnitudeBoundIsRefusedAndAtItTrained() throws Exception {
        String spec = compact("""
                {"algorithm":"linear-regression","inputDim":4,"batchSize":8,"optimizer":{"type":"sgd","learningRate":0.01},
                 "standardize":false,"seed":2,"clipNorm":1.0}""");
        Example.Builder example = Example.newBuilder().setId("x-0").setTask(TASK)
                .setFeatures(Float32.pack(new float[] {0, 1, -1, 0.5f})).setLabel(null).setEventTime(0L);
        assertThat(ExampleValidator.validate(example.setTarget(1e39).build(), VariantSpecs.parse(spec)).field())
                .isEqualTo("target");
        try (var h = new TrainerHarness(settings(false))) {
            h.open();
            h.processBroadcastElement(new SpecChange(TASK, VARIANT, spec), 0);
            for (int i = 0; i < 8; i++) {
                Example e = example.setId("x-" + i).setTarget(i == 0 ? ExampleValidator.MAX_MAGNITUDE : 1.0).build();
                assertThat(ExampleValidator.validate(e, VariantSpecs.parse(spec))).isNull();
                h.processElement(new VariantExample(VARIANT, new Sourced<>(e, 0, i), null), i);
            }
            var dead = h.getSideOutput(MinibatchSgdFunction.DEAD_LETTERS);
            assertThat(h.extractOutputValues().size() + (dead == null ? 0 : dead.size())).isEqualTo(8);
        }
    }

    /**
     * Annotator ids with an unpaired surrogate were distinct in the trainer but one in a checkpoint (UTF-8 makes each
     * '?'), whose label model then refused to restore, at every restart: the gate refuses them (the JSON codec too).
     */
    @Test
    void annotatorsWithAnUnpairedSurrogateAreRefused() {
        String spec = compact("""
                {"algorithm":"softmax-regression","inputDim":0,"numClasses":3,"batchSize":4,"labelModel":"majority"}""");
        Example e = Example.newBuilder().setId("item-1").setTask(TASK).setFeatures(ByteBuffer.allocate(0)).setLabel(1)
                .setAnnotator("\ud800").setEventTime(0L).build();
        assertThat(ExampleValidator.validate(e, VariantSpecs.parse(spec)).field()).isEqualTo("annotator");
    }

    private static Map<String, Long> brief(Map<String, Long> tally) {
        Map<String, Long> brief = new TreeMap<>(tally);
        brief.keySet().removeIf(k -> k.startsWith("fed.family") || k.startsWith("reason."));
        return brief;
    }

    // ---- one trial ----

    /** What a producer sends: an example, or the JSON text of one (for types the Avro objects cannot hold). */
    private record Sent(Example example, byte[] json, String mutations) {}

    /** An example fed to {@code variant}'s trainer at {@code offset} (unique per trial: dead letters carry it). */
    private record Fed(String variant, long offset, Example example, String mutations) {}

    private static final class Trial {
        private final int index;
        private final int family;
        private final String json;
        private final ModelSpec spec;
        private final Random random;
        private final boolean timed;
        private final Map<String, Long> tally;
        private final List<String> variants;
        private final TrainSettings settings;
        private String stage = "start";
        /** The example being handled, shown in a failure. */
        private Supplier<String> current = () -> "(none)";
        private List<String> failures;
        /** The mutated examples fed to the trainer so far: the last are shown with a crash (a timer's minibatch). */
        private final List<Fed> mutatedFed = new ArrayList<>();

        Trial(int index, Map<String, Long> tally) {
            this.index = index;
            this.family = index % FAMILIES.size();
            this.json = FAMILIES.get(family);
            this.spec = VariantSpecs.parse(json);
            this.random = new Random(SEED * 0x9E3779B97F4A7C15L + index);
            this.timed = random.nextBoolean();
            this.tally = tally;
            this.variants = random.nextInt(4) == 0 ? List.of(VARIANT, SECOND) : List.of(VARIANT);
            this.settings = settings(timed);
        }

        private void count(String key) {
            count(key, 1);
        }

        private void count(String key, long n) {
            tally.merge(key, n, Long::sum);
        }

        /** A failure, with what reproduces it. */
        private void fail(String what, String example) {
            failures.add(String.format("seed %d, trial %d (-Dfuzz.seed=%d -Dfuzz.trial=%d), family %d, variants %s%s, "
                    + "stage %s: %s%n  spec: %s%n  example: %s", SEED, index, SEED, index, family, variants,
                    timed ? ", timed" : "", stage, what, json, example));
        }

        void run(List<String> failures) {
            this.failures = failures;
            try {
                trial();
            } catch (Throwable e) {
                fail("threw " + trace(e), current.get() + "\n  the last mutated examples fed before: "
                        + mutatedFed.subList(Math.max(0, mutatedFed.size() - 4), mutatedFed.size()).stream()
                                .map(ExampleFuzzTest::show).toList());
            }
        }

        private void trial() throws Exception {
            // The judge's changes: the spec of each variant, as check-specs broadcasts it.
            stage = "judge";
            List<SpecChange> changes = new ArrayList<>();
            Map<String, ModelSpec> specs = new LinkedHashMap<>();
            try (var judge = CheckSpecsHarness.open(settings)) {
                for (String v : variants) {
                    String specJson = v.equals(VARIANT) ? json : second(json);
                    List<SpecChange> got = judge(judge, v, specJson);
                    if (got.size() != 1) {
                        fail("the judge refused a base spec: " + got, specJson);
                        return;
                    }
                    changes.add(got.get(0));
                    specs.put(v, VariantSpecs.parse(got.get(0).spec));
                }
            }

            stage = "generate";
            List<Sent> sent = new ArrayList<>();
            int n = 8 + random.nextInt(40);
            for (int i = 0; i < n; i++) {
                Example e = SpecFuzzTest.example(spec, i, random);
                if (random.nextDouble() < MUTATED) {
                    sent.addAll(mutate(e, spec, random));
                } else {
                    sent.add(new Sent(e, null, ""));
                }
            }

            if (ONLY_TRIAL >= 0) {
                sent.stream().filter(x -> !x.mutations().isEmpty()).forEach(x -> System.out.println("sent " + show(x)));
            }
            // The decode stage (a wire format, the record size, ExampleValidator), then the router's check per variant.
            stage = "gate";
            RecordCodec<Example> avro = WireFormat.AVRO.codec(Example.class);
            RecordCodec<Example> plain = WireFormat.JSON.codec(Example.class);
            List<Fed> fed = new ArrayList<>();
            long offset = 0;
            for (Sent s : sent) {
                current = () -> show(s);
                boolean asJson = s.json() != null || random.nextInt(3) == 0;
                RecordCodec<Example> codec = asJson ? plain : avro;
                byte[] bytes;
                try {
                    bytes = s.json() != null ? s.json() : codec.encode(s.example());
                } catch (RuntimeException e) {
                    count("unsendable." + codec.format()); // the producer's codec refuses it: never on the topic
                    continue;
                }
                if (bytes.length > settings.maxRecordBytes()) {
                    count("rejected.recordBytes");
                    continue;
                }
                Example decoded;
                try {
                    decoded = codec.decode(bytes);
                } catch (RecordDecodingException e) {
                    count("rejected.decode");
                    if (e.field() == null && e.getMessage() != null && e.getMessage().startsWith("not valid JSON: ")) {
                        // No one field to blame (the parser's own bounds, e.g. a name past 50,000 characters): the
                        // decode stage's dead letter has no field by design (RecordDecodingException#field).
                        count("rejected.decode.notJson");
                        continue;
                    }
                    String problem = badRejection(e.field(), e.getMessage());
                    if (problem != null) {
                        fail("decoding's rejection " + problem + ": field " + e.field() + ", reason " + e.getMessage(),
                                show(s));
                    }
                    continue;
                }
                ExampleValidator.Rejection rejection = ExampleValidator.validate(decoded, spec);
                if (rejection != null) {
                    rejected(rejection, s, "validate");
                    continue;
                }
                for (String v : variants) {
                    ExampleValidator.Rejection misfit = VariantRouter.misfit(decoded, specs.get(v), v, variants);
                    if (misfit != null) {
                        rejected(misfit, s, "misfit");
                        continue;
                    }
                    fed.add(new Fed(v, offset++, decoded, s.mutations()));
                }
            }
            count("fed", fed.size());
            count(String.format("fed.family%02d", family), fed.size());

            // The trainer: half the examples, a checkpoint, a restore, the rest, the end of input.
            stage = "train";
            Outputs outputs = new Outputs();
            long now = 0;
            OperatorSubtaskState checkpoint;
            int half = fed.size() / 2;
            RegisteredMetrics before = new RegisteredMetrics();
            RegisteredMetrics after = new RegisteredMetrics();
            try (var h = new TrainerHarness(settings, before.environment())) {
                h.setCheckpointStorage(CHECKPOINTS);
                h.open();
                h.setProcessingTime(now);
                for (SpecChange c : changes) {
                    h.processBroadcastElement(c, 0);
                }
                now = feed(h, fed.subList(0, half), now);
                stage = "checkpoint";
                current = () -> "(none: a checkpoint after " + half + " examples)";
                checkpoint = h.snapshot(1, now);
                outputs.add(h);
            }
            try (var h = new TrainerHarness(settings, after.environment())) {
                stage = "restore";
                h.setCheckpointStorage(CHECKPOINTS);
                h.initializeState(checkpoint);
                h.open();
                h.setProcessingTime(now);
                stage = "train after restore";
                now = feed(h, fed.subList(half, fed.size()), now);
                stage = "end of input";
                current = () -> "(none: the end of input)";
                if (timed) {
                    h.setProcessingTime(now + 1 + random.nextInt(2000));
                }
                h.processWatermark(new Watermark(Long.MAX_VALUE));
                outputs.add(h);
            }
            for (String counter : List.of("minibatchUpdates", "minibatchesRejected")) {
                count(counter, (long) (operatorCounter(before, counter) + operatorCounter(after, counter)));
            }
            stage = "check";
            current = () -> "(see above)";
            check(fed, specs, outputs);
        }

        private void rejected(ExampleValidator.Rejection rejection, Sent s, String by) {
            count("rejected." + by);
            if (VERBOSE) {
                count("reason." + rejection.field() + ": " + shortReason(rejection.reason()));
            }
            String problem = badRejection(rejection.field(), rejection.reason());
            if (problem != null) {
                fail(by + "'s rejection " + problem + ": field " + rejection.field() + ", reason "
                        + rejection.reason(), show(s));
            }
        }

        private long feed(TrainerHarness h, List<Fed> examples, long now) throws Exception {
            for (int i = 0; i < examples.size(); i++) {
                Fed f = examples.get(i);
                if (timed && random.nextInt(6) == 0) {
                    now += random.nextInt(2500);
                    current = () -> "(none: processing time advanced, before " + show(f) + ")";
                    h.setProcessingTime(now);
                }
                current = () -> show(f);
                if (!f.mutations().isEmpty()) {
                    mutatedFed.add(f);
                }
                h.processElement(new VariantExample(f.variant(), new Sourced<>(f.example(), 0, f.offset()), null),
                        f.offset());
            }
            return now;
        }

        /** Invariants 3 to 5 over what the trainer put out. */
        private void check(List<Fed> fed, Map<String, ModelSpec> specs, Outputs outputs) {
            Map<Long, Fed> byOffset = new LinkedHashMap<>();
            fed.forEach(f -> byOffset.put(f.offset(), f));
            Map<Long, List<DeadLetter>> deadLetters = new TreeMap<>();
            for (DeadLetter d : outputs.deadLetters) {
                count("trainer.deadLetters." + d.getField());
                Fed f = byOffset.get(d.getOffset());
                if (f == null) {
                    fail("a dead letter of no example fed (offset " + d.getOffset() + "): " + show(d), "(none)");
                    continue;
                }
                deadLetters.computeIfAbsent(d.getOffset(), o -> new ArrayList<>()).add(d);
                String reason = d.getReason();
                if (reason == null || !reason.contains("expected") || !reason.contains("got")
                        || badRejection(d.getField(), reason) != null) {
                    fail("a trainer dead letter without a reason 'field '<name>': expected ..., got ...' naming its "
                            + "field: " + show(d), show(f));
                }
            }
            // Expected predictions per variant, id and annotator (ids repeat: a label model's items, bursts).
            Map<String, List<Fed>> expected = new LinkedHashMap<>();
            Map<String, Long> fedPerVariant = new TreeMap<>();
            for (Fed f : fed) {
                ModelSpec s = specs.get(f.variant());
                fedPerVariant.merge(f.variant(), 1L, Long::sum);
                List<DeadLetter> dead = deadLetters.getOrDefault(f.offset(), List.of());
                if (dead.size() > 1) {
                    fail(dead.size() + " dead letters of one example: " + dead.stream().map(ExampleFuzzTest::show)
                            .toList(), show(f));
                }
                boolean annotatorBound = dead.size() == 1 && "annotator".equals(dead.get(0).getField())
                        && s.labelModel() != null;
                if (s.skipGram() == null && (dead.isEmpty() || annotatorBound)) {
                    expected.computeIfAbsent(key(f.variant(), f.example().getId(), f.example().getAnnotator()),
                            k -> new ArrayList<>()).add(f);
                }
            }
            Map<String, List<Prediction>> predicted = new LinkedHashMap<>();
            for (Prediction p : outputs.predictions) {
                predicted.computeIfAbsent(key(p.getVariant(), p.getId(), p.getAnnotator()), k -> new ArrayList<>())
                        .add(p);
                String problem = badNumbers(p, specs.get(p.getVariant()));
                if (problem != null) {
                    count("badPredictions");
                    fail("a prediction " + problem + ": " + show(p), example(fed, p));
                }
            }
            count("predictions", outputs.predictions.size());
            for (String k : union(expected.keySet(), predicted.keySet())) {
                List<Fed> in = expected.getOrDefault(k, List.of());
                List<Prediction> out = predicted.getOrDefault(k, List.of());
                if (in.size() != out.size()) {
                    count("lostOrDoubled");
                    fail(String.format("%d examples of variant/id/annotator %s expected a prediction each (none "
                            + "dead-lettered), got %d predictions (%s)", in.size(), shortKey(k), out.size(),
                            in.size() > out.size() ? "LOST" : "DOUBLED"),
                            in.stream().limit(3).map(ExampleFuzzTest::show).toList().toString());
                }
            }
            // A skip-gram variant predicts nothing; its model's version counts the sequences it trained.
            for (Map.Entry<String, ModelSpec> v : specs.entrySet()) {
                if (v.getValue().skipGram() == null) {
                    continue;
                }
                long sequences = fedPerVariant.getOrDefault(v.getKey(), 0L);
                long version = outputs.snapshots.stream().filter(m -> m.getVariant().equals(v.getKey()))
                        .mapToLong(ModelSnapshot::getVersion).max().orElse(0);
                if (version != sequences) {
                    fail("skip-gram variant " + v.getKey() + " was fed " + sequences + " sequences, its last model "
                            + "snapshot is version " + version, "(all)");
                }
                if (predicted.keySet().stream().anyMatch(k -> k.startsWith(v.getKey() + "\u0000"))) {
                    fail("skip-gram variant " + v.getKey() + " predicted", "(all)");
                }
            }
            for (Consensus c : outputs.consensus) {
                double sum = 0;
                boolean finite = true;
                for (double x : c.getPosterior()) {
                    finite &= Double.isFinite(x) && x >= 0 && x <= 1;
                    sum += x;
                }
                if (!finite || Math.abs(sum - 1) > 1e-3) {
                    count("badConsensus");
                    fail("a consensus whose posterior is not finite probabilities summing to 1: " + c,
                            "(item " + ExampleValidator.quoted(c.getItem()) + ")");
                }
            }
            for (AnnotatorModel a : outputs.annotators) {
                String problem = badNumbers(a);
                if (problem != null) {
                    count("badAnnotatorModels");
                    fail("an annotator model " + problem + ": " + show(a), "(annotator "
                            + ExampleValidator.quoted(a.getAnnotator()) + ")");
                }
            }
        }
    }

    /** What one trainer harness put out. */
    private static final class Outputs {
        final List<Prediction> predictions = new ArrayList<>();
        final List<DeadLetter> deadLetters = new ArrayList<>();
        final List<ModelSnapshot> snapshots = new ArrayList<>();
        final List<Consensus> consensus = new ArrayList<>();
        final List<AnnotatorModel> annotators = new ArrayList<>();

        void add(TrainerHarness h) {
            predictions.addAll(h.extractOutputValues());
            values(h.getSideOutput(MinibatchSgdFunction.DEAD_LETTERS)).forEach(deadLetters::add);
            for (Either<String, ModelSnapshot> m : values(h.getSideOutput(MinibatchSgdFunction.MODEL_SNAPSHOTS))) {
                if (m.isRight()) {
                    snapshots.add(m.right());
                }
            }
            for (Either<String, Consensus> c : values(h.getSideOutput(MinibatchSgdFunction.CONSENSUS))) {
                if (c.isRight()) {
                    consensus.add(c.right());
                }
            }
            for (Either<String, AnnotatorModel> a : values(h.getSideOutput(MinibatchSgdFunction.ANNOTATOR_MODELS))) {
                if (a.isRight()) {
                    annotators.add(a.right());
                }
            }
        }

        private static <T> List<T> values(Collection<StreamRecord<T>> records) {
            return records == null ? List.of() : records.stream().map(StreamRecord::getValue).toList();
        }
    }

    private static TrainSettings settings(boolean timed) {
        return MinibatchSgdFunctionTest.settings().maxModelParameters(5_000_000L).snapshotEveryBatches(2)
                .snapshotIntervalMs(timed ? 500 : 0).batchTimeoutMs(timed ? 1000 : 0).annotatorPublishIntervalMs(0);
    }

    /** The operator's counter {@code name} (not a per-task one). */
    private static double operatorCounter(RegisteredMetrics metrics, String name) {
        return metrics.all().stream().filter(r -> r.name().endsWith("_operator_" + name) && !r.labels().containsKey("task"))
                .mapToDouble(RegisteredMetrics.Registered::value).sum();
    }

    /** The changes check-specs broadcasts for a LIVE record of {@code variant} with {@code json}. */
    private static List<SpecChange> judge(CheckSpecsHarness h, String variant, String json) throws Exception {
        int before = h.extractOutputValues().size();
        h.processElement(record(TASK + "/" + variant, live(TASK, variant, json)), 0);
        List<SpecChange> all = h.extractOutputValues();
        return new ArrayList<>(all.subList(before, all.size()));
    }

    /** The second variant's spec: another seed, and minibatches one larger. */
    private static String second(String json) throws Exception {
        ObjectNode node = (ObjectNode) JSON.readTree(json);
        node.put("seed", 77);
        if (node.has("batchSize")) {
            node.put("batchSize", node.get("batchSize").asInt() + 1);
        }
        return node.toString();
    }

    private static String compact(String json) {
        try {
            return JSON.readTree(json).toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- the invariants' checks ----

    /**
     * What is wrong with a rejection: no field, no reason, a reason not of the form {@code field '<name>': expected
     * ..., got ...}, or naming another field than {@code field} (a reason may name a part of it: {@code fields.user},
     * {@code features[3]}); null when it is right.
     */
    static String badRejection(String field, String reason) {
        if (field == null || reason == null) {
            return "without a " + (field == null ? "field" : "reason");
        }
        Matcher m = REASON.matcher(reason);
        if (!m.matches()) {
            return "not of the form \"field '<name>': expected ..., got ...\"";
        }
        String named = m.group(2);
        if (!named.equals(field) && !named.startsWith(field + ".") && !named.startsWith(field + "[")) {
            return "naming field '" + named + "' for field " + field;
        }
        return null;
    }

    /** What is wrong with the numbers of prediction {@code p} of a variant of {@code spec}, or null. */
    static String badNumbers(Prediction p, ModelSpec spec) {
        if (spec == null) {
            return "of an unknown variant";
        }
        if (spec.skipGram() != null) {
            return "of a skip-gram variant";
        }
        float[] probabilities = Float32.unpack(p.getProbabilities().duplicate());
        if (!spec.isClassifier()) {
            Double value = p.getPredictedValue();
            return value == null || !Double.isFinite(value) ? "of a regressor with value " + value
                    : probabilities.length != 0 ? "of a regressor with probabilities" : null;
        }
        boolean large = spec.output() != null;
        if (large) {
            if (probabilities.length != 0 || p.getTopClasses() == null || p.getTopProbabilities() == null) {
                return "of a large-output classifier without its top classes";
            }
            probabilities = Float32.unpack(p.getTopProbabilities().duplicate());
        } else if (probabilities.length != spec.numClasses()) {
            return "with " + probabilities.length + " probabilities for " + spec.numClasses() + " classes";
        }
        double sum = 0;
        for (float x : probabilities) {
            if (!Float.isFinite(x) || x < 0 || x > 1) {
                return "with a probability " + x + " (" + Arrays.toString(probabilities) + ")";
            }
            sum += x;
        }
        if (large ? sum > 1 + 1e-3 : Math.abs(sum - 1) > 1e-3) {
            return "whose probabilities sum to " + sum + " (" + Arrays.toString(probabilities) + ")";
        }
        Integer predictedClass = p.getPredictedClass();
        if (predictedClass == null || predictedClass < 0 || predictedClass >= spec.numClasses()) {
            return "with predicted class " + predictedClass;
        }
        return null;
    }

    /** What is wrong with an annotator model's numbers (confusion rows of probabilities, a reliability), or null. */
    static String badNumbers(AnnotatorModel a) {
        float[] confusion = Float32.unpack(a.getConfusion().duplicate());
        int k = a.getNumClasses();
        if (confusion.length != k * k) {
            return "with " + confusion.length + " confusion values for " + k + " classes";
        }
        for (int row = 0; row < k; row++) {
            double sum = 0;
            for (int c = 0; c < k; c++) {
                float x = confusion[row * k + c];
                if (!Float.isFinite(x) || x < 0 || x > 1) {
                    return "with a confusion value " + x;
                }
                sum += x;
            }
            if (Math.abs(sum - 1) > 1e-3) {
                return "with a confusion row summing to " + sum;
            }
        }
        double reliability = a.getReliability();
        if (!Double.isFinite(reliability) || reliability < 0 || reliability > 1) {
            return "with reliability " + reliability;
        }
        return a.getWeight() != null && !Double.isFinite(a.getWeight()) ? "with weight " + a.getWeight() : null;
    }

    private static String show(AnnotatorModel a) {
        return "{variant=" + a.getVariant() + ", annotator=" + ExampleValidator.quoted(a.getAnnotator()) + ", version="
                + a.getVersion() + ", confusion=" + Arrays.toString(Float32.unpack(a.getConfusion().duplicate()))
                + ", reliability=" + a.getReliability() + ", weight=" + a.getWeight() + ", labels=" + a.getLabelsSeen()
                + "}";
    }

    /**
     * The key predictions are matched to examples by. Names go out through UTF-8 (the harness copies records with their
     * serializers, as Kafka would), where an unpaired surrogate becomes '?': compared so.
     */
    private static String key(String variant, CharSequence id, CharSequence annotator) {
        return utf8(variant) + "\u0000" + utf8(id) + "\u0000" + (annotator == null ? "(null)" : utf8(annotator));
    }

    private static String utf8(CharSequence text) {
        return new String(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String shortKey(String key) {
        String[] parts = key.split("\u0000", -1);
        return parts[0] + "/" + ExampleValidator.quoted(parts[1]) + "/"
                + (parts.length > 2 ? ExampleValidator.quoted(parts[2]) : "?");
    }

    private static List<String> union(Collection<String> a, Collection<String> b) {
        List<String> all = new ArrayList<>(a);
        b.stream().filter(k -> !a.contains(k)).forEach(all::add);
        return all;
    }

    /** The fed example that prediction {@code p} is of, shown. */
    private static String example(List<Fed> fed, Prediction p) {
        return fed.stream().filter(f -> f.variant().equals(p.getVariant()) && f.example().getId().equals(p.getId())
                && java.util.Objects.equals(f.example().getAnnotator(), p.getAnnotator())).limit(3)
                .map(ExampleFuzzTest::show).toList().toString();
    }

    // ---- mutations ----

    /** {@code e} mutated in place one to three times, as sent: maybe as JSON, maybe followed by a burst of others. */
    private static List<Sent> mutate(Example e, ModelSpec spec, Random random) {
        List<String> done = new ArrayList<>();
        List<Example> burst = new ArrayList<>();
        ObjectNode[] json = {null};
        for (int m = 1 + random.nextInt(3); m > 0; m--) {
            mutateOnce(e, spec, random, done, burst, json);
        }
        String what = String.join("; ", done);
        if (burst.size() > 5 && weight(e) > 20_000) {
            burst.subList(5, burst.size()).clear(); // hundreds of copies of a heavy example cost much, teach little
            what += " (5 copies kept of a heavy example)";
        }
        List<Sent> sent = new ArrayList<>();
        sent.add(new Sent(e, json[0] == null ? null : bytes(json[0]), what));
        for (int b = 0; b < burst.size(); b++) {
            sent.add(new Sent(burst.get(b), null, what + " (burst " + b + ")"));
        }
        return sent;
    }

    /** About how many characters and tokens {@code e} holds. */
    private static long weight(Example e) {
        long weight = e.getId().length() + (e.getAnnotator() == null ? 0 : e.getAnnotator().length())
                + e.getFeatures().remaining();
        if (e.getFields() != null) {
            for (Map.Entry<String, Object> f : e.getFields().entrySet()) {
                weight += f.getKey().length() + (f.getValue() instanceof List<?> list
                        ? list.stream().mapToLong(t -> 1 + String.valueOf(t).length()).sum()
                        : String.valueOf(f.getValue()).length());
            }
        }
        return weight;
    }

    private static void mutateOnce(Example e, ModelSpec spec, Random random, List<String> done, List<Example> burst,
            ObjectNode[] json) {
        boolean skipGram = spec.skipGram() != null;
        boolean named = spec.hashing() != null || skipGram;
        List<String> kinds = new ArrayList<>(List.of("label", "target", "weight", "annotator", "id", "eventTime",
                "burst", "json"));
        kinds.addAll(named ? List.of("fields", "fields", "fields", "fields") : List.of("features", "features",
                "features", "features", "sparse", "sparse", "sparse"));
        if (named) {
            kinds.add("features");
        }
        if (spec.labelModel() != null) {
            kinds.addAll(List.of("annotator", "annotators", "annotators"));
        }
        switch (kinds.get(random.nextInt(kinds.size()))) {
            case "features" -> features(e, random, done);
            case "sparse" -> sparse(e, spec, random, done);
            case "label" -> {
                Integer label = spec.isClassifier()
                        ? pick(random, new Integer[] {-1, spec.numClasses(), Integer.MAX_VALUE, Integer.MIN_VALUE, null,
                            spec.numClasses() - 1, 0})
                        : pick(random, new Integer[] {0, 1, -1});
                e.setLabel(label);
                done.add("label=" + label);
            }
            case "target" -> {
                Double target = random.nextInt(8) == 0 ? null : TARGETS[random.nextInt(TARGETS.length)];
                e.setTarget(target);
                done.add("target=" + target);
            }
            case "weight" -> {
                float weight = WEIGHTS[random.nextInt(WEIGHTS.length)];
                e.setWeight(weight);
                done.add("weight=" + weight);
            }
            case "annotator" -> {
                String annotator = pick(random, new String[] {null, "", "x".repeat(10_000),
                    "x".repeat(ExampleValidator.MAX_ANNOTATOR_ID_LENGTH),
                    "x".repeat(ExampleValidator.MAX_ANNOTATOR_ID_LENGTH + 1), "\u0000", "a\u001b[31m", "\u202eevil",
                    "a\nb", "a\u0085b", "(anonymous)", "ann-" + random.nextInt(1000), "a0", "\ud800"});
                e.setAnnotator(annotator);
                done.add("annotator=" + ExampleValidator.quoted(annotator));
            }
            case "id" -> {
                String id = pick(random, new String[] {"", "i".repeat(100_000), "i".repeat(ExampleValidator.MAX_ID_LENGTH),
                    "i".repeat(ExampleValidator.MAX_ID_LENGTH + 1), "\u0000id", "dup", "item-0", "\ud800"});
                e.setId(id);
                done.add("id=" + ExampleValidator.quoted(id));
            }
            case "eventTime" -> {
                long t = EVENT_TIMES[random.nextInt(EVENT_TIMES.length)];
                e.setEventTime(t);
                done.add("eventTime=" + t);
            }
            case "burst" -> {
                if (random.nextInt(4) != 0) {
                    e.setId("dup"); // the bursts are costly: most often the id alone, which other examples may share
                    done.add("id=\"dup\"");
                    return;
                }
                // One id repeated hundreds of times, as is or (label models) relabelled by many annotators.
                int copies = 100 + random.nextInt(300);
                int annotators = 1 + random.nextInt(20);
                boolean relabel = spec.labelModel() != null && random.nextBoolean();
                for (int c = 0; c < copies; c++) {
                    Example copy = Example.newBuilder(e).build();
                    if (relabel) {
                        copy.setAnnotator("r" + c % annotators);
                        copy.setLabel(random.nextInt(spec.numClasses()));
                    }
                    burst.add(copy);
                }
                done.add("then " + copies + " copies" + (relabel ? " relabelled by " + annotators + " annotators" : ""));
            }
            case "annotators" -> {
                if (random.nextInt(3) != 0) {
                    String annotator = "new-" + random.nextInt(1_000_000);
                    e.setAnnotator(annotator);
                    done.add("annotator=" + annotator);
                    return;
                }
                // More distinct annotators than the label model tracks, each with a label.
                int n = 2 * spec.labelModel().maxAnnotators() + 1 + random.nextInt(20);
                boolean sameItem = random.nextBoolean();
                for (int c = 0; c < n; c++) {
                    Example copy = Example.newBuilder(e).build();
                    copy.setAnnotator("new-" + c);
                    copy.setLabel(random.nextInt(spec.numClasses()));
                    if (!sameItem) {
                        copy.setId(e.getId() + "-" + c);
                    }
                    burst.add(copy);
                }
                done.add("then " + n + " new annotators" + (sameItem ? " of the same item" : ""));
            }
            case "fields" -> {
                if (skipGram) {
                    tokens(e, spec, random, done);
                } else {
                    fields(e, spec, random, done);
                }
            }
            case "json" -> {
                json[0] = jsonMutation(e, spec, random, done);
            }
            default -> throw new IllegalStateException();
        }
    }

    private static void features(Example e, Random random, List<String> done) {
        float[] x = e.getFeatures().remaining() % 4 == 0 ? Float32.unpack(e.getFeatures().duplicate()) : new float[0];
        int j = x.length == 0 ? -1 : random.nextInt(x.length);
        switch (random.nextInt(8)) {
            case 0 -> {
                if (j >= 0) {
                    x[j] *= 1e30f;
                    done.add("features[" + j + "]*=1e30 (" + x[j] + ")");
                }
            }
            case 1, 2 -> {
                if (j >= 0) {
                    x[j] = FLOATS[random.nextInt(FLOATS.length)];
                    done.add("features[" + j + "]=" + x[j]);
                }
            }
            case 3 -> {
                float v = random.nextBoolean() ? Float.MAX_VALUE : -Float.MAX_VALUE;
                for (int k = 0; k < x.length; k++) {
                    x[k] = random.nextBoolean() ? v : -v;
                }
                done.add("features all +-" + Float.MAX_VALUE);
            }
            case 4 -> {
                x = Arrays.copyOf(x, x.length + 1);
                done.add("features one longer");
            }
            case 5 -> {
                x = Arrays.copyOf(x, Math.max(0, x.length - 1));
                done.add("features one shorter");
            }
            case 6 -> {
                x = new float[0];
                done.add("features empty");
            }
            default -> {
                // Not a whole number of floats.
                ByteBuffer odd = ByteBuffer.allocate(x.length * 4 + 1 + random.nextInt(3));
                e.setFeatures(odd);
                done.add("features of " + odd.remaining() + " bytes");
                return;
            }
        }
        e.setFeatures(Float32.pack(x));
    }

    /** Sparse features: valid, or with indices out of range, negative, duplicated, unsorted, of another length. */
    private static void sparse(Example e, ModelSpec spec, Random random, List<String> done) {
        int dim = spec.inputDim();
        float[] dense = e.getFeatures().remaining() % 4 == 0 ? Float32.unpack(e.getFeatures().duplicate()) : new float[0];
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < dim; i++) {
            if (random.nextBoolean()) {
                indices.add(i);
            }
        }
        String how;
        switch (random.nextInt(7)) {
            case 0 -> {
                indices.add(pick(random, new Integer[] {dim, dim + 1000, Integer.MAX_VALUE}));
                how = "out of range";
            }
            case 1 -> {
                indices.add(0, pick(random, new Integer[] {-1, Integer.MIN_VALUE}));
                how = "negative";
            }
            case 2 -> {
                if (indices.isEmpty()) {
                    indices.add(0);
                }
                indices.add(1, indices.get(0));
                how = "duplicated";
            }
            case 3 -> {
                while (indices.size() < 2 && dim >= 2) {
                    indices = new ArrayList<>(List.of(0, dim - 1));
                }
                java.util.Collections.reverse(indices);
                how = "unsorted";
            }
            case 4 -> {
                how = "valid";
            }
            default -> {
                how = "of another length";
            }
        }
        float[] values = new float[indices.size()];
        for (int k = 0; k < values.length; k++) {
            int index = indices.get(k);
            values[k] = index >= 0 && index < dense.length ? dense[index] : 1f;
        }
        if (how.equals("of another length")) {
            values = Arrays.copyOf(values, random.nextBoolean() ? values.length + 1 : Math.max(0, values.length - 1));
            if (values.length == indices.size()) {
                values = Arrays.copyOf(values, values.length + 1);
            }
        }
        e.setIndices(indices);
        e.setFeatures(Float32.pack(values));
        done.add("sparse " + how + ": indices " + abbreviate(indices.toString()) + ", " + values.length + " values");
    }

    /** Named fields of a hashed (or wide and deep, or large-output) task. */
    private static void fields(Example e, ModelSpec spec, Random random, List<String> done) {
        Map<String, Object> fields = e.getFields() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(e.getFields());
        List<String> listed = spec.hashing().fields().isEmpty() ? new ArrayList<>(fields.keySet())
                : spec.hashing().fields();
        String field = listed.isEmpty() ? "f" : listed.get(random.nextInt(listed.size()));
        switch (random.nextInt(11)) {
            case 0 -> {
                int length = pick(random, new Integer[] {HashedFields.MAX_VALUE_CHARS, HashedFields.MAX_VALUE_CHARS + 1,
                    200_000});
                fields.put(field, "v".repeat(length));
                done.add("fields." + field + "= a string of " + length + " characters");
            }
            case 1 -> {
                int tokens = pick(random, new Integer[] {HashedFields.MAX_FIELD_TOKENS,
                    HashedFields.MAX_FIELD_TOKENS + 1, 50_000, 0});
                boolean distinct = random.nextBoolean();
                List<String> list = new ArrayList<>(tokens);
                for (int t = 0; t < tokens; t++) {
                    list.add(distinct ? "w" + t : "same");
                }
                fields.put(field, list);
                done.add("fields." + field + "= a list of " + tokens + (distinct ? " distinct" : " equal") + " tokens");
            }
            case 2, 3 -> {
                double x = FIELD_NUMBERS[random.nextInt(FIELD_NUMBERS.length)];
                fields.put(field, x);
                done.add("fields." + field + "=" + x);
            }
            case 4 -> {
                fields.clear();
                done.add("fields empty");
            }
            case 5 -> {
                String name = pick(random, new String[] {"zzz", "", "\u0000x", "n".repeat(70_000), "user ", "a'b"});
                fields.put(name, "v");
                done.add("fields." + ExampleValidator.quoted(name) + "=\"v\" (a field the spec does not list)");
            }
            case 6 -> {
                // Every listed field a large number: collisions at few bits sum past float32.
                double x = random.nextBoolean() ? 3.4e38 : 2e38;
                for (String f : listed) {
                    fields.put(f, x);
                }
                done.add("every listed field =" + x);
            }
            case 7 -> {
                // Where a wide and deep spec wants a string (an embedding field) or a number (a numeric one).
                Object value = pick(random, new Object[] {3.0, "text", List.of("a", "b"), List.of(), ""});
                fields.put(field, value);
                done.add("fields." + field + "=" + value);
            }
            case 8 -> {
                e.setFields(null);
                done.add("fields null");
                return;
            }
            case 9 -> {
                fields.remove(field);
                done.add("fields." + field + " missing");
            }
            default -> {
                List<String> list = new ArrayList<>(List.of("ok", "x".repeat(HashedFields.MAX_VALUE_CHARS + 1)));
                fields.put(field, list);
                done.add("fields." + field + "= a list with a string of " + (HashedFields.MAX_VALUE_CHARS + 1)
                        + " characters");
            }
        }
        e.setFields(fields);
    }

    /** The token sequence of a skip-gram task. */
    private static void tokens(Example e, ModelSpec spec, Random random, List<String> done) {
        String field = spec.tokensField();
        int max = spec.skipGram().maxTokens();
        Map<String, Object> fields = new LinkedHashMap<>();
        Object value;
        switch (random.nextInt(12)) {
            case 0 -> value = new ArrayList<String>();
            case 1 -> value = new ArrayList<>(List.of("a1"));
            case 2 -> value = repeat("a1", 100_000);
            case 3 -> value = repeat("b2", max);
            case 4 -> value = repeat("b2", max + 1);
            case 5 -> value = new ArrayList<>(List.of("a1", "t".repeat(SequenceFields.MAX_TOKEN_CHARS)));
            case 6 -> value = new ArrayList<>(List.of("a1", "t".repeat(SequenceFields.MAX_TOKEN_CHARS + 1)));
            case 7 -> value = new ArrayList<>(List.of("t".repeat(100_000)));
            case 8 -> value = "a1 a2 a3";
            case 9 -> value = 3.0;
            case 10 -> value = new ArrayList<>(List.of("", "", "\u0000", "\ud800"));
            default -> {
                fields.put("other", "x");
                value = new ArrayList<>(List.of("a1", "a2"));
            }
        }
        fields.put(field, value);
        e.setFields(fields);
        done.add("fields." + field + "=" + (value instanceof List<?> l ? "a list of " + l.size() + " tokens"
                + (l.isEmpty() ? "" : " of " + ((String) l.get(l.size() - 1)).length() + " characters at most")
                : value) + (fields.size() > 1 ? " and fields.other" : ""));
    }

    private static List<String> repeat(String token, int n) {
        List<String> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(token);
        }
        return list;
    }

    /** The example as JSON with a value of a type its schema does not allow, or past its type's range. */
    private static ObjectNode jsonMutation(Example e, ModelSpec spec, Random random, List<String> done) {
        ObjectNode node;
        try {
            node = (ObjectNode) JSON.readTree(WireFormat.JSON.codec(Example.class).encode(e));
        } catch (Exception x) {
            return null; // not JSON a producer could write (a lone surrogate): sent as Avro
        }
        String field = spec.hashing() != null ? spec.hashing().fields().isEmpty() ? "f"
                : spec.hashing().fields().get(random.nextInt(spec.hashing().fields().size()))
                : spec.skipGram() != null ? spec.tokensField() : "user";
        int kind = random.nextInt(16);
        String what;
        switch (kind) {
            case 0 -> what = set(node, "label", "2147483648");
            case 1 -> what = set(node, "label", "1.5");
            case 2 -> what = set(node, "eventTime", "1e19");
            case 3 -> what = set(node, "weight", "\"NaN\"");
            case 4 -> what = set(node, "weight", "1e39");
            case 5 -> what = set(node, "features", "[\"a\"]");
            case 6 -> what = set(node, "features", "[1e39]");
            case 7 -> what = set(node, "indices", "[1.5]");
            case 8 -> what = set(node, "annotator", "5");
            case 9 -> what = set(node, "id", "null");
            default -> {
                ObjectNode fields = node.get("fields") instanceof ObjectNode f ? f : node.putObject("fields");
                String value = pick(random, new String[] {"[1,2]", "{\"a\":1}", "null", "true", "[null]", "[[\"a\"]]",
                    "1e400", "\"NaN\"", "\"-Infinity\""});
                try {
                    fields.set(field, JSON.readTree(value));
                } catch (Exception x) {
                    throw new IllegalStateException(x);
                }
                what = "fields." + field + "=" + value;
            }
        }
        done.add("as JSON with " + what);
        return node;
    }

    private static String set(ObjectNode node, String field, String json) {
        try {
            node.set(field, JSON.readTree(json));
        } catch (Exception x) {
            throw new IllegalStateException(x);
        }
        return field + "=" + json;
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (Exception x) {
            throw new IllegalStateException(x);
        }
    }

    private static <T> T pick(Random random, T[] values) {
        return values[random.nextInt(values.length)];
    }

    // ---- reporting ----

    private static String show(Sent s) {
        return (s.json() != null ? "JSON " + abbreviate(new String(s.json(), java.nio.charset.StandardCharsets.UTF_8))
                : show(s.example())) + (s.mutations().isEmpty() ? " (not mutated)" : "\n  mutations: " + s.mutations());
    }

    private static String show(Fed f) {
        return "to " + f.variant() + " at offset " + f.offset() + ": " + show(f.example())
                + (f.mutations().isEmpty() ? " (not mutated)" : "\n  mutations: " + f.mutations());
    }

    static String show(Example e) {
        StringBuilder b = new StringBuilder("{id=").append(ExampleValidator.quoted(e.getId()))
                .append(", task=").append(ExampleValidator.quoted(e.getTask()));
        ByteBuffer features = e.getFeatures();
        if (features != null && features.remaining() % 4 == 0) {
            b.append(", features=").append(abbreviate(Arrays.toString(Float32.unpack(features.duplicate()))));
        } else {
            b.append(", features=").append(features == null ? "null" : features.remaining() + " bytes");
        }
        if (e.getIndices() != null) {
            b.append(", indices=").append(abbreviate(e.getIndices().toString()));
        }
        b.append(", label=").append(e.getLabel()).append(", target=").append(e.getTarget())
                .append(", annotator=").append(ExampleValidator.quoted(e.getAnnotator()))
                .append(", eventTime=").append(e.getEventTime()).append(", weight=").append(e.getWeight());
        if (e.getFields() != null) {
            b.append(", fields={");
            String sep = "";
            for (Map.Entry<String, Object> f : e.getFields().entrySet()) {
                b.append(sep).append(ExampleValidator.quoted(f.getKey())).append('=');
                Object v = f.getValue();
                if (v instanceof List<?> list) {
                    b.append("list of ").append(list.size()).append(' ')
                            .append(abbreviate(list.stream().limit(5).map(t -> ExampleValidator.quoted(String.valueOf(t)))
                                    .toList().toString()));
                } else if (v instanceof CharSequence text) {
                    b.append(ExampleValidator.quoted(text.toString()));
                } else {
                    b.append(v);
                }
                sep = ", ";
            }
            b.append('}');
        }
        return b.append('}').toString();
    }

    private static String show(DeadLetter d) {
        return "{field=" + d.getField() + ", offset=" + d.getOffset() + ", reason=" + abbreviate(d.getReason()) + "}";
    }

    private static String show(Prediction p) {
        return "{variant=" + p.getVariant() + ", id=" + ExampleValidator.quoted(p.getId()) + ", annotator="
                + ExampleValidator.quoted(p.getAnnotator()) + ", version=" + p.getModelVersion() + ", class="
                + p.getPredictedClass() + ", value=" + p.getPredictedValue() + ", probabilities="
                + Arrays.toString(Float32.unpack(p.getProbabilities().duplicate())) + ", top=" + p.getTopClasses()
                + (p.getTopProbabilities() == null ? ""
                        : " " + Arrays.toString(Float32.unpack(p.getTopProbabilities().duplicate()))) + "}";
    }

    private static String abbreviate(String text) {
        return text == null || text.length() <= 300 ? text
                : text.substring(0, 300) + "... (" + text.length() + " characters)";
    }

    private static String shortReason(String reason) {
        String why = reason.replaceAll("-?[0-9][-0-9.E,]*", "#");
        return why.substring(0, Math.min(90, why.length()));
    }

    /** The throwable with the frames of its first and its root cause, and the messages of those between. */
    private static String trace(Throwable e) {
        StringBuilder out = new StringBuilder(e.getClass().getName() + ": " + abbreviate(e.getMessage()));
        frames(e, out);
        Throwable t = e.getCause();
        for (int depth = 1; t != null && depth < 12; depth++, t = t.getCause()) {
            out.append("\n  caused by ").append(t.getClass().getName()).append(": ").append(abbreviate(t.getMessage()));
            if (t.getCause() == null) {
                frames(t, out);
            }
        }
        return out.toString();
    }

    private static void frames(Throwable t, StringBuilder out) {
        StackTraceElement[] frames = t.getStackTrace();
        for (int f = 0; f < Math.min(10, frames.length); f++) {
            out.append("\n    at ").append(frames[f]);
        }
    }
}
