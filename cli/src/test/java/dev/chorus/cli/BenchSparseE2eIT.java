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
    void linesRunsOnlyTheNamedLinesTheirTopicsCeilingsAndABinaryWideAndDeep() throws Exception {
        assumeTrue(PackageCatalogue.defaultFile(PackageCatalogue.APT_LISTS).isPresent(),
                "no *_Packages* file under " + PackageCatalogue.APT_LISTS + " (run apt-get update)");
        CliRun unknown = CliRun.run("bench", "sparse", "--e2e-only", "--lines", "hashed_logistic,hashed_lasso");
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.err()).contains("--lines: expected some of [hashed_logistic, hashed_softmax, wide_deep, "
                + "wide_deep_binary], got [hashed_logistic, hashed_lasso]");

        Path json = dir.resolve("sparse-e2e-binary.json");
        CliRun run = CliRun.run("bench", "sparse", "--limit", "500", "--e2e-only", "--runs", "1", "--lines",
                "hashed_logistic,wide_deep_binary", "--json", json.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode e2e = new ObjectMapper().readTree(json.toFile()).at("/e2e");
        for (String format : new String[] {"json", "avro"}) {
            JsonNode topics = e2e.at("/" + format);
            assertThat(topics.at("/raw_consume_binary/examples_per_s").asDouble()).isPositive();
            for (String name : new String[] {"hashed_logistic", "wide_deep_binary"}) {
                JsonNode line = topics.at("/" + name);
                assertThat(line.at("/predictions").asLong()).as("%s %s: %s", format, name, line).isEqualTo(500);
                assertThat(line.at("/ceiling").asText()).as(format).isEqualTo("raw_consume_binary");
                assertThat(line.at("/ratio_to_passthrough").asDouble()).as("%s %s", format, name)
                        .isCloseTo(line.at("/examples_per_s").asDouble()
                                / topics.at("/flink_passthrough_binary/examples_per_s").asDouble(), within(1e-9));
            }
            // The pass-through: the train job's source, decoder and predictions sink, one prediction per example.
            JsonNode passThrough = topics.at("/flink_passthrough_binary");
            assertThat(passThrough.at("/predictions").asLong()).as("%s: %s", format, passThrough).isEqualTo(500);
            assertThat(passThrough.at("/dead_letters").asLong()).as(format).isZero();
            assertThat(passThrough.at("/cpu_us_per_example").asDouble()).as(format).isPositive();
            assertThat(passThrough.at("/ratio_to_raw").asDouble()).as(format)
                    .isCloseTo(passThrough.at("/examples_per_s").asDouble()
                            / topics.at("/raw_consume_binary/examples_per_s").asDouble(), within(1e-9));
            // The source alone: every record counted, none decoded or written.
            JsonNode sourceOnly = topics.at("/flink_source_only_binary");
            assertThat(sourceOnly.at("/records").asLong()).as("%s: %s", format, sourceOnly).isEqualTo(500);
            assertThat(sourceOnly.at("/examples_per_s").asDouble()).as(format).isPositive();
            assertThat(sourceOnly.at("/ratio_to_raw").asDouble()).as(format).isPositive();
            for (String absent : new String[] {"hashed_softmax", "wide_deep", "raw_consume", "flink_passthrough"}) {
                assertThat(topics.has(absent)).as("%s: no line reads the section-labelled topics", absent).isFalse();
            }
        }
        assertThat(e2e.at("/flink_passthrough_binary/ratio_to_raw").asDouble())
                .isEqualTo(e2e.at("/json/flink_passthrough_binary/ratio_to_raw").asDouble()).isPositive();
        assertThat(e2e.at("/wide_deep_binary/ratio_to_passthrough").asDouble())
                .isEqualTo(e2e.at("/json/wide_deep_binary/ratio_to_passthrough").asDouble()).isPositive();
        // Click-style: one output per row, where the 58-class line has 58.
        ModelSpec wideDeep = ModelSpec.parse(e2e.at("/config/specs/wide_deep_binary").asText());
        assertThat(wideDeep.algorithm()).isEqualTo("wide-deep");
        assertThat(wideDeep.classificationLoss().outputDim(wideDeep.numClasses())).isEqualTo(1);
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
            for (String name : new String[] {"hashed_logistic", "hashed_softmax", "wide_deep", "wide_deep_binary"}) {
                JsonNode line = e2e.at("/" + format + "/" + name);
                assertThat(line.has("skipped")).as("%s %s: %s", format, name, line).isFalse();
                assertThat(line.at("/examples_per_s").asDouble()).as("%s %s: %s", format, name, line).isPositive();
                assertThat(line.at("/ratio_to_raw").asDouble()).as("%s %s", format, name).isPositive();
                assertThat(line.at("/predictions").asLong()).as("%s %s", format, name).isEqualTo(EXAMPLES);
                assertThat(line.at("/dead_letters").asLong()).as("%s %s", format, name).isZero();
                assertThat(line.at("/all_examples_seen").asBoolean()).as("%s %s", format, name).isTrue();
                assertThat(line.at("/ratio_to_passthrough").asDouble()).as("%s %s", format, name).isPositive();
            }
            // Each set's topics have their Flink ceilings, named after the set as its raw consumer is.
            for (String ceiling : new String[] {"flink_passthrough", "flink_passthrough_binary"}) {
                assertThat(e2e.at("/" + format + "/" + ceiling + "/predictions").asLong()).as("%s %s", format, ceiling)
                        .isEqualTo(EXAMPLES);
            }
            for (String ceiling : new String[] {"flink_source_only", "flink_source_only_binary"}) {
                assertThat(e2e.at("/" + format + "/" + ceiling + "/records").asLong()).as("%s %s", format, ceiling)
                        .isEqualTo(EXAMPLES);
            }
            assertThat(e2e.at("/" + format + "/wide_deep/ratio_to_passthrough").asDouble()).as(format)
                    .isCloseTo(e2e.at("/" + format + "/wide_deep/examples_per_s").asDouble()
                            / e2e.at("/" + format + "/flink_passthrough/examples_per_s").asDouble(), within(1e-9));
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
        for (String name : new String[] {"hashed_logistic", "hashed_softmax", "wide_deep", "wide_deep_binary",
                "flink_passthrough", "flink_passthrough_binary", "flink_source_only", "flink_source_only_binary"}) {
            assertThat(e2e.at("/" + name + "/ratio_to_raw").asDouble()).as(name)
                    .isEqualTo(e2e.at("/json/" + name + "/ratio_to_raw").asDouble()).isPositive();
        }
        ModelSpec logistic = ModelSpec.parse(e2e.at("/config/specs/hashed_logistic").asText());
        assertThat(logistic.algorithm()).isEqualTo("logistic-regression");
        assertThat(logistic.numClasses()).isEqualTo(2);
        assertThat(logistic.inputDim()).isEqualTo(1 << 20);
        assertThat(ModelSpec.parse(e2e.at("/config/specs/hashed_softmax").asText()).numClasses()).isEqualTo(58);
        assertThat(ModelSpec.parse(e2e.at("/config/specs/wide_deep").asText()).algorithm()).isEqualTo("wide-deep");
        assertThat(ModelSpec.parse(e2e.at("/config/specs/wide_deep_binary").asText()).numClasses()).isEqualTo(2);
        assertThat(e2e.at("/config/binary_label").asText()).contains("1 when the section is");
    }
}
