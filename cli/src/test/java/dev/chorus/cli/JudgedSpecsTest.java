package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.DeadLetters;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** How {@code chorus specs list} and {@code chorus leaderboard} match the train job's dead letters to control records. */
class JudgedSpecsTest {

    private static final String TOPIC = "chorus.specs";
    private final List<ConsumerRecord<byte[], byte[]>> control = new ArrayList<>();

    @Test
    void aRefusedRecordKeepsTheKeysTakenOneAndAKeyOnlyRefusedHasNone() {
        put("fast", "{\"a\":1}");
        put("fast", "{\"a\":2}");
        put("odd", "{\"b\":1}");

        JudgedSpecs judged = JudgedSpecs.of(control, List.of(refusal(1), refusal(2)), TOPIC, List.of());

        assertThat(judged.keys()).containsOnlyKeys("iris/fast", "iris/odd");
        assertThat(judged.keys().get("iris/fast").taken().getSpec()).isEqualTo("{\"a\":1}");
        assertThat(judged.keys().get("iris/fast").refused().record().getSpec()).isEqualTo("{\"a\":2}");
        assertThat(judged.keys().get("iris/fast").refused().deadLetter().getReason()).isEqualTo("refused 1");
        assertThat(judged.keys().get("iris/odd").taken()).isNull();
        assertThat(judged.taken()).containsOnlyKeys("iris/fast");
    }

    @Test
    void aTakenRecordAtOrPastTheJobsCommittedOffsetIsPendingTheKeysOthersAreNot() {
        put("fast", "{\"a\":1}");
        put("slow", "{\"b\":1}");
        put("fast", "{\"a\":2}");
        put("odd", "{\"c\":1}");

        JudgedSpecs judged = JudgedSpecs.of(control, List.of(refusal(2)), TOPIC, List.of(), 2);

        assertThat(judged.keys().get("iris/fast").pending()).as("its record at 0 taken, the one at 2 refused")
                .isFalse();
        assertThat(judged.keys().get("iris/slow").pending()).isFalse();
        assertThat(judged.keys().get("iris/odd").pending()).as("at 3, past the offset 2 the job reads next").isTrue();
        assertThat(JudgedSpecs.of(control, List.of(), TOPIC, List.of(), 2).keys().get("iris/fast").pending())
                .as("its record at 2, not refused").isTrue();
        assertThat(JudgedSpecs.of(control, List.of(), TOPIC, List.of()).keys().values())
                .as("the job's offset unknown").noneMatch(JudgedSpecs.Key::pending);
    }

    @Test
    void aDeadLetterOfAnotherTopicOrOfOtherBytesAtTheSameOffsetRefusesNothing() {
        put("fast", "{\"a\":1}");
        DeadLetter otherTopic = refusal(0);
        otherTopic.setTopic("chorus.examples");
        DeadLetter ofARecreatedTopic = DeadLetters.of(new KafkaRecord(TOPIC, 0, 0, 0L, key("fast"),
                "{\"gone\":true}".getBytes(StandardCharsets.UTF_8)), "spec", "old", 0L, 1024);

        JudgedSpecs judged = JudgedSpecs.of(control, List.of(otherTopic, ofARecreatedTopic), TOPIC, List.of());

        assertThat(judged.keys().get("iris/fast").refused()).isNull();
        assertThat(judged.taken().get("iris/fast").getSpec()).isEqualTo("{\"a\":1}");
    }

    @Test
    void aTombstoneEndsTheKeyRefusalsIncludedAndALaterTakenRecordEndsItsRefusal() {
        put("fast", "{\"a\":1}");
        put("fast", "{\"a\":2}");
        control.add(new ConsumerRecord<>(TOPIC, 0, control.size(), key("fast"), null));
        put("odd", "{\"b\":1}");
        put("odd", "{\"b\":2}");

        JudgedSpecs judged = JudgedSpecs.of(control, List.of(refusal(1), refusal(3)), TOPIC, List.of());

        assertThat(judged.keys()).containsOnlyKeys("iris/odd");
        assertThat(judged.keys().get("iris/odd").taken().getSpec()).isEqualTo("{\"b\":2}");
        assertThat(judged.keys().get("iris/odd").refused()).isNull();
    }

    @Test
    void anUnreadableRecordLeavesItsKeysTakenRecordAndIsItsLatestRow() {
        put("fast", "{\"a\":1}");
        raw("iris/fast", "not json");

        JudgedSpecs judged = JudgedSpecs.of(control, List.of(), TOPIC, List.of());

        assertThat(judged.keys()).containsOnlyKeys("iris/fast");
        assertThat(judged.taken().get("iris/fast").getSpec()).isEqualTo("{\"a\":1}");
        assertThat(judged.keys().get("iris/fast").refused().record()).isNull();
    }

    @Test
    void anUnreadableRecordIsUnreadableWithTheDecodersReasonUntilItsDeadLetterMakesItRefused() {
        raw("iris/odd", "not json");
        raw("iris/odd", "still not json");

        JudgedSpecs.Key before = JudgedSpecs.of(control, List.of(), TOPIC, List.of()).keys().get("iris/odd");
        JudgedSpecs.Key after = JudgedSpecs.of(control, List.of(refusal(1)), TOPIC, List.of()).keys().get("iris/odd");

        assertThat(before.taken()).isNull();
        assertThat(before.task()).isEqualTo("iris");
        assertThat(before.variant()).isEqualTo("odd");
        assertThat(before.refused().status()).isEqualTo("UNREADABLE");
        assertThat(before.refused().unreadable()).isEqualTo(new JudgedSpecs.Unreadable(
                before.refused().reason(), 0, 1L));
        assertThat(before.refused().reason()).startsWith("not valid JSON");
        assertThat(after.refused().status()).isEqualTo("REFUSED");
        assertThat(after.refused().reason()).isEqualTo("refused 1");
    }

    /** Bytes Jackson takes for UTF-32, on which the JSON codec threw an UncheckedIOException that ended the list. */
    @Test
    void aValueJacksonTakesForUtf32IsUnreadable() {
        control.add(new ConsumerRecord<>(TOPIC, 0, control.size(), key("odd"), new byte[] {0, 0, (byte) 0xFF,
                (byte) 0xFE}));

        JudgedSpecs.Key odd = JudgedSpecs.of(control, List.of(), TOPIC, List.of()).keys().get("iris/odd");

        assertThat(odd.refused().status()).isEqualTo("UNREADABLE");
        assertThat(odd.refused().reason())
                .startsWith("not valid JSON: expected UTF-8 JSON text, got byte 00 at offset 0");
    }

    @Test
    void anUnreadableRecordUnderAKeyThatIsNoTaskVariantOrNoKeyHasNoTaskAndATombstoneEndsIt() {
        raw("garbage", "not json");
        control.add(new ConsumerRecord<>(TOPIC, 0, control.size(), null, "not json".getBytes(StandardCharsets.UTF_8)));
        raw("iris/gone", "not json");
        control.add(new ConsumerRecord<>(TOPIC, 0, control.size(), key("gone"), null));

        JudgedSpecs judged = JudgedSpecs.of(control, List.of(), TOPIC, List.of());

        assertThat(judged.keys()).containsOnlyKeys("garbage", null);
        assertThat(judged.keys().get("garbage").task()).isNull();
        assertThat(judged.keys().get(null).shownName()).isEqualTo("(none)");
        assertThat(judged.unreadable()).isEqualTo(2);
        assertThat(judged.taken()).isEmpty();
    }

    @Test
    void aJudgeFedInStepsGivesTheVerdictOfAllAtOnceAndALateDeadLetterHandsTheKeyBack() {
        put("fast", "{\"a\":1}");
        put("fast", "{\"a\":2}");
        JudgedSpecs.Judge judge = new JudgedSpecs.Judge(TOPIC, false);
        judge.control(control.get(0));
        judge.control(control.get(1));
        assertThat(judge.judged(List.of(), -1).taken().get("iris/fast").getSpec()).isEqualTo("{\"a\":2}");

        judge.deadLetter(refusal(1));

        JudgedSpecs judged = judge.judged(List.of(), -1);
        assertThat(judged.taken().get("iris/fast").getSpec()).isEqualTo("{\"a\":1}");
        assertThat(judged.keys().get("iris/fast").refused().reason()).isEqualTo("refused 1");
        assertThat(judge.decoded()).isEqualTo(2);
    }

    private void put(String variant, String spec) {
        control.add(new ConsumerRecord<>(TOPIC, 0, control.size(), key(variant), WireFormat.JSON
                .codec(VariantSpecRecord.class).encode(SpecsCommand.record("iris", variant, spec, "kcat"))));
    }

    private void raw(String key, String value) {
        control.add(new ConsumerRecord<>(TOPIC, 0, control.size(), key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8)));
    }

    /** The dead letter the job writes for the control record at {@code offset}, with reason "refused offset". */
    private DeadLetter refusal(int offset) {
        ConsumerRecord<byte[], byte[]> r = control.get(offset);
        return DeadLetters.of(new KafkaRecord(TOPIC, 0, offset, 0L, r.key(), r.value()), "spec", "refused " + offset,
                0L, 1024);
    }

    private static byte[] key(String variant) {
        return ("iris/" + variant).getBytes(StandardCharsets.UTF_8);
    }
}
