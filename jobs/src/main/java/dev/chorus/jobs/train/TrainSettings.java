package dev.chorus.jobs.train;

import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.io.Serializable;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the train job needs to know: where its topics are, how they are encoded, what each task trains,
 * and when minibatches close and snapshots go out. Fluent setters with production defaults.
 */
public final class TrainSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Variant name used when a task trains a single model. */
    public static final String DEFAULT_VARIANT = "default";

    private String bootstrapServers = "localhost:9092";
    private String groupId = "chorus-train";
    private Topic<Example> examplesTopic = new Topic<>("chorus.examples", Example.class, WireFormat.AVRO);
    private Topic<Prediction> predictionsTopic = new Topic<>("chorus.predictions", Prediction.class, WireFormat.AVRO);
    private Topic<ModelSnapshot> modelsTopic = new Topic<>("chorus.models", ModelSnapshot.class, WireFormat.AVRO);
    private Topic<DeadLetter> deadLetterTopic = new Topic<>("chorus.dead-letters", DeadLetter.class, WireFormat.AVRO);
    private TaskSpecs specs;
    private final LinkedHashMap<String, String> kafkaProperties = new LinkedHashMap<>();
    private long checkpointIntervalMs = Duration.ofSeconds(10).toMillis();
    private int snapshotEveryBatches = 50;
    private long snapshotIntervalMs = Duration.ofSeconds(30).toMillis();
    private long batchTimeoutMs = Duration.ofSeconds(5).toMillis();
    private int prequentialWindow = 2000;
    private boolean bounded;
    private boolean exactlyOnce = true;
    private int parallelism = -1;

    public String bootstrapServers() { return bootstrapServers; }
    public String groupId() { return groupId; }
    public Topic<Example> examplesTopic() { return examplesTopic; }
    public Topic<Prediction> predictionsTopic() { return predictionsTopic; }
    public Topic<ModelSnapshot> modelsTopic() { return modelsTopic; }
    public Topic<DeadLetter> deadLetterTopic() { return deadLetterTopic; }
    public TaskSpecs specs() { return specs; }
    /** Kafka client settings passed straight to every consumer and producer (security, timeouts...). */
    public Map<String, String> kafkaProperties() { return kafkaProperties; }
    public long checkpointIntervalMs() { return checkpointIntervalMs; }
    public int snapshotEveryBatches() { return snapshotEveryBatches; }
    public long snapshotIntervalMs() { return snapshotIntervalMs; }
    public long batchTimeoutMs() { return batchTimeoutMs; }
    public int prequentialWindow() { return prequentialWindow; }
    public boolean bounded() { return bounded; }
    public boolean exactlyOnce() { return exactlyOnce; }
    public int parallelism() { return parallelism; }

    public TrainSettings bootstrapServers(String v) { bootstrapServers = Objects.requireNonNull(v); return this; }
    public TrainSettings groupId(String v) { groupId = Objects.requireNonNull(v); return this; }
    public TrainSettings examplesTopic(Topic<Example> v) { examplesTopic = Objects.requireNonNull(v); return this; }
    public TrainSettings predictionsTopic(Topic<Prediction> v) { predictionsTopic = Objects.requireNonNull(v); return this; }
    public TrainSettings modelsTopic(Topic<ModelSnapshot> v) { modelsTopic = Objects.requireNonNull(v); return this; }
    public TrainSettings deadLetterTopic(Topic<DeadLetter> v) { deadLetterTopic = Objects.requireNonNull(v); return this; }
    public TrainSettings specs(TaskSpecs v) { specs = Objects.requireNonNull(v); return this; }
    public TrainSettings kafkaProperty(String key, String value) { kafkaProperties.put(key, value); return this; }
    public TrainSettings kafkaProperties(Map<String, String> v) { kafkaProperties.putAll(v); return this; }
    /** Checkpoint interval; exactly-once output becomes visible to read_committed consumers at each checkpoint. */
    public TrainSettings checkpointIntervalMs(long v) { checkpointIntervalMs = positive("checkpointIntervalMs", v); return this; }
    /** Publish a model snapshot after every N minibatch updates. */
    public TrainSettings snapshotEveryBatches(int v) { snapshotEveryBatches = (int) positive("snapshotEveryBatches", v); return this; }
    /** Also publish a snapshot at least this often when the model changed (0 disables the timer). */
    public TrainSettings snapshotIntervalMs(long v) { snapshotIntervalMs = nonNegative("snapshotIntervalMs", v); return this; }
    /** Close a partial minibatch this long after its first example (0: close by count only, deterministic). */
    public TrainSettings batchTimeoutMs(long v) { batchTimeoutMs = nonNegative("batchTimeoutMs", v); return this; }
    public TrainSettings prequentialWindow(int v) { prequentialWindow = (int) positive("prequentialWindow", v); return this; }
    /** Read the examples topic up to its end offsets at start, then finish (tests, demos, backfills). */
    public TrainSettings bounded(boolean v) { bounded = v; return this; }
    /** Transactional sinks (visible after each checkpoint) or at-least-once (visible at once, may repeat). */
    public TrainSettings exactlyOnce(boolean v) { exactlyOnce = v; return this; }
    public TrainSettings parallelism(int v) { parallelism = v; return this; }

    /** Fails with a message naming the missing or inconsistent setting. */
    public TrainSettings validate() {
        if (specs == null) {
            throw new IllegalArgumentException("no model spec: set a default spec or per-task specs");
        }
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap servers must not be blank");
        }
        return this;
    }

    private static long positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + ": expected a value > 0, got " + v);
        }
        return v;
    }

    private static long nonNegative(String name, long v) {
        if (v < 0) {
            throw new IllegalArgumentException(name + ": expected a value >= 0, got " + v);
        }
        return v;
    }
}
