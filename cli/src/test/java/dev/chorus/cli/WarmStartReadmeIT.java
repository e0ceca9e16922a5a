package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's warm-start commands (block {@code readme-test:warm-start}) against a real broker and a train job
 * on a MiniCluster: {@code chorus fit} on the shipped Fashion-MNIST test images, {@code specs put
 * --warm-start-file}, {@code produce}, then, once the offline variant has a snapshot, {@code specs put --fork-from};
 * both warm variants then predict. Paths in the lines are the repository's ({@code cli/...}) and the working
 * directory's ({@code fashion.model}, here a temporary directory).
 */
class WarmStartReadmeIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @Test
    void theReadmesWarmStartCommandsStartVariantsFromAFittedFileAndAFork(@TempDir Path dir) throws Exception {
        Path repository = KcatReadmeIT.README.toAbsolutePath().getParent();
        List<String> lines = List.of(KcatReadmeIT.block(Files.readString(KcatReadmeIT.README), "warm-start").strip()
                .split("\n"));
        assertThat(lines).hasSize(4);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            TrainSettings settings = new TrainSettings().bootstrapServers(bootstrap).groupId("warm-start-readme-it")
                    .specs(TaskSpecs.ofDefault("{\"algorithm\":\"softmax-regression\",\"inputDim\":784,"
                            + "\"numClasses\":10,\"batchSize\":32}"))
                    .checkpointIntervalMs(300).snapshotEveryBatches(5).snapshotIntervalMs(0).batchTimeoutMs(0)
                    .parallelism(2);
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobClient job = env.executeAsync("warm-start-readme-it");
            try {
                List<String> outputs = new ArrayList<>();
                for (int i = 0; i < lines.size(); i++) {
                    if (i == 3) {
                        JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(),
                                m -> m.getVariant().equals("offline"), 1);
                    }
                    List<String> args = new ArrayList<>();
                    for (String arg : SpecsReadmeIT.arguments(lines.get(i), bootstrap)) {
                        args.add(arg.startsWith("cli/") ? repository.resolve(arg).toString()
                                : arg.equals("fashion.model") ? dir.resolve(arg).toString() : arg);
                    }
                    if (!args.get(0).equals("specs")) {
                        args.add("--no-progress");
                    }
                    if (!args.get(0).equals("fit")) {
                        args.addAll(List.of("--bootstrap-servers", bootstrap));
                    }
                    CliRun run = CliRun.run(CliRun.noConfig(), args.toArray(String[]::new));
                    assertThat(run.exitCode()).as("%s: %s", lines.get(i), run.err()).isZero();
                    outputs.add(run.out());
                }
                assertThat(outputs.get(0)).startsWith("fit softmax-regression on 10,000 examples of ")
                        .contains("(2 epochs)");
                assertThat(outputs.get(1)).startsWith("fashion/offline live, from a " + Files.size(
                        dir.resolve("fashion.model")) + "-byte model");
                assertThat(outputs.get(2)).startsWith("sent 640 examples (task fashion)");
                assertThat(outputs.get(3)).startsWith("fashion/fork live, from a ");
                assertThat(forkPredictions(kafka, settings, repository, bootstrap))
                        .as("the fork's first prediction, by the offline variant's snapshot at version 0")
                        .extracting(Prediction::getModelVersion).first().isEqualTo(0L);
            } finally {
                JobTestSupport.cancel(job);
            }
        }
    }

    /** Produces 32 more images at a time until the fork predicts some: its predictions, in order. */
    static List<Prediction> forkPredictions(EmbeddedKafkaBroker kafka, TrainSettings settings, Path repository,
            String bootstrap) throws Exception {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        for (int round = 0; Instant.now().isBefore(deadline); round++) {
            CliRun produce = CliRun.run(CliRun.noConfig(), "produce", repository.resolve(
                    "cli/src/main/resources/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").toString(), "--task",
                    "fashion", "--limit", "32", "--id-prefix", "after" + round, "--no-progress",
                    "--bootstrap-servers", bootstrap);
            assertThat(produce.exitCode()).as(produce.err()).isZero();
            Thread.sleep(500);
            List<Prediction> fork = JobTestSupport.read(kafka, settings.predictionsTopic()).stream()
                    .filter(p -> p.getVariant().equals("fork")).toList();
            if (!fork.isEmpty()) {
                return fork;
            }
        }
        throw new AssertionError("the fork predicted nothing within " + JobTestSupport.PATIENCE);
    }
}
