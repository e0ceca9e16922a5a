package dev.chorus.jobs.train;

import dev.chorus.schemas.Prediction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.Collector;

/**
 * The open minibatch of a variant the control topic retires (a retire, a tombstone, a search rung's RETIRED record).
 * Its labelled examples are owed their predictions, as test-then-train gives one prediction per example per variant
 * up to its retirement: they get the retiring model's, the one each met on arrival, as the model changes only when a
 * minibatch closes. They train nothing, since the model goes with the variant. Counted: {@code retiredOpenExamples},
 * in all on the operator and per task and variant.
 */
final class RetiredMinibatches {
    private final MinibatchPredictions predictions;
    private final Counter retiredOpenExamples;

    RetiredMinibatches(MinibatchPredictions predictions, MetricGroup group) {
        this.predictions = predictions;
        this.retiredOpenExamples = group.counter("retiredOpenExamples");
    }

    /** Predicts the rows of {@code s}'s open minibatch not yet predicted, and counts all its rows as not trained. */
    void predict(TrainerState s, String task, String variant, TaskTrainingMetrics metrics, long now,
            Collector<Prediction> out) {
        predictions.batch(s, task, variant, metrics, now, out);
        retiredOpenExamples.inc(s.batchFill);
        metrics.retiredOpen.inc(s.batchFill);
    }
}
