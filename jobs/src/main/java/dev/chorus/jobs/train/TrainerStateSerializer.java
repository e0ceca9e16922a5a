package dev.chorus.jobs.train;

import dev.chorus.core.annotators.ItemLabelHistory;
import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.metrics.SlidingAccuracy;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepBatch;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.tensor.SparseBatch;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Writes {@link TrainerState} in an explicitly versioned layout: whether the task has a label model, the model
 * (learner or label model) in model-core's own versioned binary format, then the partial minibatch (only its
 * live rows: features, then per row the class label or the real target, the weight, the Kafka partition and
 * offset, the example id, event time and annotator, and for a label model the item key; then how many rows were
 * predicted already), the prequential window, the operator's bookkeeping and, for a label model, when each
 * annotator's model was last published and each item's consensus ledger ({@link ConsensusLedger}).
 *
 * <p>Layout 1 (the first release) had no label models, no row coordinates and predicted each example on arrival;
 * it is still read, with coordinates -1 and its open minibatch marked as predicted. Layout 2 had no consensus
 * ledger; it is read with an empty one. Layout 4 replaces the label-model flag by the kind of model (a byte:
 * {@link #LEARNER}, {@link #LABEL_MODEL} or {@link #HASHED}, a {@code SparseLinearModel} whose open minibatch is
 * written as sparse rows, {@link HashedRows#write}; or {@link #WIDE_DEEP}, a {@code WideDeepModel} as its own
 * bytes after their length, whose open minibatch is written as {@link WideDeepRows#write}; or {@link #SKIP_GRAM},
 * {@link SkipGramTrainer#writeTo}, whose open minibatch is empty; or {@link #LARGE_OUTPUT}, whose open minibatch is
 * sparse rows as {@link #HASHED}'s); the rest is as in layout 3. Kind {@link #HASHED_ROWS_APART} is a hashed model
 * written without its rows, which {@link HashedRowsState} keeps in map state beside it ({@link #serializeWithoutRows}),
 * {@link #WIDE_DEEP_ROWS_APART} a wide and deep model's bytes without its rows ({@code WideDeepModel#rowsApart}), and
 * {@link #LARGE_OUTPUT_ROWS_APART} a large-output model without its rows ({@code LargeOutputModel#rowsApart});
 * this serializer alone refuses them, as the model would come back without rows. Layout 5 adds to each consensus
 * ledger item the class its labels alone favoured at its last record ({@code ConsensusLedger.Item#labelsClass}), which
 * a layout-4 ledger's items come back without. Evolving the layout means bumping
 * {@link #FORMAT_VERSION} and keeping the reader of every
 * older version; no Kryo, no reflection.
 */
public final class TrainerStateSerializer extends TypeSerializer<TrainerState> {
    private static final long serialVersionUID = 1L;

    /** Layout version of what this serializer writes after the learner. */
    public static final int FORMAT_VERSION = 5;

    /** The kinds of model of layouts 4 and 5. */
    static final byte LEARNER = 0;
    static final byte LABEL_MODEL = 1;
    static final byte HASHED = 2;
    static final byte WIDE_DEEP = 3;
    /** A skip-gram task's {@link SkipGramTrainer}, whose open minibatch is always empty. */
    static final byte SKIP_GRAM = 4;
    /** A {@code LargeOutputModel}, its open minibatch sparse rows as {@link #HASHED}'s. */
    static final byte LARGE_OUTPUT = 5;
    /** A {@code SparseLinearModel} without its rows, as {@link #HASHED}'s otherwise; only beside its rows' map state. */
    static final byte HASHED_ROWS_APART = 6;
    /** A {@code WideDeepModel} without its rows (wide part's and tables'), as {@link #WIDE_DEEP}'s otherwise; ditto. */
    static final byte WIDE_DEEP_ROWS_APART = 7;
    /** A {@code LargeOutputModel} without its rows (table's and output layer's), as {@link #LARGE_OUTPUT}'s otherwise. */
    static final byte LARGE_OUTPUT_ROWS_APART = 8;
    private static final String ROWS_IN_MAP_STATE = " whose rows are in map state, read only with them)";

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<TrainerState> duplicate() {
        return this; // stateless
    }

    @Override
    public TrainerState createInstance() {
        return null;
    }

    @Override
    public TrainerState copy(TrainerState from) {
        return from == null ? null : from.copy();
    }

    @Override
    public TrainerState copy(TrainerState from, TrainerState reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(TrainerState s, DataOutputView out) throws IOException {
        serialize(s, out, false);
    }

    /**
     * {@link #serialize}, but a model with rows apart goes without them: kind {@link #HASHED_ROWS_APART},
     * {@link #WIDE_DEEP_ROWS_APART} or {@link #LARGE_OUTPUT_ROWS_APART}.
     */
    void serializeWithoutRows(TrainerState s, DataOutputView out) throws IOException {
        serialize(s, out, true);
    }

    private void serialize(TrainerState s, DataOutputView out, boolean rowsApart) throws IOException {
        out.writeInt(FORMAT_VERSION);
        boolean labelModel = s.labelModel != null;
        out.writeByte(s.largeOutput != null ? (rowsApart ? LARGE_OUTPUT_ROWS_APART : LARGE_OUTPUT)
                : s.hashed != null ? (rowsApart ? HASHED_ROWS_APART : HASHED)
                : s.wideDeep != null ? (rowsApart ? WIDE_DEEP_ROWS_APART : WIDE_DEEP)
                : s.skipGram != null ? SKIP_GRAM : labelModel ? LABEL_MODEL : LEARNER);
        if (s.largeOutput != null && rowsApart) {
            s.largeOutput.rowsApart().writeWithoutRowsTo(out);
        } else if (s.largeOutput != null) {
            s.largeOutput.writeTo(out);
        } else if (s.skipGram != null) {
            s.skipGram.writeTo(out);
        } else if (s.hashed != null && rowsApart) {
            s.hashed.writeWithoutRowsTo(out);
        } else if (s.hashed != null) {
            s.hashed.writeTo(out);
        } else if (s.wideDeep != null) {
            byte[] bytes = rowsApart ? BinaryState.toBytes(s.wideDeep.rowsApart()::writeWithoutRowsTo)
                    : s.wideDeep.toBytes();
            out.writeInt(bytes.length);
            out.write(bytes);
        } else if (labelModel) {
            s.labelModel.writeTo(out);
        } else {
            s.learner.writeTo(out);
        }
        out.writeInt(s.batchFill);
        if (s.sparseRows != null) {
            HashedRows.write(s.sparseRows, out);
        } else if (s.wideDeep != null) {
            WideDeepRows.write(s.wideRows, s.wideDeep.spec().embeddings(), out);
        } else {
            for (int i = 0; i < s.batchFill * s.model.inputDim(); i++) {
                out.writeFloat(s.batchFeatures[i]);
            }
        }
        boolean classifier = s.model.isClassifier();
        for (int i = 0; i < s.batchFill; i++) {
            if (classifier) {
                out.writeInt(s.batchLabels[i]);
            } else {
                out.writeFloat(s.batchTargets[i]);
            }
            out.writeFloat(s.batchWeights[i]);
            out.writeInt(s.batchPartitions[i]);
            out.writeLong(s.batchOffsets[i]);
            BinaryState.writeString(out, s.batchIds[i]);
            out.writeLong(s.batchEventTimes[i]);
            out.writeBoolean(s.batchAnnotators[i] != null);
            if (s.batchAnnotators[i] != null) {
                BinaryState.writeString(out, s.batchAnnotators[i]);
            }
            if (labelModel) {
                out.writeLong(s.batchItems[i]);
            }
        }
        out.writeInt(s.batchPredicted);
        s.prequential.writeTo(out);
        out.writeLong(s.publishedVersion);
        out.writeLong(s.batchDeadline);
        out.writeLong(s.nextSnapshotAt);
        out.writeLong(s.predictions);
        if (labelModel) {
            int annotators = s.annotatorPublishedVersion.length;
            out.writeInt(annotators);
            for (int a = 0; a < annotators; a++) {
                out.writeLong(s.annotatorPublishedVersion[a]);
                out.writeLong(s.annotatorPublishedAt[a]);
                out.writeLong(s.annotatorPublishedLabels[a]);
            }
            s.consensus.writeTo(out);
        }
    }

    @Override
    public TrainerState deserialize(DataInputView in) throws IOException {
        return deserialize(in, false);
    }

    /**
     * Reads {@link #serializeWithoutRows}: a model with rows apart comes back without them (a hashed model's zero, a
     * wide and deep or large-output model's tables as the seed draws them), for its holder to fill.
     */
    TrainerState deserializeWithoutRows(DataInputView in) throws IOException {
        return deserialize(in, true);
    }

    private TrainerState deserialize(DataInputView in, boolean rowsApart) throws IOException {
        int version = in.readInt();
        if (version < 1 || version > FORMAT_VERSION) {
            throw new IOException("trainer state: expected layout version 1.." + FORMAT_VERSION + ", got " + version);
        }
        byte kind = version >= 4 ? in.readByte() : version >= 2 && in.readBoolean() ? LABEL_MODEL : LEARNER;
        if (kind < LEARNER || kind > LARGE_OUTPUT && !(rowsApart && kind <= LARGE_OUTPUT_ROWS_APART)) {
            throw new IOException("trainer state: expected a model kind of 0.." + LARGE_OUTPUT + ", got " + kind
                    + switch (kind) {
                        case HASHED_ROWS_APART -> " (a hashed model" + ROWS_IN_MAP_STATE;
                        case WIDE_DEEP_ROWS_APART -> " (a wide and deep model" + ROWS_IN_MAP_STATE;
                        case LARGE_OUTPUT_ROWS_APART -> " (a large-output model" + ROWS_IN_MAP_STATE;
                        default -> "";
                    });
        }
        SkipGramTrainer skipGram = kind == SKIP_GRAM ? SkipGramTrainer.readFrom(in) : null;
        boolean labelModel = kind == LABEL_MODEL;
        SparseLinearModel hashed = kind == HASHED || kind == HASHED_ROWS_APART ? SparseLinearModel.readFrom(in) : null;
        LabelModel model = labelModel ? LabelModels.readFrom(in) : null;
        OnlineLearner learner = kind == LEARNER ? OnlineLearner.readFrom(in) : null;
        WideDeepModel wideDeep = kind == WIDE_DEEP || kind == WIDE_DEEP_ROWS_APART ? readWideDeep(in) : null;
        LargeOutputModel large = kind == LARGE_OUTPUT || kind == LARGE_OUTPUT_ROWS_APART ? LargeOutputModel.readFrom(in)
                : null;
        Predictor predictor = large != null ? large : hashed != null ? hashed : wideDeep != null ? wideDeep
                : skipGram != null ? skipGram : labelModel ? model : learner;
        int fill = in.readInt();
        int batchSize = predictor.spec().batchSize();
        if (fill < 0 || fill > batchSize) {
            throw new IOException("trainer state: expected a partial minibatch of 0.." + batchSize
                    + " examples, got " + fill);
        }
        boolean sparse = hashed != null || large != null;
        SparseBatch rows = sparse ? new SparseBatch(predictor.inputDim()) : null;
        float[] features = new float[sparse || wideDeep != null ? 0 : fill * predictor.inputDim()];
        if (sparse) {
            HashedRows.read(in, fill, rows);
        }
        WideDeepBatch wideRows = wideDeep == null ? null : new WideDeepBatch(wideDeep.spec());
        if (wideDeep != null) {
            WideDeepRows.read(in, fill, wideDeep.spec().embeddings(), wideRows);
        }
        for (int i = 0; i < features.length; i++) {
            features[i] = in.readFloat();
        }
        int[] labels = new int[fill];
        float[] targets = new float[fill];
        float[] weights = new float[fill];
        int[] partitions = new int[fill];
        long[] offsets = new long[fill];
        long[] items = new long[fill];
        String[] annotators = new String[fill];
        String[] ids = new String[fill];
        long[] eventTimes = new long[fill];
        boolean classifier = predictor.isClassifier();
        for (int i = 0; i < fill; i++) {
            if (classifier) {
                labels[i] = in.readInt();
            } else {
                targets[i] = in.readFloat();
            }
            weights[i] = in.readFloat();
            // Layout 1 did not record where rows came from.
            partitions[i] = version >= 2 ? in.readInt() : -1;
            offsets[i] = version >= 2 ? in.readLong() : -1;
            if (version >= 2) {
                ids[i] = BinaryState.readString(in, "example id of minibatch row " + i);
                eventTimes[i] = in.readLong();
                annotators[i] = in.readBoolean() ? BinaryState.readString(in, "annotator of minibatch row " + i) : null;
            }
            if (labelModel) {
                items[i] = in.readLong();
            }
        }
        // Layout 1 predicted each example on arrival: its open minibatch has been predicted already.
        int predicted = version >= 2 ? in.readInt() : fill;
        if (predicted < 0 || predicted > fill) {
            throw new IOException("trainer state: expected 0.." + fill + " predicted rows, got " + predicted);
        }
        SlidingAccuracy prequential = SlidingAccuracy.readFrom(in);
        TrainerState s = large != null ? new TrainerState(large, prequential)
                : hashed != null ? new TrainerState(hashed, prequential)
                : wideDeep != null ? new TrainerState(wideDeep, prequential)
                : skipGram != null ? new TrainerState(skipGram, prequential)
                : labelModel ? new TrainerState(model, prequential) : new TrainerState(learner, prequential);
        System.arraycopy(features, 0, s.batchFeatures, 0, features.length);
        if (sparse) {
            HashedRows.copy(rows, s.sparseRows);
        }
        if (wideDeep != null) {
            WideDeepRows.copy(wideRows, s.wideRows);
        }
        System.arraycopy(labels, 0, s.batchLabels, 0, fill);
        System.arraycopy(targets, 0, s.batchTargets, 0, fill);
        System.arraycopy(weights, 0, s.batchWeights, 0, fill);
        System.arraycopy(partitions, 0, s.batchPartitions, 0, fill);
        System.arraycopy(offsets, 0, s.batchOffsets, 0, fill);
        if (labelModel) {
            System.arraycopy(items, 0, s.batchItems, 0, fill);
        }
        System.arraycopy(annotators, 0, s.batchAnnotators, 0, fill);
        System.arraycopy(ids, 0, s.batchIds, 0, fill);
        System.arraycopy(eventTimes, 0, s.batchEventTimes, 0, fill);
        s.batchFill = fill;
        s.batchPredicted = predicted;
        s.publishedVersion = in.readLong();
        s.batchDeadline = in.readLong();
        s.nextSnapshotAt = in.readLong();
        s.predictions = in.readLong();
        if (labelModel) {
            int count = in.readInt();
            if (count < 0 || count > model.maxAnnotators()) {
                throw new IOException("trainer state: expected publication records of 0.." + model.maxAnnotators()
                        + " annotators, got " + count);
            }
            s.annotatorPublishedVersion = new long[count];
            s.annotatorPublishedAt = new long[count];
            s.annotatorPublishedLabels = new long[count];
            for (int a = 0; a < count; a++) {
                s.annotatorPublishedVersion[a] = in.readLong();
                s.annotatorPublishedAt[a] = in.readLong();
                s.annotatorPublishedLabels[a] = in.readLong();
            }
            if (version >= 3) {
                ItemLabelHistory history = model.history();
                s.consensus = ConsensusLedger.readFrom(in, history == null ? 0 : history.maxItems(), version);
            }
        }
        return s;
    }

    /** A {@link WideDeepModel}'s bytes after their length ({@link #serialize}). */
    private static WideDeepModel readWideDeep(DataInputView in) throws IOException {
        int length = in.readInt();
        BinaryState.requireFits(in, length, 1, "trainer state: wide and deep model bytes");
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        try {
            return WideDeepModel.fromBytes(bytes);
        } catch (IllegalArgumentException e) {
            throw new IOException("trainer state: " + e.getMessage(), e);
        }
    }

    @Override
    public TrainerState deserialize(TrainerState reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainerStateSerializer;
    }

    @Override
    public int hashCode() {
        return TrainerStateSerializer.class.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<TrainerState> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Compatible as long as the class is the same; the layout version inside the bytes handles evolution. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<TrainerState> {
        public Snapshot() {
            super(TrainerStateSerializer::new);
        }
    }
}
