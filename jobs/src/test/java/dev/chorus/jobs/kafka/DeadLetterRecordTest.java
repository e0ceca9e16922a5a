package dev.chorus.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.DeadLetters;
import dev.chorus.jobs.JobSettings;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A dead letter as the dead-letter sink writes it: its Kafka record fits the sinks' record limit whatever it holds. */
class DeadLetterRecordTest {

    /**
     * The largest dead letter: value and key at {@link JobSettings#MAX_DEAD_LETTER_ORIGINAL_BYTES}, the key of bytes
     * that are no UTF-8 (once taken as the Kafka key as text, each became U+FFFD, three bytes), and a reason and field
     * past their bounds of characters JSON escapes, from a topic with the longest name Kafka allows.
     */
    @ParameterizedTest
    @EnumSource(WireFormat.class)
    void theLargestDeadLetterFitsTheSinksRecordLimitKeyedByWhereItWasRead(WireFormat format) {
        byte[] bytes = new byte[JobSettings.MAX_DEAD_LETTER_ORIGINAL_BYTES];
        Arrays.fill(bytes, (byte) 0xFF);
        String topic = "t".repeat(249);
        KafkaRecord record = new KafkaRecord(topic, 5, Long.MAX_VALUE, 0L, bytes, bytes);
        DeadLetter d = DeadLetters.of(record, "\u0001".repeat(5_000), "\u0001".repeat(40_000), 1L,
                JobSettings.MAX_DEAD_LETTER_ORIGINAL_BYTES);

        ProducerRecord<byte[], byte[]> written = new TopicSerializer<>(new Topic<>("chorus.dead-letters",
                DeadLetter.class, format), KafkaIO::deadLetterKey).serialize(d, null, 0L);

        assertThat(d.getKey().remaining()).isEqualTo(JobSettings.MAX_DEAD_LETTER_ORIGINAL_BYTES);
        assertThat((long) written.key().length + written.value().length).isLessThan(KafkaIO.MAX_RECORD_BYTES);
        assertThat(new String(written.key(), StandardCharsets.UTF_8)).isEqualTo(topic + "-5@" + Long.MAX_VALUE);
    }
}
