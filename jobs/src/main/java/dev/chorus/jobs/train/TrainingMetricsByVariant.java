package dev.chorus.jobs.train;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.metrics.MetricGroup;

/**
 * The training metrics ({@link TaskTrainingMetrics}) of each variant one parallel instance of the trainer measures,
 * registered when the instance first needs them (also after a restore). A retired variant's are kept, registered and
 * reset, until more than {@link #RETIRED_KEPT} variants retired after it on this instance: reporters still read its
 * last counts for a while, and a variant revived meanwhile goes on with them; then they are closed (Flink unregisters
 * their gauges and counters) and dropped with their prequential window, so drift forks and searches, whose retired
 * names never come back, do not grow the metric series or these objects without bound. Flink's parent group keeps
 * the closed group of each such name (empty, a few hundred bytes; Flink 2.2 has no call that removes it), so the heap
 * still grows by that much per retired name. A variant revived after that
 * registers its metrics again (Flink takes the names of a closed group again). What a reporter shows is not state: an
 * instance restored from a checkpoint measures afresh.
 */
final class TrainingMetricsByVariant {
    /** At most this many retired variants' metrics are kept per instance. */
    static final int RETIRED_KEPT = 32;

    private final MetricGroup operator;
    private final int window;
    /** Variant key → the metrics of a variant not retired since this instance measured it. */
    private final Map<String, TaskTrainingMetrics> live = new HashMap<>();
    /** Variant key → the metrics of a retired variant, the least recently retired first. */
    private final LinkedHashMap<String, TaskTrainingMetrics> retired = new LinkedHashMap<>();

    TrainingMetricsByVariant(MetricGroup operator, int window) {
        this.operator = operator;
        this.window = window;
    }

    /** The metrics of variant {@code variant} of {@code task}, whose state is {@code s}, registered if need be. */
    TaskTrainingMetrics of(String task, String variant, TrainerState s) {
        String key = Variants.key(task, variant);
        boolean classifier = s.model.isClassifier();
        boolean labelModel = s.labelModel != null;
        TaskTrainingMetrics metrics = live.get(key);
        if (metrics == null) {
            metrics = retired.remove(key);
            if (metrics == null) {
                metrics = new TaskTrainingMetrics(operator, task, variant, classifier, labelModel, window);
            }
            live.put(key, metrics);
        }
        if (!metrics.measures(classifier, labelModel)) {
            metrics.restart(classifier, labelModel); // revived as another kind
        }
        return metrics;
    }

    /**
     * A control change of the variant of key {@code key} was applied: a retirement ({@code retires}) or a restart of
     * its model ({@code restarts}) has its next model, of whichever kind, measured from its own first prediction; a
     * retirement also puts its metrics among the retired ones, closing the least recently retired past the bound.
     */
    void changed(String key, boolean retires, boolean restarts) {
        TaskTrainingMetrics metrics = retires ? live.remove(key) : live.get(key);
        if (metrics == null || !(retires || restarts)) {
            return;
        }
        metrics.restart();
        if (retires) {
            retired.put(key, metrics);
            for (Iterator<TaskTrainingMetrics> eldest = retired.values().iterator();
                    retired.size() > RETIRED_KEPT; ) {
                eldest.next().close();
                eldest.remove();
            }
        }
    }
}
