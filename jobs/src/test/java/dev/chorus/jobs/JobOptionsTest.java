package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.model.ValueRange;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.serve.ServeJobOptions;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class JobOptionsTest {

    static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}";

    @Test
    void everyTopicTakesTheCommonFormatUnlessItsOwnIsGiven() {
        TrainSettings s = TrainJobOptions.parse(new String[] {"--spec", SPEC, "--format", "json",
                "--models-format", "avro"});
        assertThat(s.examplesTopic().format()).isEqualTo(WireFormat.JSON);
        assertThat(s.predictionsTopic().format()).isEqualTo(WireFormat.JSON);
        assertThat(s.deadLetterTopic().format()).isEqualTo(WireFormat.JSON);
        assertThat(s.modelsTopic().format()).isEqualTo(WireFormat.AVRO);
        assertThat(s.specRefusalsTopic()).as("the dead-letter topic's format")
                .isEqualTo(new Topic<>("chorus.specs.refusals", DeadLetter.class, WireFormat.JSON));
    }

    @Test
    void theSpecRefusalsTopicTakesItsNameAndTheDeadLetterTopicsOwnFormat() {
        TrainSettings s = TrainJobOptions.parse(new String[] {"--spec", SPEC, "--dead-letter-format", "json",
                "--spec-refusals-topic", "ops.refusals"});
        assertThat(s.deadLetterTopic().format()).isEqualTo(WireFormat.JSON);
        assertThat(s.examplesTopic().format()).isEqualTo(WireFormat.AVRO);
        assertThat(s.specRefusalsTopic()).isEqualTo(new Topic<>("ops.refusals", DeadLetter.class, WireFormat.JSON));
    }

    @Test
    void theServeJobTakesAnArgumentStartingWithAtAsItIsLikeChorusServe(@TempDir Path dir) throws IOException {
        // picocli's @-files would replace the argument with the file's words: here, a second option.
        Path file = Files.writeString(dir.resolve("group"), "--variant champion\n");
        ServeSettings s = ServeJobOptions.parse(new String[] {"--group-id", "@" + file});
        assertThat(s.groupId()).isEqualTo("@" + file);
        assertThat(s.variant()).isEqualTo(JobSettings.DEFAULT_VARIANT);
    }

    @Test
    void aSpecFileOfTheReadmesShapeIsReadWhole(@TempDir Path dir) throws IOException {
        // As README's softmax.json: three lines, spaces after the colons (picocli's @-files would split it into words).
        Path file = Files.writeString(dir.resolve("softmax.json"), """
                {"algorithm": "softmax-regression", "inputDim": 784, "numClasses": 10, "batchSize": 64,
                 "optimizer": {"type": "adam", "learningRate": 0.002}, "l2": 0.0, "standardize": true, "seed": 42,
                 "featureRange": {"min": 0, "max": 1}}
                """);
        TrainSettings s = TrainJobOptions.parse(new String[] {"--spec", "@" + file});
        assertThat(s.specs().jsonFor("fashion")).isEqualTo(Files.readString(file));
        assertThat(s.specs().specFor("fashion").inputDim()).isEqualTo(784);
        assertThat(s.specs().specFor("fashion").featureRange()).isEqualTo(new ValueRange(0, 1));
    }

    @Test
    void optionsReachTheSettings() {
        ServeSettings s = ServeJobOptions.parse(new String[] {"--bootstrap-servers", "b:1", "--examples-topic", "ex",
                "--at-least-once", "--variant", "v2", "--max-waiting-per-task", "7", "-X", "security.protocol=SSL",
                "--checkpoint-interval-ms", "1234", "--group-id", "g"});
        assertThat(s.bootstrapServers()).isEqualTo("b:1");
        assertThat(s.examplesTopic().name()).isEqualTo("ex");
        assertThat(s.exactlyOnce()).isFalse();
        assertThat(s.variant()).isEqualTo("v2");
        assertThat(s.maxWaitingPerTask()).isEqualTo(7);
        assertThat(s.kafkaProperties()).containsEntry("security.protocol", "SSL");
        assertThat(s.checkpointIntervalMs()).isEqualTo(1234);
        assertThat(s.groupId()).isEqualTo("g");
        assertThat(new ServeSettings().groupId()).isEqualTo("chorus-serve");
        assertThat(new TrainSettings().groupId()).isEqualTo("chorus-train");
        assertThat(s.deadLetterMaxOriginalBytes()).isEqualTo(64 * 1024);
        assertThat(TrainJobOptions.parse(new String[] {"--spec", SPEC, "--dead-letter-max-original-bytes", "100"})
                .deadLetterMaxOriginalBytes()).isEqualTo(100);
        assertThat(TrainJobOptions.parse(new String[] {"--spec", SPEC, "--hashed-state", "rows"}).hashedState())
                .isEqualTo(TrainSettings.HashedState.ROWS);
        assertThat(TrainJobOptions.parse(new String[] {"--spec", SPEC}).hashedState())
                .isEqualTo(TrainSettings.HashedState.VALUE);
    }

    @Test
    void badValuesFailWithTheirName() {
        assertThatThrownBy(() -> TrainJobOptions.parse(new String[] {"--spec", SPEC, "--format", "xml"}))
                .hasMessageContaining("xml");
        assertThatThrownBy(() -> TrainJobOptions.parse(new String[] {"--spec", SPEC, "--checkpoint-interval-ms", "0"}))
                .hasMessage("checkpointIntervalMs: expected a value > 0, got 0");
        assertThatThrownBy(() -> TrainJobOptions.parse(new String[] {"--spec", SPEC,
                "--dead-letter-max-original-bytes", "1000000000"}))
                .hasMessage("deadLetterMaxOriginalBytes: expected at most 4194304, got 1000000000");
        assertThatThrownBy(() -> TrainJobOptions.parse(new String[] {"--spec", SPEC, "--hashed-state", "blocks"}))
                .hasMessage("--hashed-state: expected value or rows, got \"blocks\"");
        assertThatThrownBy(() -> TrainJobOptions.parse(new String[] {}))
                .isInstanceOf(CommandLine.MissingParameterException.class).hasMessageContaining("--spec");
        assertThatThrownBy(() -> TrainJobOptions.parse(new String[] {"--spec", "{\"algorithm\":\"nope\"}"}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void kafkaSettingsComeFromTheFileThenTheEnvironmentThenTheFlags(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("kafka.properties"), """
                security.protocol=SASL_SSL
                sasl.mechanism=PLAIN
                client.id=from-file
                ssl.keystore.key=-----BEGIN PRIVATE KEY-----\\n\\
                    MIGHAgEAMBMGByqGSM49\\n\\
                    -----END PRIVATE KEY-----
                """);
        TrainJobOptions options = new TrainJobOptions();
        ((JobOptions) options).environment = Map.of("CHORUS_KAFKA_SASL_JAAS_CONFIG", "jaas-from-environment",
                "CHORUS_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", "CHORUS_KAFKA_CLIENT_ID", "from-environment",
                "CHORUS_KAFKA_PORT", "19092", "PATH", "/usr/bin");
        new CommandLine(options).parseArgs("--spec", SPEC, "--kafka-config", file.toString(),
                "-X", "client.id=from-flag");

        TrainSettings s = options.toSettings();

        assertThat(s.kafkaProperties()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "jaas-from-environment",
                "client.id", "from-flag",
                "ssl.keystore.key", "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----"));
    }

    @Test
    void aMissingKafkaConfigFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.properties");
        assertThatThrownBy(() -> ServeJobOptions.parse(new String[] {"--kafka-config", missing.toString()}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--kafka-config " + missing + ": cannot be read (NoSuchFileException)");
    }
}
