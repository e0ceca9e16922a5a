package dev.chorus.jobs.train;

import dev.chorus.core.features.SparseVector;
import dev.chorus.core.tensor.SparseBatch;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * The open minibatch of a hashed task ({@link TrainerState#sparseRows}): rows hashed once, when the example reaches
 * its task's trainer, and kept sparse (CSR) until the update, through prediction, checkpoints and restores.
 */
final class HashedRows {

    private HashedRows() {}

    /** Row {@code r} of {@code rows} as a vector of its own. */
    static SparseVector row(SparseBatch rows, int r) {
        int from = rows.rowStart(r);
        int to = rows.rowStart(r + 1);
        return new SparseVector(Arrays.copyOfRange(rows.indices(), from, to), Arrays.copyOfRange(rows.values(), from, to));
    }

    /**
     * The outputs of the hashed model for rows {@code [from, from + count)} of the open minibatch into {@code out}:
     * a classifier's class probabilities at {@code r × numClasses}, a regressor's value at {@code r}.
     */
    static void predict(TrainerState s, int from, int count, float[] out) {
        int k = s.hashed.outputDim();
        float[] probabilities = new float[k];
        for (int r = 0; r < count; r++) {
            SparseVector x = row(s.sparseRows, from + r);
            if (s.hashed.isClassifier()) {
                s.hashed.predictProba(x, probabilities);
                System.arraycopy(probabilities, 0, out, r * k, k);
            } else {
                out[r] = s.hashed.predictValue(x);
            }
        }
    }

    /** One update of the hashed model with the open minibatch (model-core's numeric guard applies). */
    static void train(TrainerState s) {
        if (s.hashed.isClassifier()) {
            s.hashed.trainMinibatch(s.sparseRows, s.batchLabels, s.batchWeights);
        } else {
            s.hashed.trainMinibatch(s.sparseRows, s.batchTargets, s.batchWeights);
        }
    }

    static void copy(SparseBatch from, SparseBatch to) {
        to.clear();
        for (int r = 0; r < from.rows(); r++) {
            SparseVector x = row(from, r);
            to.add(x.indices(), x.values());
        }
    }

    /** Each row: its number of entries, then their indices, then their values. */
    static void write(SparseBatch rows, DataOutput out) throws IOException {
        for (int r = 0; r < rows.rows(); r++) {
            int from = rows.rowStart(r);
            int to = rows.rowStart(r + 1);
            out.writeInt(to - from);
            for (int e = from; e < to; e++) {
                out.writeInt(rows.indices()[e]);
            }
            for (int e = from; e < to; e++) {
                out.writeFloat(rows.values()[e]);
            }
        }
    }

    /** Reads {@code count} rows that {@link #write} wrote into the empty {@code rows}. */
    static void read(DataInput in, int count, SparseBatch rows) throws IOException {
        for (int r = 0; r < count; r++) {
            int entries = in.readInt();
            if (entries < 0 || entries > rows.columns()) {
                throw new IOException("trainer state: expected 0.." + rows.columns() + " entries in hashed row " + r
                        + ", got " + entries);
            }
            int[] indices = new int[entries];
            float[] values = new float[entries];
            for (int e = 0; e < entries; e++) {
                indices[e] = in.readInt();
            }
            for (int e = 0; e < entries; e++) {
                values[e] = in.readFloat();
            }
            try {
                rows.add(indices, values);
            } catch (IllegalArgumentException e) {
                throw new IOException("trainer state: hashed row " + r + ": " + e.getMessage(), e);
            }
        }
    }
}
