package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.cli.bench.ChildJvm;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TrainSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chorus train} stopped as a user stops it (Ctrl-C, here SIGTERM, which runs the same shutdown hooks) before
 * its first checkpoint: it cancels the job, whose sinks abort their open transactions, so no transaction is left to
 * hold back read-committed readers of its topics for the sinks' transaction timeout (10 minutes), and what it did is
 * neither committed nor marked read: its next run does it again.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StopOnSignalIT {

    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":3}""";
    static final int EXAMPLES = 200;

    @Test
    void aStoppedTrainCommandLeavesNoTransactionOpenAndNothingHalfDone(@TempDir Path logDir) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = new TrainSettings().bootstrapServers(broker.bootstrapServers());
            JobTestSupport.createTopics(broker, settings, 2);
            var data = SyntheticBlobs.generate(EXAMPLES, 4, 3, 11);
            var codec = settings.examplesTopic().codec();
            try (ExampleProducer producer = new ExampleProducer(broker.bootstrapServers(), Map.of())) {
                for (int row = 0; row < EXAMPLES; row++) {
                    var example = ExampleProducer.example(data, row, "t", "x", 0);
                    producer.sendRaw(settings.examplesTopic().name(), example.getId(), codec.encode(example));
                }
                producer.flush();
            }

            // No checkpoint within the test: only the stop could commit anything. Flink takes the first periodic
            // checkpoint after a random delay between the minimum pause and the interval, so the pause is the
            // interval, 6 minutes (near the longest an exactly-once job accepts), longer than the test may run (@Timeout).
            List<String> command = ChildJvm.command(Map.of("chorus.log.dir", logDir.toString()), ChorusCli.class,
                    List.of("train", "--bootstrap-servers", broker.bootstrapServers(), "--spec", SPEC,
                            "--checkpoint-interval-ms", "360000", "-Dexecution.checkpointing.min-pause=360000ms",
                            "--batch-timeout-ms", "100"));
            Path output = logDir.resolve("console.txt");
            Process train = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                    .start();
            try {
                awaitUncommittedPredictions(broker, settings.predictionsTopic().name(), EXAMPLES);
                assertThat(JobTestSupport.readNow(broker, settings.predictionsTopic())).as("nothing committed yet")
                        .isEmpty();
            } finally {
                train.destroy();
            }
            assertThat(train.waitFor(JobTestSupport.PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(TopicReader.awaitSettled(broker.bootstrapServers(), Map.of(),
                    settings.predictionsTopic().name(), JobTestSupport.PATIENCE)).as("no transaction left open")
                    .isTrue();
            String console = Files.readString(output, StandardCharsets.UTF_8);
            assertThat(console).contains("chorus-train stopped: ").doesNotContain("CANCELED", "Exception");
            assertThat(JobTestSupport.readNow(broker, settings.predictionsTopic())).as("nothing committed").isEmpty();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(settings.groupId())
                        .partitionsToOffsetAndMetadata().get();
                assertThat(offsets).as("no offset marked read").isEmpty();
            }
        }
    }

    /** Waits until {@code n} distinct records are on {@code topic}, committed or not: the job has answered them. */
    private static void awaitUncommittedPredictions(EmbeddedKafkaBroker broker, String topic, int n) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        Set<String> keys = new HashSet<>();
        try (var consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList());
            consumer.seekToBeginning(consumer.assignment());
            Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
            while (keys.size() < n && Instant.now().isBefore(deadline)) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> keys.add(new String(r.key(), StandardCharsets.UTF_8)));
            }
        }
        assertThat(keys).as("predictions written, committed or not").hasSize(n);
    }
}
