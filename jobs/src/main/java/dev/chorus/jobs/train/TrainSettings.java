package dev.chorus.jobs.train;

import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.select.SelectionSettings;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.codec.WireFormat;
import java.util.Objects;

/**
 * The train job's settings: the common Kafka and Flink ones, what each task trains, when minibatches close
 * and snapshots go out, and where and how often label-model tasks publish their annotators.
 */
public final class TrainSettings extends JobSettings<TrainSettings> {
    private static final long serialVersionUID = 1L;

    /** Defaults of the settings below, written once: {@link TrainJobOptions} takes its defaults from here. */
    public static final int DEFAULT_SNAPSHOT_EVERY_BATCHES = 50;
    public static final long DEFAULT_SNAPSHOT_INTERVAL_MS = 30_000;
    public static final long DEFAULT_BATCH_TIMEOUT_MS = 5_000;
    public static final long DEFAULT_ANNOTATOR_PUBLISH_INTERVAL_MS = 1_000;
    public static final int DEFAULT_MAX_VARIANTS_PER_TASK = 16;
    /** Default of maxLiveVariants: the control topic's live variants, all tasks together. */
    public static final int DEFAULT_MAX_LIVE_VARIANTS = 1024;
    /** Default of maxWarmStartBytes: 256 MiB of warm-start models held for the control topic's live variants. */
    public static final long DEFAULT_MAX_WARM_START_BYTES = 256L << 20;
    /** Default of maxRetiredVariants: retired keys kept for the control topic, all tasks together. */
    public static final int DEFAULT_MAX_RETIRED_VARIANTS = 16_384;

    private TaskSpecs specs;
    private int snapshotEveryBatches = DEFAULT_SNAPSHOT_EVERY_BATCHES;
    private long snapshotIntervalMs = DEFAULT_SNAPSHOT_INTERVAL_MS;
    private long batchTimeoutMs = DEFAULT_BATCH_TIMEOUT_MS;
    private int prequentialWindow = 2000;
    private Topic<AnnotatorModel> annotatorsTopic =
            new Topic<>(ChorusTopic.DefaultNames.ANNOTATORS, AnnotatorModel.class, WireFormat.AVRO);
    private long annotatorPublishIntervalMs = DEFAULT_ANNOTATOR_PUBLISH_INTERVAL_MS;
    private Topic<Consensus> consensusTopic =
            new Topic<>(ChorusTopic.DefaultNames.CONSENSUS, Consensus.class, WireFormat.AVRO);
    private SelectionSettings selection = SelectionSettings.defaults();
    private Topic<VariantSpecRecord> specsTopic =
            new Topic<>(ChorusTopic.DefaultNames.SPECS, VariantSpecRecord.class, WireFormat.AVRO);
    private Topic<DeadLetter> specRefusalsTopic =
            new Topic<>(ChorusTopic.DefaultNames.SPEC_REFUSALS, DeadLetter.class, WireFormat.AVRO);
    private int maxVariantsPerTask = DEFAULT_MAX_VARIANTS_PER_TASK;
    private int maxLiveVariants = DEFAULT_MAX_LIVE_VARIANTS;
    private long maxWarmStartBytes = DEFAULT_MAX_WARM_START_BYTES;
    private int maxRetiredVariants = DEFAULT_MAX_RETIRED_VARIANTS;
    private ModelSizeBound modelSizeBound = new ModelSizeBound(ModelSizeBound.DEFAULT_MAX_PARAMETERS);
    private HashedState hashedState = HashedState.VALUE;
    private boolean decisionsAtLeastOnce;

    public TrainSettings() {
        super("chorus-train");
    }

    public TaskSpecs specs() { return specs; }
    public int snapshotEveryBatches() { return snapshotEveryBatches; }
    public long snapshotIntervalMs() { return snapshotIntervalMs; }
    public long batchTimeoutMs() { return batchTimeoutMs; }
    public int prequentialWindow() { return prequentialWindow; }
    public Topic<AnnotatorModel> annotatorsTopic() { return annotatorsTopic; }
    public long annotatorPublishIntervalMs() { return annotatorPublishIntervalMs; }
    public Topic<Consensus> consensusTopic() { return consensusTopic; }
    public SelectionSettings selection() { return selection; }
    public Topic<VariantSpecRecord> specsTopic() { return specsTopic; }
    public Topic<DeadLetter> specRefusalsTopic() { return specRefusalsTopic; }
    public int maxVariantsPerTask() { return maxVariantsPerTask; }
    public int maxLiveVariants() { return maxLiveVariants; }
    public long maxWarmStartBytes() { return maxWarmStartBytes; }
    public int maxRetiredVariants() { return maxRetiredVariants; }
    public ModelSizeBound modelSizeBound() { return modelSizeBound; }
    public HashedState hashedState() { return hashedState; }
    public boolean decisionsAtLeastOnce() { return decisionsAtLeastOnce; }

    public TrainSettings specs(TaskSpecs v) { specs = Objects.requireNonNull(v); return this; }
    /** Publish a model snapshot after every N minibatch updates. */
    public TrainSettings snapshotEveryBatches(int v) { snapshotEveryBatches = (int) positive("snapshotEveryBatches", v); return this; }
    /** Also publish a snapshot at least this often when the model changed (0 disables the timer). */
    public TrainSettings snapshotIntervalMs(long v) { snapshotIntervalMs = nonNegative("snapshotIntervalMs", v); return this; }
    /** Close a partial minibatch this long after its first example (0: close by count only, deterministic). */
    public TrainSettings batchTimeoutMs(long v) { batchTimeoutMs = nonNegative("batchTimeoutMs", v); return this; }
    public TrainSettings prequentialWindow(int v) { prequentialWindow = (int) positive("prequentialWindow", v); return this; }
    /** Where label-model tasks publish an AnnotatorModel per annotator (compacted, key = task/annotator). */
    public TrainSettings annotatorsTopic(Topic<AnnotatorModel> v) { annotatorsTopic = Objects.requireNonNull(v); return this; }
    /** Publish a changed annotator at most this often (each model snapshot also publishes every annotator). */
    public TrainSettings annotatorPublishIntervalMs(long v) { annotatorPublishIntervalMs = nonNegative("annotatorPublishIntervalMs", v); return this; }
    /** Where label-model tasks publish each item's consensus (compacted, key = task/item), as often as annotators. */
    public TrainSettings consensusTopic(Topic<Consensus> v) { consensusTopic = Objects.requireNonNull(v); return this; }
    /** How each task's champion is picked among its variants and how often standings go out. */
    public TrainSettings selection(SelectionSettings v) { selection = Objects.requireNonNull(v); return this; }
    /** The control topic (compacted, key = task/variant) whose live records say which variants each task trains. */
    public TrainSettings specsTopic(Topic<VariantSpecRecord> v) { specsTopic = Objects.requireNonNull(v); return this; }
    /** Where the control records the job refuses go too, beside the dead-letter topic (key = the record's). */
    public TrainSettings specRefusalsTopic(Topic<DeadLetter> v) { specRefusalsTopic = Objects.requireNonNull(v); return this; }
    /** A control record that would make a task train more live variants than this is a dead letter. */
    public TrainSettings maxVariantsPerTask(int v) { maxVariantsPerTask = (int) positive("maxVariantsPerTask", v); return this; }
    /**
     * A control record that would make the control topic hold more live variants than this, all tasks together, is a
     * dead letter: each is a spec in the broadcast state of every router and trainer instance.
     */
    public TrainSettings maxLiveVariants(int v) { maxLiveVariants = (int) positive("maxLiveVariants", v); return this; }
    /**
     * A control record whose warm-start model would make those of the live variants add up to more bytes than this is
     * a dead letter: every router and trainer instance holds each in broadcast state while its variant is live.
     */
    public TrainSettings maxWarmStartBytes(long v) { maxWarmStartBytes = positive("maxWarmStartBytes", v); return this; }
    /**
     * A RETIRED record of a key the control topic never had live (nothing to retire) is a dead letter once this many
     * retired keys are kept, all tasks together: each is an entry in check-specs' state and in the broadcast state of
     * every router, trainer and selection instance. A retirement of a live variant is never refused.
     */
    public TrainSettings maxRetiredVariants(int v) { maxRetiredVariants = (int) positive("maxRetiredVariants", v); return this; }
    /** A spec whose model would have more parameters than this is refused: at submission, or as a dead letter. */
    public TrainSettings maxModelParameters(long v) { modelSizeBound = new ModelSizeBound(v); return this; }
    /** Where a hashed task's model rows live in keyed state ({@link HashedRowsState}). */
    public TrainSettings hashedState(HashedState v) { hashedState = Objects.requireNonNull(v); return this; }
    /**
     * Write the job's own control records (a search's retirements, a drift reaction's records) without transactions
     * even when its other outputs are exactly once, so that they take effect within milliseconds rather than after the
     * next checkpoint; a decision made after the last checkpoint may be written again, or differently, after a
     * failure.
     */
    public TrainSettings decisionsAtLeastOnce(boolean v) { decisionsAtLeastOnce = v; return this; }

    /**
     * {@code VALUE}: a task's whole state in one value (the heap backend's best); {@code ROWS}: a hashed task's model
     * rows in blocks of map state, written back as its minibatches change them (RocksDB or ForSt, incremental
     * checkpoints).
     */
    public enum HashedState {
        VALUE, ROWS;

        /** The layout named {@code name} ({@code value} or {@code rows}, any case). */
        public static HashedState of(String name) {
            for (HashedState layout : values()) {
                if (layout.name().equalsIgnoreCase(name)) {
                    return layout;
                }
            }
            throw new IllegalArgumentException("--hashed-state: expected value or rows, got \"" + name + "\"");
        }
    }

    @Override
    public TrainSettings validate() {
        if (specs == null) {
            throw new IllegalArgumentException("no model spec: set a default spec or per-task specs");
        }
        String tooLarge = specs.sizeProblem(modelSizeBound);
        if (tooLarge != null) {
            throw new IllegalArgumentException(tooLarge);
        }
        return super.validate();
    }
}
