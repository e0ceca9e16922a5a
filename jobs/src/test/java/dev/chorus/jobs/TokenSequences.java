package dev.chorus.jobs;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.output.NonFiniteSequenceException;
import dev.chorus.core.output.SkipGram;
import dev.chorus.schemas.Example;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A seeded stream of token sequences with planted co-occurrence for skip-gram tasks: each sequence draws its tokens
 * from one group only, {@code a1..a6}, {@code b1..b6}, {@code c1..c6} or {@code d1..d6}, so a token's neighbours are
 * its own group's (a few hundred sequences teach a SkipGram of {@link #SPEC} that). And the
 * model-core reference a job's snapshots must match: one {@link SkipGram} trained on the same sequences in the same
 * order. The savepoint fixture {@code train-skip-gram-v1} holds sequences of this stream: change {@link #example}
 * and it no longer restores to the same numbers; a different stream is a new method.
 */
public final class TokenSequences {
    /** A small skip-gram spec: 1,024 buckets of 16 dimensions, no subsampling, sequences of at most 12 tokens. */
    public static final String SPEC = """
            {"algorithm":"skip-gram","skipGram":{"buckets":1024,"dim":16,"window":3,"negatives":4,"subsample":0,
             "learningRate":0.05,"maxTokens":12},"seed":5}""";
    public static final List<List<String>> GROUPS = List.of(group('a'), group('b'), group('c'), group('d'));

    private TokenSequences() {}

    private static List<String> group(char name) {
        return List.of(name + "1", name + "2", name + "3", name + "4", name + "5", name + "6");
    }

    /** Every token of the stream: the vocabulary of its groups. */
    public static List<String> vocabulary() {
        return GROUPS.stream().flatMap(List::stream).toList();
    }

    /** Sequence {@code i} of the stream with {@code seed}: 5 to 10 tokens of one group. */
    public static Example example(String task, int i, long seed) {
        // SplittableRandom mixes nearby seeds; java.util.Random's first draws from seeds i and i+1 are alike.
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + i);
        List<String> group = GROUPS.get(random.nextInt(GROUPS.size()));
        List<String> tokens = new ArrayList<>();
        for (int t = 5 + random.nextInt(6); t > 0; t--) {
            tokens.add(group.get(random.nextInt(group.size())));
        }
        return example(task, "seq-" + i, "tokens", tokens);
    }

    /** An example whose field {@code field} carries {@code tokens} (any value, for bad examples). */
    public static Example example(String task, String id, String field, Object tokens) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put(field, tokens);
        return Example.newBuilder().setId(id).setTask(task).setFeatures(ByteBuffer.allocate(0)).setFields(fields)
                .setLabel(null).setEventTime(1_700_000_000_000L).build();
    }

    public static List<Example> stream(String task, int n, long seed) {
        List<Example> examples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            examples.add(example(task, i, seed));
        }
        return examples;
    }

    /** What the job must do, in model-core alone: the spec's SkipGram trained on each example's tokens in order. */
    public static SkipGram reference(String specJson, List<Example> examples) {
        Trained trained = referenceRollingBack(specJson, examples);
        if (trained.rolledBack() > 0) {
            throw new IllegalStateException(trained.rolledBack() + " sequences rolled back by the numeric guard");
        }
        return trained.model();
    }

    /** model-core's skip-gram after {@code examples} in order, and how many sequences its numeric guard rolled back. */
    public record Trained(SkipGram model, int rolledBack) {}

    /** {@link #reference}, where the numeric guard may roll sequences back (they leave the model as it was). */
    public static Trained referenceRollingBack(String specJson, List<Example> examples) {
        ModelSpec spec = ModelSpec.parse(specJson);
        SkipGram model = new SkipGram(spec.skipGram(), spec.seed());
        int rolledBack = 0;
        for (Example e : examples) {
            try {
                model.train(tokens(e));
            } catch (NonFiniteSequenceException rejected) {
                rolledBack++;
            }
        }
        return new Trained(model, rolledBack);
    }

    /** The token sequence of an example of this stream. */
    @SuppressWarnings("unchecked")
    public static List<String> tokens(Example example) {
        return (List<String>) example.getFields().get("tokens");
    }
}
