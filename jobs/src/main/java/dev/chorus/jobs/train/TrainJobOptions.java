package dev.chorus.jobs.train;

import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Command-line options of the train job, shared by {@code flink run … TrainJob} and {@code chorus train}.
 * Kafka client settings ({@code -X security.protocol=SASL_SSL}, …) pass straight through to every client.
 */
public final class TrainJobOptions {

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).",
            defaultValue = "localhost:9092")
    String bootstrapServers;

    @Option(names = "--group-id", description = "Consumer group and transactional-id prefix (default: ${DEFAULT-VALUE}).",
            defaultValue = "chorus-train")
    String groupId;

    @Option(names = "--examples-topic", defaultValue = "chorus.examples", description = "Default: ${DEFAULT-VALUE}.")
    String examplesTopic;

    @Option(names = "--predictions-topic", defaultValue = "chorus.predictions", description = "Default: ${DEFAULT-VALUE}.")
    String predictionsTopic;

    @Option(names = "--models-topic", defaultValue = "chorus.models", description = "Default: ${DEFAULT-VALUE}.")
    String modelsTopic;

    @Option(names = "--dead-letter-topic", defaultValue = "chorus.dead-letters", description = "Default: ${DEFAULT-VALUE}.")
    String deadLetterTopic;

    @Option(names = "--format", defaultValue = "avro",
            description = "Wire format of every topic: avro (single-object encoding) or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--spec", required = true,
            description = "Model spec for every task: JSON text, or @path to a JSON file.")
    String spec;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "10000",
            description = "Checkpoint interval; exactly-once output is visible after each checkpoint (default: ${DEFAULT-VALUE}).")
    long checkpointIntervalMs;

    @Option(names = "--snapshot-every-batches", defaultValue = "50",
            description = "Publish a model snapshot every N minibatch updates (default: ${DEFAULT-VALUE}).")
    int snapshotEveryBatches;

    @Option(names = "--snapshot-interval-ms", defaultValue = "30000",
            description = "Also publish a changed model at least this often; 0 disables (default: ${DEFAULT-VALUE}).")
    long snapshotIntervalMs;

    @Option(names = "--batch-timeout-ms", defaultValue = "5000",
            description = "Close a partial minibatch this long after its first example; 0 closes by count only (default: ${DEFAULT-VALUE}).")
    long batchTimeoutMs;

    @Option(names = "--bounded", description = "Stop at the examples topic's end offsets as of the start.")
    boolean bounded;

    @Option(names = "--at-least-once", description = "Non-transactional sinks: lower latency, duplicates possible after a failure.")
    boolean atLeastOnce;

    @Option(names = "--parallelism", defaultValue = "-1", description = "Job parallelism (default: the cluster's).")
    int parallelism;

    @Option(names = {"-X", "--kafka-property"}, paramLabel = "KEY=VALUE",
            description = "Kafka client setting passed to every consumer and producer, e.g. -X security.protocol=SSL.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    /** Parses {@code args} (as given to {@code flink run}) into settings; bad arguments throw with a clear message. */
    public static TrainSettings parse(String[] args) {
        TrainJobOptions options = new TrainJobOptions();
        new CommandLine(options).parseArgs(args);
        return options.toSettings();
    }

    public TrainSettings toSettings() {
        WireFormat wire = WireFormat.parse(format);
        return new TrainSettings()
                .bootstrapServers(bootstrapServers)
                .groupId(groupId)
                .examplesTopic(new Topic<>(examplesTopic, Example.class, wire))
                .predictionsTopic(new Topic<>(predictionsTopic, Prediction.class, wire))
                .modelsTopic(new Topic<>(modelsTopic, ModelSnapshot.class, wire))
                .deadLetterTopic(new Topic<>(deadLetterTopic, DeadLetter.class, wire))
                .specs(TaskSpecs.ofDefault(readSpec(spec)))
                .checkpointIntervalMs(checkpointIntervalMs)
                .snapshotEveryBatches(snapshotEveryBatches)
                .snapshotIntervalMs(snapshotIntervalMs)
                .batchTimeoutMs(batchTimeoutMs)
                .bounded(bounded)
                .exactlyOnce(!atLeastOnce)
                .parallelism(parallelism)
                .kafkaProperties(kafkaProperties);
    }

    /** A spec given inline, or {@code @path} to read it from a file. */
    static String readSpec(String value) {
        if (!value.startsWith("@")) {
            return value;
        }
        Path path = Path.of(value.substring(1));
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spec file " + path + ": " + e.getMessage(), e);
        }
    }
}
