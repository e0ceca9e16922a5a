package dev.chorus.jobs.train;

import dev.chorus.core.features.SparseVector;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.HashedFields;
import dev.chorus.jobs.LargeOutputPredictions;
import dev.chorus.jobs.WideDeepFields;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's predictions of one variant's examples, dense or hashed, with their scratch buffers: an unlabeled
 * example at once, the open minibatch's labeled rows in one batched pass when it closes. Reused by one operator
 * instance, one key at a time. A prediction that is not finite is counted ({@code nonFinitePredictions}, on the
 * operator and per task and variant) and goes out all the same, for the selection, which scores it as the worst loss:
 * the train job keeps it off the predictions topic ({@link TrainJob#PUBLISHABLE}). The caller of {@link #now}
 * dead-letters one. A diverged variant predicts nothing finite for as long as it lasts, so {@link #check} logs the
 * turns, not each prediction: a WARN when a variant's predictions stop being finite, an INFO when they are finite
 * again (a reset or revival), per task and variant ({@link TaskTrainingMetrics#predictedFinite}).
 */
final class MinibatchPredictions {
    private static final Logger LOG = LoggerFactory.getLogger(MinibatchPredictions.class);

    /** Predictions that are not finite ({@link ExampleTensors#nonFiniteReason}). */
    private final Counter nonFinite;
    private float[] probabilities = new float[0];
    /** The last batched pass's outputs (rows × outputs), which the consensus priors read. */
    private float[] batchOutputs = new float[0];
    private float[] batchRows = new float[0];

    MinibatchPredictions(Counter nonFinite) {
        this.nonFinite = nonFinite;
    }

    /**
     * Why {@code prediction}, of the variant {@code metrics} measures, is not finite, null if it is finite; counted,
     * and logged when the variant's predictions turn not finite or finite again.
     */
    String check(Prediction prediction, TaskTrainingMetrics metrics) {
        String reason = ExampleTensors.nonFiniteReason(prediction);
        if (reason != null) {
            nonFinite.inc();
        }
        if (metrics.predictedFinite(reason == null)) {
            if (reason != null) {
                LOG.warn("Predictions of variant {} of task {} are not finite from example {} on: {}; each is kept off "
                        + "the predictions topic and scores the worst loss in the selection, counted "
                        + "nonFinitePredictions, and this is logged again only after they are finite again",
                        prediction.getVariant(), prediction.getTask(), prediction.getId(), reason);
            } else {
                LOG.info("Predictions of variant {} of task {} are finite again from example {} on (model version {})",
                        prediction.getVariant(), prediction.getTask(), prediction.getId(),
                        prediction.getModelVersion());
            }
        }
        return reason;
    }

    /**
     * {@code out}, counting and logging ({@link #check}) the predictions that are not finite, which go out all the
     * same: the selection scores each as the worst loss, so a diverged variant loses rather than stall its pairs and
     * rungs, and the train job keeps it off the predictions topic. The labelled examples of a minibatch keep no
     * encoded record for a dead letter, and each trains (or its minibatch is rejected by the numeric guard) all the
     * same.
     */
    private Collector<Prediction> countingNonFinite(Collector<Prediction> out, TaskTrainingMetrics metrics) {
        return new Collector<>() {
            @Override
            public void collect(Prediction prediction) {
                check(prediction, metrics);
                out.collect(prediction);
            }

            @Override
            public void close() {
                out.close();
            }
        };
    }

    float[] batchOutputs() {
        return batchOutputs;
    }

    /**
     * Predicts at once (unlabeled ones) the example whose features are at {@code row} of the minibatch buffer, or, for
     * a hashed task, {@code hashedRow}, or, for a wide and deep one, {@link TrainerState#arrival}.
     */
    Prediction now(TrainerState s, int row, SparseVector hashedRow, Example example, String variant, long now) {
        if (probabilities.length != s.model.outputDim()) {
            probabilities = new float[s.model.outputDim()];
        }
        s.predictions++;
        if (s.largeOutput != null) {
            return LargeOutputPredictions.predict(s.largeOutput, hashedRow, example, variant, s.version(), now);
        }
        return s.hashed != null
                ? HashedFields.predict(s.hashed, hashedRow, probabilities, example, variant, s.version(), now)
                : s.wideDeep != null
                ? WideDeepFields.predict(s.wideDeep, s.arrival, probabilities, example, variant, s.version(), now)
                : ExampleTensors.predict(s.model, s.batchFeatures, row, probabilities, example, variant, s.version(),
                        now);
    }

    /**
     * Predicts the open minibatch's rows not yet predicted, in one batched pass of the current model (the one each
     * example met on arrival, as the model changes only when a minibatch closes), and adds them to the prequential
     * metric.
     */
    void batch(TrainerState s, String task, String variant, TaskTrainingMetrics metrics, long now,
            Collector<Prediction> predictions) {
        Collector<Prediction> out = countingNonFinite(predictions, metrics);
        int from = s.batchPredicted;
        int rows = s.batchFill - from;
        if (rows <= 0) {
            return;
        }
        if (s.largeOutput != null) {
            LargeOutputRows.predict(s, task, variant, now, out);
            return;
        }
        int k = s.model.outputDim();
        int dim = s.model.inputDim();
        if (batchOutputs.length < s.batchSize() * k) {
            batchOutputs = new float[s.batchSize() * k];
        }
        boolean dense = s.model.spec().hashing() == null;
        if (dense && batchRows.length < s.batchSize() * dim) {
            batchRows = new float[s.batchSize() * dim];
        }
        float[] x = s.batchFeatures;
        if (from > 0 && dense) {
            System.arraycopy(s.batchFeatures, from * dim, batchRows, 0, rows * dim);
            x = batchRows;
        }
        boolean classifier = s.model.isClassifier();
        if (s.hashed != null) {
            HashedRows.predict(s, from, rows, batchOutputs);
        } else if (s.wideDeep != null) {
            WideDeepRows.predict(s, batchOutputs);
        } else if (classifier) {
            s.model.predictProbaBatch(x, rows, batchOutputs);
        } else {
            s.model.predictValues(x, rows, batchOutputs);
        }
        long version = s.version();
        if (probabilities.length != k) {
            probabilities = new float[k];
        }
        for (int r = 0; r < rows; r++) {
            int i = from + r;
            Prediction p;
            if (classifier) {
                System.arraycopy(batchOutputs, r * k, probabilities, 0, k);
                p = ExampleTensors.prediction(s.batchIds[i], task, s.batchLabels[i], null, s.batchAnnotators[i],
                        s.batchEventTimes[i], variant, version, probabilities, now);
                s.prequential.add(p.getPredictedClass() == s.batchLabels[i]);
                metrics.predicted(probabilities, k, s.batchLabels[i]);
            } else {
                p = ExampleTensors.regression(s.batchIds[i], task, (double) s.batchTargets[i], s.batchAnnotators[i],
                        s.batchEventTimes[i], variant, version, batchOutputs[r], now);
                metrics.predicted(batchOutputs[r], s.batchTargets[i]);
            }
            out.collect(p);
            s.predictions++;
        }
        s.batchPredicted = s.batchFill;
    }
}
