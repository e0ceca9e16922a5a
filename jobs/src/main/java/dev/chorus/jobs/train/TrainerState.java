package dev.chorus.jobs.train;

import dev.chorus.core.metrics.SlidingAccuracy;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;

/**
 * Everything the minibatch operator keeps for one task: the learner (parameters, optimizer state, RNG,
 * standardiser statistics, step count), the partially filled minibatch, the prequential metric and the
 * bookkeeping of timers and published versions. Held in Flink keyed state and written by
 * {@link TrainerStateSerializer}; on the heap backend it is used in place, never deserialised per record.
 */
public final class TrainerState {
    final OnlineLearner learner;
    /** Row-major minibatch buffer, batchSize x inputDim; the first {@link #batchFill} rows are live. */
    final float[] batchFeatures;
    /** Class labels of the open minibatch (classifiers). */
    final int[] batchLabels;
    /** Real targets of the open minibatch (regressors). */
    final float[] batchTargets;
    final float[] batchWeights;
    int batchFill;
    final SlidingAccuracy prequential;
    /** Version of the last published model snapshot; 0 (the untrained model, never published) when none. */
    long publishedVersion;
    /** Processing time at which the open minibatch closes, or {@link Long#MIN_VALUE} when none is pending. */
    long batchDeadline = Long.MIN_VALUE;
    /** Processing time of the next periodic snapshot check, or {@link Long#MIN_VALUE}. */
    long nextSnapshotAt = Long.MIN_VALUE;
    /** Examples predicted (labeled or not). */
    long predictions;

    TrainerState(OnlineLearner learner, int prequentialWindow) {
        this(learner, new SlidingAccuracy(prequentialWindow));
    }

    TrainerState(OnlineLearner learner, SlidingAccuracy prequential) {
        this.learner = learner;
        ModelSpec spec = learner.spec();
        this.batchFeatures = new float[spec.batchSize() * spec.inputDim()];
        this.batchLabels = new int[spec.batchSize()];
        this.batchTargets = new float[spec.batchSize()];
        this.batchWeights = new float[spec.batchSize()];
        this.prequential = prequential;
    }

    int batchSize() {
        return batchLabels.length;
    }

    /** The model version: the number of minibatch updates applied. */
    long version() {
        return learner.steps();
    }

    TrainerState copy() {
        TrainerState c = new TrainerState(learner.copy(), prequential.copy());
        System.arraycopy(batchFeatures, 0, c.batchFeatures, 0, batchFeatures.length);
        System.arraycopy(batchLabels, 0, c.batchLabels, 0, batchLabels.length);
        System.arraycopy(batchTargets, 0, c.batchTargets, 0, batchTargets.length);
        System.arraycopy(batchWeights, 0, c.batchWeights, 0, batchWeights.length);
        c.batchFill = batchFill;
        c.publishedVersion = publishedVersion;
        c.batchDeadline = batchDeadline;
        c.nextSnapshotAt = nextSnapshotAt;
        c.predictions = predictions;
        return c;
    }
}
