package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {

    @Test
    void theRecordsKeyIsPrintedWithoutItsTerminalEscapes() {
        byte[] key = "数据集/v\u001B[2J\u202E".getBytes(StandardCharsets.UTF_8);

        String line = InspectCommand.sourceLine(new ConsumerRecord<>("chorus.examples", 1, 7, key, new byte[] {1}));

        assertThat(line).doesNotContain("\u001B", "\u202E").isEqualTo("source       chorus.examples-1@7, key "
                + "\"数据集/v\\u001B[2J\\u202E\", timestamp " + RecordLines.time(-1));
    }

    /** The record's JSON body too: a C1 CSI or a bidi override in its id is a JSON escape, and reads back the same. */
    @Test
    void theRecordsJsonIsPrintedWithoutItsTerminalEscapes(@TempDir Path dir) throws Exception {
        String id = "e\u009B2J\u202Etxt";
        Example example = Example.newBuilder().setId(id).setTask("t").setFeatures(Float32.pack(new float[] {1f}))
                .setLabel(0).setEventTime(0L).build();
        Path file = dir.resolve("example.avro");
        Files.write(file, WireFormat.AVRO.codec(Example.class).encode(example));

        CliRun run = CliRun.run("inspect", "--file", file.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).doesNotContain("\u009B", "\u202E").contains("\"id\":\"e\\u009B2J\\u202Etxt\"");
        String json = run.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
        assertThat(new ObjectMapper().readTree(json).get("id").asText()).isEqualTo(id);
    }
}
