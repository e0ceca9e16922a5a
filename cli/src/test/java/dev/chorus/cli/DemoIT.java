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
        assertThat(json.get("items").asInt()).isEqualTo(10_000);
        assertThat(json.get("examples").asInt()).as("3 simulated labels per image").isEqualTo(30_000);
        assertThat(json.get("labelModel").asText()).isEqualTo("dawid-skene");
        assertThat(json.get("predictions").asLong()).isEqualTo(30_000);
        assertThat(json.get("deadLetters").asInt()).isEqualTo(4);
        assertThat(json.get("deadLetterReasons")).extracting(JsonNode::asText).anySatisfy(r -> assertThat(r).isEqualTo(
                "field 'features': expected values in [0.0, 1.0] (the spec's featureRange), got 1000000.0 at position 0"));
        assertThat(json.get("topics")).as("every topic the demo made; the job writes consensus and standings too")
                .extracting(JsonNode::asText).contains("chorus.consensus", "chorus.champions");
        // At least one update per full minibatch of 64; a batch timeout on a stall may add more.
        assertThat(json.get("modelVersion").asLong()).isGreaterThanOrEqualTo((30_000 + 63) / 64);
        assertThat(json.get("accuracyLast2000").asDouble()).as("against the true labels").isGreaterThanOrEqualTo(0.72);

        JsonNode annotators = json.get("annotators");
        assertThat(annotators).as("one row per simulated annotator").hasSize(14);
        long labels = 0;
        double worstExpert = 1;
        double bestSpammer = 0;
        for (JsonNode a : annotators) {
            labels += a.get("labelsSeen").asLong();
            double reliability = a.get("reliability").asDouble();
            if (a.get("kind").asText().equals("expert")) {
                worstExpert = Math.min(worstExpert, reliability);
            } else if (a.get("kind").asText().equals("spammer")) {
                bestSpammer = Math.max(bestSpammer, reliability);
            }
        }
        assertThat(labels).as("every label counted once, for its annotator").isEqualTo(30_000);
        assertThat(worstExpert).as("experts are estimated more reliable than spammers").isGreaterThan(bestSpammer);
    }
}
