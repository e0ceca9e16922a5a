package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chorus bench latency} at a low rate for two seconds, for real: embedded broker, MiniCluster, the serve job
 * in both delivery modes with model swaps. Checks its figures' keys and their consistency, never their speed.
 */
class BenchLatencyIT {

    @TempDir
    Path dir;

    @Test
    void measuresBothModesWithTheStagesTheLatencyAccruesIn() throws Exception {
        Path json = dir.resolve("latency.json");
        Path plots = dir.resolve("plots");
        CliRun run = CliRun.run("bench", "latency", "--rate", "200", "--seconds", "2", "--json", json.toString(),
                "--plots", plots.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();

        JsonNode results = new ObjectMapper().readTree(json.toFile());
        for (String mode : new String[] {"/at_least_once", "/exactly_once"}) {
            JsonNode r = results.at(mode + "/rate_200");
            assertThat(r.path("sent").asLong()).as(mode).isEqualTo(400);
            assertThat(r.path("received").asLong()).as(mode).isEqualTo(400);
            assertThat(r.path("lost").asLong()).as(mode).isZero();
            assertThat(r.path("duplicated").asLong()).as(mode).isZero();
            assertThat(r.path("version_regressions").asLong()).as(mode).isZero();
            assertThat(r.path("p50_ms").asDouble()).as(mode).isLessThanOrEqualTo(r.path("p95_ms").asDouble());
            assertThat(r.path("p95_ms").asDouble()).as(mode).isLessThanOrEqualTo(r.path("p99_ms").asDouble());
            // One p99 per second of sending (more when a starved pacer sent late), none above the run's maximum.
            assertThat(r.path("p99_ms_by_second").size()).as(mode).isGreaterThanOrEqualTo(2);
            for (JsonNode second : r.path("p99_ms_by_second")) {
                assertThat(second.asDouble()).as(mode).isBetween(0.0, r.path("max_ms").asDouble());
            }
            for (String stage : new String[] {"producer_ack", "to_serve", "to_append", "to_consumer"}) {
                JsonNode s = r.at("/stages_ms/" + stage);
                assertThat(s.path("p50").isNumber()).as("%s %s", mode, stage).isTrue();
                assertThat(s.path("p50").asDouble()).as("%s %s", mode, stage)
                        .isBetween(0.0, s.path("p99").asDouble());
            }
            // The stages are consecutive: a prediction's whole latency is the sum of the last three.
            assertThat(r.at("/stages_ms/to_serve/p50").asDouble()).as(mode)
                    .isLessThanOrEqualTo(r.path("p50_ms").asDouble());
            assertThat(r.at("/pacer_late_ms/max").isNumber()).as(mode).isTrue();
            assertThat(r.at("/examples_producer/records_per_request_avg").asDouble()).as(mode).isPositive();
            assertThat(r.at("/checkpoints/completed").asLong()).as(mode).isPositive();
        }
        assertThat(results.path("exactly_once_checkpoint_interval_ms").asLong()).isEqualTo(200);
        assertThat(plots.resolve("latency-percentiles.png")).isNotEmptyFile();
    }
}
