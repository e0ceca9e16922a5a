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
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.UnicodeText;
import java.nio.ByteBuffer;
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

    /** Bounded, with no raw control, format or line separator character and no half surrogate pair. */
    private static void assertSafe(String reason) {
        assertThat(reason.length()).as(reason).isLessThanOrEqualTo(MAX_REASON);
        assertThat(UnicodeText.firstUnpairedSurrogate(reason)).as(reason).isEqualTo(-1);
        assertThat(reason.codePoints().filter(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                || Character.getType(c) == Character.LINE_SEPARATOR)).as(reason).isEmpty();
    }
}
