package dev.chorus.jobs;

import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Option;

/**
 * Command-line options every Chorus job takes: brokers, topics, wire format, delivery, checkpointing and
 * pass-through Kafka client settings ({@code -X security.protocol=SASL_SSL}, …).
 *
 * <p>Kafka client settings come from three places, so that secrets need not be arguments (which {@code ps} and a
 * FlinkDeployment's {@code args} show): a properties file ({@code --kafka-config FILE}), environment variables
 * ({@value #KAFKA_ENVIRONMENT_PREFIX}{@code SASL_JAAS_CONFIG} is {@code sasl.jaas.config}) and {@code -X}. Where
 * two give the same key, {@code -X} wins over the environment, which wins over the file.
 */
public abstract class JobOptions {

    /**
     * Prefix of the environment variables that carry Kafka client settings: the rest of the name, lower-cased
     * with {@code _} for {@code .}, is the setting. Only names of Kafka client settings count, so that other
     * variables with this prefix (deploy/local-cluster's {@code CHORUS_KAFKA_PORT}) are not mistaken for one.
     */
    public static final String KAFKA_ENVIRONMENT_PREFIX = "CHORUS_KAFKA_";

    /** Every setting a Kafka consumer, producer or admin client takes. */
    private static final Set<String> KAFKA_CLIENT_SETTINGS = Stream.of(ProducerConfig.configNames(),
            ConsumerConfig.configNames(), AdminClientConfig.configNames())
            .flatMap(Set::stream).collect(Collectors.toUnmodifiableSet());

    /** The process environment; tests replace it. */
    Map<String, String> environment = System.getenv();

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).",
            defaultValue = JobSettings.DEFAULT_BOOTSTRAP_SERVERS)
    String bootstrapServers;

    @Option(names = "--group-id", description = "Consumer group and transactional-id prefix (default: the job's name).")
    String groupId;

    @Option(names = "--examples-topic", defaultValue = ChorusTopic.DefaultNames.EXAMPLES,
            description = "Default: ${DEFAULT-VALUE}.")
    String examplesTopic;

    @Option(names = "--predictions-topic", defaultValue = ChorusTopic.DefaultNames.PREDICTIONS,
            description = "Default: ${DEFAULT-VALUE}.")
    String predictionsTopic;

    @Option(names = "--models-topic", defaultValue = ChorusTopic.DefaultNames.MODELS,
            description = "Default: ${DEFAULT-VALUE}.")
    String modelsTopic;

    @Option(names = "--dead-letter-topic", defaultValue = ChorusTopic.DefaultNames.DEAD_LETTERS,
            description = "Default: ${DEFAULT-VALUE}.")
    String deadLetterTopic;

    @Option(names = "--champions-topic", defaultValue = ChorusTopic.DefaultNames.CHAMPIONS,
            description = "Each task's champion and standings (compacted, key task): the train job publishes them, "
                    + "serve --variant champion follows them (default: ${DEFAULT-VALUE}).")
    String championsTopic;

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

    @Option(names = "--champions-format", description = "Wire format of the champions topic (default: --format).")
    String championsFormat;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "" + JobSettings.DEFAULT_CHECKPOINT_INTERVAL_MS,
            description = "Checkpoint interval; exactly-once output is visible after each checkpoint (default: ${DEFAULT-VALUE}).")
    long checkpointIntervalMs;

    @Option(names = "--bounded", description = "Stop at the input topics' end offsets as of the start.")
    boolean bounded;

    @Option(names = "--at-least-once",
            description = "Non-transactional sinks: output visible at once, duplicates possible after a failure.")
    boolean atLeastOnce;

    @Option(names = "--parallelism", defaultValue = "" + JobSettings.DEFAULT_PARALLELISM,
            description = "Job parallelism (default: the cluster's).")
    int parallelism;

    @Option(names = "--max-record-bytes", defaultValue = "" + JobSettings.DEFAULT_MAX_RECORD_BYTES,
            description = "Larger input records go to the dead-letter topic undecoded (default: ${DEFAULT-VALUE}).")
    int maxRecordBytes;

    @Option(names = "--dead-letter-max-original-bytes",
            defaultValue = "" + JobSettings.DEFAULT_DEAD_LETTER_MAX_ORIGINAL_BYTES,
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

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "Kafka client settings from a properties file (sasl.jaas.config=..., ssl.keystore.key=...), "
                    + "so that secrets need not be arguments; " + KAFKA_ENVIRONMENT_PREFIX + "* environment variables "
                    + "and -X win over it.")
    Path kafkaConfig;

    /**
     * The Kafka client settings of the job: those of the {@code --kafka-config} file, overridden by those of
     * {@value #KAFKA_ENVIRONMENT_PREFIX}{@code *} environment variables, overridden by {@code -X}.
     */
    public Map<String, String> kafkaSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        if (kafkaConfig != null) {
            settings.putAll(readKafkaConfig(kafkaConfig));
        }
        settings.putAll(fromEnvironment(environment));
        settings.putAll(kafkaProperties);
        return settings;
    }

    /** The Kafka client settings among {@code environment}'s {@value #KAFKA_ENVIRONMENT_PREFIX}{@code *} variables. */
    static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> settings = new TreeMap<>();
        environment.forEach((name, value) -> {
            if (name.startsWith(KAFKA_ENVIRONMENT_PREFIX)) {
                String key = name.substring(KAFKA_ENVIRONMENT_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                if (KAFKA_CLIENT_SETTINGS.contains(key)) {
                    settings.put(key, value);
                }
            }
        });
        return settings;
    }

    private static Map<String, String> readKafkaConfig(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            // The message names the file and the problem's kind only: a line of the file may be a secret.
            throw new IllegalArgumentException("--kafka-config " + file + ": cannot be read ("
                    + e.getClass().getSimpleName() + ")", e);
        }
        Map<String, String> settings = new TreeMap<>();
        properties.forEach((k, v) -> settings.put(k.toString().trim(), v.toString()));
        return settings;
    }

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
                .championsTopic(new Topic<>(championsTopic, Champion.class, formatOr(championsFormat, wire)))
                .checkpointIntervalMs(checkpointIntervalMs)
                .bounded(bounded)
                .exactlyOnce(!atLeastOnce)
                .parallelism(parallelism)
                .maxRecordBytes(maxRecordBytes)
                .deadLetterMaxOriginalBytes(deadLetterMaxOriginalBytes)
                .taskBound(new TaskBound(maxTasks, allowedTasks))
                .kafkaProperties(kafkaSettings());
    }

    /** The wire format of every topic, and of a topic that names none of its own. */
    protected WireFormat wireFormat() {
        return WireFormat.parse(format);
    }

    protected static WireFormat formatOr(String topicFormat, WireFormat all) {
        return topicFormat == null ? all : WireFormat.parse(topicFormat);
    }
}
