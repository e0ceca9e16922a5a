package dev.chorus.jobs.train;

import dev.chorus.core.features.SparseVector;
import dev.chorus.core.model.EmbeddingsSpec;
import dev.chorus.core.model.WideDeepBatch;
import dev.chorus.core.tensor.SparseBatch;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The open minibatch of a wide and deep task ({@link TrainerState#wideRows}): each example taken apart once, when it
 * reaches its task's trainer ({@link FieldHashing#takeApart}), and kept so (hashed features, ids per embedding
 * field, numeric fields) until the update, through prediction, checkpoints and restores.
 */
final class WideDeepRows {

    private WideDeepRows() {}

    /**
     * The outputs of every row of the open minibatch into {@code out}: a wide and deep minibatch is predicted only
     * when it closes, all of it (its rows were never predicted on arrival, which only layout 1 did).
     */
    static void predict(TrainerState s, float[] out) {
        s.wideDeep.predictBatch(s.wideRows, out);
    }

    /** Appends the example that just arrived ({@link TrainerState#arrival}) to the open minibatch. */
    static void keep(TrainerState s) {
        s.wideRows.addRow(s.arrival, 0);
    }

    /** One joint update of the model with the open minibatch (model-core's numeric guard applies). */
    static void train(TrainerState s) {
        if (s.wideDeep.isClassifier()) {
            s.wideDeep.trainMinibatch(s.wideRows, s.batchLabels, s.batchWeights);
        } else {
            s.wideDeep.trainMinibatch(s.wideRows, s.batchTargets, s.batchWeights);
        }
    }

    static void copy(WideDeepBatch from, WideDeepBatch to) {
        to.clear();
        for (int r = 0; r < from.rows(); r++) {
            to.addRow(from, r);
        }
    }

    /**
     * The hashed features' rows, then each embedding field's rows ({@link HashedRows#write}: ids and their counts),
     * then each row's numeric fields.
     */
    static void write(WideDeepBatch rows, EmbeddingsSpec embeddings, DataOutput out) throws IOException {
        int fields = embeddings.fields().size();
        int numeric = embeddings.numeric().size();
        HashedRows.write(rows.wide(), out);
        for (int f = 0; f < fields; f++) {
            HashedRows.write(rows.ids(f), out);
        }
        for (int i = 0; i < rows.rows() * numeric; i++) {
            out.writeFloat(rows.numeric()[i]);
        }
    }

    /** Reads {@code count} rows that {@link #write} wrote into the empty {@code rows}. */
    static void read(DataInput in, int count, EmbeddingsSpec embeddings, WideDeepBatch rows) throws IOException {
        int fields = embeddings.fields().size();
        int numeric = embeddings.numeric().size();
        SparseBatch wide = new SparseBatch(rows.wide().columns());
        HashedRows.read(in, count, wide);
        SparseBatch[] ids = new SparseBatch[fields];
        for (int f = 0; f < fields; f++) {
            ids[f] = new SparseBatch(embeddings.buckets());
            HashedRows.read(in, count, ids[f]);
        }
        for (int r = 0; r < count; r++) {
            SparseVector[] rowIds = new SparseVector[fields];
            for (int f = 0; f < fields; f++) {
                rowIds[f] = HashedRows.row(ids[f], r);
            }
            float[] values = new float[numeric];
            for (int j = 0; j < numeric; j++) {
                values[j] = in.readFloat();
            }
            try {
                rows.add(HashedRows.row(wide, r), rowIds, values);
            } catch (IllegalArgumentException e) {
                throw new IOException("trainer state: wide and deep row " + r + ": " + e.getMessage(), e);
            }
        }
    }
}
