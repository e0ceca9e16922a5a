package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class TailCommandTest {

    private static final TopicPartition PARTITION = new TopicPartition("chorus.models", 0);

    /** {@code chorus tail chorus.models --no-follow}, at offset {@code from} of a consumer that polls what it is given. */
    private static MockConsumer<byte[], byte[]> consumerAt(long from) {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.of(PARTITION));
        consumer.seek(PARTITION, from);
        return consumer;
    }

    private static TailCommand noFollow() {
        TailCommand tail = new TailCommand();
        tail.topic = PARTITION.topic();
        tail.follow = false;
        return tail;
    }

    @Test
    void withoutFollowAReadThatMakesNoProgressStopsWithExitCode1AndSaysWhere() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        // Nothing arrives: a partition offline, a broker gone.
        int exit = noFollow().read(consumerAt(5), List.of(PARTITION), Map.of(PARTITION, 9L), null,
                Duration.ofMillis(1), new PrintWriter(out, true), new PrintWriter(err, true));

        assertThat(exit).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).isEqualTo("chorus tail: stopped short of the end of chorus.models: 1 of its 1 "
                + "partitions did not move (partition 0 at offset 5, its end at the start 9); is Kafka reachable? "
                + "(timed out after 1 ms; --kafka-check-timeout-ms sets how long to wait)" + System.lineSeparator());
    }

    @Test
    void withoutFollowAReadStopsAtTheEndWithExitCode0() {
        MockConsumer<byte[], byte[]> consumer = consumerAt(5);
        consumer.addRecord(new ConsumerRecord<>(PARTITION.topic(), 0, 5, "t/v".getBytes(StandardCharsets.UTF_8),
                null));
        StringWriter out = new StringWriter();

        int exit = noFollow().read(consumer, List.of(PARTITION), Map.of(PARTITION, 6L), null, Duration.ofDays(1),
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));

        assertThat(exit).isZero();
        assertThat(out.toString()).isEqualTo("0@5 tombstone key=t/v" + System.lineSeparator());
    }

    @Test
    void aTombstonesKeyIsPrintedWithoutItsTerminalEscapes() {
        byte[] key = "t/v\u001B]52;c;cHduZWQ=\u0007\u202E".getBytes(StandardCharsets.UTF_8);

        String line = TailCommand.tombstoneLine(new ConsumerRecord<>("chorus.models", 2, 41, key, null));

        assertThat(line).doesNotContain("\u001B", "\u0007", "\u202E")
                .isEqualTo("2@41 tombstone key=t/v\\u001B]52;c;cHduZWQ=\\u0007\\u202E");
        assertThat(TailCommand.tombstoneLine(new ConsumerRecord<>("chorus.models", 0, 3, null, null)))
                .isEqualTo("0@3 tombstone key=null");
    }
}
