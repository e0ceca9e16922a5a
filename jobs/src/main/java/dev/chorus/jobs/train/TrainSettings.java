package dev.chorus.jobs.train;

import dev.chorus.jobs.JobSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * The train job's settings: the common Kafka and Flink ones, what each task trains, and when minibatches close
 * and snapshots go out.
 */
public final class TrainSettings extends JobSettings<TrainSettings> {
    private static final long serialVersionUID = 1L;

    private TaskSpecs specs;
    private int snapshotEveryBatches = 50;
    private long snapshotIntervalMs = Duration.ofSeconds(30).toMillis();
    private long batchTimeoutMs = Duration.ofSeconds(5).toMillis();
    private int prequentialWindow = 2000;

    public TrainSettings() {
        super("chorus-train");
    }

    public TaskSpecs specs() { return specs; }
    public int snapshotEveryBatches() { return snapshotEveryBatches; }
    public long snapshotIntervalMs() { return snapshotIntervalMs; }
    public long batchTimeoutMs() { return batchTimeoutMs; }
    public int prequentialWindow() { return prequentialWindow; }

    public TrainSettings specs(TaskSpecs v) { specs = Objects.requireNonNull(v); return this; }
    /** Publish a model snapshot after every N minibatch updates. */
    public TrainSettings snapshotEveryBatches(int v) { snapshotEveryBatches = (int) positive("snapshotEveryBatches", v); return this; }
    /** Also publish a snapshot at least this often when the model changed (0 disables the timer). */
    public TrainSettings snapshotIntervalMs(long v) { snapshotIntervalMs = nonNegative("snapshotIntervalMs", v); return this; }
    /** Close a partial minibatch this long after its first example (0: close by count only, deterministic). */
    public TrainSettings batchTimeoutMs(long v) { batchTimeoutMs = nonNegative("batchTimeoutMs", v); return this; }
    public TrainSettings prequentialWindow(int v) { prequentialWindow = (int) positive("prequentialWindow", v); return this; }

    @Override
    public TrainSettings validate() {
        if (specs == null) {
            throw new IllegalArgumentException("no model spec: set a default spec or per-task specs");
        }
        return super.validate();
    }
}
