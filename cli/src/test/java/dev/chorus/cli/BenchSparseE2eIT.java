package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.cli.data.PackageCatalogue;
import dev.chorus.core.model.ModelSpec;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chorus bench sparse}'s end-to-end track at a tiny size, for real: the package catalogue produced to a JSON
 * and an Avro topic of an embedded broker, read by the raw consumer and by the train job on a MiniCluster. Checks
 * the figures' keys and consistency, never their speed.
 */
class BenchSparseE2eIT {

    static final int EXAMPLES = 2000;

    @TempDir
    Path dir;

    @Test
    void linesRunsOnlyTheNamedLinesAndTheRawConsumerOfTheirTopics() throws Exception {
        assumeTrue(PackageCatalogue.defaultFile(PackageCatalogue.APT_LISTS).isPresent(),
                "no *_Packages* file under " + PackageCatalogue.APT_LISTS + " (run apt-get update)");
        CliRun unknown = CliRun.run("bench", "sparse", "--e2e-only", "--lines", "hashed_logistic,hashed_lasso");
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.err()).contains("--lines: expected some of [hashed_logistic, hashed_softmax, wide_deep], "
                + "got [hashed_logistic, hashed_lasso]");

        Path json = dir.resolve("sparse-e2e-logistic.json");
        CliRun run = CliRun.run("bench", "sparse", "--limit", "500", "--e2e-only", "--runs", "1", "--lines",
                "hashed_logistic", "--json", json.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode e2e = new ObjectMapper().readTree(json.toFile()).at("/e2e");
        for (String format : new String[] {"json", "avro"}) {
            assertThat(e2e.at("/" + format + "/hashed_logistic/predictions").asLong()).as(format).isEqualTo(500);
            assertThat(e2e.at("/" + format + "/raw_consume_binary/examples_per_s").asDouble()).isPositive();
            assertThat(e2e.at("/" + format).has("hashed_softmax")).as(format).isFalse();
            assertThat(e2e.at("/" + format).has("wide_deep")).as(format).isFalse();
            assertThat(e2e.at("/" + format).has("raw_consume")).as("no line reads the section-labelled topics")
                    .isFalse();
        }
    }

    @Test
    void theE2eTrackReportsEveryFormatAndLineUnderTheDocumentedKeys() throws Exception {
        assumeTrue(PackageCatalogue.defaultFile(PackageCatalogue.APT_LISTS).isPresent(),
                "no *_Packages* file under " + PackageCatalogue.APT_LISTS + " (run apt-get update)");
        Path json = dir.resolve("sparse-e2e.json");
        CliRun run = CliRun.run("bench", "sparse", "--limit", String.valueOf(EXAMPLES), "--e2e-only", "--runs", "1",
                "--json", json.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();

        JsonNode results = new ObjectMapper().readTree(json.toFile());
        assertThat(results.has("packages")).as("--e2e-only runs no in-memory track").isFalse();
        assertThat(results.has("memory")).isFalse();
        JsonNode e2e = results.at("/e2e");
        assertThat(e2e.at("/config/examples").asInt()).isEqualTo(EXAMPLES);
        assertThat(e2e.at("/config/classes").asInt()).isEqualTo(58);
        for (String format : new String[] {"json", "avro"}) {
            for (String ceiling : new String[] {"raw_consume", "raw_consume_binary"}) {
                assertThat(e2e.at("/" + format + "/" + ceiling + "/examples_per_s").asDouble())
                        .as("%s %s", format, ceiling).isPositive();
                assertThat(e2e.at("/" + format + "/" + ceiling + "/value_bytes").asLong()).as(format)
                        .isPositive();
            }
            // Every line runs now, wide & deep included: none is skipped.
            for (String name : new String[] {"hashed_logistic", "hashed_softmax", "wide_deep"}) {
                JsonNode line = e2e.at("/" + format + "/" + name);
                assertThat(line.has("skipped")).as("%s %s: %s", format, name, line).isFalse();
                assertThat(line.at("/examples_per_s").asDouble()).as("%s %s: %s", format, name, line).isPositive();
                assertThat(line.at("/ratio_to_raw").asDouble()).as("%s %s", format, name).isPositive();
                assertThat(line.at("/predictions").asLong()).as("%s %s", format, name).isEqualTo(EXAMPLES);
                assertThat(line.at("/dead_letters").asLong()).as("%s %s", format, name).isZero();
                assertThat(line.at("/all_examples_seen").asBoolean()).as("%s %s", format, name).isTrue();
            }
            // The logistic line's ratio is to the ceiling of its own (binary-labelled) topic.
            assertThat(e2e.at("/" + format + "/hashed_logistic/ceiling").asText()).isEqualTo("raw_consume_binary");
            assertThat(e2e.at("/" + format + "/hashed_logistic/ratio_to_raw").asDouble()).as(format)
                    .isCloseTo(e2e.at("/" + format + "/hashed_logistic/examples_per_s").asDouble()
                            / e2e.at("/" + format + "/raw_consume_binary/examples_per_s").asDouble(), within(1e-9));
        }
        // The flat keys: the JSON topics' figures.
        assertThat(e2e.at("/raw_consume/examples_per_s").asDouble())
                .isEqualTo(e2e.at("/json/raw_consume/examples_per_s").asDouble()).isPositive();
        assertThat(e2e.at("/raw_consume_binary/examples_per_s").asDouble())
                .isEqualTo(e2e.at("/json/raw_consume_binary/examples_per_s").asDouble()).isPositive();
        for (String name : new String[] {"hashed_logistic", "hashed_softmax", "wide_deep"}) {
            assertThat(e2e.at("/" + name + "/ratio_to_raw").asDouble()).as(name)
                    .isEqualTo(e2e.at("/json/" + name + "/ratio_to_raw").asDouble()).isPositive();
        }
        ModelSpec logistic = ModelSpec.parse(e2e.at("/config/specs/hashed_logistic").asText());
        assertThat(logistic.algorithm()).isEqualTo("logistic-regression");
        assertThat(logistic.numClasses()).isEqualTo(2);
        assertThat(logistic.inputDim()).isEqualTo(1 << 20);
        assertThat(ModelSpec.parse(e2e.at("/config/specs/hashed_softmax").asText()).numClasses()).isEqualTo(58);
        assertThat(ModelSpec.parse(e2e.at("/config/specs/wide_deep").asText()).algorithm()).isEqualTo("wide-deep");
        assertThat(e2e.at("/config/binary_label").asText()).contains("1 when the section is");
    }
}
