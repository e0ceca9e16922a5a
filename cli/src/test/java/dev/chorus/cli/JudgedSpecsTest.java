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

    private void put(String variant, String spec) {
        control.add(new ConsumerRecord<>(TOPIC, 0, control.size(), key(variant), WireFormat.JSON
                .codec(VariantSpecRecord.class).encode(SpecsCommand.record("iris", variant, spec, "kcat"))));
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
