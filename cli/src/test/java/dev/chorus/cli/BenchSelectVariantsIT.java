package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
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
 * embedded broker and MiniCluster yields the issue's keys, the ratio consistent with its slopes or marked
 * unmeasured (the figures' sizes are timings, which are not asserted), and every variant trained.
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
        // The ratio is a quotient of two slopes of timings; over this few examples the noise may make a slope
        // negative, and then the track says it measured nothing instead of reporting a ratio.
        double lone = variants.path("lone_variant_cpu_us_per_example").asDouble();
        double extra = variants.path("extra_variant_cpu_us_per_example").asDouble();
        assertThat(lone).isFinite();
        assertThat(extra).isFinite();
        if (lone > 0 && extra > 0) {
            assertThat(variants.path("extra_variant_cpu_ratio").asDouble()).isCloseTo(extra / lone, within(1e-9));
            assertThat(variants.path("target_extra_variant_at_most_1_2x_met").asBoolean())
                    .isEqualTo(extra / lone <= 1.2);
            assertThat(run.out()).as(run.out()).contains("an extra variant costs");
        } else {
            assertThat(variants.path("extra_variant_cpu_ratio").isNull()).isTrue();
            assertThat(variants.path("target_extra_variant_at_most_1_2x_met").isNull()).isTrue();
            assertThat(variants.path("extra_variant_cpu_ratio_unmeasured").asText())
                    .contains("not positive");
            assertThat(run.out()).as(run.out()).contains("an extra variant's cost is not measured");
        }
        assertThat(variants.path("raw_consume").path("cpu_seconds").asDouble()).isPositive();
    }
}
