package dev.chorus.jobs.train;

import dev.chorus.core.metrics.SlidingAccuracy;
import dev.chorus.core.model.OnlineLearner;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Writes {@link TrainerState} in an explicitly versioned layout: the learner in model-core's own versioned
 * binary format, then the partial minibatch (only its live rows: features, then per row the class label or the
 * real target, and the weight), the prequential window and the operator's
 * bookkeeping. Evolving the layout means bumping {@link #FORMAT_VERSION} and keeping the reader of every older
 * version; no Kryo, no reflection.
 */
public final class TrainerStateSerializer extends TypeSerializer<TrainerState> {
    private static final long serialVersionUID = 1L;

    /** Layout version of what this serializer writes after the learner. */
    public static final int FORMAT_VERSION = 1;

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
        out.writeInt(FORMAT_VERSION);
        s.learner.writeTo(out);
        int dim = s.learner.inputDim();
        out.writeInt(s.batchFill);
        for (int i = 0; i < s.batchFill * dim; i++) {
            out.writeFloat(s.batchFeatures[i]);
        }
        boolean classifier = s.learner.isClassifier();
        for (int i = 0; i < s.batchFill; i++) {
            if (classifier) {
                out.writeInt(s.batchLabels[i]);
            } else {
                out.writeFloat(s.batchTargets[i]);
            }
            out.writeFloat(s.batchWeights[i]);
        }
        s.prequential.writeTo(out);
        out.writeLong(s.publishedVersion);
        out.writeLong(s.batchDeadline);
        out.writeLong(s.nextSnapshotAt);
        out.writeLong(s.predictions);
    }

    @Override
    public TrainerState deserialize(DataInputView in) throws IOException {
        int version = in.readInt();
        if (version != FORMAT_VERSION) {
            throw new IOException("trainer state: expected layout version " + FORMAT_VERSION + ", got " + version);
        }
        OnlineLearner learner = OnlineLearner.readFrom(in);
        int dim = learner.inputDim();
        int fill = in.readInt();
        int batchSize = learner.spec().batchSize();
        if (fill < 0 || fill > batchSize) {
            throw new IOException("trainer state: expected a partial minibatch of 0.." + batchSize
                    + " examples, got " + fill);
        }
        float[] features = new float[fill * dim];
        for (int i = 0; i < features.length; i++) {
            features[i] = in.readFloat();
        }
        int[] labels = new int[fill];
        float[] targets = new float[fill];
        float[] weights = new float[fill];
        boolean classifier = learner.isClassifier();
        for (int i = 0; i < fill; i++) {
            if (classifier) {
                labels[i] = in.readInt();
            } else {
                targets[i] = in.readFloat();
            }
            weights[i] = in.readFloat();
        }
        TrainerState s = new TrainerState(learner, SlidingAccuracy.readFrom(in));
        System.arraycopy(features, 0, s.batchFeatures, 0, features.length);
        System.arraycopy(labels, 0, s.batchLabels, 0, fill);
        System.arraycopy(targets, 0, s.batchTargets, 0, fill);
        System.arraycopy(weights, 0, s.batchWeights, 0, fill);
        s.batchFill = fill;
        s.publishedVersion = in.readLong();
        s.batchDeadline = in.readLong();
        s.nextSnapshotAt = in.readLong();
        s.predictions = in.readLong();
        return s;
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
