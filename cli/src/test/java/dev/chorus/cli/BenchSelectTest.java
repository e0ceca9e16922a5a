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

/** {@code chorus bench select} on the first examples of Fashion-MNIST: its JSON keys, and values that make sense. */
class BenchSelectTest {

    private static final int LIMIT = 3000;
    /** Below the default (a third of the stream), so the option is seen to take effect. */
    private static final int BUDGET = 900;

    @TempDir
    Path dir;

    @Test
    void refusesFewerThanOneCpuRepeat() {
        CliRun run = CliRun.run("bench", "select", "--tracks", "search", "--cpu-repeats", "0");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--cpu-repeats of at least 1, got 0");
    }

    @Test
    void writesEveryKeyTheIssueNamesWithSaneValues() throws Exception {
        assumeTrue(Files.isReadable(FashionMnist.DEBIAN_DIR.resolve("train-images-idx3-ubyte.gz")),
                "needs Debian's dataset-fashion-mnist");
        Path json = dir.resolve("select.json");
        Path plots = dir.resolve("plots");
        CliRun run = CliRun.run("bench", "select", "--tracks", "search,drift", "--limit", "" + LIMIT,
                "--search-budget", "" + BUDGET, "--json", json.toString(), "--plots", plots.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode results = new ObjectMapper().readTree(json.toFile());

        for (String key : new String[] {"search.champion.test_accuracy", "search.best_in_hindsight.test_accuracy",
            "search.default.test_accuracy"}) {
            assertThat(at(results, key).asDouble()).as(key).isBetween(0.5, 1.0);
        }
        assertThat(at(results, "search.champion.test_accuracy").asDouble())
                .as("the best in hindsight is the best of the 8 trained to the end, the champion among them")
                .isLessThanOrEqualTo(at(results, "search.best_in_hindsight.test_accuracy").asDouble() + 0.02);
        assertThat(at(results, "search.budget_examples").asLong()).isEqualTo(BUDGET);
        assertThat(at(results, "search.rungs").get(2).path("at_example").asLong())
                .as("the last rung ends at the first minibatch boundary at or after the budget")
                .isEqualTo((BUDGET + 127) / 128 * 128);
        // The stream's own hindsight: the 8 to the end over the minibatches from the stream's last sixth on.
        JsonNode hindsight = at(results, "search.stream_hindsight");
        int tailFrom = (LIMIT - LIMIT / 6 + 127) / 128 * 128;
        assertThat(hindsight.path("tail_examples").asLong()).isEqualTo(LIMIT - tailFrom);
        assertThat(hindsight.path("variants")).hasSize(8);
        double bestTail = -1;
        for (JsonNode variant : hindsight.path("variants")) {
            assertThat(variant.path("accuracy").asDouble()).isBetween(0.0, 1.0);
            assertThat(variant.path("log_loss").asDouble()).isPositive().isFinite();
            bestTail = Math.max(bestTail, variant.path("accuracy").asDouble());
        }
        assertThat(hindsight.path("variants").path(hindsight.path("best").asText()).path("accuracy").asDouble())
                .as("the best is the one with the highest accuracy over the tail").isEqualTo(bestTail);
        assertThat(hindsight.path("champion_rank").asInt()).isBetween(1, 8);
        assertThat(at(results, "search.targets.champion_is_stream_hindsight_best").asBoolean())
                .isEqualTo(hindsight.path("champion_rank").asInt() == 1);
        // A CPU-time ratio is a timing, which a loaded machine and JIT warm-up move at this size: only its presence
        // is checked here; the work ratio is checked exactly by the example counts below.
        assertThat(at(results, "search.cpu_ratio_to_one_variant").asDouble()).isPositive().isFinite();
        // Three timings of each race (the default --cpu-repeats), the ratio dividing their medians.
        assertThat(at(results, "search.cpu_repeats").asInt()).isEqualTo(3);
        JsonNode runs = at(results, "search.cpu_seconds_runs");
        for (String race : new String[] {"search", "all_to_end", "default"}) {
            assertThat(runs.path(race)).as(race).hasSize(3);
            double[] sorted = new double[3];
            for (int r = 0; r < 3; r++) {
                sorted[r] = runs.path(race).get(r).asDouble();
            }
            java.util.Arrays.sort(sorted);
            assertThat(at(results, "search.cpu_seconds." + race).asDouble()).as(race + ": the median")
                    .isEqualTo(sorted[1]);
        }
        assertThat(at(results, "search.cpu_ratio_to_one_variant").asDouble())
                .isCloseTo(at(results, "search.cpu_seconds.search").asDouble()
                        / (at(results, "search.cpu_seconds.all_to_end").asDouble() / 8), within(1e-9));
        assertThat(at(results, "search.cpu_ratio_to_one_variant_runs")).hasSize(3);
        assertThat(at(results, "search.variant_examples_trained").asLong()).isStrictlyBetween((long) LIMIT,
                at(results, "search.variant_examples_all_to_end").asLong());
        assertThat(at(results, "search.variant_examples_all_to_end").asLong()).isEqualTo(8L * LIMIT);
        assertThat(at(results, "search.rungs")).hasSize(3);

        // The second space, with the minibatch size, under its own keys, against the same default.
        for (String key : new String[] {"search_wide.champion.test_accuracy",
            "search_wide.best_in_hindsight.test_accuracy", "search_wide.default.test_accuracy"}) {
            assertThat(at(results, key).asDouble()).as(key).isBetween(0.5, 1.0);
        }
        assertThat(at(results, "search_wide.default.test_accuracy").asDouble())
                .isEqualTo(at(results, "search.default.test_accuracy").asDouble());
        assertThat(at(results, "search_wide.cpu_ratio_to_one_variant").asDouble()).isPositive().isFinite();
        assertThat(at(results, "search_wide.rungs")).hasSize(3);
        JsonNode drawn = at(results, "search_wide.all_to_end");
        assertThat(drawn.has(at(results, "search_wide.champion.variant").asText()))
                .as("the champion is one of the drawn variants " + drawn.fieldNames()).isTrue();
        java.util.Set<Integer> batchSizes = new java.util.TreeSet<>();
        for (JsonNode variant : drawn) {
            batchSizes.add(new ObjectMapper().readTree(variant.path("spec").asText()).path("batchSize").asInt());
        }
        assertThat(batchSizes).as("the drawn variants' batch sizes").hasSizeGreaterThan(1).isSubsetOf(16, 32, 64, 128);
        // Each variant trains in minibatches of its own size: every drawn variant trains on every example.
        assertThat(at(results, "search_wide.variant_examples_all_to_end").asLong()).isEqualTo(8L * LIMIT);

        for (String track : new String[] {"drift.abrupt", "drift.gradual"}) {
            for (String key : new String[] {".with_handling.accuracy_after", ".without_handling.accuracy_after"}) {
                assertThat(at(results, track + key).asDouble()).as(track + key).isBetween(0.0, 1.0);
            }
            JsonNode delay = at(results, track + ".detection_delay_examples");
            assertThat(delay.isNull() || delay.asLong() > 0).as(track + " delay " + delay).isTrue();
        }
        assertThat(at(results, "drift.abrupt.without_handling.accuracy_after").asDouble())
                .as("rotating half the classes' labels costs the unhandled model accuracy")
                .isLessThan(at(results, "drift.abrupt.without_handling.accuracy_before").asDouble());
        // The same figures for the constant-rate learner and, under drift.decayed, the one with a decaying schedule.
        for (String track : new String[] {"drift.abrupt", "drift.gradual", "drift.decayed.abrupt",
            "drift.decayed.gradual"}) {
            assertThat(at(results, track + ".accuracy_after_gain_ceiling").asDouble())
                    .as(track + ": the unhandled model's accuracy before the change less its accuracy after")
                    .isEqualTo(at(results, track + ".without_handling.accuracy_before").asDouble()
                            - at(results, track + ".without_handling.accuracy_after").asDouble());
            JsonNode standings = at(results, track + ".with_handling.standings");
            assertThat(standings.size()).as(track + " standings").isPositive();
            assertThat(standings.get(0).path("status").asText()).as("the champion first").isEqualTo("CHAMPION");
            assertThat(standings.get(0).path("accuracy").asDouble()).isBetween(0.0, 1.0);
            assertThat(standings.get(0).path("labelled").asLong()).isPositive();
        }
        assertThat(at(results, "drift.stationary.drift_events").isIntegralNumber()).isTrue();
        // Two detectors, each with reset, fork and rewarm.
        assertThat(at(results, "drift.validation").size()).isEqualTo(6);
        assertThat(at(results, "drift.validation").has("page-hinkley+rewarm")).isTrue();
        assertThat(at(results, "drift.decayed.stationary.drift_events").isIntegralNumber()).isTrue();
        assertThat(at(results, "drift.decayed.validation").size()).isEqualTo(6);
        assertThat(at(results, "drift.decayed.validation").has("adwin+rewarm")).isTrue();
        assertThat(at(results, "drift.decayed.spec").asText()).contains("\"schedule\"");
        assertThat(plots.resolve("select-drift.png")).isNotEmptyFile();
        assertThat(plots.resolve("select-drift-decayed.png")).isNotEmptyFile();
        assertThat(run.out()).contains("champion");
    }

    private static JsonNode at(JsonNode node, String dotted) {
        JsonNode here = node;
        for (String part : dotted.split("\\.")) {
            here = here.path(part);
        }
        assertThat(here.isMissingNode()).as(dotted + " in the JSON").isFalse();
        return here;
    }
}
