package dev.chorus.jobs.train;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.output.SkipGram;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A skip-gram task's model in the trainer ({@link ModelSpec#SKIP_GRAM}): model-core's {@link SkipGram}, trained on
 * each example's token sequence as it arrives, and the count of sequences, which is the model's version. It stands in
 * {@link TrainerState#model} as a {@link Predictor} for what every task has (spec, version, snapshot bytes), but it
 * predicts nothing: the operator routes a skip-gram task's examples here before any prediction is made.
 */
final class SkipGramTrainer implements Predictor {
    private final ModelSpec spec;
    private final SkipGram model;
    private long sequences;

    private SkipGramTrainer(ModelSpec spec, SkipGram model, long sequences) {
        this.spec = spec;
        this.model = model;
        this.sequences = sequences;
    }

    static SkipGramTrainer create(ModelSpec spec) {
        return new SkipGramTrainer(spec, new SkipGram(spec.skipGram(), spec.seed()), 0);
    }

    /** A warm start's trainer: {@code model} started from a saved one, its sequences counted from 0. */
    static SkipGramTrainer startedFrom(ModelSpec spec, SkipGram model) {
        return new SkipGramTrainer(spec, model, 0);
    }

    /**
     * Trains one sequence (checked by {@code SequenceFields} already); returns the pairs it trained.
     *
     * @throws dev.chorus.core.output.NonFiniteSequenceException if model-core rolled it back; nothing is counted
     */
    int train(List<String> tokens) {
        int pairs = model.train(tokens);
        sequences++;
        return pairs;
    }

    @Override
    public String firstNonFinite() {
        return model.firstNonFinite();
    }

    long pairs() {
        return model.pairs();
    }

    /** The task's spec (for its tokens field and seed), the sequence count, then the SkipGram's own state. */
    void writeTo(DataOutput out) throws IOException {
        BinaryState.writeString(out, spec.toJson());
        out.writeLong(sequences);
        model.writeState(out);
    }

    static SkipGramTrainer readFrom(DataInput in) throws IOException {
        ModelSpec spec;
        try {
            spec = ModelSpec.parse(BinaryState.readString(in, "skip-gram spec"));
        } catch (IllegalArgumentException e) {
            throw new IOException("trainer state: skip-gram spec: " + e.getMessage(), e);
        }
        long sequences = in.readLong();
        if (sequences < 0) {
            throw new IOException("trainer state: expected a skip-gram sequence count >= 0, got " + sequences);
        }
        return new SkipGramTrainer(spec, SkipGram.readState(in), sequences);
    }

    SkipGramTrainer copy() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeTo(out);
            return readFrom(new BinaryState.Bytes(bytes.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public int inputDim() {
        return 0;
    }

    @Override
    public boolean isClassifier() {
        return false;
    }

    @Override
    public int outputDim() {
        return 0;
    }

    @Override
    public void predictProba(float[] x, int xOffset, float[] out) {
        throw new UnsupportedOperationException("a skip-gram task predicts nothing");
    }

    @Override
    public float predictValue(float[] x, int xOffset) {
        throw new UnsupportedOperationException("a skip-gram task predicts nothing");
    }

    /** Sequences trained: each one updates the vectors. */
    @Override
    public long steps() {
        return sequences;
    }

    @Override
    public long examplesSeen() {
        return sequences;
    }

    /** {@link SkipGram#writeState}'s bytes, which {@link SkipGram#readState} reads: a snapshot's parameters. */
    @Override
    public byte[] toBytes() {
        return model.toBytes();
    }
}
