package dev.chorus.cli;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.RejectedFieldException;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NonFiniteUpdateException;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepBatch;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.schemas.Example;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * {@code chorus fit} for a spec that hashes named fields: a hashed linear model ({@link SparseLinearModel}), a wide
 * and deep one ({@link WideDeepModel}) or a large-softmax one ({@link LargeOutputModel}), trained on examples as
 * {@code chorus produce} reads them from JSON lines. Each
 * example is judged as the train job's decoding judges it ({@link ExampleValidator}) and hashed by the job's hasher
 * ({@link FeatureHasher}, through {@link WideDeepBatch} for wide and deep), once; the labelled ones then train in the
 * file's order, in minibatches of the spec's size (the last one partial), each with its example's weight. An
 * unlabelled example trains nothing, as in the job, and is counted. A minibatch the numeric guard refuses leaves the
 * model as it was, as in the job, and is counted.
 */
final class FieldsFit {
    private final ModelSpec spec;
    private final SparseLinearModel hashed;
    private final WideDeepModel wideDeep;
    private final LargeOutputModel largeOutput;
    /** The labelled examples, hashed: rows of a hashed linear model, or a wide and deep model's taken-apart rows. */
    private final List<SparseVector> rows = new ArrayList<>();
    private final WideDeepBatch wideRows;
    private final List<Integer> labels = new ArrayList<>();
    private final List<Float> targets = new ArrayList<>();
    private final List<Float> weights = new ArrayList<>();
    private long unlabelled;
    private long refused;
    private long trained;

    /** Whether {@code spec} is one this trains: hashed features, and no label model. */
    static boolean takes(ModelSpec spec) {
        return spec.hashing() != null && spec.labelModel() == null;
    }

    /**
     * Judges and hashes {@code examples} for {@code spec}.
     *
     * @throws IllegalArgumentException naming the first example the train job would refuse, its field and why
     */
    FieldsFit(ModelSpec spec, List<Example> examples) {
        this.spec = spec;
        boolean wide = spec.algorithm().equals(ModelSpec.WIDE_DEEP);
        boolean large = spec.output() != null;
        this.hashed = wide || large ? null : SparseLinearModel.create(spec);
        this.wideDeep = wide ? WideDeepModel.create(spec) : null;
        this.largeOutput = large ? LargeOutputModel.create(spec) : null;
        this.wideRows = wide ? new WideDeepBatch(spec) : null;
        FeatureHasher hasher = wide ? null : new FeatureHasher(spec.hashing());
        for (Example e : examples) {
            ExampleValidator.Rejection bad = ExampleValidator.validate(e, spec);
            if (bad != null) {
                throw new IllegalArgumentException("example " + ExampleValidator.quoted(e.getId()) + ": "
                        + bad.reason());
            }
            boolean labelled = spec.isClassifier() ? e.getLabel() != null : e.getTarget() != null;
            if (!labelled) {
                unlabelled++;
                continue;
            }
            try {
                if (wide) {
                    wideRows.add(e.getFields());
                } else {
                    rows.add(hasher.hash(e.getFields()));
                }
            } catch (RejectedFieldException r) {
                throw new IllegalArgumentException("example " + ExampleValidator.quoted(e.getId()) + ": "
                        + r.getMessage(), r);
            }
            labels.add(spec.isClassifier() ? e.getLabel() : 0);
            targets.add(spec.isClassifier() ? 0f : e.getTarget().floatValue());
            weights.add(e.getWeight());
        }
    }

    /** The labelled examples, which train. */
    int examples() {
        return labels.size();
    }

    long unlabelled() {
        return unlabelled;
    }

    /** Minibatches the numeric guard refused. */
    long refused() {
        return refused;
    }

    /** Examples in the minibatches trained (not refused), over every pass so far. */
    long trained() {
        return trained;
    }

    /**
     * One pass in the file's order; {@code progress} gets each minibatch's size. Returns the mean loss over the
     * examples of the minibatches it trained (a refused one counts neither its loss nor its examples), NaN when it
     * trained none.
     */
    double epoch(IntConsumer progress) {
        int size = spec.batchSize();
        SparseBatch batch = wideDeep != null ? null : new SparseBatch(spec.inputDim());
        WideDeepBatch wideBatch = wideDeep == null ? null : new WideDeepBatch(spec);
        int[] y = new int[size];
        float[] t = new float[size];
        float[] w = new float[size];
        double lossSum = 0;
        long trainedNow = 0;
        for (int start = 0; start < examples(); start += size) {
            int n = Math.min(size, examples() - start);
            for (int r = 0; r < n; r++) {
                if (batch != null) {
                    batch.add(rows.get(start + r).indices(), rows.get(start + r).values());
                } else {
                    wideBatch.addRow(wideRows, start + r);
                }
                y[r] = labels.get(start + r);
                t[r] = targets.get(start + r);
                w[r] = weights.get(start + r);
            }
            try {
                lossSum += n * train(batch, wideBatch, y, t, w);
                trainedNow += n;
            } catch (NonFiniteUpdateException e) {
                refused++;
            }
            if (batch != null) {
                batch.clear();
            } else {
                wideBatch.clear();
            }
            progress.accept(n);
        }
        trained += trainedNow;
        return trainedNow == 0 ? Double.NaN : lossSum / trainedNow;
    }

    /** One step on the minibatch in {@code batch} (hashed) or {@code wideBatch}; its mean loss. */
    private double train(SparseBatch batch, WideDeepBatch wideBatch, int[] y, float[] t, float[] w) {
        if (largeOutput != null) {
            return largeOutput.trainMinibatch(batch, y, w);
        }
        if (batch != null) {
            return spec.isClassifier() ? hashed.trainMinibatch(batch, y, w) : hashed.trainMinibatch(batch, t, w);
        }
        return spec.isClassifier() ? wideDeep.trainMinibatch(wideBatch, y, w)
                : wideDeep.trainMinibatch(wideBatch, t, w);
    }

    /** The model file: the bytes a snapshot of such a variant carries. */
    byte[] toBytes() {
        return hashed != null ? hashed.toBytes() : wideDeep != null ? wideDeep.toBytes() : largeOutput.toBytes();
    }
}
