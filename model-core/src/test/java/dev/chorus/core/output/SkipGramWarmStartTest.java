package dev.chorus.core.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.saved.ModelWarmStart;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A {@code skip-gram} spec's warm start ({@link ModelWarmStart#startSkipGram}): the saved model's input and output
 * vectors and its token counts (the noise distribution and subsampling), with carry and reset alike, as its plain
 * SGD keeps no optimizer state; pairs counted from 0, draws from the new spec's seed; a saved model of another
 * vocabulary or width refused naming the key.
 */
class SkipGramWarmStartTest {
    static final String SPEC = "{\"algorithm\":\"skip-gram\",\"seed\":5,\"skipGram\":{\"buckets\":512,\"dim\":8,"
            + "\"window\":2,\"negatives\":3,\"learningRate\":0.05}}";
    static final List<List<String>> SENTENCES = List.of(List.of("the", "cat", "sat", "on", "the", "mat"),
            List.of("a", "dog", "sat", "on", "a", "log"), List.of("the", "cat", "saw", "a", "dog"));

    static SkipGram trained(String spec, int rounds) {
        ModelSpec parsed = ModelSpec.parse(spec);
        SkipGram model = new SkipGram(parsed.skipGram(), parsed.seed());
        for (int r = 0; r < rounds; r++) {
            SENTENCES.forEach(model::train);
        }
        return model;
    }

    @Test
    void aSkipGramSpecStartsFromTheSavedVectorsAndCountsWithCarryAndResetAlike() {
        SkipGram source = trained(SPEC, 20);
        SkipGram carried = ModelWarmStart.startSkipGram(ModelSpec.parse(SPEC), source.toBytes(), true);
        SkipGram reset = ModelWarmStart.startSkipGram(ModelSpec.parse(SPEC), source.toBytes(), false);

        assertThat(carried.pairs()).isZero();
        for (String token : List.of("the", "cat", "dog", "mat")) {
            assertThat(carried.vector(token)).as(token).containsExactly(source.vector(token));
            assertThat(carried.keepProbability(token)).as(token).isEqualTo(source.keepProbability(token));
        }
        assertThat(reset.toBytes()).as("no optimizer state to reset").isEqualTo(carried.toBytes());
        // Without subsampling every token trains, so that the draws (windows, negatives) show.
        String everyToken = SPEC.replace("\"window\":2", "\"window\":2,\"subsample\":0");
        SkipGram five = ModelWarmStart.startSkipGram(ModelSpec.parse(everyToken), source.toBytes(), true);
        SkipGram six = ModelWarmStart.startSkipGram(ModelSpec.parse(everyToken.replace("\"seed\":5", "\"seed\":6")),
                source.toBytes(), true);
        assertThat(six.vector("cat")).containsExactly(five.vector("cat"));
        SENTENCES.forEach(five::train);
        SENTENCES.forEach(six::train);
        assertThat(six.vector("cat")).as("its draws come from its own seed").isNotEqualTo(five.vector("cat"));
    }

    @Test
    void aSkipGramSavedModelOfAnotherVocabularyOrWidthIsRefusedNamingTheKey() {
        byte[] saved = trained(SPEC, 1).toBytes();

        assertThatIllegalArgumentException()
                .isThrownBy(() -> ModelWarmStart.startSkipGram(ModelSpec.parse(SPEC.replace("512", "1024")), saved,
                        true))
                .withMessage("key 'skipGram.buckets': expected 1024 (the variant's spec), got 512 (the saved model's)");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ModelWarmStart.startSkipGram(ModelSpec.parse(SPEC.replace("\"dim\":8",
                        "\"dim\":16")), saved, true))
                .withMessage("key 'skipGram.dim': expected 16 (the variant's spec), got 8 (the saved model's)");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ModelWarmStart.startSkipGram(ModelSpec.parse(SPEC), new byte[] {1, 2, 3}, true))
                .withMessageStartingWith("expected a saved SkipGram (a snapshot of a skip-gram variant), got 3 bytes "
                        + "that do not read: ");
    }
}
