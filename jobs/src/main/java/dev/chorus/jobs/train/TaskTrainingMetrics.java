package dev.chorus.jobs.train;

import dev.chorus.core.metrics.PrequentialLogLoss;
import dev.chorus.core.metrics.PrequentialMse;
import dev.chorus.jobs.LabelledMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.groups.AbstractMetricGroup;

/**
 * One variant's training metrics on one parallel instance of the minibatch operator, registered when the instance
 * first sees the variant, closed some time after it retires ({@link TrainingMetricsByVariant}). The operator copies what the gauges show into plain fields as it goes, because reporters
 * read gauges from another thread and must not touch keyed state. Gauges with nothing to show yet read NaN.
 *
 * <p>The prequential loss (log loss for classifiers, squared error for regressors, over the same window as the
 * accuracy) is kept here, not in the task's checkpointed state: after a restore it starts over from the examples
 * that follow, while the accuracy continues from state. A prediction that is not finite (a poisoned input's) is
 * left out of the loss, which would otherwise stay NaN for a whole window.
 */
final class TaskTrainingMetrics {
    /** The gauges' and counters' names in the task's group, as dashboards query them. */
    static final String ACCURACY = "prequentialAccuracy";
    static final String LOSS = "prequentialLoss";
    static final String VERSION = "modelVersion";
    static final String EXAMPLES = "examplesTrained";
    static final String REJECTED = "minibatchesRejected";
    static final String RETIRED_OPEN = "retiredOpenExamples";
    static final String NON_FINITE = "nonFinitePredictions";
    static final String ANNOTATORS = "annotatorsTracked";
    static final String SNAPSHOT_AGE = "snapshotAgeMs";
    static final String SNAPSHOT_BYTES = "snapshotBytes";
    static final String SNAPSHOT_CHUNKS = "snapshotChunks";

    private final MetricGroup group;
    private final int window;
    /** The model's prequential loss, as its kind has it: the one not null (a revival may bring another kind). */
    private PrequentialLogLoss logLoss;
    private PrequentialMse squaredError;
    private boolean annotatorsGauge;
    final Counter rejected;
    /** Labelled examples of the variant's open minibatch at its retire, not trained ({@link RetiredMinibatches}). */
    final Counter retiredOpen;
    /** The variant's predictions that were not finite ({@link MinibatchPredictions}). */
    private final Counter nonFinite;
    /**
     * Whether the variant's latest prediction was not finite, so that {@link MinibatchPredictions} logs when its
     * predictions turn non-finite and when they turn finite again, not once a prediction. Transient, as a log dedupe:
     * after a restore, or once a retired variant's metrics were dropped ({@link TrainingMetricsByVariant}), a variant
     * still diverged logs its WARN once more; not state, so no savepoint changes for it.
     */
    private boolean diverged;
    private volatile double accuracy = Double.NaN;
    private volatile double loss = Double.NaN;
    private volatile long version;
    private volatile long examples;
    private volatile long annotators;
    /** Creation time of the last model snapshot this instance published; NaN before the first. */
    private volatile double publishedAt = Double.NaN;
    /** Parameter bytes of the last snapshot, and the records that carried them (1 for a whole snapshot). */
    private volatile long publishedBytes;
    private volatile long publishedChunks;

    TaskTrainingMetrics(MetricGroup operator, String task, String variant, boolean classifier, boolean labelModel,
            int window) {
        this.window = window;
        this.group = LabelledMetrics.task(operator, task, variant);
        restart(classifier, labelModel);
        group.gauge(ACCURACY, (Gauge<Double>) () -> accuracy);
        group.gauge(LOSS, (Gauge<Double>) () -> loss);
        group.gauge(VERSION, (Gauge<Long>) () -> version);
        group.gauge(EXAMPLES, (Gauge<Long>) () -> examples);
        group.gauge(SNAPSHOT_AGE, (Gauge<Double>) () -> System.currentTimeMillis() - publishedAt);
        group.gauge(SNAPSHOT_BYTES, (Gauge<Long>) () -> publishedBytes);
        group.gauge(SNAPSHOT_CHUNKS, (Gauge<Long>) () -> publishedChunks);
        this.rejected = group.counter(REJECTED);
        this.retiredOpen = group.counter(RETIRED_OPEN);
        this.nonFinite = group.counter(NON_FINITE);
    }

    /**
     * Measures a model of this kind from its first prediction on: the variant's model was built afresh (a revival, a
     * reset), maybe as another kind. The gauges stay registered (Flink would refuse their names again).
     */
    void restart(boolean classifier, boolean labelModel) {
        logLoss = classifier ? PrequentialLogLoss.sliding(window) : null;
        squaredError = classifier ? null : PrequentialMse.sliding(window);
        loss = Double.NaN;
        if (labelModel && !annotatorsGauge) {
            group.gauge(ANNOTATORS, (Gauge<Long>) () -> annotators);
            annotatorsGauge = true;
        }
    }

    /**
     * Unregisters the gauges and counters (the variant's group is closed: Flink takes its names again for a new one);
     * these metrics are not used again.
     */
    void close() {
        if (group instanceof AbstractMetricGroup<?> closing) {
            closing.close();
        }
    }

    /** As {@link #restart(boolean, boolean)} for a model of the same kind. */
    void restart() {
        restart(logLoss != null, false);
    }

    /** Whether these metrics measure a model of this kind. */
    boolean measures(boolean classifier, boolean labelModel) {
        return (logLoss != null) == classifier && (annotatorsGauge || !labelModel);
    }

    /** A classifier's prediction, made before training on the example whose true class is {@code actual}. */
    void predicted(float[] probabilities, int numClasses, int actual) {
        if (Float.isFinite(probabilities[actual])) {
            logLoss.add(probabilities, 0, numClasses, actual);
        }
    }

    /**
     * A prediction of the variant, {@code finite} or not (counted); whether it turned the variant's predictions from
     * finite to not finite or back. A revival or reset keeps it: a fresh model's first finite prediction turns back.
     */
    boolean predictedFinite(boolean finite) {
        if (!finite) {
            nonFinite.inc();
        }
        boolean turned = diverged == finite;
        diverged = !finite;
        return turned;
    }

    /** A regressor's prediction, made before training on the example whose target is {@code actual}. */
    void predicted(double value, double actual) {
        if (Double.isFinite(value - actual)) {
            squaredError.add(value, actual);
        }
    }

    double loss() {
        return logLoss != null ? logLoss.value() : squaredError.value();
    }

    /** Copies what the gauges show from the task's state. */
    void update(TrainerState s) {
        accuracy = s.prequential.value();
        loss = loss();
        version = s.version();
        examples = s.model.examplesSeen();
        if (s.labelModel != null) {
            annotators = s.labelModel.annotatorCount();
        }
    }

    void published(long createdAt, long bytes, int chunks) {
        publishedAt = createdAt;
        publishedBytes = bytes;
        publishedChunks = chunks;
    }
}
