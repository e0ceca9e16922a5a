package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class InspectCommandTest {

    @Test
    void theRecordsKeyIsPrintedWithoutItsTerminalEscapes() {
        byte[] key = "数据集/v\u001B[2J\u202E".getBytes(StandardCharsets.UTF_8);

        String line = InspectCommand.sourceLine(new ConsumerRecord<>("chorus.examples", 1, 7, key, new byte[] {1}));

        assertThat(line).doesNotContain("\u001B", "\u202E").isEqualTo("source       chorus.examples-1@7, key "
                + "\"数据集/v\\u001B[2J\\u202E\", timestamp " + RecordLines.time(-1));
    }
}
