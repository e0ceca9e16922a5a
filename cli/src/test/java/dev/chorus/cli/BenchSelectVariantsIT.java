package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.cli.data.FashionMnist;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chorus bench select --tracks variants} at a small size: the train job with 1, 4 and 16 variants on an
 * embedded broker and MiniCluster yields the issue's keys with positive figures (their sizes are timings, which
 * are not asserted), and every variant trained.
 */
class BenchSelectVariantsIT {

    private static final int LIMIT = 2000;

    @TempDir
    Path dir;

    @Test
    void theCostOfVariantsTrackYieldsTheIssuesKeys() throws Exception {
        assumeTrue(Files.isReadable(FashionMnist.DEBIAN_DIR.resolve("train-images-idx3-ubyte.gz")),
                "needs Debian's dataset-fashion-mnist");
        Path json = dir.resolve("select.json");
        CliRun run = CliRun.run("bench", "select", "--tracks", "variants", "--limit", "" + LIMIT, "--json",
                json.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode variants = new ObjectMapper().readTree(json.toFile()).path("variants");

        for (int count : new int[] {1, 4, 16}) {
            JsonNode line = variants.path("v" + count);
            assertThat(line.path("examples_per_s").asDouble()).as("v%d examples/s", count).isPositive().isFinite();
            assertThat(line.path("cpu_us_per_example_per_variant").asDouble()).as("v%d CPU", count)
                    .isPositive().isFinite();
            assertThat(line.path("examples_seen_by_variant").size()).as("v%d variants with snapshots", count)
                    .isEqualTo(count);
            // The control topic is broadcast while examples flow, so an added variant may miss the first examples;
            // variant default (--spec) trains on all of them.
            assertThat(line.path("examples_seen_by_variant").path("default").asLong()).isEqualTo(LIMIT);
            assertThat(line.path("examples_seen_by_variant")).allSatisfy(seen -> assertThat(seen.asLong()).isPositive());
            assertThat(line.path("variant_examples").asLong()).as("v%d (example, variant) pairs", count)
                    .isBetween((long) LIMIT + count - 1, (long) LIMIT * count);
            assertThat(line.path("dead_letters").asLong()).isZero();
        }
        assertThat(variants.path("extra_variant_cpu_ratio").asDouble()).isPositive().isFinite();
        assertThat(variants.path("raw_consume").path("cpu_seconds").asDouble()).isPositive();
        assertThat(run.out()).as(run.out()).contains("an extra variant costs");
    }
}
