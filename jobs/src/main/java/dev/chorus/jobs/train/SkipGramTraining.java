package dev.chorus.jobs.train;

import dev.chorus.schemas.Example;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * Trains a skip-gram task's examples in the trainer, one sequence at a time as they arrive (each one a model
 * version), and counts them: {@code skipGramSequences} and {@code skipGramPairs}, the (centre, context) pairs trained.
 * Decoding and the variant router checked each sequence against the spec already ({@code SequenceFields}).
 */
final class SkipGramTraining {
    private final Counter sequences;
    private final Counter pairs;

    SkipGramTraining(MetricGroup operator) {
        this.sequences = operator.counter("skipGramSequences");
        this.pairs = operator.counter("skipGramPairs");
    }

    void train(TrainerState s, Example example) {
        List<?> field = (List<?>) example.getFields().get(s.skipGram.spec().tokensField());
        List<String> tokens = new ArrayList<>(field.size());
        for (Object token : field) {
            // The codecs' strings may be any CharSequence; a token hashes by its characters.
            tokens.add(token.toString());
        }
        pairs.inc(s.skipGram.train(tokens));
        sequences.inc();
    }
}
