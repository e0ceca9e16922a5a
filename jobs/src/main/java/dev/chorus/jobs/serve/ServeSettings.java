package dev.chorus.jobs.serve;

import dev.chorus.jobs.JobSettings;
import java.util.Objects;

/** The serve job's settings: the common Kafka and Flink ones, which variant to serve, and how many may wait. */
public final class ServeSettings extends JobSettings<ServeSettings> {
    private static final long serialVersionUID = 1L;

    /** Default of maxWaitingPerTask, written once: {@link ServeJobOptions} takes it from here. */
    public static final int DEFAULT_MAX_WAITING_PER_TASK = 10_000;

    private String variant = DEFAULT_VARIANT;
    private int maxWaitingPerTask = DEFAULT_MAX_WAITING_PER_TASK;

    public ServeSettings() {
        super("chorus-serve");
        // Serving answers one example at a time: a short buffer timeout keeps latency well below Flink's 100 ms.
        bufferTimeoutMs(5);
    }

    public String variant() { return variant; }
    public int maxWaitingPerTask() { return maxWaitingPerTask; }

    /** The model variant that answers (a task may train several). */
    public ServeSettings variant(String v) { variant = Objects.requireNonNull(v); return this; }
    /** Examples of a task without a model yet wait in state, at most this many; more go to the dead-letter topic. */
    public ServeSettings maxWaitingPerTask(int v) { maxWaitingPerTask = (int) positive("maxWaitingPerTask", v); return this; }
}
