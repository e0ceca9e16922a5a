package dev.chorus.jobs.train;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.metrics.SlidingAccuracy;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepBatch;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.tensor.RowsApart;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.jobs.ExampleTensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Everything the minibatch operator keeps for one task: the model (parameters, optimizer state, RNG,
 * standardiser statistics, step count; for a task whose spec names a label model, also every annotator's
 * estimates and the per-item label history; for a task whose spec hashes named fields, a sparse linear model, or
 * a wide and deep model for a {@code wide-deep} spec), the partially filled minibatch (dense rows, sparse rows for a
 * hashed task, a {@link WideDeepBatch} for a wide and deep one), the prequential metric and the
 * bookkeeping of timers and published versions. Held in Flink keyed state and written by
 * {@link TrainerStateSerializer}; on the heap backend it is used in place, never deserialised per record.
 */
public final class TrainerState {
    /** The task's classifier or regressor when its spec names no label model and hashes nothing, else null. */
    final OnlineLearner learner;
    /** The task's label model when its spec names one, else null. */
    final LabelModel labelModel;
    /** The task's model when its spec hashes named fields ({@link ModelSpec#hashing()}), else null. */
    final SparseLinearModel hashed;
    /** The task's model when its spec is a {@code wide-deep} one, else null (and {@link #hashed} is null). */
    final WideDeepModel wideDeep;
    /** The task's model when its spec is a {@code large-softmax} one (it hashes too), else null. */
    final LargeOutputModel largeOutput;
    /** The task's model when its spec is a skip-gram ({@link ModelSpec#skipGram()}), else null. */
    final SkipGramTrainer skipGram;
    /** Whichever the task has: what predicts (but a skip-gram) and what is published. */
    final Predictor model;
    /**
     * Row-major minibatch buffer, batchSize x inputDim; the first {@link #batchFill} rows are live. Empty when the
     * spec hashes named fields.
     */
    final float[] batchFeatures;
    /** Hashed tasks: the open minibatch's rows, sparse (CSR), one per live row; else null. */
    final SparseBatch sparseRows;
    /** Hashed tasks: the spec's hasher (derived from the spec, not state); else null. */
    final FeatureHasher hasher;
    /** Wide and deep tasks: the open minibatch's rows, one per live row ({@link WideDeepRows}); else null. */
    final WideDeepBatch wideRows;
    /** Wide and deep tasks: the last example to arrive, taken apart once (scratch, not state); else null. */
    final WideDeepBatch arrival;
    /** Class labels of the open minibatch (classifiers). */
    final int[] batchLabels;
    /** Real targets of the open minibatch (regressors). */
    final float[] batchTargets;
    final float[] batchWeights;
    /** Kafka partition and offset each row was read from, for log lines; -1 when not known. */
    final int[] batchPartitions;
    final long[] batchOffsets;
    /** Label-model tasks: each row's item key ({@link dev.chorus.jobs.ExampleTensors#itemKey}). */
    final long[] batchItems;
    /** Each row's annotator ({@code null} when the example named none; label models use the anonymous id). */
    final String[] batchAnnotators;
    /** Each row's example id and event time, for the prediction made when the minibatch closes. */
    final String[] batchIds;
    final long[] batchEventTimes;
    int batchFill;
    /**
     * Rows of the open minibatch whose predictions have already gone out: 0, since a labeled example is predicted
     * when its minibatch closes; all of them for a minibatch restored from layout 1, which predicted on arrival.
     */
    int batchPredicted;
    final SlidingAccuracy prequential;
    /** Version of the last published model snapshot; 0 (the untrained model, never published) when none. */
    long publishedVersion;
    /** Processing time at which the open minibatch closes, or {@link Long#MIN_VALUE} when none is pending. */
    long batchDeadline = Long.MIN_VALUE;
    /** Processing time of the next periodic snapshot check, or {@link Long#MIN_VALUE}. */
    long nextSnapshotAt = Long.MIN_VALUE;
    /** Examples predicted (labeled or not). */
    long predictions;
    /**
     * Label-model tasks, per annotator slot in the label model's order ({@link LabelModel#annotatorIds()}): the
     * model version, processing time and labels seen of its slot's annotator's last published AnnotatorModel; 0 when
     * never published, and again when the slot's annotator was evicted ({@link #evictedSince}).
     */
    long[] annotatorPublishedVersion = new long[0];
    long[] annotatorPublishedAt = new long[0];
    long[] annotatorPublishedLabels = new long[0];
    /** Label-model tasks: each item's consensus record, published and owed. */
    ConsensusLedger consensus = new ConsensusLedger();
    /** Scratch of {@link #admitsAnnotator}; not state. */
    private String[] admissionScratch = new String[0];

    /** A fresh state for {@code spec}: a label model if the spec names one, else a plain learner. */
    static TrainerState create(ModelSpec spec, int prequentialWindow) {
        SlidingAccuracy prequential = new SlidingAccuracy(prequentialWindow);
        if (spec.algorithm().equals(ModelSpec.WIDE_DEEP)) {
            return new TrainerState(WideDeepModel.create(spec), prequential);
        }
        if (spec.output() != null) {
            return new TrainerState(LargeOutputModel.create(spec), prequential);
        }
        if (spec.hashing() != null) {
            return new TrainerState(SparseLinearModel.create(spec), prequential);
        }
        if (spec.skipGram() != null) {
            return new TrainerState(SkipGramTrainer.create(spec), prequential);
        }
        return spec.labelModel() == null ? new TrainerState(OnlineLearner.create(spec), prequential)
                : new TrainerState(LabelModels.create(spec), prequential);
    }

    TrainerState(OnlineLearner learner, SlidingAccuracy prequential) {
        this(learner, null, null, null, learner, prequential);
    }

    TrainerState(LabelModel labelModel, SlidingAccuracy prequential) {
        this(null, labelModel, null, null, labelModel, prequential);
    }

    TrainerState(SparseLinearModel hashed, SlidingAccuracy prequential) {
        this(null, null, hashed, null, hashed, prequential);
    }

    TrainerState(WideDeepModel wideDeep, SlidingAccuracy prequential) {
        this(null, null, null, wideDeep, wideDeep, prequential);
    }

    TrainerState(LargeOutputModel largeOutput, SlidingAccuracy prequential) {
        this(null, null, null, null, largeOutput, prequential);
    }

    TrainerState(SkipGramTrainer skipGram, SlidingAccuracy prequential) {
        this(null, null, null, null, skipGram, prequential);
    }

    private TrainerState(OnlineLearner learner, LabelModel labelModel, SparseLinearModel hashed,
            WideDeepModel wideDeep, Predictor model, SlidingAccuracy prequential) {
        this.learner = learner;
        this.labelModel = labelModel;
        this.hashed = hashed;
        this.wideDeep = wideDeep;
        this.largeOutput = model instanceof LargeOutputModel large ? large : null;
        this.skipGram = model instanceof SkipGramTrainer trainer ? trainer : null;
        this.model = model;
        ModelSpec spec = model.spec();
        int batchSize = spec.batchSize();
        // Hashed and large-output tasks keep sparse rows; a wide-deep one its own batch; the others dense rows.
        boolean sparse = hashed != null || largeOutput != null;
        this.batchFeatures = new float[spec.hashing() == null ? batchSize * spec.inputDim() : 0];
        this.sparseRows = sparse ? new SparseBatch(spec.inputDim()) : null;
        this.hasher = sparse ? new FeatureHasher(spec.hashing()) : null;
        this.wideRows = wideDeep == null ? null : new WideDeepBatch(spec);
        this.arrival = wideDeep == null ? null : new WideDeepBatch(spec);
        this.batchLabels = new int[batchSize];
        this.batchTargets = new float[batchSize];
        this.batchWeights = new float[batchSize];
        this.batchPartitions = new int[batchSize];
        this.batchOffsets = new long[batchSize];
        this.batchItems = labelModel == null ? new long[0] : new long[batchSize];
        this.batchAnnotators = new String[batchSize];
        this.batchIds = new String[batchSize];
        this.batchEventTimes = new long[batchSize];
        this.prequential = prequential;
    }

    int batchSize() {
        return batchLabels.length;
    }

    /** The model version: the number of minibatch updates applied. */
    long version() {
        return model.steps();
    }

    /** Grows the per-annotator publication records to cover every annotator the label model knows. */
    void trackAnnotators() {
        int count = labelModel.annotatorCount();
        if (annotatorPublishedVersion.length < count) {
            annotatorPublishedVersion = Arrays.copyOf(annotatorPublishedVersion, count);
            annotatorPublishedAt = Arrays.copyOf(annotatorPublishedAt, count);
            annotatorPublishedLabels = Arrays.copyOf(annotatorPublishedLabels, count);
        }
    }

    /**
     * Whether the open minibatch may take one more label from {@code annotator}: the label model would find a slot
     * for every annotator of the minibatch with it, free or evicted from an annotator with few labels
     * ({@link LabelModel#firstRefusedAnnotator}). A known annotator is checked too: its slot may be the one a new
     * annotator of the open minibatch was to take.
     */
    boolean admitsAnnotator(String annotator) {
        if (labelModel.annotatorCount() + batchFill < labelModel.maxAnnotators()) {
            return true;
        }
        if (admissionScratch.length <= batchFill) {
            admissionScratch = new String[batchSize() + 1];
        }
        for (int i = 0; i < batchFill; i++) {
            admissionScratch[i] = ExampleTensors.annotator(batchAnnotators[i]);
        }
        admissionScratch[batchFill] = annotator;
        return labelModel.firstRefusedAnnotator(admissionScratch, batchFill + 1) == null;
    }

    /**
     * Forgets the publication records of the slots whose annotator changed from {@code before} (the label model's
     * {@link LabelModel#annotatorIds()} before an update), so the new annotator of a slot is published as new, and
     * returns the evicted annotators, each with whether a record of it had gone out (its key needs a tombstone).
     */
    List<Eviction> evictedSince(List<String> before) {
        List<String> after = labelModel.annotatorIds();
        List<Eviction> evicted = new ArrayList<>();
        for (int a = 0; a < before.size(); a++) {
            if (!before.get(a).equals(after.get(a))) {
                boolean published = a < annotatorPublishedVersion.length && annotatorPublishedVersion[a] > 0;
                evicted.add(new Eviction(before.get(a), published));
                if (a < annotatorPublishedVersion.length) {
                    annotatorPublishedVersion[a] = 0;
                    annotatorPublishedAt[a] = 0;
                    annotatorPublishedLabels[a] = 0;
                }
            }
        }
        return evicted;
    }

    /** An annotator evicted from its slot; {@code published}: its model is on the annotators topic. */
    record Eviction(String annotator, boolean published) {}

    /**
     * The state of this variant reset in place (a drift reaction's revival of a live variant): {@code fresh}'s model
     * and records, with this state's open minibatch and timers, so that the examples it holds are predicted and
     * trained by the fresh model when it closes, as if they had come after the reset.
     */
    TrainerState restartedAs(TrainerState fresh) {
        copyOpenMinibatch(fresh);
        fresh.batchDeadline = batchDeadline;
        fresh.nextSnapshotAt = nextSnapshotAt;
        return fresh;
    }

    /** Copies the open minibatch's rows into {@code c}, a state of the same spec. */
    private void copyOpenMinibatch(TrainerState c) {
        if (sparseRows != null) {
            HashedRows.copy(sparseRows, c.sparseRows);
        }
        if (wideDeep != null) {
            WideDeepRows.copy(wideRows, c.wideRows);
        }
        System.arraycopy(batchFeatures, 0, c.batchFeatures, 0, batchFeatures.length);
        System.arraycopy(batchLabels, 0, c.batchLabels, 0, batchLabels.length);
        System.arraycopy(batchTargets, 0, c.batchTargets, 0, batchTargets.length);
        System.arraycopy(batchWeights, 0, c.batchWeights, 0, batchWeights.length);
        System.arraycopy(batchPartitions, 0, c.batchPartitions, 0, batchPartitions.length);
        System.arraycopy(batchOffsets, 0, c.batchOffsets, 0, batchOffsets.length);
        System.arraycopy(batchItems, 0, c.batchItems, 0, batchItems.length);
        System.arraycopy(batchAnnotators, 0, c.batchAnnotators, 0, batchAnnotators.length);
        System.arraycopy(batchIds, 0, c.batchIds, 0, batchIds.length);
        System.arraycopy(batchEventTimes, 0, c.batchEventTimes, 0, batchEventTimes.length);
        c.batchFill = batchFill;
        c.batchPredicted = batchPredicted;
    }

    /**
     * The model whose rows {@link HashedRowsState} keeps apart with {@code --hashed-state rows}, or null when the
     * task's state stays one value in both layouts.
     */
    RowsApart rowsApart() {
        return wideDeep != null ? wideDeep.rowsApart() : largeOutput != null ? largeOutput.rowsApart() : hashed;
    }

    TrainerState copy() {
        TrainerState c = largeOutput != null ? new TrainerState(largeOutput.copy(), prequential.copy())
                : hashed != null ? new TrainerState(hashed.copy(), prequential.copy())
                : wideDeep != null ? new TrainerState(wideDeep.copy(), prequential.copy())
                : skipGram != null ? new TrainerState(skipGram.copy(), prequential.copy())
                : labelModel == null ? new TrainerState(learner.copy(), prequential.copy())
                : new TrainerState(labelModel.copy(), prequential.copy());
        copyOpenMinibatch(c);
        c.publishedVersion = publishedVersion;
        c.batchDeadline = batchDeadline;
        c.nextSnapshotAt = nextSnapshotAt;
        c.predictions = predictions;
        c.annotatorPublishedVersion = annotatorPublishedVersion.clone();
        c.annotatorPublishedAt = annotatorPublishedAt.clone();
        c.annotatorPublishedLabels = annotatorPublishedLabels.clone();
        c.consensus = consensus.copy();
        return c;
    }
}
