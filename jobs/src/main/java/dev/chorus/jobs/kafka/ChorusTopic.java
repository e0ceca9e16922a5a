package dev.chorus.jobs.kafka;

import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.train.TrainSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The Chorus topics, defined once: each role's default name, what its record key is, whether it is compacted, its
 * partitions in a deployment and its configs. The CLI, the demo, the benchmarks, the tests and (checked by
 * DeployConfigTest) {@code deploy/kafka/topics} and {@code deploy/kubernetes/topics.yaml} all create topics from
 * here; the typed {@link Topic} a job reads or writes carries the name chosen in its {@link JobSettings}.
 * An output topic is added here, in JobSettings (its name) and in the deploy files.
 */
public enum ChorusTopic {
    EXAMPLES(DefaultNames.EXAMPLES, "example id", false, 6, days(7)),
    PREDICTIONS(DefaultNames.PREDICTIONS, "example id", false, 6, days(7)),
    MODELS(DefaultNames.MODELS, "task/variant", true, 1, null),
    ANNOTATORS(DefaultNames.ANNOTATORS, "task/annotator (the task's % and / as %25 and %2F)", true, 1, null),
    CONSENSUS(DefaultNames.CONSENSUS, "task/item (the task's % and / as %25 and %2F)", true, 1, null),
    CHAMPIONS(DefaultNames.CHAMPIONS, "task", true, 1, null),
    /** The train job's control topic: each task's live variants and their specs; a tombstone retires a key. */
    SPECS(DefaultNames.SPECS, "task/variant", true, 1, null),
    DEAD_LETTERS(DefaultNames.DEAD_LETTERS, "topic-partition@offset of the rejected record", false, 1, days(30)),
    /**
     * The train job's refusals of control records, each also on the dead-letter topic: what {@code chorus specs list}
     * and {@code chorus leaderboard} read to tell a refused record from a taken one, few records however busy the
     * dead-letter topic is.
     */
    SPEC_REFUSALS(DefaultNames.SPEC_REFUSALS, "topic-partition@offset of the refused record", false, 1, days(30));

    /** The default names as compile-time constants, for option annotations ({@code defaultValue}). */
    public static final class DefaultNames {
        public static final String EXAMPLES = "chorus.examples";
        public static final String PREDICTIONS = "chorus.predictions";
        public static final String MODELS = "chorus.models";
        public static final String ANNOTATORS = "chorus.annotators";
        public static final String CONSENSUS = "chorus.consensus";
        public static final String CHAMPIONS = "chorus.champions";
        public static final String SPECS = "chorus.specs";
        public static final String DEAD_LETTERS = "chorus.dead-letters";
        public static final String SPEC_REFUSALS = "chorus.specs.refusals";

        private DefaultNames() {}
    }

    private final String defaultName;
    private final String key;
    private final boolean compacted;
    private final int deployPartitions;
    private final String retentionMs;

    ChorusTopic(String defaultName, String key, boolean compacted, int deployPartitions, String retentionMs) {
        this.defaultName = defaultName;
        this.key = key;
        this.compacted = compacted;
        this.deployPartitions = deployPartitions;
        this.retentionMs = retentionMs;
    }

    public String defaultName() { return defaultName; }

    /** What the record key is. */
    public String key() { return key; }

    /** Compacted topics keep each key's latest value forever: consumers only need the latest model per key. */
    public boolean compacted() { return compacted; }

    /** Partitions in a deployment ({@code deploy/}); the data topics' partitions bound the jobs' source parallelism. */
    public int deployPartitions() { return deployPartitions; }

    /**
     * The configs the jobs need on this topic: compaction where compacted, and records as large as the sinks may
     * send on every topic a job writes (a record the broker refused would fail a transactional sink).
     */
    public Map<String, String> configs() {
        Map<String, String> configs = new HashMap<>();
        if (compacted) {
            configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        }
        if (this != EXAMPLES) {
            configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(KafkaIO.MAX_RECORD_BYTES));
        }
        return Map.copyOf(configs);
    }

    /**
     * {@link #configs()} plus the retention of a deployment; kept out of embedded brokers because tests and demos
     * write records with event timestamps far in the past, which time-based retention would delete.
     */
    public Map<String, String> deployConfigs() {
        if (retentionMs == null) {
            return configs();
        }
        Map<String, String> configs = new HashMap<>(configs());
        configs.put(TopicConfig.RETENTION_MS_CONFIG, retentionMs);
        return Map.copyOf(configs);
    }

    /** This topic under {@code name} with {@code partitions}, replication factor 1 (embedded brokers) and its configs. */
    public NewTopic newTopic(String name, int partitions) {
        return newTopic(name, partitions, Map.of());
    }

    /** As {@link #newTopic(String, int)}, with {@code extraConfigs} on top of (and overriding) this topic's configs. */
    public NewTopic newTopic(String name, int partitions, Map<String, String> extraConfigs) {
        Map<String, String> configs = new HashMap<>(configs());
        configs.putAll(extraConfigs);
        return new NewTopic(name, partitions, (short) 1).configs(configs);
    }

    /**
     * This role's topic name in {@code settings}; empty for annotators, consensus, specs and spec refusals unless
     * they are train settings.
     */
    public Optional<String> name(JobSettings<?> settings) {
        return Optional.ofNullable(switch (this) {
            case EXAMPLES -> settings.examplesTopic().name();
            case PREDICTIONS -> settings.predictionsTopic().name();
            case MODELS -> settings.modelsTopic().name();
            case ANNOTATORS -> settings instanceof TrainSettings train ? train.annotatorsTopic().name() : null;
            case CONSENSUS -> settings instanceof TrainSettings train ? train.consensusTopic().name() : null;
            case CHAMPIONS -> settings.championsTopic().name();
            case SPECS -> settings instanceof TrainSettings train ? train.specsTopic().name() : null;
            case DEAD_LETTERS -> settings.deadLetterTopic().name();
            case SPEC_REFUSALS -> settings instanceof TrainSettings train ? train.specRefusalsTopic().name() : null;
        });
    }

    /**
     * The topics of {@code settings} (annotators and consensus only for the train job), each with {@code partitions.applyAsInt(role)}
     * partitions and its configs.
     */
    public static List<NewTopic> newTopics(JobSettings<?> settings, ToIntFunction<ChorusTopic> partitions) {
        return newTopics(settings, partitions, role -> Map.of());
    }

    /**
     * As {@link #newTopics(JobSettings, ToIntFunction)}, with {@code extraConfigs.apply(role)} on top of each role's
     * configs (benchmarks, for instance, stamp predictions with LogAppendTime).
     */
    public static List<NewTopic> newTopics(JobSettings<?> settings, ToIntFunction<ChorusTopic> partitions,
            Function<ChorusTopic, Map<String, String>> extraConfigs) {
        List<NewTopic> topics = new ArrayList<>();
        for (ChorusTopic role : values()) {
            role.name(settings).ifPresent(name ->
                    topics.add(role.newTopic(name, partitions.applyAsInt(role), extraConfigs.apply(role))));
        }
        return topics;
    }

    /**
     * As {@link #newTopics(JobSettings, ToIntFunction)}: the data topics (examples, predictions) get
     * {@code dataPartitions}, the rest 1.
     */
    public static List<NewTopic> newTopics(JobSettings<?> settings, int dataPartitions) {
        return newTopics(settings, role -> role.isData() ? dataPartitions : 1);
    }

    /** Examples and predictions carry the data; the others carry models or rejects and have one partition. */
    public boolean isData() {
        return this == EXAMPLES || this == PREDICTIONS;
    }

    private static String days(int days) {
        return String.valueOf(days * 24L * 60 * 60 * 1000);
    }
}
