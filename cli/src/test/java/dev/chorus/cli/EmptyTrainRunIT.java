package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.WireFormat;
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
 * examples it read, from which topic at which broker, and the likely causes. One whose search decided rungs says
 * that it could not apply them.
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

    @Test
    void aRunWhoseSearchDecidedItsRungsSaysItsRetirementsWaitForTheNextRun() throws Exception {
        kafka.createTopic("search.examples", 1, java.util.Map.of());
        CliRun put = CliRun.run(CliRun.noConfig(), "specs", "put", "blobs", "hp", SPEC.replace("}}", "}, "
                + "\"search\": {\"method\": \"successive-halving\", \"variants\": 4, \"budgetExamples\": 12, "
                + "\"space\": {\"optimizer.learningRate\": [0.001, 0.01, 0.1, 1.0]}}}"),
                "--bootstrap-servers", kafka.bootstrapServers());
        assertThat(put.exitCode()).as(put.err()).isZero();
        Topic<Example> topic = new Topic<>("search.examples", Example.class, WireFormat.AVRO);
        LabeledDataset data = SyntheticBlobs.generate(40, 4, 3, 3);
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), java.util.Map.of())) {
            for (int row = 0; row < data.size(); row++) {
                producer.send(topic, ExampleProducer.example(data, row, "blobs", "b", 0));
            }
        }

        CliRun run = train("search.examples", "search-run");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).as("rungs of 4 and 8 examples: two retired, then one").contains("chorus-train decided 3 "
                + "control records (a search's retirements, drift reactions) and wrote them to chorus.specs, but a "
                + "bounded run reads that topic only up to where it ended when the run started: the variants it "
                + "retired trained to its end");
    }

    /**
     * A bounded run shorter than its checkpoint interval still leaves its group's offsets where it stopped: the next
     * run of the group starts after what it trained on (the README's promise), not from the start.
     */
    @Test
    void aBoundedRunShorterThanItsCheckpointIntervalCommitsWhereItStopped() throws Exception {
        kafka.createTopic("offsets.examples", 2, java.util.Map.of());
        Topic<Example> topic = new Topic<>("offsets.examples", Example.class, WireFormat.AVRO);
        LabeledDataset data = SyntheticBlobs.generate(40, 4, 3, 3);
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), java.util.Map.of())) {
            for (int row = 0; row < data.size(); row++) {
                producer.send(topic, ExampleProducer.example(data, row, "blobs", "b", 0));
            }
        }

        CliRun run = CliRun.run("train", "--bootstrap-servers", kafka.bootstrapServers(), "--spec", SPEC,
                "--examples-topic", "offsets.examples", "--group-id", "offsets-run", "--bounded",
                "--checkpoint-interval-ms", "360000", "--slots", "1");

        assertThat(run.exitCode()).as(run.err()).isZero();
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                java.util.Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            var offsets = admin.listConsumerGroupOffsets("offsets-run").partitionsToOffsetAndMetadata().get();
            assertThat(offsets.entrySet().stream().filter(e -> e.getKey().topic().equals("offsets.examples"))
                    .mapToLong(e -> e.getValue().offset()).sum()).as("the group's offsets: %s", offsets).isEqualTo(40);
        }
    }

    private static CliRun train(String examplesTopic, String groupId) {
        return CliRun.run("train", "--bootstrap-servers", kafka.bootstrapServers(), "--spec", SPEC,
                "--examples-topic", examplesTopic, "--group-id", groupId, "--bounded",
                "--checkpoint-interval-ms", "500", "--slots", "1");
    }
}
