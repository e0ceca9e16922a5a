package dev.chorus.jobs.serve;

import dev.chorus.jobs.train.ModelSizeBound;

import dev.chorus.jobs.JobSettings;
import java.util.Objects;

/** The serve job's settings: the common Kafka and Flink ones, which variant to serve, and how many may wait. */
public final class ServeSettings extends JobSettings<ServeSettings> {
    private static final long serialVersionUID = 1L;

    /** Default of maxWaitingPerTask, written once: {@link ServeJobOptions} takes it from here. */
    public static final int DEFAULT_MAX_WAITING_PER_TASK = 10_000;
    public static final int DEFAULT_MAX_VARIANTS_PER_TASK = 16;
    /** The variant name that means: each task's current champion, as the champions topic says. */
    public static final String CHAMPION = "champion";

    private String variant = DEFAULT_VARIANT;
    private int maxWaitingPerTask = DEFAULT_MAX_WAITING_PER_TASK;
    private int maxVariantsPerTask = DEFAULT_MAX_VARIANTS_PER_TASK;
    private ModelSizeBound modelSizeBound = new ModelSizeBound(ModelSizeBound.DEFAULT_MAX_PARAMETERS);

    public ServeSettings() {
        super("chorus-serve");
        // Serving answers one example at a time: a short buffer timeout keeps latency well below Flink's 100 ms.
        bufferTimeoutMs(5);
    }

    public String variant() { return variant; }
    public int maxWaitingPerTask() { return maxWaitingPerTask; }
    public int maxVariantsPerTask() { return maxVariantsPerTask; }
    public ModelSizeBound modelSizeBound() { return modelSizeBound; }
    /** Whether each task is served by its champion ({@link #CHAMPION}) rather than a fixed variant. */
    public boolean followsChampion() { return CHAMPION.equals(variant); }

    /** The model variant that answers (a task may train several), or {@link #CHAMPION}: each task's champion. */
    public ServeSettings variant(String v) { variant = Objects.requireNonNull(v); return this; }
    /** Examples of a task without a model yet wait in state, at most this many; more go to the dead-letter topic. */
    /** Following the champion, models of at most this many variants per task are kept; more are dead letters. */
    public ServeSettings maxVariantsPerTask(int v) { maxVariantsPerTask = (int) positive("maxVariantsPerTask", v); return this; }
    /** A model record whose spec declares more (the train job's bound) is a dead letter, read no further. */
    public ServeSettings maxModelParameters(long v) { modelSizeBound = new ModelSizeBound(v); return this; }
    public ServeSettings maxWaitingPerTask(int v) { maxWaitingPerTask = (int) positive("maxWaitingPerTask", v); return this; }
}
