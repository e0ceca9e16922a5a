package dev.chorus.jobs.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.output.SkipGram;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.SpecPools;
import dev.chorus.jobs.SpecPools.Slot;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.TokenSequences;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A seeded fuzz of the models topic as the serve job reads it ("poisoned models"): valid snapshots of every model
 * family the serve job answers with (dense softmax, a dense mlp classifier and an mlp regressor, three label models,
 * hashed logistic and softmax, wide and deep, large-output sampled and hierarchical; skip-gram bytes as a donor and a
 * mislabelled record), mutated in their parameter bytes (bit flips, extreme bytes, forged int and long fields,
 * non-finite floats, truncation, extension, splices of two families' bytes, the embedded spec JSON mutated or swapped
 * for another family's), in their record fields (version, task, variant, algorithm, spec string, chunk fields ...),
 * in the encoded record itself, or delivered as chunks. Each mutant goes as a broadcast model record to a
 * {@link ServeHarness} that serves a valid model of the same task, and a few examples of the task follow.
 *
 * <p>A bad model record must never crash the serve job: no {@link Throwable} may escape the operator, for the record
 * or for the examples after it; every example gets a prediction or a dead letter, and at least one a prediction (the
 * task is still answered); a whole record that is not swapped in is counted as ignored, rejected or refused, never
 * silently dropped; and when it is not swapped in, the previous model answers exactly as it did before.
 *
 * <p>What it found ({@link #found()} keeps each as a fixed input), each now a dead letter: the serve function caught only
 * {@link RuntimeException} around {@code SavedModels.read}, and several readers allocated from sizes the bytes do not
 * bound, so a record of a few KB threw {@link OutOfMemoryError} out of the operator: the sparse formats (hashed
 * linear, wide and deep, large-output) allocate their hashed, embedding and output tables whole from the embedded
 * spec's {@code hashing.bits}, {@code numClasses}, {@code embeddings.buckets/dim} and {@code output.dim} (now each
 * embedded spec is held to the job's {@code --max-model-parameters} before anything of it is built); label models
 * allocated per-item scratch from the item label history's {@code maxLabelsPerItem} int (now held to the spec's),
 * and a Doctor Net a row of {@code numClasses} floats (its spec is held to the bound). And a corrupted embedded spec
 * that still parsed (a hashed field's name with one bit flipped) was swapped in, after which every example of the
 * task was a dead letter (now the embedded spec must be the record's).
 *
 * <p>{@code -Dfuzz.seed}, {@code -Dfuzz.trials}, {@code -Dfuzz.verbose}. A mutant whose embedded spec declares more than
 * {@code -Dfuzz.hugeParameters} parameters (default 2^25) runs only if it cannot make this JVM allocate gigabytes
 * before failing: its largest table alone exceeds the heap and the others are small (at most
 * {@code -Dfuzz.fastFailRuns}, default 12), or it declares no table the sparse formats allocate whole (dense and label
 * models, whose readers check sizes against the bytes; at most {@code -Dfuzz.denseHugeRuns}, default 24); others run
 * at most {@code -Dfuzz.hugeRuns} times (default 0), the rest are skipped, counted and listed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SnapshotFuzzTest {

    private static final long SEED = Long.getLong("fuzz.seed", 0x5E2F_0220L);
    private static final int TRIALS = Integer.getInteger("fuzz.trials", 2000);
    private static final boolean VERBOSE = Boolean.getBoolean("fuzz.verbose");
    private static final long HUGE_PARAMETERS = Long.getLong("fuzz.hugeParameters", 1L << 25);
    private static final int HUGE_RUNS = Integer.getInteger("fuzz.hugeRuns", 0);
    private static final int FAST_FAIL_RUNS = Integer.getInteger("fuzz.fastFailRuns", 12);
    private static final int DENSE_RUNS = Integer.getInteger("fuzz.denseHugeRuns", 24);
    private static final String PREFIX = "flink_taskmanager_job_task_operator_";
    private static final ServeSettings SETTINGS = ServeFunctionTest.settings();
    private static final String MODELS_TOPIC = SETTINGS.modelsTopic().name();
    private static final String EXAMPLES_TOPIC = SETTINGS.examplesTopic().name();
    private static final RecordCodec<ModelSnapshot> CODEC = SETTINGS.modelsTopic().codec();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LabeledDataset DATA = SyntheticBlobs.generate(100, 4, 3, 5);
    private static final String VARIANT = "default";
    private static final long BASE_VERSION = 1;
    private static final long MUTANT_VERSION = 2;

    // ---- the families ----

    /** A family's valid snapshot (version 1), its parameter bytes, and examples of its task. */
    record Family(String name, String task, ModelSnapshot base, byte[] bytes, List<Example> examples) {
        String key() {
            return task + "/" + VARIANT;
        }
    }

    static final String MLP_SPEC = """
            {"algorithm":"mlp","inputDim":4,"numClasses":3,
             "layers":[{"units":8,"activation":"relu","init":"he-normal","batchNorm":true,"batchNormMomentum":0.9,
                        "dropout":0.2},
                       {"units":4,"activation":"tanh","init":"uniform","initLimit":0.5,"dropout":0.1}],
             "loss":"softmax-cross-entropy","optimizer":{"type":"momentum","learningRate":0.01,"momentum":0.9},
             "schedule":{"type":"inverse","decay":1e-4},"clipNorm":5.0,"l1":1e-5,"l2":1e-4,"batchSize":4,"seed":1,
             "standardize":true,"averaging":{"decay":0.9}}""";
    static final String MLP_REGRESSION_SPEC = """
            {"algorithm":"mlp","inputDim":4,
             "layers":[{"units":6,"activation":"sigmoid","batchNorm":true,"batchNormAfterActivation":true}],
             "loss":"squared-error","optimizer":{"type":"rmsprop","learningRate":0.001,"rho":0.9,"epsilon":1e-8},
             "schedule":{"type":"exponential","gamma":0.99},"batchSize":5,"averaging":{"decay":0.9}}""";
    static final String DAWID_SKENE_SPEC = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":3,
             "labelModel":{"method":"dawid-skene","maxAnnotators":3}}""";
    static final String DOCTOR_NET_SPEC = """
            {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[{"units":6,"activation":"tanh"}],"batchSize":6,
             "optimizer":{"type":"adam","learningRate":0.01},
             "labelModel":{"method":"doctor-net","maxAnnotators":4,"historyItems":1000,"maxLabelsPerItem":8}}""";
    static final String HASHED_SOFTMAX_SPEC = """
            {"algorithm":"softmax-regression","numClasses":2,"batchSize":4,"standardize":false,
             "hashing":{"bits":8,"fields":["user","country","words","amount"]},"optimizer":{"type":"adagrad"}}""";
    static final String HIERARCHICAL_SPEC = """
            {"algorithm":"large-softmax","numClasses":40,"batchSize":8,"hashing":{"bits":10,"fields":["key","group","noise"]},
             "output":{"type":"hierarchical-softmax","dim":6,"topK":3},"optimizer":{"type":"sgd","learningRate":0.2},
             "standardize":false,"seed":9}""";

    private static List<Family> families;
    private static byte[] skipGramBytes;

    static synchronized List<Family> families() {
        if (families != null) {
            return families;
        }
        List<Family> all = new ArrayList<>();
        all.add(dense("dense-softmax", "t", ServeFunctionTest.SPEC, 3, 8, false));
        all.add(dense("dense-mlp", "mlp", MLP_SPEC, 3, 4, false));
        all.add(dense("dense-mlp-regression", "reg", MLP_REGRESSION_SPEC, 3, 5, true));
        all.add(labelModel("label-dawid-skene", "ds", DAWID_SKENE_SPEC));
        String weighted = ServeFunctionTest.SPEC.substring(0, ServeFunctionTest.SPEC.lastIndexOf('}'))
                + ",\"labelModel\":\"weighted-doctor-net\"}";
        all.add(labelModel("label-weighted-doctor-net", "wdn", weighted));
        all.add(labelModel("label-doctor-net-mlp", "dn", DOCTOR_NET_SPEC));

        List<Example> clicks = ClickExamples.stream("clicks", 16, 9);
        SparseLinearModel logistic = ClickExamples.reference(ClickExamples.SPEC, clicks.subList(0, 12), false).model();
        all.add(family("hashed-logistic", "clicks", "logistic-regression", ClickExamples.SPEC,
                logistic.formatVersion(), logistic.toBytes(), clicks.subList(12, 15)));
        List<Example> hs = ClickExamples.stream("hs", 16, 4);
        SparseLinearModel softmax = ClickExamples.reference(HASHED_SOFTMAX_SPEC, hs.subList(0, 12), false).model();
        all.add(family("hashed-softmax", "hs", "softmax-regression", HASHED_SOFTMAX_SPEC,
                softmax.formatVersion(), softmax.toBytes(), hs.subList(12, 15)));

        List<Example> wd = ClickExamples.stream("wd", 16, 7);
        WideDeepModel wideDeep = WideDeepClicks.reference(WideDeepClicks.SPEC, wd.subList(0, 12), false).model();
        all.add(family("wide-deep", "wd", "wide-deep", WideDeepClicks.SPEC, WideDeepModel.FORMAT_VERSION,
                wideDeep.toBytes(), wd.subList(12, 15)));

        String sampledSpec = LargeOutputExamples.spec(200);
        List<Example> many = LargeOutputExamples.stream("many", 35, 200, 4);
        LargeOutputModel sampled = LargeOutputExamples.reference(sampledSpec, many.subList(0, 32)).model();
        all.add(family("large-sampled", "many", "large-softmax", sampledSpec, LargeOutputModel.FORMAT_VERSION,
                sampled.toBytes(), many.subList(32, 35)));
        List<Example> hier = LargeOutputExamples.stream("hier", 35, 40, 6);
        LargeOutputModel hierarchical = LargeOutputExamples.reference(HIERARCHICAL_SPEC, hier.subList(0, 32)).model();
        all.add(family("large-hierarchical", "hier", "large-softmax", HIERARCHICAL_SPEC,
                LargeOutputModel.FORMAT_VERSION, hierarchical.toBytes(), hier.subList(32, 35)));

        SkipGram skipGram = TokenSequences.reference(TokenSequences.SPEC, TokenSequences.stream("sg", 5, 1));
        skipGramBytes = skipGram.toBytes();
        families = List.copyOf(all);
        return families;
    }

    private static Family dense(String name, String task, String spec, int updates, int n, boolean regression) {
        OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(spec));
        float[] weights = new float[n];
        Arrays.fill(weights, 1f);
        float[] targets = new float[DATA.size()];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = DATA.labels()[i] * 1.5f - 1f;
        }
        for (int u = 0; u < updates; u++) {
            float[] x = Arrays.copyOfRange(DATA.features(), u * n * 4, (u + 1) * n * 4);
            if (regression) {
                learner.trainMinibatch(x, Arrays.copyOfRange(targets, u * n, (u + 1) * n), weights, n);
            } else {
                learner.trainMinibatch(x, Arrays.copyOfRange(DATA.labels(), u * n, (u + 1) * n), weights, n);
            }
        }
        List<Example> examples = new ArrayList<>();
        for (int row = 60; row < 63; row++) {
            Example e = ExampleProducer.example(DATA, row, task, "x", 0);
            if (regression) {
                e.setLabel(null);
                e.setTarget((double) targets[row]);
            }
            examples.add(e);
        }
        return family(name, task, ModelSpec.parse(spec).algorithm(), spec, OnlineLearner.FORMAT_VERSION,
                learner.toBytes(), examples);
    }

    private static Family labelModel(String name, String task, String spec) {
        LabelModel model = LabelModels.create(ModelSpec.parse(spec));
        for (int round = 0; round < 2; round++) {
            float[] x = Arrays.copyOfRange(DATA.features(), round * 32, round * 32 + 32);
            int[] labels = Arrays.copyOfRange(DATA.labels(), round * 8, round * 8 + 8);
            model.train(x, new long[] {1, 1, 2, 2, 3, 3, 4, 4},
                    new String[] {"a", "b", "a", "b", "a", "c", "a", "b"}, labels, 8);
        }
        List<Example> examples = new ArrayList<>();
        for (int row = 60; row < 63; row++) {
            examples.add(ExampleProducer.example(DATA, row, task, "x", 0));
        }
        return family(name, task, ModelSpec.parse(spec).algorithm(), spec, LabelModels.FORMAT_VERSION,
                model.toBytes(), examples);
    }

    private static Family family(String name, String task, String algorithm, String spec, int format, byte[] bytes,
            List<Example> examples) {
        ModelSnapshot base = ModelSnapshot.newBuilder().setTask(task).setVariant(VARIANT).setVersion(BASE_VERSION)
                .setAlgorithm(algorithm).setSpec(spec).setParametersFormat(format)
                .setParameters(ByteBuffer.wrap(bytes.clone())).setExamplesSeen(8).setMetrics(Map.of())
                .setCreatedAt(0).setProvenance(Map.of()).build();
        return new Family(name, task, base, bytes, List.copyOf(examples));
    }

    // ---- the harness of one family ----

    /** A harness serving one family's base snapshot, reused across trials until something escapes it. */
    static final class Live {
        final Family family;
        final RegisteredMetrics metrics = new RegisteredMetrics();
        final ServeHarness h;
        final Set<String> touchedKeys = new LinkedHashSet<>();
        long offset;

        Live(Family family) throws Exception {
            this.family = family;
            this.h = new ServeHarness(SETTINGS, metrics.environment());
            h.open();
            h.processBroadcastElement(record(family.base(), offset++), 0);
        }

        /** Forgets every key a mutant wrote to and serves the base snapshot again. */
        void reset() throws Exception {
            touchedKeys.add(family.key());
            for (String key : touchedKeys) {
                h.processBroadcastElement(new KafkaRecord(MODELS_TOPIC, 0, offset++, 0,
                        key.getBytes(StandardCharsets.UTF_8), null), 0);
            }
            touchedKeys.clear();
            h.processBroadcastElement(record(family.base(), offset++), 0);
            clearOutputs();
        }

        void clearOutputs() {
            h.getOutput().clear();
            var dead = h.getSideOutput(ServeFunction.DEAD_LETTERS);
            if (dead != null) {
                dead.clear();
            }
        }

        double counter(String name) {
            var found = metrics.find(PREFIX + name, Map.of());
            return found.isEmpty() ? 0 : found.get(0).value();
        }

        void close() {
            try {
                h.close();
            } catch (Throwable ignored) {
                // a harness something escaped from may not close cleanly
            }
        }
    }

    static KafkaRecord record(ModelSnapshot snapshot, long offset) {
        return new KafkaRecord(MODELS_TOPIC, 0, offset, 0, SnapshotChunks.key(snapshot).getBytes(StandardCharsets.UTF_8),
                CODEC.encode(withFreshParameters(snapshot)));
    }

    /** A copy whose parameters and digest buffers are fresh, so that encoding one record never moves another's. */
    static ModelSnapshot withFreshParameters(ModelSnapshot s) {
        ModelSnapshot.Builder b = ModelSnapshot.newBuilder(s).setParameters(ByteBuffer.wrap(bytesOf(s.getParameters())));
        if (s.getDigest() != null) {
            b.setDigest(ByteBuffer.wrap(bytesOf(s.getDigest())));
        }
        return b.build();
    }

    static byte[] bytesOf(ByteBuffer buffer) {
        ByteBuffer d = buffer.duplicate();
        byte[] bytes = new byte[d.remaining()];
        d.get(bytes);
        return bytes;
    }

    // ---- the tests ----

    /** Each family's base snapshot serves every example of its task, and the base predictions are what we compare to. */
    @Test
    @Order(1)
    void everyFamilysBaseSnapshotServesItsExamples() throws Exception {
        for (Family f : families()) {
            Map<String, Prediction> base = basePredictions(f);
            assertThat(base).as(f.name()).hasSize(f.examples().size());
        }
    }

    private static final Map<String, Map<String, Prediction>> BASE_PREDICTIONS = new HashMap<>();

    static synchronized Map<String, Prediction> basePredictions(Family f) throws Exception {
        Map<String, Prediction> cached = BASE_PREDICTIONS.get(f.name());
        if (cached != null) {
            return cached;
        }
        Live live = new Live(f);
        try {
            for (Example e : f.examples()) {
                live.h.processElement(new Sourced<>(e, 0, live.offset++), 0);
            }
            assertThat(live.h.deadLetters()).as("%s: dead letters of the base snapshot", f.name()).isEmpty();
            Map<String, Prediction> byId = new LinkedHashMap<>();
            for (Prediction p : live.h.extractOutputValues()) {
                assertThat(p.getModelVersion()).isEqualTo(BASE_VERSION);
                byId.put(p.getId(), p);
            }
            BASE_PREDICTIONS.put(f.name(), byId);
            return byId;
        } finally {
            live.close();
        }
    }

    @Test
    @Order(3)
    void noModelRecordCrashesTheServeJobOrLeavesItsTaskUnanswered() throws Exception {
        Map<String, List<String>> failures = fuzz(SEED, TRIALS);
        int failureCount = failures.values().stream().mapToInt(List::size).sum();
        assertThat(failures).as("model records that crashed the serve operator, or left examples unanswered or its "
                + "task unserved (%d in %d groups):%n%s", failureCount, failures.size(), report(failures)).isEmpty();
    }

    /** Runs {@code trials} trials from {@code seed}; the failures by group. */
    private static Map<String, List<String>> fuzz(long seed, int trials) throws Exception {
        List<Family> all = families();
        Map<String, Map<String, Prediction>> base = new HashMap<>();
        for (Family f : all) {
            base.put(f.name(), basePredictions(f));
        }
        Random random = new Random(seed);
        Map<String, Live> lives = new HashMap<>();
        Map<String, Integer> tally = new TreeMap<>();
        Map<String, List<String>> failures = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        int hugeRuns = 0;
        int fastFailRuns = 0;
        int denseRuns = 0;
        long started = System.nanoTime();
        try {
            for (int trial = 0; trial < trials; trial++) {
                Family f = all.get(trial % all.size());
                Mutant m = mutant(f, all, random);
                if (m.declaredParameters() > HUGE_PARAMETERS && m.failsFast() && fastFailRuns < FAST_FAIL_RUNS) {
                    fastFailRuns++;
                    tally.merge("ran.hugeFailingFast", 1, Integer::sum);
                } else if (m.declaredParameters() > HUGE_PARAMETERS && m.dense() && denseRuns < DENSE_RUNS) {
                    denseRuns++;
                    tally.merge("ran.hugeDense", 1, Integer::sum);
                } else if (m.declaredParameters() > HUGE_PARAMETERS) {
                    if (hugeRuns >= HUGE_RUNS) {
                        tally.merge("skipped.hugeDeclared", 1, Integer::sum);
                        if (skipped.size() < 12) {
                            skipped.add("trial " + trial + " " + f.name() + " declares " + m.declaredParameters()
                                    + " parameters in " + m.parameterBytes() + " bytes: " + m.description());
                        }
                        continue;
                    }
                    hugeRuns++;
                    tally.merge("ran.hugeDeclared", 1, Integer::sum);
                }
                Live live = lives.get(f.name());
                if (live == null) {
                    live = new Live(f);
                    lives.put(f.name(), live);
                } else {
                    live.reset();
                }
                String outcome = runTrial(trial, live, m, base.get(f.name()), failures);
                tally.merge(outcome, 1, Integer::sum);
                if (outcome.startsWith("THREW")) {
                    live.close();
                    lives.remove(f.name());
                }
            }
        } finally {
            lives.values().forEach(Live::close);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        int failureCount = failures.values().stream().mapToInt(List::size).sum();
        System.out.printf("SnapshotFuzzTest: seed %d, %d trials, %.1f s, %d failures in %d groups%n  tally %s%n", seed,
                trials, seconds, failureCount, failures.size(), tally);
        if (!skipped.isEmpty()) {
            System.out.println("  skipped (declared size above fuzz.hugeParameters after fuzz.hugeRuns runs), first "
                    + skipped.size() + ":");
            skipped.forEach(s -> System.out.println("    " + s));
        }
        if (VERBOSE) {
            REASONS.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(40)
                    .forEach(e -> System.out.println("  " + e.getValue() + "\t" + e.getKey()));
        }
        System.out.println(report(failures));
        return failures;
    }

    private static String report(Map<String, List<String>> failures) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, List<String>> e : failures.entrySet()) {
            out.append("\n=== ").append(e.getValue().size()).append(" x ").append(e.getKey()).append('\n');
            List<String> shown = e.getValue().subList(0, Math.min(VERBOSE ? 20 : 3, e.getValue().size()));
            shown.forEach(s -> out.append(s).append('\n'));
        }
        return out.toString();
    }

    // ---- what the fuzz found, as fixed inputs ----

    /** A fixed mutation of one family's parameter bytes, built from what the fuzz found. */
    record Found(String family, String description, Function<byte[], byte[]> mutation) {}

    /**
     * The fuzz's findings (see the class comment), each as the smallest mutation that shows it, run whatever the fuzz
     * draws. Sizes are chosen so that the first array too big is bigger than the test JVM's heap: it fails at once
     * rather than after allocating gigabytes (the fuzz found {@code output.dim := 1000000}, which allocates 4 GiB
     * first, on a 6 GiB heap).
     */
    static List<Found> found() {
        return List.of(
                new Found("label-doctor-net-mlp", "embedded specs: numClasses := 2147483647",
                        b -> {
                            byte[] c = b;
                            for (int i = specSlots(b).size() - 1; i >= 0; i--) {
                                c = editSpec(c, i, spec -> spec.put("numClasses", Integer.MAX_VALUE));
                            }
                            return c;
                        }),
                new Found("wide-deep", "embedded spec: embeddings.buckets := 500000000 (x dim 4 floats per table)",
                        b -> editSpec(b, 0, spec -> ((ObjectNode) spec.get("embeddings")).put("buckets", 500_000_000))),
                new Found("large-sampled", "embedded spec: output.dim := 32000 (2^16 buckets x 32000 floats)",
                        b -> editSpec(b, 0, spec -> ((ObjectNode) spec.get("output")).put("dim", 32_000))),
                new Found("label-weighted-doctor-net", "item label history: maxLabelsPerItem int := Integer.MAX_VALUE",
                        b -> forgeHistoryMaxLabels(b, families().get(4).base().getSpec())),
                new Found("hashed-softmax", "embedded spec: hashing.bits := 29, numClasses := 3 (3 x (2^29 + 1) weights)",
                        b -> editSpec(b, 0, spec -> {
                            ((ObjectNode) spec.get("hashing")).put("bits", 29);
                            spec.put("inputDim", 1 << 29).put("numClasses", 3);
                        })),
                new Found("label-dawid-skene", "item label history: maxLabelsPerItem int := Integer.MAX_VALUE",
                        b -> forgeHistoryMaxLabels(b, DAWID_SKENE_SPEC)),
                new Found("label-doctor-net-mlp", "item label history: maxLabelsPerItem int := Integer.MAX_VALUE",
                        b -> forgeHistoryMaxLabels(b, DOCTOR_NET_SPEC)),
                new Found("large-hierarchical", "embedded spec: output.dim := 2000000 (2^10 buckets x 2e6 floats)",
                        b -> editSpec(b, 0, spec -> ((ObjectNode) spec.get("output")).put("dim", 2_000_000))),
                new Found("wide-deep", "embedded spec: hashing.bits := 29, numClasses := 3 (the wide part's weights)",
                        b -> editSpec(b, 0, spec -> {
                            ((ObjectNode) spec.get("hashing")).put("bits", 29);
                            spec.put("inputDim", 1 << 29).put("numClasses", 3);
                        })),
                new Found("hashed-softmax", "one bit flipped in the embedded spec: hashing field \"country\" -> "
                        + "\"counTry\"", b -> {
                            int[] slot = specSlots(b).get(0);
                            String json = new String(b, slot[0] + 4, slot[1], StandardCharsets.UTF_8);
                            int at = slot[0] + 4 + json.indexOf("\"country\"") + 5;
                            byte[] c = b.clone();
                            c[at] ^= 0x20;
                            return c;
                        }));
    }

    /** First: the JVM gives only its first few OutOfMemoryErrors a stack trace (PreallocatedOutOfMemoryErrorCount). */
    @Test
    @Order(2)
    void theRecordsTheFuzzFoundAreDeadLetteredAndThePreviousModelKeepsServing() throws Exception {
        Map<String, List<String>> failures = new LinkedHashMap<>();
        int n = 0;
        for (Found found : found()) {
            Family f = families().stream().filter(x -> x.name().equals(found.family())).findFirst().orElseThrow();
            byte[] params = found.mutation().apply(f.bytes());
            ModelSnapshot snapshot = ModelSnapshot.newBuilder(f.base()).setVersion(MUTANT_VERSION)
                    .setParameters(ByteBuffer.wrap(params)).build();
            Mutant m = new Mutant(List.of(record(snapshot, 100)), snapshot, false, found.description(),
                    declaredParameters(params), params);
            Live live = new Live(f);
            try {
                String outcome = runTrial(n++, live, m, basePredictions(f), failures);
                String letters = outcome.startsWith("THREW") ? "" : live.h.deadLetters().stream()
                        .map(d -> d.getTopic() + ": " + truncate(d.getReason(), 240)).toList().toString();
                if (VERBOSE) {
                    System.out.println("SnapshotFuzzTest found: [" + f.name() + "] " + found.description() + " -> "
                            + outcome + " " + letters);
                }
            } finally {
                live.close();
            }
        }
        String report = report(failures);
        System.out.println("SnapshotFuzzTest, the fuzz's findings:" + report);
        assertThat(failures).as("found records that crashed the serve operator or left its task unserved:%n%s",
                report).isEmpty();
    }

    /** {@code b} with its {@code index}th embedded spec edited by {@code edit}. */
    static byte[] editSpec(byte[] b, int index, java.util.function.Consumer<ObjectNode> edit) {
        int[] slot = specSlots(b).get(index);
        try {
            ObjectNode spec = (ObjectNode) JSON.readTree(new String(b, slot[0] + 4, slot[1], StandardCharsets.UTF_8));
            edit.accept(spec);
            return replaceSpec(b, slot, spec.toString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code b}, a label model's bytes, with its item label history's {@code maxLabelsPerItem} (the int after its
     * {@code maxItems} int and {@code maxAge} long) set to {@link Integer#MAX_VALUE}.
     */
    static byte[] forgeHistoryMaxLabels(byte[] b, String specJson) {
        var config = ModelSpec.parse(specJson).labelModel();
        for (int p = 0; p + 16 <= b.length; p++) {
            if (readInt(b, p) == config.historyItems() && readLong(b, p + 4) == config.historyMaxAge()
                    && readInt(b, p + 12) == config.maxLabelsPerItem()) {
                byte[] c = b.clone();
                writeInt(c, p + 12, Integer.MAX_VALUE);
                if (VERBOSE) {
                    System.out.println("SnapshotFuzzTest found: item label history maxLabelsPerItem "
                            + readInt(b, p + 12) + " is the int at @" + (p + 12) + " of " + b.length + " bytes");
                }
                return c;
            }
        }
        throw new IllegalStateException("no item label history of " + config + " in the bytes");
    }

    // ---- one trial ----

    /**
     * The records of one mutant and what is known of it: the snapshot as the serve job will decode it (null if the
     * record was mutated after encoding and does not decode here either), whether it travels as parts, and the
     * parameters' size and the largest parameter count its embedded specs declare.
     */
    record Mutant(List<KafkaRecord> records, ModelSnapshot decoded, boolean parts, String description,
            long declaredParameters, byte[] parameters) {
        int parameterBytes() {
            return parameters.length;
        }

        /**
         * Whether its specs declare no table that the sparse formats allocate whole (dense and label models, whose
         * readers check each declared size against the bytes before allocating it).
         */
        boolean dense() {
            return declaredTables(parameters)[0] == 0;
        }

        /** Whether loading it cannot allocate gigabytes before failing: its one table too big fails at once. */
        boolean failsFast() {
            long[] tables = declaredTables(parameters);
            return tables[0] * Float.BYTES > Runtime.getRuntime().maxMemory()
                    && tables[1] * Float.BYTES * 4 < 256L << 20;
        }
    }

    private static String runTrial(int trial, Live live, Mutant m, Map<String, Prediction> base,
            Map<String, List<String>> failures) {
        Family f = live.family;
        String what = "trial " + trial + " [" + f.name() + "] " + m.description();
        for (KafkaRecord r : m.records()) {
            if (r.key != null) {
                String key = new String(r.key, StandardCharsets.UTF_8);
                int hash = key.lastIndexOf('#');
                live.touchedKeys.add(m.parts() && hash > 0 ? key.substring(0, hash) : key);
            }
        }
        if (m.decoded() != null) {
            live.touchedKeys.add(m.decoded().getTask() + "/" + m.decoded().getVariant());
        }
        double swapped = live.counter("modelsSwapped");
        double ignored = live.counter("modelsIgnored");
        double rejected = live.counter("modelsRejected");
        double refused = live.counter("modelsRefused");
        double otherVariants = live.counter("modelsOfOtherVariants");
        int i = 0;
        try {
            for (KafkaRecord r : m.records()) {
                live.h.processBroadcastElement(r, 0);
                i++;
            }
        } catch (Throwable t) {
            fail(failures, t, "model record " + (i + 1) + " of " + m.records().size(), what);
            return "THREW.onModelRecord";
        }
        List<Prediction> predictions;
        List<DeadLetter> exampleLetters;
        try {
            for (Example e : f.examples()) {
                live.h.processElement(new Sourced<>(e, 0, live.offset++), 0);
            }
            predictions = live.h.extractOutputValues();
            exampleLetters = live.h.deadLetters().stream().filter(d -> EXAMPLES_TOPIC.equals(d.getTopic())).toList();
        } catch (Throwable t) {
            fail(failures, t, "an example after the model record", what);
            return "THREW.onExample";
        }
        long modelLetters = live.h.deadLetters().stream().filter(d -> MODELS_TOPIC.equals(d.getTopic())).count();
        if (VERBOSE) {
            live.h.deadLetters().stream().filter(l -> MODELS_TOPIC.equals(l.getTopic()))
                    .forEach(l -> REASONS.merge(shortReason(l.getReason()), 1, Integer::sum));
        }
        boolean wasSwapped = live.counter("modelsSwapped") > swapped;
        boolean wasIgnored = live.counter("modelsIgnored") > ignored;
        boolean wasRejected = live.counter("modelsRejected") > rejected;
        boolean wasRefused = live.counter("modelsRefused") > refused;
        boolean wasOtherVariant = live.counter("modelsOfOtherVariants") > otherVariants;
        ModelSnapshot d = m.decoded();
        boolean sameKey = d != null && d.getTask().equals(f.task()) && d.getVariant().equals(VARIANT);
        String outcome = wasSwapped ? (sameKey ? "swapped" : "swapped.otherKey") : wasRejected ? "rejected"
                : wasRefused ? "refused" : wasIgnored ? "ignored" : wasOtherVariant ? "otherVariant"
                : m.parts() ? "pending" : "none";

        if (predictions.size() + exampleLetters.size() != f.examples().size()) {
            failures.computeIfAbsent("SILENTLY DROPPED: examples neither predicted nor dead-lettered",
                    k -> new ArrayList<>()).add(what + "\n    " + f.examples().size() + " examples, "
                    + predictions.size() + " predictions, " + exampleLetters.size() + " dead letters; record "
                    + outcome);
        }
        if (outcome.equals("none") && d != null && !m.parts()) {
            failures.computeIfAbsent("SILENTLY DROPPED: a whole model record neither swapped, ignored, rejected nor "
                    + "refused", k -> new ArrayList<>()).add(what);
        }
        if ((wasRejected || wasRefused) && modelLetters == 0) {
            failures.computeIfAbsent("SILENTLY DROPPED: a rejected model record without a dead letter",
                    k -> new ArrayList<>()).add(what);
        }
        if (predictions.isEmpty()) {
            String reasons = exampleLetters.stream().map(DeadLetter::getReason).distinct().limit(2)
                    .map(r -> r.length() > 300 ? r.substring(0, 300) + "..." : r).toList().toString();
            failures.computeIfAbsent("TASK UNANSWERED: no example of the task predicted after the record (" + outcome
                    + ")", k -> new ArrayList<>()).add(what + "\n    dead letters: " + reasons);
        }
        boolean newServes = wasSwapped && sameKey;
        for (Prediction p : predictions) {
            if (newServes) {
                if (p.getModelVersion() != d.getVersion()) {
                    failures.computeIfAbsent("WRONG MODEL: an accepted model's version does not answer",
                            k -> new ArrayList<>()).add(what + "\n    answered by version " + p.getModelVersion());
                }
            } else if (p.getModelVersion() != BASE_VERSION || !same(p, base.get(p.getId()))) {
                failures.computeIfAbsent("PREVIOUS MODEL DID NOT KEEP SERVING after a record that was not swapped in ("
                        + outcome + ")", k -> new ArrayList<>()).add(what + "\n    got version "
                        + p.getModelVersion() + ", probabilities " + p.getProbabilities() + " value "
                        + p.getPredictedValue() + " top " + p.getTopClasses());
                break;
            }
        }
        return outcome;
    }

    /** With {@code fuzz.verbose}: the models' dead letters' reasons, numbers masked, by count. */
    private static final Map<String, Integer> REASONS = new TreeMap<>();

    private static String shortReason(String reason) {
        String why = reason.replaceAll("^model \\S+ version -?[0-9]+: ", "").replaceAll("-?[0-9][-0-9.E,x]*", "#");
        return why.substring(0, Math.min(120, why.length()));
    }

    private static boolean same(Prediction p, Prediction expected) {
        return expected != null && Objects.equals(p.getProbabilities(), expected.getProbabilities())
                && Objects.equals(p.getPredictedValue(), expected.getPredictedValue())
                && Objects.equals(p.getPredictedClass(), expected.getPredictedClass())
                && Objects.equals(p.getTopClasses(), expected.getTopClasses())
                && Objects.equals(p.getTopProbabilities(), expected.getTopProbabilities());
    }

    private static void fail(Map<String, List<String>> failures, Throwable t, String phase, String what) {
        StackTraceElement origin = origin(t);
        StackTraceElement serve = frameOf(t, ServeFunction.class.getName());
        String group = "THREW " + t.getClass().getName() + " at " + (origin == null
                ? "? (no stack trace: \"" + t.getMessage() + "\"; the JVM fills in only its first few OutOfMemoryErrors)"
                : origin)
                + (serve == null ? "" : " via " + serve) + " (on " + (phase.startsWith("model") ? "the model record"
                : "an example") + ")";
        StringBuilder s = new StringBuilder(what).append("\n    on ").append(phase).append(": ")
                .append(t.getClass().getName()).append(": ").append(truncate(String.valueOf(t.getMessage()), 400));
        StackTraceElement[] frames = t.getStackTrace();
        for (int k = 0; k < Math.min(frames.length, 14); k++) {
            s.append("\n      at ").append(frames[k]);
        }
        if (t.getCause() != null) {
            s.append("\n    caused by ").append(t.getCause());
        }
        failures.computeIfAbsent(group, k -> new ArrayList<>()).add(s.toString());
    }

    /** The first frame of Chorus main code (model-core, jobs), not this test's. */
    private static StackTraceElement origin(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            String c = e.getClassName();
            if (c.startsWith("dev.chorus.") && !c.startsWith(SnapshotFuzzTest.class.getName())
                    && !c.equals(ServeHarness.class.getName()) && !c.endsWith("KeyedBroadcastHarness")) {
                return e;
            }
        }
        return t.getStackTrace().length > 0 ? t.getStackTrace()[0] : null;
    }

    private static StackTraceElement frameOf(Throwable t, String className) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(className)) {
                return e;
            }
        }
        return null;
    }

    private static String truncate(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n) + "...";
    }

    // ---- mutants ----

    private static Mutant mutant(Family f, List<Family> all, Random random) {
        List<String> ops = new ArrayList<>();
        byte[] params = f.bytes().clone();
        ModelSnapshot.Builder b = ModelSnapshot.newBuilder(f.base()).setVersion(MUTANT_VERSION);
        int kind = random.nextInt(100);
        boolean bytes = kind < 88;
        boolean fields = kind >= 65;
        if (bytes) {
            for (int n = 1 + random.nextInt(random.nextInt(4) == 0 ? 4 : 2); n > 0; n--) {
                params = mutateBytes(params, f, all, random, ops);
            }
        }
        b.setParameters(ByteBuffer.wrap(params));
        if (fields) {
            for (int n = 1 + random.nextInt(2); n > 0; n--) {
                mutateField(b, f, all, random, ops);
            }
        }
        ModelSnapshot snapshot = b.build();
        params = bytesOf(snapshot.getParameters());
        long declared = declaredParameters(params);
        int delivery = random.nextInt(100);
        List<KafkaRecord> records = new ArrayList<>();
        long offset = 1_000_000L + random.nextInt(1_000_000);
        if (delivery < 9) {
            byte[] encoded = CODEC.encode(withFreshParameters(snapshot));
            byte[] mutated = mutateEncoded(encoded, random, ops);
            ModelSnapshot decoded;
            try {
                decoded = CODEC.decode(mutated);
            } catch (Throwable t) {
                decoded = null;
            }
            byte[] key = random.nextInt(8) == 0 ? null : SnapshotChunks.key(snapshot).getBytes(StandardCharsets.UTF_8);
            records.add(new KafkaRecord(MODELS_TOPIC, 0, offset, 0, key, mutated));
            boolean parts = decoded != null && SnapshotChunks.isPart(decoded);
            return new Mutant(records, decoded, parts || decoded == null, String.join("; ", ops), declared,
                    params);
        }
        if (delivery < 22 && params.length >= 3 && !SnapshotChunks.isPart(snapshot)) {
            List<ModelSnapshot> parts = new ArrayList<>(SnapshotChunks.split(snapshot, params.length / 3 + 1));
            String how = "delivered as " + (parts.size() - 1) + " chunks and a manifest";
            int order = random.nextInt(4);
            if (order == 1) {
                Collections.shuffle(parts, random);
                how += ", shuffled";
            } else if (order == 2) {
                int drop = random.nextInt(parts.size());
                how += ", part " + drop + " missing";
                parts.remove(drop);
            } else if (order == 3) {
                int k = random.nextInt(parts.size());
                ModelSnapshot part = parts.get(k);
                ModelSnapshot.Builder pb = ModelSnapshot.newBuilder(part);
                switch (random.nextInt(5)) {
                    case 0 -> {
                        pb.setChunks(pick(random, 0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 4097, part.getChunks() + 1));
                        how += ", part " + k + " chunks := " + pb.getChunks();
                    }
                    case 1 -> {
                        pb.setChunk(pick(random, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, part.getChunks(), 0));
                        how += ", part " + k + " chunk := " + pb.getChunk();
                    }
                    case 2 -> {
                        byte[] digest = new byte[pick(random, 0, 31, 32, 33)];
                        pb.setDigest(ByteBuffer.wrap(digest));
                        how += ", part " + k + " digest := " + digest.length + " zero bytes";
                    }
                    case 3 -> {
                        byte[] p = bytesOf(part.getParameters());
                        p = p.length == 0 ? new byte[] {1} : flipBits(p, random, 1);
                        pb.setParameters(ByteBuffer.wrap(p));
                        how += ", part " + k + " parameters bit-flipped";
                    }
                    default -> {
                        pb.setVersion(pick(random, 1L, 3L, Long.MAX_VALUE, -1L));
                        how += ", part " + k + " version := " + pb.getVersion();
                    }
                }
                parts.set(k, pb.build());
                parts.add(parts.get(random.nextInt(parts.size())));
                how += ", one part repeated";
            }
            ops.add(how);
            for (ModelSnapshot part : parts) {
                records.add(record(part, offset++));
            }
            return new Mutant(records, snapshot, true, String.join("; ", ops), declared, params);
        }
        records.add(record(snapshot, offset));
        if (SnapshotChunks.isPart(snapshot) && random.nextBoolean() && snapshot.getChunk() != null) {
            // a manifest that matches the forged part, so that the part may complete a version
            ModelSnapshot manifest = ModelSnapshot.newBuilder(snapshot).setChunk(null)
                    .setParameters(ByteBuffer.allocate(0)).build();
            records.add(record(manifest, offset + 1));
            ops.add("followed by its manifest");
        }
        return new Mutant(records, snapshot, SnapshotChunks.isPart(snapshot), String.join("; ", ops), declared,
                params);
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... values) {
        return values[random.nextInt(values.length)];
    }

    // ---- record fields ----

    private static void mutateField(ModelSnapshot.Builder b, Family f, List<Family> all, Random random,
            List<String> ops) {
        switch (random.nextInt(12)) {
            case 0, 1 -> {
                long v = pick(random, Long.MAX_VALUE, Long.MIN_VALUE, -1L, 0L, BASE_VERSION, 3L,
                        (long) Integer.MAX_VALUE);
                b.setVersion(v);
                ops.add("version := " + v);
            }
            case 2 -> {
                String task = pick(random, "", f.task() + "-other", "x".repeat(300), f.task() + "/x",
                        f.task() + "#0", "\u0000", "t\u00fc", all.get(random.nextInt(all.size())).task());
                b.setTask(task);
                ops.add("task := \"" + truncate(task, 20) + "\"");
            }
            case 3 -> {
                String variant = pick(random, "", "other", "default#1", "default/x", "x".repeat(300));
                b.setVariant(variant);
                ops.add("variant := \"" + truncate(variant, 20) + "\"");
            }
            case 4 -> {
                String algorithm = pick(random, "skip-gram", "mlp", "", "wide-deep", "large-softmax", "nonsense",
                        "softmax-regression");
                b.setAlgorithm(algorithm);
                ops.add("algorithm := \"" + algorithm + "\"");
            }
            case 5 -> {
                String spec = pick(random, "", "{", "null", "{\"algorithm\":\"mlp\"}",
                        all.get(random.nextInt(all.size())).base().getSpec(), TokenSequences.SPEC);
                b.setSpec(spec);
                ops.add("spec string := " + truncate(spec.replace('\n', ' '), 40));
            }
            case 6 -> {
                int format = pick(random, -1, 0, 99, Integer.MAX_VALUE, Integer.MIN_VALUE);
                b.setParametersFormat(format);
                ops.add("parametersFormat := " + format);
            }
            case 7 -> {
                long seen = pick(random, -1L, Long.MIN_VALUE, Long.MAX_VALUE);
                b.setExamplesSeen(seen);
                b.setCreatedAt(pick(random, -1L, Long.MIN_VALUE, Long.MAX_VALUE));
                ops.add("examplesSeen := " + seen + ", createdAt := " + b.getCreatedAt());
            }
            case 8 -> {
                Map<String, Double> metrics = new HashMap<>();
                metrics.put("accuracy", Double.NaN);
                metrics.put("", Double.NEGATIVE_INFINITY);
                b.setMetrics(metrics);
                b.setProvenance(Map.of("", "x".repeat(1000)));
                b.setGeneration(pick(random, -1L, Long.MIN_VALUE, Long.MAX_VALUE));
                ops.add("metrics NaN/-Inf, odd provenance, generation := " + b.getGeneration());
            }
            case 9 -> {
                // skip-gram bytes under another label, or the family's own bytes labelled skip-gram
                if (random.nextBoolean()) {
                    b.setParameters(ByteBuffer.wrap(skipGramBytes.clone()));
                    ops.add("parameters := a skip-gram model's bytes (algorithm kept \"" + b.getAlgorithm() + "\")");
                } else {
                    b.setAlgorithm("skip-gram");
                    b.setSpec(TokenSequences.SPEC);
                    ops.add("algorithm := \"skip-gram\", spec := skip-gram's");
                }
            }
            default -> {
                // forged chunk fields on what is otherwise a whole snapshot
                Integer chunks = pick(random, null, 1, 0, -1, 3, SnapshotChunks.MAX_CHUNKS,
                        SnapshotChunks.MAX_CHUNKS + 1, Integer.MAX_VALUE, Integer.MIN_VALUE);
                Integer chunk = pick(random, null, 0, -1, 1, Integer.MAX_VALUE, Integer.MIN_VALUE);
                int digest = pick(random, -1, 0, 32, 33, 32);
                b.setChunks(chunks);
                b.setChunk(chunk);
                byte[] d = digest < 0 ? null : digest == 32 && random.nextBoolean()
                        ? SnapshotChunks.sha256(b.getParameters().duplicate()) : new byte[digest];
                b.setDigest(d == null ? null : ByteBuffer.wrap(d));
                ops.add("chunk := " + chunk + ", chunks := " + chunks + ", digest := "
                        + (d == null ? "null" : d.length + " bytes"));
            }
        }
    }

    // ---- parameter bytes ----

    private static final int[] FORGED_INTS = {0, -1, 1, 2, 3, 7, 255, 65_536, 1 << 20, 1 << 22, Integer.MAX_VALUE - 8,
        Integer.MAX_VALUE, Integer.MIN_VALUE, 0x80000001};
    /** Extremes; none between 2^22 and 2^31 - 9, which could make the JVM allocate gigabytes before failing. */
    private static final int[] EXTREME_INTS = {Integer.MAX_VALUE - 8, Integer.MAX_VALUE, Integer.MIN_VALUE, -1,
        1 << 22};
    private static final long[] FORGED_LONGS = {0, -1, 1, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE + 1L};
    private static final int[] ODD_FLOATS = {0x7FC00000, 0x7F800000, 0xFF800000, 0x7F7FFFFF, 0xFFFFFFFF, 0x00000001};
    private static final byte[] EXTREME_BYTES = {0, (byte) 0xFF, 0x7F, (byte) 0x80};

    private static byte[] mutateBytes(byte[] b, Family f, List<Family> all, Random random, List<String> ops) {
        int kind = random.nextInt(100);
        if (kind < 8) {
            int n = 1 + random.nextInt(8);
            ops.add("flip " + n + " bits");
            return b.length == 0 ? b : flipBits(b, random, n);
        } else if (kind < 14) {
            byte[] c = b.clone();
            int n = 1 + random.nextInt(4);
            StringBuilder s = new StringBuilder("bytes");
            for (int k = 0; k < n && c.length > 0; k++) {
                int at = random.nextInt(c.length);
                c[at] = EXTREME_BYTES[random.nextInt(EXTREME_BYTES.length)];
                s.append(" @").append(at).append(":=0x").append(String.format("%02X", c[at]));
            }
            ops.add(s.toString());
            return c;
        } else if (kind < 44) {
            return forgeInt(b, random, ops);
        } else if (kind < 49) {
            return forgeLong(b, random, ops);
        } else if (kind < 55) {
            byte[] c = b.clone();
            int n = 1 + random.nextInt(6);
            for (int k = 0; k < n && c.length >= 4; k++) {
                int at = random.nextInt(c.length - 3);
                writeInt(c, at, ODD_FLOATS[random.nextInt(ODD_FLOATS.length)]);
            }
            ops.add(n + " non-finite or extreme floats written at random offsets");
            return c;
        } else if (kind < 60) {
            int cut = b.length == 0 ? 0 : random.nextInt(b.length);
            ops.add("truncate to " + cut + " of " + b.length + " bytes");
            return Arrays.copyOf(b, cut);
        } else if (kind < 64) {
            int extra = 1 + random.nextInt(64);
            byte[] c = Arrays.copyOf(b, b.length + extra);
            String how = "zeros";
            if (random.nextBoolean()) {
                for (int k = b.length; k < c.length; k++) {
                    c[k] = (byte) random.nextInt(256);
                }
                how = "random bytes";
            }
            ops.add("extend by " + extra + " " + how);
            return c;
        } else if (kind < 70) {
            Family donor = all.get(random.nextInt(all.size()));
            byte[] other = random.nextInt(8) == 0 ? skipGramBytes : donor.bytes();
            int head = random.nextInt(b.length + 1);
            int tail = random.nextInt(other.length + 1);
            byte[] c = Arrays.copyOf(b, head + other.length - tail);
            System.arraycopy(other, tail, c, head, other.length - tail);
            ops.add("splice: first " + head + " bytes, then " + (other == skipGramBytes ? "skip-gram" : donor.name())
                    + "'s bytes from " + tail);
            return c;
        } else if (kind < 95) {
            return mutateSpec(b, all, random, ops);
        } else {
            // the whole embedded spec of another family
            List<int[]> slots = specSlots(b);
            Family donor = all.get(random.nextInt(all.size()));
            List<int[]> donorSlots = specSlots(donor.bytes());
            if (slots.isEmpty() || donorSlots.isEmpty()) {
                return forgeInt(b, random, ops);
            }
            int[] slot = slots.get(random.nextInt(slots.size()));
            int[] from = donorSlots.get(random.nextInt(donorSlots.size()));
            String json = new String(donor.bytes(), from[0] + 4, from[1], StandardCharsets.UTF_8);
            ops.add("embedded spec @" + slot[0] + " := " + donor.name() + "'s " + json);
            return replaceSpec(b, slot, json);
        }
    }

    static byte[] flipBits(byte[] bytes, Random random, int n) {
        byte[] flipped = bytes.clone();
        for (int k = 0; k < n; k++) {
            int bit = random.nextInt(flipped.length * 8);
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        return flipped;
    }

    /** An int field: a big-endian int of a small value (a count, a length, a dimension), outside the spec JSON. */
    private static byte[] forgeInt(byte[] b, Random random, List<String> ops) {
        if (b.length < 4) {
            ops.add("(too short to forge an int)");
            return b;
        }
        List<Integer> candidates = new ArrayList<>();
        boolean[] inSpec = specMask(b);
        for (int p = 0; p + 4 <= b.length; p++) {
            int v = readInt(b, p);
            if (!inSpec[p] && v > 0 && v <= 1 << 20) {
                candidates.add(p);
            }
        }
        int at = candidates.isEmpty() ? random.nextInt(b.length - 3) : candidates.get(random.nextInt(candidates.size()));
        int was = readInt(b, at);
        int v = switch (random.nextInt(8)) {
            case 0 -> was + 1;
            case 1 -> was - 1;
            case 2 -> was * 2;
            case 3, 4 -> EXTREME_INTS[random.nextInt(EXTREME_INTS.length)];
            default -> FORGED_INTS[random.nextInt(FORGED_INTS.length)];
        };
        byte[] c = b.clone();
        writeInt(c, at, v);
        ops.add("int @" + at + " (was " + was + ") := " + v);
        return c;
    }

    private static byte[] forgeLong(byte[] b, Random random, List<String> ops) {
        if (b.length < 8) {
            return forgeInt(b, random, ops);
        }
        List<Integer> candidates = new ArrayList<>();
        boolean[] inSpec = specMask(b);
        for (int p = 0; p + 8 <= b.length; p++) {
            long v = readLong(b, p);
            if (!inSpec[p] && v > 0 && v <= 1L << 40) {
                candidates.add(p);
            }
        }
        int at = candidates.isEmpty() ? random.nextInt(b.length - 7) : candidates.get(random.nextInt(candidates.size()));
        long was = readLong(b, at);
        long v = FORGED_LONGS[random.nextInt(FORGED_LONGS.length)];
        byte[] c = b.clone();
        for (int k = 0; k < 8; k++) {
            c[at + k] = (byte) (v >>> (56 - 8 * k));
        }
        ops.add("long @" + at + " (was " + was + ") := " + v);
        return c;
    }

    static int readInt(byte[] b, int p) {
        return (b[p] & 0xFF) << 24 | (b[p + 1] & 0xFF) << 16 | (b[p + 2] & 0xFF) << 8 | (b[p + 3] & 0xFF);
    }

    static long readLong(byte[] b, int p) {
        return (long) readInt(b, p) << 32 | (readInt(b, p + 4) & 0xFFFFFFFFL);
    }

    static void writeInt(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
    }

    /** The embedded spec JSONs: {offset of the int length, length}, each starting {"algorithm". */
    static List<int[]> specSlots(byte[] b) {
        List<int[]> slots = new ArrayList<>();
        byte[] head = "{\"algorithm\"".getBytes(StandardCharsets.UTF_8);
        for (int p = 0; p + 4 + head.length <= b.length; p++) {
            boolean match = true;
            for (int k = 0; k < head.length && match; k++) {
                match = b[p + 4 + k] == head[k];
            }
            if (!match) {
                continue;
            }
            int length = readInt(b, p);
            if (length >= head.length && p + 4L + length <= b.length && b[p + 4 + length - 1] == '}') {
                slots.add(new int[] {p, length});
                p += 3 + length;
            }
        }
        return slots;
    }

    private static boolean[] specMask(byte[] b) {
        boolean[] mask = new boolean[b.length];
        for (int[] slot : specSlots(b)) {
            Arrays.fill(mask, slot[0], Math.min(b.length, slot[0] + 4 + slot[1]), true);
        }
        return mask;
    }

    private static byte[] replaceSpec(byte[] b, int[] slot, String json) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        int end = slot[0] + 4 + slot[1];
        byte[] c = new byte[slot[0] + 4 + j.length + (b.length - end)];
        System.arraycopy(b, 0, c, 0, slot[0]);
        writeInt(c, slot[0], j.length);
        System.arraycopy(j, 0, c, slot[0] + 4, j.length);
        System.arraycopy(b, end, c, slot[0] + 4 + j.length, b.length - end);
        return c;
    }

    /** The largest {@link ModelSpec#parameterCount()} of the specs embedded in {@code b} that parse; 0 if none. */
    static long declaredParameters(byte[] b) {
        long most = 0;
        for (int[] slot : specSlots(b)) {
            try {
                ModelSpec spec = ModelSpec.parse(new String(b, slot[0] + 4, slot[1], StandardCharsets.UTF_8));
                most = Math.max(most, spec.parameterCount());
            } catch (RuntimeException e) {
                // a spec that does not parse declares nothing
            }
        }
        return most;
    }

    /**
     * The floats of the largest table a spec embedded in {@code b} declares (hashed weights, embedding and output
     * tables, which the sparse formats allocate whole however few rows the bytes hold), and of all its other tables.
     */
    static long[] declaredTables(byte[] b) {
        long[] most = {0, 0};
        for (int[] slot : specSlots(b)) {
            try {
                ModelSpec spec = ModelSpec.parse(new String(b, slot[0] + 4, slot[1], StandardCharsets.UTF_8));
                List<Long> tables = new ArrayList<>();
                if (spec.hashing() != null && spec.output() == null) {
                    long outputs = spec.isClassifier() ? spec.classificationLoss().outputDim(spec.numClasses()) : 1;
                    tables.add((spec.hashing().dimension() + 1L) * outputs);
                }
                if (spec.embeddings() != null) {
                    spec.embeddings().fields().forEach(x -> tables.add(
                            (long) spec.embeddings().buckets() * spec.embeddings().dim()));
                }
                if (spec.output() != null) {
                    tables.add((long) spec.inputDim() * spec.output().dim());
                    tables.add((long) spec.numClasses() * spec.output().dim());
                }
                long largest = tables.stream().mapToLong(Long::longValue).max().orElse(0);
                long all = tables.stream().mapToLong(Long::longValue).sum();
                if (largest > most[0]) {
                    most[0] = largest;
                    most[1] = all - largest;
                }
            } catch (RuntimeException e) {
                // a spec that does not parse declares nothing
            }
        }
        return most;
    }

    // ---- the embedded spec JSON ----

    private static final long[] INTS = {0, -1, 1, 2, 3, 7, 16, 255, 1000, 65_536, 1_000_000, Integer.MAX_VALUE,
        Integer.MIN_VALUE, Integer.MAX_VALUE + 1L, Long.MAX_VALUE, Long.MIN_VALUE};
    private static final double[] DOUBLES = {0.0, -0.0, -1.0, 1.0, 2.0, 0.5, 0.999999, 1e-320, Double.MIN_VALUE,
        1e-45, 1e-10, 10, 1e10, 3.4e38, 1e39, 1e308, Double.MAX_VALUE};
    private static final Map<String, List<String>> LABELS = SpecPools.labels(Map.of(
            "algorithm", List.of("linear-regression", "logistic-regression", "softmax-regression", "linear-svm", "mlp",
                    "wide-deep", "large-softmax", "skip-gram"),
            "type", List.of("sgd", "adam", "ftrl", "adagrad", "rmsprop", "momentum", "nesterov", "sampled-softmax",
                    "negative-sampling", "hierarchical-softmax")));
    /** Keys a spec may gain, as JSON; {@code %d} and {@code %g} are filled from the pools. */
    private static final Map<String, List<String>> ADDITIONS = new TreeMap<>(Map.ofEntries(
            Map.entry("batchSize", List.of("%d", "1", "1000000", "2147483647")),
            Map.entry("numClasses", List.of("%d", "2", "3", "4", "1000")),
            Map.entry("inputDim", List.of("%d", "0", "1", "3", "5", "1000")),
            Map.entry("standardize", List.of("true", "false")),
            Map.entry("averaging", List.of("{\"decay\":%g}", "{\"decay\":0.9}")),
            Map.entry("layers", List.of("[{\"units\":%d}]", "[{\"units\":3,\"batchNorm\":true}]",
                    "[{\"units\":2},{\"units\":2,\"dropout\":%g}]")),
            Map.entry("labelModel", List.of("\"dawid-skene\"", "\"doctor-net\"", "\"weighted-doctor-net\"",
                    "\"weighted-doctor-net-paper\"", "\"majority\"",
                    "{\"method\":\"dawid-skene\",\"maxAnnotators\":%d}",
                    "{\"method\":\"soft\",\"maxAnnotators\":3,\"maxLabelsPerItem\":%d}",
                    "{\"method\":\"doctor-net\",\"maxAnnotators\":3,\"maxLabelsPerItem\":%d}",
                    "{\"method\":\"weighted-doctor-net\",\"maxAnnotators\":%d,\"historyItems\":%d}")),
            Map.entry("hashing", List.of("{\"bits\":%d}", "{\"bits\":1}", "{\"bits\":20}",
                    "{\"bits\":8,\"fields\":[\"user\",\"country\",\"words\",\"amount\"]}")),
            Map.entry("embeddings", List.of("{\"dim\":%d,\"buckets\":16,\"fields\":[\"user\"]}",
                    "{\"dim\":2,\"buckets\":%d,\"fields\":[\"user\",\"words\"],\"numeric\":[\"amount\"]}")),
            Map.entry("output", List.of("{\"type\":\"sampled-softmax\",\"samples\":%d,\"dim\":4,\"topK\":2}",
                    "{\"type\":\"hierarchical-softmax\",\"dim\":%d,\"topK\":1}",
                    "{\"type\":\"sampled-softmax\",\"samples\":4,\"dim\":2,\"topK\":%d}")),
            Map.entry("skipGram", List.of("{\"buckets\":%d,\"dim\":4}")),
            Map.entry("tokensField", List.of("\"tokens\"")),
            Map.entry("optimizer", List.of("{\"type\":\"sgd\",\"learningRate\":%g}", "{\"type\":\"adam\"}",
                    "{\"type\":\"ftrl\"}", "{\"type\":\"adagrad\"}", "{\"type\":\"momentum\",\"momentum\":%g}")),
            Map.entry("wideOptimizer", List.of("{\"type\":\"sgd\",\"learningRate\":%g}", "{\"type\":\"ftrl\"}")),
            Map.entry("loss", List.of("\"softmax-cross-entropy\"", "\"hinge\"", "\"squared-error\"", "\"logistic\""))));

    private static byte[] mutateSpec(byte[] b, List<Family> all, Random random, List<String> ops) {
        List<int[]> slots = specSlots(b);
        if (slots.isEmpty()) {
            return forgeInt(b, random, ops);
        }
        int[] slot = slots.get(random.nextInt(slots.size()));
        String json = new String(b, slot[0] + 4, slot[1], StandardCharsets.UTF_8);
        ObjectNode spec;
        try {
            spec = (ObjectNode) JSON.readTree(json);
        } catch (Exception e) {
            return forgeInt(b, random, ops);
        }
        List<String> changes = new ArrayList<>();
        for (int n = 1 + random.nextInt(2); n > 0; n--) {
            int kind = random.nextInt(100);
            if (kind < 12) {
                resize(spec, random, changes);
            } else if (kind < 36) {
                neutralChange(spec, random, changes);
            } else if (kind < 58) {
                replaceNumber(spec, random, changes);
            } else if (kind < 75) {
                addKey(spec, random, changes);
            } else if (kind < 85) {
                removeKey(spec, random, changes);
            } else {
                swapLabel(spec, random, changes);
            }
        }
        String mutated = spec.toString();
        ops.add("embedded spec @" + slot[0] + ": " + String.join(", ", changes));
        return replaceSpec(b, slot, mutated);
    }

    /**
     * Keys that change no size the saved bytes hold, so that a spec changed in them still loads: the mutant is then a
     * model the serve job accepts, with odd settings or names.
     */
    private static final Set<String> NEUTRAL = Set.of("batchSize", "topK", "learningRate", "dropout",
            "batchNormMomentum", "clipNorm", "l1", "l2", "seed", "maxLabelsPerItem", "historyItems", "historyMaxAge",
            "protectedLabels", "halfLifeLabels", "decay", "gamma", "initLimit", "momentum", "beta1", "beta2", "epsilon",
            "rho", "alpha", "beta", "samples", "negatives", "window", "maxTokens", "steps");

    private static void neutralChange(ObjectNode spec, Random random, List<String> changes) {
        List<Slot> slots = SpecPools.slots(spec, v -> true);
        slots.removeIf(s -> s.field() == null || !NEUTRAL.contains(s.field()) && !s.path().startsWith("hashing.")
                && !s.path().startsWith("embeddings.") && !s.field().equals("activation"));
        if (slots.isEmpty()) {
            replaceNumber(spec, random, changes);
            return;
        }
        Slot slot = slots.get(random.nextInt(slots.size()));
        JsonNode old = slot.get();
        JsonNode value;
        if (slot.field().equals("fields") || slot.field().equals("numeric") || slot.field().equals("interactions")) {
            ArrayNode array = JSON.createArrayNode();
            switch (random.nextInt(5)) {
                case 0 -> { } // empty: every field
                case 1 -> old.forEach(v -> array.add(v.isTextual() ? TextNode.valueOf(v.asText().toUpperCase()) : v));
                case 2 -> {
                    old.forEach(array::add);
                    array.add("country");
                    array.add("user");
                }
                case 3 -> array.addArray().add("words").add("words");
                default -> {
                    old.forEach(array::add);
                    array.add("");
                }
            }
            value = array;
        } else if (old.isTextual()) {
            value = TextNode.valueOf(slot.field().equals("activation")
                    ? LABELS.getOrDefault("activation", List.of("relu")).get(random.nextInt(4)) : old.asText() + "x");
        } else if (old.isIntegralNumber()) {
            long v = pick(random, 0L, -1L, 1L, 2L, (long) Integer.MAX_VALUE, (long) Integer.MIN_VALUE,
                    Integer.MAX_VALUE + 1L, Long.MAX_VALUE, 1_000_000L, 65_536L);
            value = v == (int) v ? IntNode.valueOf((int) v) : LongNode.valueOf(v);
        } else if (old.isNumber()) {
            value = DoubleNode.valueOf(DOUBLES[random.nextInt(DOUBLES.length)]);
        } else {
            replaceNumber(spec, random, changes);
            return;
        }
        slot.set(value);
        changes.add(slot.path() + " := " + value);
    }

    /** A size the spec's parser accepts, large or huge, kept consistent with the keys that must agree with it. */
    private static void resize(ObjectNode spec, Random random, List<String> changes) {
        int kind = random.nextInt(4);
        if (kind == 0 && spec.get("hashing") instanceof ObjectNode hashing) {
            int bits = pick(random, 16, 20, 24, 28, 29, 30);
            hashing.put("bits", bits);
            if (spec.has("inputDim")) {
                spec.put("inputDim", 1 << bits);
            }
            changes.add("hashing.bits := " + bits + (spec.has("inputDim") ? ", inputDim := 2^" + bits : ""));
        } else if (kind == 1 && spec.has("numClasses")) {
            int classes = pick(random, 3, 8, 1000, 65_536, 1_000_000);
            spec.put("numClasses", classes);
            changes.add("numClasses := " + classes);
        } else if (kind == 2 && spec.get("output") instanceof ObjectNode output) {
            int dim = pick(random, 64, 4096, 32_000, 2_000_000);
            output.put("dim", dim);
            changes.add("output.dim := " + dim);
        } else if (kind == 3 && spec.get("embeddings") instanceof ObjectNode embeddings) {
            String key = random.nextBoolean() ? "buckets" : "dim";
            int v = pick(random, 1 << 20, 1 << 24, 500_000_000);
            embeddings.put(key, v);
            changes.add("embeddings." + key + " := " + v);
        } else {
            replaceNumber(spec, random, changes);
        }
    }

    private static void replaceNumber(ObjectNode spec, Random random, List<String> changes) {
        List<Slot> numbers = SpecPools.slots(spec, JsonNode::isNumber);
        if (numbers.isEmpty()) {
            addKey(spec, random, changes);
            return;
        }
        Slot slot = numbers.get(random.nextInt(numbers.size()));
        boolean integral = slot.get().isIntegralNumber();
        int pick = random.nextInt(100);
        JsonNode value;
        if (pick < 3) {
            value = TextNode.valueOf(SpecPools.ODD_STRINGS[random.nextInt(SpecPools.ODD_STRINGS.length)]);
        } else if (pick < 6) {
            value = DecimalNode.valueOf(new BigDecimal(random.nextBoolean() ? "1e400" : "-1e400"));
        } else if (integral ? pick < 94 : pick < 25) {
            long v = INTS[random.nextInt(INTS.length)];
            if (integral && random.nextInt(4) == 0) {
                v = slot.get().asLong() + pick(random, 1L, -1L, 1L << 10);
            }
            value = v == (int) v ? IntNode.valueOf((int) v) : LongNode.valueOf(v);
        } else {
            value = DoubleNode.valueOf(DOUBLES[random.nextInt(DOUBLES.length)]);
        }
        slot.set(value);
        changes.add(slot.path() + " := " + value);
    }

    private static void addKey(ObjectNode spec, Random random, List<String> changes) {
        List<String> keys = new ArrayList<>(ADDITIONS.keySet());
        String key = keys.get(random.nextInt(keys.size()));
        List<String> templates = ADDITIONS.get(key);
        String value = fill(templates.get(random.nextInt(templates.size())), random);
        try {
            spec.set(key, JSON.readTree(value));
        } catch (Exception e) {
            throw new IllegalStateException("bad template value " + value, e);
        }
        changes.add(key + " := " + value);
    }

    private static String fill(String template, Random random) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == '%' && i + 1 < template.length() && (template.charAt(i + 1) == 'd' || template.charAt(i + 1) == 'g')) {
                boolean integral = template.charAt(++i) == 'd';
                out.append(integral ? Long.toString(INTS[random.nextInt(INTS.length)])
                        : DoubleNode.valueOf(DOUBLES[random.nextInt(DOUBLES.length)]).toString());
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static void removeKey(ObjectNode spec, Random random, List<String> changes) {
        List<Slot> members = SpecPools.slots(spec, v -> true);
        members.removeIf(s -> s.field() == null);
        if (members.isEmpty()) {
            return;
        }
        Slot slot = members.get(random.nextInt(members.size()));
        ((ObjectNode) slot.parent()).remove(slot.field());
        changes.add("removed " + slot.path());
    }

    private static void swapLabel(ObjectNode spec, Random random, List<String> changes) {
        List<Slot> strings = SpecPools.slots(spec, JsonNode::isTextual);
        strings.removeIf(s -> s.field() == null || !LABELS.containsKey(s.field()));
        if (strings.isEmpty()) {
            addKey(spec, random, changes);
            return;
        }
        Slot slot = strings.get(random.nextInt(strings.size()));
        List<String> labels = LABELS.get(slot.field());
        String label = labels.get(random.nextInt(labels.size()));
        slot.set(TextNode.valueOf(label));
        changes.add(slot.path() + " := \"" + label + "\"");
    }

    // ---- the encoded record ----

    private static byte[] mutateEncoded(byte[] encoded, Random random, List<String> ops) {
        int kind = random.nextInt(5);
        switch (kind) {
            case 0 -> {
                int n = 1 + random.nextInt(6);
                ops.add("encoded record: flip " + n + " bits");
                return flipBits(encoded, random, n);
            }
            case 1 -> {
                int cut = random.nextInt(encoded.length);
                ops.add("encoded record: truncated to " + cut + " of " + encoded.length + " bytes");
                return Arrays.copyOf(encoded, cut);
            }
            case 2 -> {
                byte[] c = encoded.clone();
                StringBuilder s = new StringBuilder("encoded record: bytes");
                for (int n = 1 + random.nextInt(3); n > 0; n--) {
                    int at = random.nextInt(Math.min(c.length, 64 + random.nextInt(c.length)));
                    c[at] = EXTREME_BYTES[random.nextInt(EXTREME_BYTES.length)];
                    s.append(" @").append(at).append(":=0x").append(String.format("%02X", c[at]));
                }
                ops.add(s.toString());
                return c;
            }
            case 3 -> {
                int extra = 1 + random.nextInt(32);
                byte[] c = Arrays.copyOf(encoded, encoded.length + extra);
                for (int k = encoded.length; k < c.length; k++) {
                    c[k] = (byte) random.nextInt(256);
                }
                ops.add("encoded record: " + extra + " random bytes appended");
                return c;
            }
            default -> {
                // a varint-looking byte early in the record (a length or a count) forged to a huge varint
                byte[] huge = {(byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F};
                int at = random.nextInt(Math.min(encoded.length, 48));
                byte[] c = new byte[encoded.length + huge.length - 1];
                System.arraycopy(encoded, 0, c, 0, at);
                System.arraycopy(huge, 0, c, at, huge.length);
                System.arraycopy(encoded, at + 1, c, at + huge.length, encoded.length - at - 1);
                ops.add("encoded record: byte @" + at + " := varint 2^31-1");
                return c;
            }
        }
    }
}
