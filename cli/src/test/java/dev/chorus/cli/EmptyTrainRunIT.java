package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.train.TrainSettings;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A bounded {@code chorus train} on a real broker and a MiniCluster that trains on nothing ends with a hint: how many
 * examples it read, from which topic at which broker, and the likely causes.
 */
class EmptyTrainRunIT {

    private static final String SPEC = "{\"algorithm\": \"softmax-regression\", \"inputDim\": 4, \"numClasses\": 3, "
            + "\"batchSize\": 4, \"optimizer\": {\"type\": \"sgd\", \"learningRate\": 0.1}}";

    private static EmbeddedKafkaBroker kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaBroker.builder().build().start();
        kafka.createTopics(ChorusTopic.newTopics(new TrainSettings(), 1));
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    @Test
    void aRunOfAnEmptyTopicSaysItReadNothingFromWhereAndWhy() {
        CliRun run = train("chorus.examples", "empty-run");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("chorus-train read 0 examples from chorus.examples at "
                + kafka.bootstrapServers() + ", so it trained nothing. Likely causes: nothing was produced there yet");
    }

    @Test
    void aRunWhoseEveryRecordIsDeadLetteredSaysItTrainedOnNone() throws Exception {
        kafka.createTopic("undecodable.examples", 1, java.util.Map.of());
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (String value : List.of("not an example", "nor this")) {
                producer.send(new ProducerRecord<>("undecodable.examples", value.getBytes(StandardCharsets.UTF_8)))
                        .get();
            }
        }

        CliRun run = train("undecodable.examples", "dead-run");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("chorus-train read 2 examples from undecodable.examples at "
                + kafka.bootstrapServers() + " but trained on none: each went to chorus.dead-letters "
                + "(chorus tail chorus.dead-letters says why)");
    }

    private static CliRun train(String examplesTopic, String groupId) {
        return CliRun.run("train", "--bootstrap-servers", kafka.bootstrapServers(), "--spec", SPEC,
                "--examples-topic", examplesTopic, "--group-id", groupId, "--bounded",
                "--checkpoint-interval-ms", "500", "--slots", "1");
    }
}
