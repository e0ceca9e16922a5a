package dev.chorus.cli;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.output.NonFiniteSequenceException;
import dev.chorus.core.output.SkipGram;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.schemas.Example;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * {@code chorus fit} for a skip-gram spec: the {@link SkipGram} the train job's skip-gram task holds, trained on the
 * token sequences of examples as {@code chorus produce} reads them from JSON lines (the spec's {@code tokensField}).
 * Each example is judged as the train job's decoding judges it ({@link ExampleValidator}), then each sequence trains
 * in the file's order, one at a time, as the job trains them as they arrive; labels and weights play no part, as in
 * the job.
 */
final class SequencesFit {
    private final SkipGram model;
    private final List<List<String>> sequences = new ArrayList<>();
    /** Sequences the numeric guard rolled back (they would have made a vector non-finite), over every epoch. */
    private long refused;

    /**
     * Judges {@code examples} for {@code spec} and keeps their token sequences.
     *
     * @throws IllegalArgumentException naming the first example the train job would refuse, its field and why
     */
    SequencesFit(ModelSpec spec, List<Example> examples) {
        this.model = new SkipGram(spec.skipGram(), spec.seed());
        String field = spec.tokensField();
        for (Example e : examples) {
            ExampleValidator.Rejection bad = ExampleValidator.validate(e, spec);
            if (bad != null) {
                throw new IllegalArgumentException("example " + ExampleValidator.quoted(e.getId()) + ": "
                        + bad.reason());
            }
            List<?> tokens = (List<?>) e.getFields().get(field);
            // A token hashes by its characters, whatever CharSequence the codec gave, as in the job.
            sequences.add(tokens.stream().map(Object::toString).toList());
        }
    }

    int sequences() {
        return sequences.size();
    }

    /** One pass in the file's order; {@code progress} gets 1 per sequence. Returns the (centre, context) pairs. */
    long epoch(IntConsumer progress) {
        long pairs = 0;
        for (List<String> tokens : sequences) {
            try {
                pairs += model.train(tokens);
            } catch (NonFiniteSequenceException e) {
                // The model is as it was: the sequence is dropped, as the train job drops it.
                refused++;
            }
            progress.accept(1);
        }
        return pairs;
    }

    /** Sequences the numeric guard rolled back, over every epoch so far. */
    long refused() {
        return refused;
    }

    /** The model file: the bytes a snapshot of a skip-gram variant carries. */
    byte[] toBytes() {
        return model.toBytes();
    }
}
