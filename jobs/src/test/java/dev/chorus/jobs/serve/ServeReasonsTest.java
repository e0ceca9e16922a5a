package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.deadLetters;
import static dev.chorus.jobs.serve.ServeFunctionTest.example;
import static dev.chorus.jobs.serve.ServeFunctionTest.harness;
import static dev.chorus.jobs.serve.ServeFunctionTest.record;
import static dev.chorus.jobs.serve.ServeFunctionTest.settings;
import static dev.chorus.jobs.serve.ServeFunctionTest.snapshot;
import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static dev.chorus.jobs.serve.ServeStateFixture.champion;
import static dev.chorus.jobs.serve.ServeStateFixture.model;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.train.SpecControl;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.UnicodeText;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;

/**
 * The serve job's reasons name models by the task and variant their records carry, which a producer chose: each quotes
 * them as every reason does ({@link ExampleValidator#quoted}), so a name with control characters, a lone surrogate or
 * thousands of characters gives a bounded reason of Unicode text, never the name raw.
 */
class ServeReasonsTest {

    /** A terminal escape, NUL, a lone surrogate, a bidi override, a line break, then 5,000 characters. */
    private static final String HOSTILE = "\u001b[2J\u0000\uD800\u202e\n" + "t".repeat(5_000);
    /** {@link #HOSTILE} as an Avro record carries it: UTF-8 holds no lone surrogate, which becomes '?'. */
    private static final String CARRIED = HOSTILE.replace('\uD800', '?');
    private static final String HOSTILE_VARIANT = "\u001b]0;title\u0007" + "v".repeat(5_000);
    /** Longer than any of these reasons' own words plus two quoted names; far shorter than one raw name. */
    private static final int MAX_REASON = 1_024;
    /**
     * Two quoted specs (or a spec and a message), each cut at 1,024 characters of which each may take six escaped, and
     * a reason's own words: below the 16,384 characters a dead letter keeps of any reason.
     */
    private static final int MAX_SPEC_REASON = 2 * 6 * SpecControl.QUOTED_SPEC_CHARS + 512;
    /**
     * A spec key an escape, NUL, a bidi override and a line separator (raw in JSON), then 40,000 'k's (the JSON parser
     * takes names of up to 50,000 characters).
     */
    private static final String HOSTILE_KEY = "\\u001b[2J\\u0000\u202e\u2028" + "k".repeat(40_000);
    /** A hashed logistic regression of {@code 2^%d} rows hashing one field, named {@code %s} (JSON-escaped). */
    private static final String HASHED = "{\"algorithm\":\"logistic-regression\",\"batchSize\":4,\"standardize\":false,"
            + "\"hashing\":{\"bits\":%d,\"fields\":[\"%s\"],\"interactions\":[]},"
            + "\"optimizer\":{\"type\":\"ftrl\",\"alpha\":0.1,\"l1\":0.01}}";

    @Test
    void modelRecordsAndExamplesOfHostileNamesGiveBoundedReasonsThatQuoteThem() throws Exception {
        try (var h = harness(settings())) {
            h.open();
            ModelSnapshot slash = snapshot(HOSTILE, 5);
            slash.setVariant("b/c");
            ModelSnapshot skipGram = snapshot(HOSTILE, 6);
            skipGram.setAlgorithm(ModelSpec.SKIP_GRAM);
            h.processBroadcastElement(record(slash, 0), 0);
            h.processBroadcastElement(record(skipGram, 1), 0);
            h.processBroadcastElement(record(snapshot(HOSTILE, 7), 2), 0);
            Example misfit = example(0);
            misfit.setTask(CARRIED);
            misfit.setFeatures(Float32.pack(new float[5]));
            h.processElement(sourced(misfit), 1);
            // No model of this task: three wait (the bound), one more is refused, the three at the end of the input.
            for (int row = 0; row < 4; row++) {
                Example waiting = example(row);
                waiting.setTask("u" + HOSTILE);
                h.processElement(sourced(waiting), 2 + row);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));

            List<DeadLetter> dead = deadLetters(h);
            assertThat(dead).extracting(DeadLetter::getField)
                    .containsExactly("variant", "algorithm", "features", "task", "task", "task", "task");
            String model = "model " + ExampleValidator.quoted(CARRIED + "/default");
            assertThat(dead.get(0).getReason()).startsWith("model " + ExampleValidator.quoted(CARRIED + "/b/c")
                    + " version 5: field 'variant'");
            assertThat(dead.get(1).getReason()).startsWith(model + " version 6: field 'algorithm'");
            assertThat(dead.get(2).getReason()).endsWith("(" + model + " version 7)");
            assertThat(dead.get(3).getReason()).startsWith("no model yet for task "
                    + ExampleValidator.quoted("u" + HOSTILE) + " (variant \"default\"): expected at most 3");
            assertThat(dead.subList(4, 7)).extracting(DeadLetter::getReason).containsOnly("no model for task "
                    + ExampleValidator.quoted("u" + HOSTILE) + " (variant \"default\") arrived before the end of the "
                    + "input: expected a model snapshot, got none");
            assertThat(dead.get(0).getReason()).contains("... (" + (CARRIED.length() + 4) + " characters)");
            assertThat(dead.get(3).getReason()).contains("\"u\\u001B[2J\\u0000\\uD800\\u202E\\u000Attt",
                    "... (" + (HOSTILE.length() + 1) + " characters)");
            for (DeadLetter d : dead) {
                assertSafe(d.getReason());
            }
        }
    }

    /** A reset champion's hold names the task and the held variant. */
    @Test
    void aHeldTasksReasonQuotesTheTaskAndTheHeldVariant() throws Exception {
        try (var h = new ServeHarness(ServeStateFixture.SETTINGS, new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(model(HOSTILE, HOSTILE_VARIANT, 5, 0), 0);
            h.processBroadcastElement(champion(HOSTILE, HOSTILE_VARIANT, 0), 0);
            h.processBroadcastElement(ServeFunctionTest.tombstone(CARRIED + "/" + HOSTILE_VARIANT, 1), 1);
            for (int row = 0; row < 4; row++) {
                Example held = example(row);
                held.setTask(CARRIED);
                h.processElement(sourced(held), 2 + row);
            }

            assertThat(h.deadLetters()).singleElement().satisfies(d -> {
                assertThat(d.getReason()).startsWith("task " + ExampleValidator.quoted(CARRIED)
                        + " is held from its reset champion " + ExampleValidator.quoted(HOSTILE_VARIANT) + ", whose");
                assertSafe(d.getReason());
            });
        }
    }

    /** What no record on the wire can carry (a lone surrogate), the shared reasons quote too. */
    @Test
    void aChunksAndANonFinitePredictionsReasonsQuoteTheNames() throws Exception {
        ModelSnapshot part = snapshot(HOSTILE, 3);
        part.setVariant(HOSTILE_VARIANT);
        part.setChunks(2);
        part.setChunk(7);
        part.setParameters(ByteBuffer.allocate(1));
        String chunk = SnapshotAssembly.malformed(part).reason();
        assertThat(chunk).startsWith("model " + ExampleValidator.quoted(HOSTILE + "/" + HOSTILE_VARIANT)
                + " chunk 7 of 2 version 3: field 'chunk'");
        assertSafe(chunk);

        Prediction diverged = new Prediction();
        diverged.setTask(HOSTILE);
        diverged.setVariant(HOSTILE_VARIANT);
        diverged.setModelVersion(4L);
        diverged.setPredictedValue(Double.NaN);
        String nonFinite = ExampleTensors.nonFiniteReason(diverged);
        assertThat(nonFinite).contains("(model " + ExampleValidator.quoted(HOSTILE + "/" + HOSTILE_VARIANT)
                + " version 4: ");
        assertSafe(nonFinite);
    }

    /**
     * A model record's spec and a loader's message are the producer's text of any length: a reason quotes each as the
     * train job quotes a control record's spec ({@link SpecControl#quotedSpec}, 1,024 characters then the length), so
     * a 1 MiB spec with terminal escapes, NUL, a bidi override and a line separator gives a bounded, escaped reason that
     * still names the field, what was expected and what came.
     */
    @Test
    void aModelRecordsSpecAndItsLoadersMessageAreQuotedAndCut() throws Exception {
        // Just under the 2^20 characters a SparseLinearModel embeds of its spec.
        String field = "\\u001b[2J\\u0000\u202e\u2028" + "f".repeat((1 << 20) - 1_024);
        String hostile = HASHED.formatted(4, field);
        SparseLinearModel model = SparseLinearModel.create(ModelSpec.parse(hostile));
        ModelSnapshot otherSpec = snapshot("t", 3);
        otherSpec.setAlgorithm("logistic-regression");
        otherSpec.setSpec(HASHED.formatted(5, field));
        otherSpec.setParametersFormat(SparseLinearModel.FORMAT_VERSION);
        otherSpec.setParameters(ByteBuffer.wrap(model.toBytes()));
        ModelSnapshot unparsed = snapshot("t", 4);
        unparsed.setSpec("{\"algorithm\":\"softmax-regression\",\"" + HOSTILE_KEY + "\":\"" + "v".repeat(1 << 20) + "\"}");
        ModelSnapshot unloaded = snapshot("t", 5);
        unloaded.setParameters(ByteBuffer.wrap(learnerStateWithSpec(
                "{\"algorithm\":\"softmax-regression\",\"" + HOSTILE_KEY + "\":1}")));
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(otherSpec, 0), 0);
            h.processBroadcastElement(record(unparsed, 1), 0);
            h.processBroadcastElement(record(unloaded, 2), 0);

            List<DeadLetter> dead = deadLetters(h);
            assertThat(dead).extracting(DeadLetter::getField).containsExactly("parameters", "spec", "parameters");
            String json = model.spec().toJson();
            assertThat(dead.get(0).getReason()).startsWith("model \"t/default\" version 3: field 'parameters': "
                    + "expected a model of the record's spec \"{\\u0022algorithm\\u0022:\\u0022logistic-regression")
                    .contains("... (" + otherSpec.getSpec().length() + " characters), got one of another spec: \"{",
                            "... (" + json.length() + " characters) (at chorus.models-0@0)");
            assertThat(dead.get(1).getReason()).startsWith("model \"t/default\" version 4: field 'spec': expected the "
                    + "spec of the model its parameters hold, got \"{\\u0022algorithm")
                    .contains("... (" + unparsed.getSpec().length() + " characters), which does not parse: ModelSpec: "
                            + "unknown key '\\u001B[2J\\u0000\\u202E\\u2028kkk", " characters) (at chorus.models-0@1)");
            assertThat(dead.get(2).getReason()).startsWith("model \"t/default\" version 5: field 'parameters' does not "
                    + "load: OnlineLearner state holds an invalid model spec: ModelSpec: unknown key "
                    + "'\\u001B[2J\\u0000\\u202E\\u2028kkk").contains("characters) (at chorus.models-0@2)");
            for (DeadLetter d : dead) {
                assertSafe(d.getReason(), MAX_SPEC_REASON);
            }
        }
        // Such a model in state (stored by an older build) answers nothing, for the same reason, quoted alike.
        LoadedModels.Answer inState = new LoadedModels(settings().modelSizeBound()).predict("t/default", unloaded,
                example(0), 0);
        assertThat(inState.reason()).startsWith("model \"t/default\" version 5 in state does not load: expected a valid "
                + "model, got: OnlineLearner state holds an invalid model spec: ModelSpec: unknown key "
                + "'\\u001B[2J\\u0000\\u202E\\u2028kkk").endsWith(" characters)");
        assertSafe(inState.reason(), MAX_SPEC_REASON);
    }

    /**
     * A record whose decoding threw what the codec did not foresee: the throwable's message may quote the record, so
     * the reason quotes it as every reason quotes a producer's text, after its class.
     */
    @Test
    void anUnexpectedDecodingFailuresMessageIsQuotedAndCut() {
        String message = "\u001b]0;title\u0007\u2028" + "m".repeat(1 << 20);
        for (String what : List.of("model record", "champion record, serving unchanged")) {
            String reason = ServeFunction.undecodable(what, new IllegalStateException(message));
            assertThat(reason).isEqualTo("undecodable " + what + ": java.lang.IllegalStateException: "
                    + ExampleValidator.quoted(message)).contains("... (" + message.length() + " characters)");
            assertSafe(reason, MAX_REASON);
        }
        assertThat(ServeFunction.undecodable("model record", new StackOverflowError()))
                .isEqualTo("undecodable model record: java.lang.StackOverflowError");
    }

    /** A learner state (as {@code OnlineLearner.toBytes} writes one) whose embedded spec is {@code spec}. */
    private static byte[] learnerStateWithSpec(String spec) throws java.io.IOException {
        var bytes = new java.io.ByteArrayOutputStream();
        var out = new java.io.DataOutputStream(bytes);
        out.writeInt(OnlineLearner.MAGIC);
        out.writeInt(OnlineLearner.FORMAT_VERSION);
        byte[] json = spec.getBytes(StandardCharsets.UTF_8);
        out.writeInt(json.length);
        out.write(json);
        return bytes.toByteArray();
    }

    /** Bounded, with no raw control, format or line separator character and no half surrogate pair. */
    private static void assertSafe(String reason) {
        assertSafe(reason, MAX_REASON);
    }

    private static void assertSafe(String reason, int max) {
        assertThat(reason.length()).as(reason).isLessThanOrEqualTo(max);
        assertThat(UnicodeText.firstUnpairedSurrogate(reason)).as(reason).isEqualTo(-1);
        assertThat(reason.codePoints().filter(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                || Character.getType(c) == Character.LINE_SEPARATOR)).as(reason).isEmpty();
    }
}
