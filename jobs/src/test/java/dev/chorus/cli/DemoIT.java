package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chorus demo} on the shipped data, exactly as a user runs it, checked through its JSON summary. */
class DemoIT {

    @Test
    void demoTrainsOnTheShippedDataAndReportsItsSummary(@TempDir Path dir) throws Exception {
        Path summary = dir.resolve("summary.json");
        int exit = ChorusCli.commandLine().execute("demo", "--dataset", "shipped", "--summary-json", summary.toString());
        assertThat(exit).isZero();

        JsonNode json = new ObjectMapper().readTree(summary.toFile());
        assertThat(json.get("examples").asInt()).isEqualTo(10_000);
        assertThat(json.get("predictions").asLong()).isEqualTo(10_000);
        assertThat(json.get("deadLetters").asInt()).isEqualTo(3);
        // At least one update per full minibatch of 64; a batch timeout on a stall may add more.
        assertThat(json.get("modelVersion").asLong()).isGreaterThanOrEqualTo((10_000 + 63) / 64);
        assertThat(json.get("accuracyLast2000").asDouble()).isGreaterThanOrEqualTo(0.72);
    }
}
