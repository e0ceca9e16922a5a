package dev.chorus.jobs;

import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Command-line options every Chorus job takes: brokers, topics, wire format, delivery, checkpointing and
 * pass-through Kafka client settings ({@code -X security.protocol=SASL_SSL}, …).
 */
public abstract class JobOptions {

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).",
            defaultValue = "localhost:9092")
    String bootstrapServers;

    @Option(names = "--group-id", description = "Consumer group and transactional-id prefix (default: the job's name).")
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

    @Option(names = "--examples-format", description = "Wire format of the examples topic (default: --format).")
    String examplesFormat;

    @Option(names = "--predictions-format", description = "Wire format of the predictions topic (default: --format).")
    String predictionsFormat;

    @Option(names = "--models-format", description = "Wire format of the models topic (default: --format).")
    String modelsFormat;

    @Option(names = "--dead-letter-format", description = "Wire format of the dead-letter topic (default: --format).")
    String deadLetterFormat;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "10000",
            description = "Checkpoint interval; exactly-once output is visible after each checkpoint (default: ${DEFAULT-VALUE}).")
    long checkpointIntervalMs;

    @Option(names = "--bounded", description = "Stop at the input topics' end offsets as of the start.")
    boolean bounded;

    @Option(names = "--at-least-once",
            description = "Non-transactional sinks: output visible at once, duplicates possible after a failure.")
    boolean atLeastOnce;

    @Option(names = "--parallelism", defaultValue = "-1", description = "Job parallelism (default: the cluster's).")
    int parallelism;

    @Option(names = "--max-record-bytes", defaultValue = "1048576",
            description = "Larger input records go to the dead-letter topic undecoded (default: ${DEFAULT-VALUE}).")
    int maxRecordBytes;

    @Option(names = "--dead-letter-max-original-bytes", defaultValue = "65536",
            description = "Bytes of a rejected record its dead letter keeps, with the whole length and SHA-256 "
                    + "(default: ${DEFAULT-VALUE}).")
    int deadLetterMaxOriginalBytes;
    @Option(names = "--max-tasks", defaultValue = "" + TaskBound.DEFAULT_MAX_TASKS,
            description = "Tasks besides --allowed-tasks that each parallel instance keeps state for, first come first "
                    + "served; records of more tasks go to the dead-letter topic (default: ${DEFAULT-VALUE}).")
    int maxTasks;

    @Option(names = "--allowed-tasks", split = ",", paramLabel = "TASK",
            description = "Tasks always admitted, beyond --max-tasks (comma-separated).")
    List<String> allowedTasks = new ArrayList<>();

    @Option(names = "--buffer-timeout-ms",
            description = "Longest a network buffer waits to fill before it is sent: lower latency or higher "
                    + "throughput (default: 5 for serve, 100 for train).")
    Long bufferTimeoutMs;

    @Option(names = {"-X", "--kafka-property"}, paramLabel = "KEY=VALUE",
            description = "Kafka client setting passed to every consumer and producer, e.g. -X security.protocol=SSL. "
                    + "Consumers read isolation.level=read_committed unless one sets it.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    /** Copies these options onto {@code settings}. */
    protected <S extends JobSettings<S>> S applyTo(S settings) {
        WireFormat wire = WireFormat.parse(format);
        if (groupId != null) {
            settings.groupId(groupId);
        }
        if (bufferTimeoutMs != null) {
            settings.bufferTimeoutMs(bufferTimeoutMs);
        }
        return settings
                .bootstrapServers(bootstrapServers)
                .examplesTopic(new Topic<>(examplesTopic, Example.class, formatOr(examplesFormat, wire)))
                .predictionsTopic(new Topic<>(predictionsTopic, Prediction.class, formatOr(predictionsFormat, wire)))
                .modelsTopic(new Topic<>(modelsTopic, ModelSnapshot.class, formatOr(modelsFormat, wire)))
                .deadLetterTopic(new Topic<>(deadLetterTopic, DeadLetter.class, formatOr(deadLetterFormat, wire)))
                .checkpointIntervalMs(checkpointIntervalMs)
                .bounded(bounded)
                .exactlyOnce(!atLeastOnce)
                .parallelism(parallelism)
                .maxRecordBytes(maxRecordBytes)
                .deadLetterMaxOriginalBytes(deadLetterMaxOriginalBytes)
                .taskBound(new TaskBound(maxTasks, allowedTasks))
                .kafkaProperties(kafkaProperties);
    }

    /** The wire format of every topic, and of a topic that names none of its own. */
    protected WireFormat wireFormat() {
        return WireFormat.parse(format);
    }

    protected static WireFormat formatOr(String topicFormat, WireFormat all) {
        return topicFormat == null ? all : WireFormat.parse(topicFormat);
    }
}
