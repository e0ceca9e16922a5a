package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantsTest.OTHER_SPEC;
import static dev.chorus.jobs.train.VariantsTest.live;
import static dev.chorus.jobs.train.VariantsTest.record;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.DeadLetters;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.UnicodeText;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;

/**
 * A reason that names a control record's spec quotes it as every reason quotes producer text ({@link UnicodeText}):
 * no raw control or format character, no half surrogate pair, and at most {@link SpecControl#QUOTED_SPEC_CHARS} of it
 * with its length, however large the record.
 */
class SpecReasonsTest {

    private static final int MIB = 1 << 20;
    /** Two quoted specs and the words around them. */
    private static final int MAX_REASON = 2 * SpecControl.QUOTED_SPEC_CHARS + 2_048;
    private static final RecordCodec<DeadLetter> JSON_LETTERS = WireFormat.JSON.codec(DeadLetter.class);

    /** {@code spec} as a producer may write it: valid JSON, with raw line breaks and tabs and 1 MiB of blanks. */
    private static String padded(String spec) {
        return "{\n\t\r" + " ".repeat(MIB) + spec.substring(1);
    }

    @Test
    void aLargeSpecWithControlCharactersIsQuotedEscapedAndCutInEachReasonThatNamesIt() throws Exception {
        String changed = padded(SPEC);
        String unparsable = "{\"algorithm\":\"\u001b[2J\u0000\uD800" + "x".repeat(MIB) + "\"}";
        VariantSpecRecord retire = live("t", "b", null);
        retire.setStatus(VariantStatus.RETIRED);
        try (CheckSpecsHarness h = CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/a", live("t", "a", OTHER_SPEC)), 0);
            h.processElement(record("t/a", live("t", "a", changed)), 1);
            h.processElement(record("t/b", live("t", "b", OTHER_SPEC)), 2);
            h.processElement(record("t/b", retire), 3);
            h.processElement(record("t/b", live("t", "b", changed)), 4);
            h.processElement(new KafkaRecord("chorus.specs", 0, 5, 0, "t/c".getBytes(StandardCharsets.UTF_8),
                    settings().specsTopic().codec().encode(live("t", "c", unparsable))), 5);

            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).extracting(DeadLetter::getReason)
                    .satisfiesExactly(
                            r -> assertThat(r).contains("as a live variant's spec never changes"),
                            r -> assertThat(r).contains("expected \"revive\":true"),
                            r -> assertThat(r).contains("expected a model spec the train job can train"));
            for (DeadLetter d : dead) {
                assertSafe(d.getReason());
            }
            assertThat(dead.get(0).getReason()).as("the spec's start, then its length")
                    .contains("... (" + changed.length() + " characters)");
            assertThat(dead.get(1).getReason()).contains("... (" + changed.length() + " characters)");
            assertThat(dead.get(2).getReason()).contains("... (" + unparsable.length() + " characters)");
            assertThat(dead.get(0).getReason()).contains(UnicodeText.quoted(OTHER_SPEC, SpecControl.QUOTED_SPEC_CHARS),
                    "\"{\\u000A\\u0009\\u000D   ");
        }
    }

    /** Whatever a spec holds, lone surrogates included (a JSON record's escapes can write one), its quote is safe. */
    @Test
    void theQuoteOfAHostileSpecIsBoundedUnicodeTextThatADeadLetterKeeps() throws Exception {
        String hostile = "{\"a\":\"\uD800\u001b]0;title\u0007\u0000\u202e\n" + "y".repeat(MIB) + "\uDC00\"}";
        String quoted = SpecControl.quotedSpec(hostile);
        assertThat(quoted).startsWith("\"{\\u0022a\\u0022:\\u0022\\uD800\\u001B]0;title\\u0007\\u0000\\u202E\\u000A")
                .endsWith("... (" + hostile.length() + " characters)");
        assertSafe("spec: got " + quoted);
    }

    /** Bounded, valid UTF-8 without control or format characters, and the same after a JSON dead letter's round trip. */
    static void assertSafe(String reason) throws CharacterCodingException {
        assertThat(reason.length()).as("bounded").isLessThanOrEqualTo(MAX_REASON);
        assertThat(UnicodeText.firstUnpairedSurrogate(reason)).as(reason).isEqualTo(-1);
        assertThat(reason.codePoints().filter(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                || Character.getType(c) == Character.LINE_SEPARATOR)).as(reason).isEmpty();
        StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(reason));
        DeadLetter letter = DeadLetters.of(new KafkaRecord("chorus.specs", 0, 1, 0L, null, new byte[] {1}), "spec",
                reason, 1L, 64);
        assertThat(JSON_LETTERS.decode(JSON_LETTERS.encode(letter)).getReason()).isEqualTo(reason);
    }
}
