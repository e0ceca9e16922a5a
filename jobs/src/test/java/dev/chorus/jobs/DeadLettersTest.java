package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.UnicodeText;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A dead letter's reason and field are bounded as its original bytes are: they may quote what a producer wrote. */
class DeadLettersTest {

    static final KafkaRecord RECORD = new KafkaRecord("t", 0, 7, 0L, "k".getBytes(StandardCharsets.UTF_8),
            "v".getBytes(StandardCharsets.UTF_8));

    @Test
    void aLongReasonAndFieldKeepTheirStartAndSayHowLongTheyWere() {
        String reason = "field 'spec': expected x, got " + "y".repeat(40_000);
        String field = "fields." + "n".repeat(5_000);
        DeadLetter d = DeadLetters.of(RECORD, field, reason, 1L, 64);
        assertThat(d.getReason()).isEqualTo(reason.substring(0, DeadLetters.MAX_REASON_CHARS) + "... ("
                + reason.length() + " characters)");
        assertThat(d.getField()).isEqualTo(field.substring(0, DeadLetters.MAX_FIELD_CHARS) + "... (5007 characters)");

        DeadLetter short_ = DeadLetters.ofExample("t", "id", 0, 1, new byte[3], "features", "field 'features': why",
                1L, 64);
        assertThat(short_.getReason()).isEqualTo("field 'features': why");
        assertThat(short_.getField()).isEqualTo("features");
        assertThat(DeadLetters.of(RECORD, null, "why", 1L, 64).getField()).isNull();
    }

    @Test
    void theCutNeverSplitsASurrogatePair() {
        String pair = new String(Character.toChars(0x1F600));
        String reason = "x".repeat(DeadLetters.MAX_REASON_CHARS - 1) + pair + "tail";
        String kept = DeadLetters.of(RECORD, "f", reason, 1L, 64).getReason();
        assertThat(kept).startsWith("x".repeat(DeadLetters.MAX_REASON_CHARS - 1) + "... (");
        assertThat(kept.chars().noneMatch(c -> Character.isSurrogate((char) c))).isTrue();
    }

    /**
     * A task the bound refuses is quoted as every reason quotes a producer's text ({@link UnicodeText#quoted}): half a
     * surrogate pair (which a JSON record's escapes can write), a terminal escape, NUL and a bidi override escaped, a long
     * name cut with its length, and the reason the same after a JSON dead letter's round trip.
     */
    @Test
    void theTaskBoundsReasonQuotesAHostileTaskAsEveryReasonDoes() {
        String task = "\uD800\u001b[2J\u0000\u202e" + "t".repeat(1 << 20);
        String reason = TaskBound.defaults().reason(task, "on this instance");
        assertThat(reason).endsWith("got " + UnicodeText.quoted(task, ExampleValidator.QUOTED_CHARS))
                .contains("\"\\uD800\\u001B[2J\\u0000\\u202E", "... (" + task.length() + " characters)");
        assertThat(reason.length()).isLessThan(400);
        assertThat(UnicodeText.firstUnpairedSurrogate(reason)).isEqualTo(-1);
        assertThat(reason.codePoints().filter(c -> Character.isISOControl(c)
                || Character.getType(c) == Character.FORMAT)).isEmpty();
        RecordCodec<DeadLetter> letters = WireFormat.JSON.codec(DeadLetter.class);
        DeadLetter letter = DeadLetters.of(RECORD, "task", reason, 1L, 64);
        assertThat(letters.decode(letters.encode(letter)).getReason()).isEqualTo(reason);
    }

    /** Each place that quotes a producer's text in a reason cuts it between characters, not inside an emoji. */
    @Test
    void quotedValuesAreCutBetweenCharacters() {
        String smile = "\uD83D\uDE00";
        String value = "a".repeat(ExampleValidator.QUOTED_CHARS - 1) + smile;
        String task = "t".repeat(ExampleValidator.QUOTED_CHARS - 1) + smile;
        for (String reason : new String[] {ExampleValidator.quoted(value), TaskBound.defaults().reason(task, "here"),
                DeadLetters.bounded("b".repeat(9) + smile, 10)}) {
            assertThat(UnicodeText.firstUnpairedSurrogate(reason)).as(reason).isEqualTo(-1);
        }
        assertThat(ExampleValidator.quoted(value)).startsWith("\"" + "a".repeat(ExampleValidator.QUOTED_CHARS - 1) + "\"")
                .endsWith("(" + (ExampleValidator.QUOTED_CHARS + 1) + " characters)");
    }
}
