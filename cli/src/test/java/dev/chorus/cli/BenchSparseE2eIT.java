package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
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
            assertThat(e2e.at("/" + format + "/raw_consume/examples_per_s").asDouble()).as(format).isPositive();
            JsonNode hashed = e2e.at("/" + format + "/hashed_logistic");
            assertThat(hashed.at("/examples_per_s").asDouble()).as("%s: %s", format, hashed).isPositive();
            assertThat(hashed.at("/ratio_to_raw").asDouble()).as(format).isPositive();
            assertThat(hashed.at("/predictions").asLong()).as(format).isEqualTo(EXAMPLES);
            assertThat(hashed.at("/dead_letters").asLong()).as(format).isZero();
            assertThat(hashed.at("/all_examples_seen").asBoolean()).as(format).isTrue();
            JsonNode wideDeep = e2e.at("/" + format + "/wide_deep");
            if (wideDeep.has("skipped")) {
                // Only the job's refusal of the algorithm, not a spec that does not parse.
                assertThat(wideDeep.get("skipped").asText()).as(format)
                        .contains("expected an algorithm the train job trains (not yet \"wide-deep\"");
            } else {
                assertThat(wideDeep.at("/ratio_to_raw").asDouble()).as("%s: %s", format, wideDeep).isPositive();
                assertThat(wideDeep.at("/predictions").asLong()).as(format).isEqualTo(EXAMPLES);
            }
        }
        // The flat keys: the JSON topic's figures.
        assertThat(e2e.at("/raw_consume/examples_per_s").asDouble())
                .isEqualTo(e2e.at("/json/raw_consume/examples_per_s").asDouble()).isPositive();
        assertThat(e2e.at("/hashed_logistic/ratio_to_raw").asDouble())
                .isEqualTo(e2e.at("/json/hashed_logistic/ratio_to_raw").asDouble()).isPositive();
        assertThat(ModelSpec.parse(e2e.at("/config/specs/wide_deep").asText()).algorithm()).isEqualTo("wide-deep");
        assertThat(e2e.at("/wide_deep/ratio_to_raw").isNumber() || e2e.at("/wide_deep/skipped").isTextual())
                .as(e2e.at("/wide_deep").toString()).isTrue();
    }
}
