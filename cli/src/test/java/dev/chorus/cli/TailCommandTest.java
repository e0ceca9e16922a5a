package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class TailCommandTest {

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
