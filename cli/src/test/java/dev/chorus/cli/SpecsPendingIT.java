package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code chorus specs list} tells a record the train job has read from one it has not: the job's control source
 * commits its offset to the job's group at each checkpoint, and a record at or past it is PENDING. Put while the job
 * is down, a record stays PENDING; once a job of that group runs and checkpoints, it is LIVE.
 */
class SpecsPendingIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    private static final String MODEL = "\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
            + "\"batchSize\":4";
    private static final String GROUP = "specs-pending-it";

    @Test
    void aRecordPutWhileTheTrainJobIsDownIsPendingUntilAJobOfItsGroupHasReadIt() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            TrainSettings settings = new TrainSettings().bootstrapServers(bootstrap).groupId(GROUP)
                    .specs(TaskSpecs.ofDefault("{" + MODEL + "}")).checkpointIntervalMs(300).batchTimeoutMs(0)
                    .parallelism(2);
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            put(bootstrap, "fast", 0.2);
            assertThat(list(bootstrap, false).out()).as("a group without an offset on the topic: nothing pending")
                    .contains(" fast ", " LIVE ").doesNotContain("PENDING");

            JobClient job = start(settings);
            try {
                JobTestSupport.awaitGroupCaughtUp(kafka, GROUP, settings.specsTopic().name(), 0);
            } finally {
                JobTestSupport.cancel(job);
            }

            put(bootstrap, "slow", 0.01);
            List<String> rows = list(bootstrap, false).out().lines().skip(1).toList();
            assertThat(rows).hasSize(2);
            assertThat(rows.get(0)).contains(" fast ", " LIVE ").doesNotContain("pending");
            assertThat(rows.get(1)).contains(" slow ", " PENDING ").endsWith(" pending: not read by the train job "
                    + "(group " + GROUP + ") as of its last checkpoint; it goes by the record before until it has");
            ObjectMapper mapper = new ObjectMapper();
            List<JsonNode> json = list(bootstrap, true).out().lines().map(l -> {
                try {
                    return mapper.readTree(l);
                } catch (Exception e) {
                    throw new AssertionError(l, e);
                }
            }).toList();
            assertThat(json).extracting(l -> l.get("variant").asText() + " " + l.path("pending").asBoolean())
                    .containsExactly("fast false", "slow true");

            JobClient again = start(settings);
            try {
                awaitList(bootstrap, r -> r.stream().anyMatch(row -> row.contains(" slow ") && row.contains(" LIVE ")));
            } finally {
                JobTestSupport.cancel(again);
            }
        }
    }

    private static void put(String bootstrap, String variant, double learningRate) {
        CliRun put = CliRun.run(CliRun.noConfig(), "specs", "put", "iris", variant, "{" + MODEL
                + ",\"optimizer\":{\"type\":\"adam\",\"learningRate\":" + learningRate + "}}", "--bootstrap-servers",
                bootstrap);
        assertThat(put.exitCode()).as(put.err()).isZero();
    }

    private static CliRun list(String bootstrap, boolean json) {
        CliRun list = json
                ? CliRun.run(CliRun.noConfig(), "specs", "list", "--task", "iris", "--json", "--train-group-id", GROUP,
                        "--bootstrap-servers", bootstrap)
                : CliRun.run(CliRun.noConfig(), "specs", "list", "--task", "iris", "--train-group-id", GROUP,
                        "--bootstrap-servers", bootstrap);
        assertThat(list.exitCode()).as(list.err()).isZero();
        return list;
    }

    /** Lists until the rows match (a job commits its offset at its next completed checkpoint), within patience. */
    private static void awaitList(String bootstrap, Predicate<List<String>> done) throws InterruptedException {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        List<String> rows = List.of();
        while (Instant.now().isBefore(deadline)) {
            rows = list(bootstrap, false).out().lines().skip(1).toList();
            if (done.test(rows)) {
                return;
            }
            Thread.sleep(200); // polling interval while the job completes its next checkpoint
        }
        assertThat(done.test(rows)).as("chorus specs list within %s: %s", JobTestSupport.PATIENCE, rows).isTrue();
    }

    private static JobClient start(TrainSettings settings) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        return env.executeAsync(GROUP);
    }
}
