package dev.chorus.jobs;

import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What every Chorus job needs to know about Kafka and Flink: brokers, topics and their wire formats, client
 * settings, delivery guarantee, checkpointing and parallelism. Fluent setters with production defaults;
 * {@code S} is the concrete settings type so that chains keep their type.
 */
public abstract class JobSettings<S extends JobSettings<S>> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Variant name used when a task trains a single model. */
    public static final String DEFAULT_VARIANT = "default";
    /**
     * What separates a variant's name from the rest of a record's key on the annotators and consensus topics (and of a
     * trainer's state key): a name holds no control character, and an example's id no such one.
     */
    public static final char VARIANT_SEPARATOR = '\u001F';
    /** Bytes of a rejected record a dead letter keeps by default: enough to see what it was, far below any topic limit. */
    public static final int DEFAULT_DEAD_LETTER_MAX_ORIGINAL_BYTES = 64 * 1024;
    /** Defaults of the settings below, written once: the job options ({@link JobOptions}) take theirs from here. */
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";
    public static final long DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;
    /** -1: the cluster's default parallelism. */
    public static final int DEFAULT_PARALLELISM = -1;
    public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;
    /**
     * At this bound a dead letter keeps up to 4 MiB of the rejected value and 4 MiB of its key: with its reason and
     * field at their bounds ({@link DeadLetters}), about 8.1 MiB in Avro and 10.8 MiB in JSON (bytes as base64, each
     * control character of a reason as a six-byte escape), and its Kafka key is the record's coordinates, a few dozen
     * bytes ({@code KafkaIO.deadLetterKey}): within the sinks' 16 MiB records ({@code KafkaIO.MAX_RECORD_BYTES}).
     */
    public static final int MAX_DEAD_LETTER_ORIGINAL_BYTES = 4 << 20;

    private String bootstrapServers = DEFAULT_BOOTSTRAP_SERVERS;
    private String groupId;
    private Topic<Example> examplesTopic =
            new Topic<>(ChorusTopic.DefaultNames.EXAMPLES, Example.class, WireFormat.AVRO);
    private Topic<Prediction> predictionsTopic =
            new Topic<>(ChorusTopic.DefaultNames.PREDICTIONS, Prediction.class, WireFormat.AVRO);
    private Topic<ModelSnapshot> modelsTopic =
            new Topic<>(ChorusTopic.DefaultNames.MODELS, ModelSnapshot.class, WireFormat.AVRO);
    private Topic<Champion> championsTopic =
            new Topic<>(ChorusTopic.DefaultNames.CHAMPIONS, Champion.class, WireFormat.AVRO);
    private Topic<DeadLetter> deadLetterTopic =
            new Topic<>(ChorusTopic.DefaultNames.DEAD_LETTERS, DeadLetter.class, WireFormat.AVRO);
    private final LinkedHashMap<String, String> kafkaProperties = new LinkedHashMap<>();
    private long checkpointIntervalMs = DEFAULT_CHECKPOINT_INTERVAL_MS;
    private boolean bounded;
    private boolean exactlyOnce = true;
    private int parallelism = DEFAULT_PARALLELISM;
    private long bufferTimeoutMs = 100;
    private int maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;
    private int deadLetterMaxOriginalBytes = DEFAULT_DEAD_LETTER_MAX_ORIGINAL_BYTES;
    private TaskBound taskBound = TaskBound.defaults();

    protected JobSettings(String defaultGroupId) {
        this.groupId = defaultGroupId;
    }

    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }

    public String bootstrapServers() { return bootstrapServers; }
    public String groupId() { return groupId; }
    public Topic<Example> examplesTopic() { return examplesTopic; }
    public Topic<Prediction> predictionsTopic() { return predictionsTopic; }
    public Topic<ModelSnapshot> modelsTopic() { return modelsTopic; }
    public Topic<DeadLetter> deadLetterTopic() { return deadLetterTopic; }
    /** Each task's champion variant and standings (compacted, key = task): the train job writes, serving follows. */
    public Topic<Champion> championsTopic() { return championsTopic; }
    /** Kafka client settings passed straight to every consumer and producer (security, timeouts...). */
    public Map<String, String> kafkaProperties() { return kafkaProperties; }
    public long checkpointIntervalMs() { return checkpointIntervalMs; }
    public boolean bounded() { return bounded; }
    public boolean exactlyOnce() { return exactlyOnce; }
    public int parallelism() { return parallelism; }
    public long bufferTimeoutMs() { return bufferTimeoutMs; }
    public int maxRecordBytes() { return maxRecordBytes; }
    public int deadLetterMaxOriginalBytes() { return deadLetterMaxOriginalBytes; }
    public TaskBound taskBound() { return taskBound; }

    public S bootstrapServers(String v) { bootstrapServers = Objects.requireNonNull(v); return self(); }
    /** Consumer group, and prefix of the sinks' transactional ids. */
    public S groupId(String v) { groupId = Objects.requireNonNull(v); return self(); }
    public S examplesTopic(Topic<Example> v) { examplesTopic = Objects.requireNonNull(v); return self(); }
    public S predictionsTopic(Topic<Prediction> v) { predictionsTopic = Objects.requireNonNull(v); return self(); }
    public S modelsTopic(Topic<ModelSnapshot> v) { modelsTopic = Objects.requireNonNull(v); return self(); }
    public S deadLetterTopic(Topic<DeadLetter> v) { deadLetterTopic = Objects.requireNonNull(v); return self(); }
    public S championsTopic(Topic<Champion> v) { championsTopic = Objects.requireNonNull(v); return self(); }
    public S kafkaProperty(String key, String value) { kafkaProperties.put(key, value); return self(); }
    public S kafkaProperties(Map<String, String> v) { kafkaProperties.putAll(v); return self(); }
    /** Checkpoint interval; exactly-once output becomes visible to read_committed consumers at each checkpoint. */
    public S checkpointIntervalMs(long v) { checkpointIntervalMs = positive("checkpointIntervalMs", v); return self(); }
    /** Read the examples topic up to its end offsets at start, then finish (tests, demos, backfills). */
    public S bounded(boolean v) { bounded = v; return self(); }
    /** Transactional sinks (visible after each checkpoint) or at-least-once (visible at once, may repeat). */
    public S exactlyOnce(boolean v) { exactlyOnce = v; return self(); }
    public S parallelism(int v) { parallelism = v; return self(); }
    /**
     * How long Flink may hold a network buffer to fill it before sending it downstream: lower is lower latency,
     * higher is higher throughput (Flink's default is 100 ms).
     */
    public S bufferTimeoutMs(long v) { bufferTimeoutMs = nonNegative("bufferTimeoutMs", v); return self(); }
    /** Larger input records go to the dead-letter topic undecoded (default 1 MiB, Kafka's own default limit). */
    public S maxRecordBytes(int v) { maxRecordBytes = (int) positive("maxRecordBytes", v); return self(); }
    /**
     * A dead letter keeps at most this many bytes of the rejected value (and of its key), with the whole length
     * and SHA-256, so that it always fits the dead-letter topic (default 64 KiB).
     */
    public S deadLetterMaxOriginalBytes(int v) {
        if (v > MAX_DEAD_LETTER_ORIGINAL_BYTES) {
            throw new IllegalArgumentException("deadLetterMaxOriginalBytes: expected at most "
                    + MAX_DEAD_LETTER_ORIGINAL_BYTES + ", got " + v);
        }
        deadLetterMaxOriginalBytes = (int) nonNegative("deadLetterMaxOriginalBytes", v);
        return self();
    }
    /** Which tasks get state: the allow-list, and at most {@code maxTasks} others per parallel instance. */
    public S taskBound(TaskBound v) { taskBound = Objects.requireNonNull(v); return self(); }

    /** Fails with a message naming the missing or inconsistent setting. */
    public S validate() {
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap servers must not be blank");
        }
        return self();
    }

    protected static long positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + ": expected a value > 0, got " + v);
        }
        return v;
    }

    protected static long nonNegative(String name, long v) {
        if (v < 0) {
            throw new IllegalArgumentException(name + ": expected a value >= 0, got " + v);
        }
        return v;
    }
}
