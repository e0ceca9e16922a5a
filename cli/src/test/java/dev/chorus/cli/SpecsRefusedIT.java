package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code chorus specs list} shows the train job's verdict on each control record: records written past
 * {@code chorus specs put}'s checks, as a kcat user writes them, that a running train job dead-letters (to the
 * dead-letter topic and the spec refusals topic, where the list reads them) are shown as REFUSED with the dead
 * letter's reason, never as LIVE, and a refused search draws no search state. A value that is
 * no VariantSpecRecord at all is one UNREADABLE row under its key until the job refuses it, then a REFUSED one; it
 * fails neither {@code specs list} nor {@code leaderboard}, which still takes the specs from the control topic.
 */
class SpecsRefusedIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    private static final String MODEL = "\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
            + "\"batchSize\":4";

    @Test
    void aRecordTheTrainJobDeadLetteredIsListedAsRefusedWithItsReason() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            TrainSettings settings = new TrainSettings().bootstrapServers(bootstrap).groupId("specs-refused-it")
                    .specs(TaskSpecs.ofDefault("{" + MODEL + "}")).maxVariantsPerTask(4)
                    .checkpointIntervalMs(300).batchTimeoutMs(0).parallelism(2);
            settings.specsTopic(new Topic<>(settings.specsTopic().name(), VariantSpecRecord.class, WireFormat.JSON));
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            String fast = "{" + MODEL + ",\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.2}}";
            // Past chorus specs put's checks: a changed spec for a live key, an optimizer the job does not know, and
            // (put checks the default bound of 16, the job runs with 4) a search of four beside default and fast.
            String changed = "{" + MODEL + ",\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.5}}";
            String unknownOptimizer = "{" + MODEL + ",\"optimizer\":{\"type\":\"nadam\",\"learningRate\":0.1}}";
            String search = "{" + MODEL + ",\"search\":{\"method\":\"successive-halving\",\"variants\":4,"
                    + "\"budgetExamples\":300,\"space\":{\"l2\":[0,0.0001]}}}";
            try (ExampleProducer kcat = new ExampleProducer(bootstrap, Map.of())) {
                kcat.sendRaw(settings.specsTopic().name(), "iris/fast", json("fast", fast)).get();
                kcat.sendRaw(settings.specsTopic().name(), "iris/fast", json("fast", changed)).get();
                kcat.sendRaw(settings.specsTopic().name(), "iris/odd", json("odd", unknownOptimizer)).get();
                kcat.sendRaw(settings.specsTopic().name(), "iris/hp", json("hp", search)).get();
                kcat.sendRaw(settings.specsTopic().name(), "iris/junk", "not json".getBytes(StandardCharsets.UTF_8))
                        .get();
                kcat.sendRaw(settings.specsTopic().name(), "iris/slow", json("slow", spec(0.05))).get();
            }
            CliRun unjudged = CliRun.run(CliRun.noConfig(), "specs", "list", "--task", "iris", "--bootstrap-servers",
                    bootstrap);
            assertThat(unjudged.exitCode()).as(unjudged.err()).isZero();
            assertThat(unjudged.out().lines().filter(l -> l.contains(" junk ")).toList()).singleElement().asString()
                    .contains(" UNREADABLE ", "(partition 0 offset 4, no VariantSpecRecord): not valid JSON");

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobClient job = env.executeAsync("specs-refused-it");
            List<DeadLetter> refused;
            List<DeadLetter> deadLettered;
            try {
                refused = JobTestSupport.awaitCommitted(kafka, settings.specRefusalsTopic(), d -> true, 4).stream()
                        .sorted(Comparator.comparingLong(DeadLetter::getOffset)).toList();
                deadLettered = JobTestSupport.awaitCommitted(kafka, settings.deadLetterTopic(),
                        d -> d.getTopic().equals(settings.specsTopic().name()), 4).stream()
                        .sorted(Comparator.comparingLong(DeadLetter::getOffset)).toList();
            } finally {
                JobTestSupport.cancel(job);
            }
            assertThat(refused).extracting(DeadLetter::getOffset).containsExactly(1L, 2L, 3L, 4L);
            assertThat(refused).as("the refusals topic holds the control topic's dead letters, nothing else")
                    .isEqualTo(deadLettered).allMatch(d -> d.getTopic().equals(settings.specsTopic().name()));

            CliRun list = CliRun.run(CliRun.noConfig(), "specs", "list", "--task", "iris", "--bootstrap-servers",
                    bootstrap);

            assertThat(list.exitCode()).as(list.err()).isZero();
            List<String> rows = list.out().lines().skip(1).toList();
            assertThat(rows).hasSize(6);
            assertThat(rows.get(0)).as("what the job trains fast with").contains(" fast ", " LIVE ").endsWith(fast);
            assertThat(rows.get(1)).contains(" fast ", " REFUSED ", changed + " refused: " + refused.get(0).getReason());
            assertThat(rows.get(2)).contains(" odd ", " REFUSED ")
                    .endsWith(unknownOptimizer + " refused: " + refused.get(1).getReason());
            assertThat(rows.get(3)).as("a refused search has no state").contains(" hp ", " REFUSED ")
                    .endsWith(search + " refused: " + refused.get(2).getReason()).doesNotContain(" search: ");
            assertThat(rows.get(4)).as("the job's reason for what is no record").contains(" junk ", " REFUSED ")
                    .endsWith("(partition 0 offset 4, no VariantSpecRecord) refused: " + refused.get(3).getReason());
            assertThat(rows.get(5)).contains(" slow ", " LIVE ");
            assertThat(refused.get(1).getReason()).contains("nadam");
            assertThat(refused.get(2).getReason()).contains("maxVariantsPerTask=4");

            CliRun jsonList = CliRun.run(CliRun.noConfig(), "specs", "list", "--task", "iris", "--json",
                    "--bootstrap-servers", bootstrap);
            assertThat(jsonList.exitCode()).as(jsonList.err()).isZero();
            ObjectMapper mapper = new ObjectMapper();
            List<JsonNode> lines = jsonList.out().lines().map(l -> {
                try {
                    return mapper.readTree(l);
                } catch (Exception e) {
                    throw new AssertionError(l, e);
                }
            }).toList();
            assertThat(lines).extracting(l -> l.get("variant").asText() + " " + l.path("refused").path("reason")
                    .asText("-")).containsExactly("fast -", "fast " + refused.get(0).getReason(),
                    "odd " + refused.get(1).getReason(), "hp " + refused.get(2).getReason(),
                    "junk " + refused.get(3).getReason(), "slow -");
            JsonNode junk = lines.get(4);
            assertThat(junk.get("key").asText()).isEqualTo("iris/junk");
            assertThat(junk.get("unreadable").get("offset").asLong()).isEqualTo(4);
            assertThat(junk.get("unreadable").get("partition").asInt()).isZero();
            assertThat(junk.get("unreadable").get("reason").asText()).startsWith("not valid JSON");

            try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of())) {
                producer.sendRaw(settings.championsTopic().name(), "iris", WireFormat.JSON.codec(Champion.class)
                        .encode(champion("fast", "slow"))).get();
            }
            CliRun board = CliRun.run(CliRun.noConfig(), "leaderboard", "--json", "--bootstrap-servers", bootstrap);
            assertThat(board.exitCode()).as(board.err()).isZero();
            assertThat(board.err()).contains("1 record(s) on " + settings.specsTopic().name()
                    + " are no VariantSpecRecord and change no variant's spec");
            assertThat(mapper.readTree(board.out()).get(0).get("variants")).extracting(v -> v.get("variant").asText()
                    + " " + v.get("hyperparameters")).containsExactly("fast {\"optimizer.learningRate\":\"0.2\"}",
                    "slow {\"optimizer.learningRate\":\"0.05\"}");

            // put, reset and retire go by the job's verdict too: a refused record made nothing live.
            CliRun resetRefused = CliRun.run(CliRun.noConfig(), "specs", "reset", "iris", "odd", "--format", "json",
                    "--bootstrap-servers", bootstrap);
            assertThat(resetRefused.exitCode()).isNotZero();
            assertThat(resetRefused.err()).contains("iris/odd is not on the control topic (no record the train job "
                    + "took): only a live variant can be reset");
            CliRun putAgain = CliRun.run(CliRun.noConfig(), "specs", "put", "iris", "odd", spec(0.1), "--format",
                    "json", "--bootstrap-servers", bootstrap);
            assertThat(putAgain.exitCode()).as(putAgain.err()).isZero();
        }
    }

    private static String spec(double learningRate) {
        return "{" + MODEL + ",\"optimizer\":{\"type\":\"adam\",\"learningRate\":" + learningRate + "}}";
    }

    /** A champion record of task iris naming {@code variants}, the first the champion. */
    private static Champion champion(String... variants) {
        List<VariantStanding> standings = new ArrayList<>();
        for (String v : variants) {
            standings.add(VariantStanding.newBuilder().setVariant(v).setStatus(standings.isEmpty()
                    ? StandingStatus.CHAMPION : StandingStatus.CHALLENGER).setLabelledExamples(10L).setLossMean(0.5)
                    .setLossStandardError(0.1).setModelVersion(1L).build());
        }
        return Champion.newBuilder().setTask("iris").setVariant(variants[0]).setModelVersion(1L).setSince(0L)
                .setStandings(standings).setUpdatedAt(0L).build();
    }

    private static byte[] json(String variant, String spec) {
        VariantSpecRecord record = SpecsCommand.record("iris", variant, spec, "kcat");
        return WireFormat.JSON.codec(VariantSpecRecord.class).encode(record);
    }
}
