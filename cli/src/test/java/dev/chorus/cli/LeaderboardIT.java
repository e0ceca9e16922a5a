package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.ChampionEvidence;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code chorus leaderboard} against a real broker: standings from the champions topic, hyperparameters from specs. */
class LeaderboardIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void showsEachVariantWithItsDifferingHyperparametersTheChampionFirst() throws Exception {
        String bootstrap = KAFKA.broker().bootstrapServers();
        KAFKA.broker().createTopics(List.of(ChorusTopic.MODELS.newTopic("lb.models", 1),
                ChorusTopic.CHAMPIONS.newTopic("lb.champions", 1)));
        try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of())) {
            producer.sendRaw("lb.models", "t/default", WireFormat.AVRO.codec(ModelSnapshot.class)
                    .encode(snapshot("default", 12, 0.1)));
            producer.sendRaw("lb.models", "t/slow", WireFormat.AVRO.codec(ModelSnapshot.class)
                    .encode(snapshot("slow", 30, 0.01)));
            producer.sendRaw("lb.champions", "t", WireFormat.JSON.codec(Champion.class).encode(champion()));
            producer.flush();
        }

        CliRun run = CliRun.run("leaderboard", "--json", "--bootstrap-servers", bootstrap, "--models-topic", "lb.models",
                "--champions-topic", "lb.champions");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode tasks = new ObjectMapper().readTree(run.out());
        assertThat(tasks).hasSize(1);
        JsonNode t = tasks.get(0);
        assertThat(t.get("task").asText()).isEqualTo("t");
        assertThat(t.get("champion").asText()).isEqualTo("slow");
        assertThat(t.get("previousVariant").asText()).isEqualTo("default");
        assertThat(t.get("evidence").get("pairedExamples").asLong()).isEqualTo(800);
        JsonNode first = t.get("variants").get(0);
        assertThat(first.get("variant").asText()).isEqualTo("slow");
        assertThat(first.get("status").asText()).isEqualTo("champion");
        assertThat(first.get("labelledExamples").asLong()).isEqualTo(1200);
        assertThat(first.get("loss").asDouble()).isEqualTo(0.31);
        assertThat(first.get("accuracyLow").asDouble()).isEqualTo(0.88);
        assertThat(first.get("modelVersion").asLong()).isEqualTo(30);
        assertThat(first.get("hyperparameters").toString()).isEqualTo("{\"optimizer.learningRate\":\"0.01\"}");
        JsonNode second = t.get("variants").get(1);
        assertThat(second.get("status").asText()).isEqualTo("challenger");
        assertThat(second.get("hyperparameters").toString()).isEqualTo("{\"optimizer.learningRate\":\"0.1\"}");
        assertThat(second.get("lastDriftAt").asLong()).isEqualTo(1_700_000_000_000L);
        assertThat(t.get("variants").get(2).get("hyperparameters").toString()).isEqualTo("{}");

        CliRun table = CliRun.run("leaderboard", "--task", "t", "--bootstrap-servers", bootstrap, "--models-topic",
                "lb.models", "--champions-topic", "lb.champions");
        assertThat(table.exitCode()).as(table.err()).isZero();
        assertThat(table.out().lines().toList()).hasSize(4);
        assertThat(table.out().lines().skip(1).findFirst().orElseThrow())
                .startsWith("t     slow     champion    1,200     0.3100 ± 0.0120  0.9000 [0.8800, 0.9200]  30")
                .endsWith("optimizer.learningRate=0.01");
    }

    private static ModelSnapshot snapshot(String variant, long version, double learningRate) {
        String spec = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":2,"
                + "\"optimizer\":{\"name\":\"sgd\",\"learningRate\":" + learningRate + "},\"batchSize\":8}";
        return ModelSnapshot.newBuilder().setTask("t").setVariant(variant).setVersion(version)
                .setAlgorithm("softmax-regression").setSpec(spec).setParametersFormat(1)
                .setParameters(ByteBuffer.allocate(0)).setExamplesSeen(version * 8).setCreatedAt(0L).build();
    }

    private static Champion champion() {
        return Champion.newBuilder().setTask("t").setVariant("slow").setModelVersion(30L).setSince(1_700_000_100_000L)
                .setPreviousVariant("default")
                .setEvidence(ChampionEvidence.newBuilder().setTest("paired").setPairedExamples(800L)
                        .setMeanDifference(0.04).setLowerBound(0.012).setAlpha(0.00125).setMargin(0.005).build())
                .setStandings(List.of(
                        VariantStanding.newBuilder().setVariant("slow").setStatus(StandingStatus.CHAMPION)
                                .setLabelledExamples(1200L).setLossMean(0.31).setLossStandardError(0.012)
                                .setAccuracy(0.9).setAccuracyLow(0.88).setAccuracyHigh(0.92).setModelVersion(30L)
                                .build(),
                        VariantStanding.newBuilder().setVariant("default").setStatus(StandingStatus.CHALLENGER)
                                .setLabelledExamples(1200L).setLossMean(0.35).setLossStandardError(0.013)
                                .setAccuracy(0.87).setAccuracyLow(0.85).setAccuracyHigh(0.89).setModelVersion(12L)
                                .setLastDriftAt(1_700_000_000_000L).build(),
                        // Retired by a search before its first snapshot: no spec to compare with the others'.
                        VariantStanding.newBuilder().setVariant("early").setStatus(StandingStatus.RETIRED)
                                .setLabelledExamples(100L).setLossMean(2.5).setLossStandardError(0.4)
                                .setAccuracy(0.1).setAccuracyLow(0.05).setAccuracyHigh(0.2).setModelVersion(3L)
                                .setRetiredReason("search s rung 0").build()))
                .setUpdatedAt(1_700_000_200_000L).build();
    }
}
