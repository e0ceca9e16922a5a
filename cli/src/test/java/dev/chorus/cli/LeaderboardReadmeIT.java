package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.cli.data.FashionMnist;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.train.TrainSettings;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs the README's worked {@code chorus leaderboard} example against a real broker, its {@code chorus train} on a
 * MiniCluster in this JVM: {@code specs put}, {@code produce}, a bounded {@code train}, {@code leaderboard}. The
 * board's header, and each row's task, variant, status and hyperparameters, are the README's; its figures vary a
 * little from run to run (the control topic is read while examples flow), so they are checked for sense only.
 */
class LeaderboardReadmeIT {

    @Test
    void theReadmesLeaderboardExamplePrintsTheBoardItShows() throws Exception {
        assumeTrue(Files.isReadable(FashionMnist.DEBIAN_DIR.resolve("train-images-idx3-ubyte.gz")),
                "needs Debian's dataset-fashion-mnist");
        String readme = Files.readString(KcatReadmeIT.README);
        List<String> shown = output(readme).strip().lines().toList();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            kafka.createTopics(ChorusTopic.newTopics(new TrainSettings(), 1));
            String bootstrap = kafka.bootstrapServers();
            String printed = null;
            for (String line : KcatReadmeIT.block(readme, "leaderboard").strip().split("\n")) {
                List<String> args = SpecsReadmeIT.arguments(line, bootstrap);
                CliRun run = CliRun.run(CliRun.noConfig(), args.toArray(String[]::new));
                assertThat(run.exitCode()).as("%s: %s", line, run.err()).isZero();
                if (args.get(0).equals("train")) {
                    assertThat(run.out()).as("the bounded run's last line").containsPattern(
                            "chorus-train \\p{XDigit}{32} finished after [0-9.]+ s: predictions on "
                                    + "chorus.predictions, models on chorus.models,");
                }
                printed = run.out();
            }
            List<String> board = printed.strip().lines().toList();
            assertThat(board).as(printed).hasSameSizeAs(shown);
            assertThat(board.get(0)).as(printed).isEqualTo(shown.get(0));
            for (int row = 1; row < shown.size(); row++) {
                assertThat(words(board.get(row))).as(printed).isEqualTo(words(shown.get(row)));
            }

            CliRun json = CliRun.run(CliRun.noConfig(), "leaderboard", "--task", "fashion", "--json",
                    "--bootstrap-servers", bootstrap);
            assertThat(json.exitCode()).as(json.err()).isZero();
            JsonNode task = new ObjectMapper().readTree(json.out()).get(0);
            assertThat(task.get("champion").asText()).isEqualTo("fast");
            assertThat(task.get("previousVariant").asText()).isEqualTo("default");
            assertThat(task.get("evidence").get("lowerBound").asDouble())
                    .isGreaterThan(task.get("evidence").get("margin").asDouble());
            JsonNode fast = task.get("variants").get(0);
            JsonNode slow = task.get("variants").get(1);
            assertThat(fast.get("loss").asDouble()).isLessThan(slow.get("loss").asDouble());
            assertThat(fast.get("accuracy").asDouble()).isGreaterThan(slow.get("accuracy").asDouble());
            // The end of the bounded input publishes the standings once more: default (--spec) predicted every
            // example, fast every one after the control topic's record reached the trainer.
            assertThat(slow.get("labelledExamples").asLong()).as("default's examples").isEqualTo(3000L);
            assertThat(fast.get("labelledExamples").asLong()).as("fast's examples").isBetween(1L, 3000L);
        }
    }

    /** The fenced block that follows {@code <!-- readme-output:leaderboard -->}: what the README says it prints. */
    private static String output(String readme) {
        Matcher m = Pattern.compile("<!-- readme-output:leaderboard -->\\s*```\\n(.*?)```", Pattern.DOTALL)
                .matcher(readme);
        assertThat(m.find()).as("README block readme-output:leaderboard").isTrue();
        return m.group(1);
    }

    /** A row's task, variant, status and hyperparameters (its last column): what does not vary between runs. */
    private static List<String> words(String row) {
        String[] columns = row.strip().split(" {2,}");
        List<String> kept = new ArrayList<>(List.of(columns[0], columns[1], columns[2]));
        kept.add(columns[columns.length - 1]);
        return kept;
    }
}
