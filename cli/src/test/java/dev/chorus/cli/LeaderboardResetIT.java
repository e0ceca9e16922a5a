package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.VariantStanding;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code chorus leaderboard} after {@code chorus models reset}: a variant's hyperparameters are those of the spec the
 * train job trains it with, which a tombstone on the models topic does not take away, so the reset variant, and the
 * variants compared with it, keep theirs.
 */
class LeaderboardResetIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    private static final String MODEL = "\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
            + "\"batchSize\":8";

    @Test
    void aVariantResetOnTheModelsTopicKeepsItsHyperparametersOnTheBoard() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            TrainSettings settings = new TrainSettings().bootstrapServers(bootstrap).groupId("leaderboard-reset-it")
                    .specs(TaskSpecs.ofDefault(spec(0.05))).checkpointIntervalMs(500).snapshotEveryBatches(2)
                    .snapshotIntervalMs(0).batchTimeoutMs(0).parallelism(2);
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            for (String[] variant : new String[][] {{"fast", "0.2"}, {"slow", "0.01"}}) {
                CliRun put = CliRun.run(CliRun.noConfig(), "specs", "put", "iris", variant[0],
                        spec(Double.parseDouble(variant[1])), "--bootstrap-servers", bootstrap);
                assertThat(put.exitCode()).as(put.err()).isZero();
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobClient job = env.executeAsync("leaderboard-reset-it");
            try {
                trainUntilTheBoardRanks(kafka, settings, "default", "fast", "slow");
            } finally {
                JobTestSupport.cancel(job);
            }
            Map<String, String> before = hyperparameters(bootstrap);
            assertThat(before).containsOnlyKeys("default", "fast", "slow");

            CliRun reset = CliRun.run(CliRun.noConfig(), "models", "reset", "--task", "iris", "--variant", "fast",
                    "--bootstrap-servers", bootstrap);
            assertThat(reset.exitCode()).as(reset.err()).isZero();

            assertThat(hyperparameters(bootstrap)).isEqualTo(before).containsEntry("fast",
                    "{\"optimizer.learningRate\":\"0.2\"}").containsEntry("slow",
                    "{\"optimizer.learningRate\":\"0.01\"}").containsEntry("default",
                    "{\"optimizer.learningRate\":\"0.05\"}");
        }
    }

    private static String spec(double learningRate) {
        return "{" + MODEL + ",\"optimizer\":{\"type\":\"adam\",\"learningRate\":" + learningRate + "}}";
    }

    /**
     * Sends examples of task iris, 400 at a time, until a committed champion record ranks every one of
     * {@code variants}: a job started without a savepoint may route its first examples before it has read the control
     * topic's variants (README, "Variants and the control topic"), so more examples follow until they train too.
     */
    private static void trainUntilTheBoardRanks(EmbeddedKafkaBroker kafka, TrainSettings settings, String... variants)
            throws InterruptedException {
        LabeledDataset data = SyntheticBlobs.generate(1200, 4, 3, 5);
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        try (ExampleProducer examples = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            for (int sent = 0; Instant.now().isBefore(deadline); ) {
                for (int end = sent + 400; sent < end; sent++) {
                    examples.send(settings.examplesTopic(),
                            ExampleProducer.example(data, sent % data.size(), "iris", "r-" + sent + "-", 0));
                }
                examples.flush();
                Instant round = Instant.now().plusSeconds(5);
                while (Instant.now().isBefore(round)) {
                    if (TopicReader.readAll(kafka.bootstrapServers(), Map.of(), settings.championsTopic().name(),
                            settings.championsTopic().codec()::decode).stream()
                            .anyMatch(c -> c.getStandings().stream().map(VariantStanding::getVariant).toList()
                                    .containsAll(List.of(variants)))) {
                        return;
                    }
                    Thread.sleep(200); // polling interval while the job commits its next checkpoint
                }
            }
        }
        throw new AssertionError("no committed champion record ranked " + List.of(variants) + " within "
                + JobTestSupport.PATIENCE);
    }

    /** Per variant of task iris on the board, its hyperparameters as JSON. */
    private static Map<String, String> hyperparameters(String bootstrap) throws Exception {
        CliRun board = CliRun.run(CliRun.noConfig(), "leaderboard", "--task", "iris", "--json", "--bootstrap-servers",
                bootstrap);
        assertThat(board.exitCode()).as(board.err()).isZero();
        Map<String, String> byVariant = new HashMap<>();
        for (JsonNode v : new ObjectMapper().readTree(board.out()).get(0).get("variants")) {
            byVariant.put(v.get("variant").asText(), v.get("hyperparameters").toString());
        }
        return byVariant;
    }
}
