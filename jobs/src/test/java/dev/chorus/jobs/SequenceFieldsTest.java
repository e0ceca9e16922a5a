package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a skip-gram task takes: a list of strings in its tokens field, within bounds, and nothing else. */
class SequenceFieldsTest {

    private static final ModelSpec SPEC = ModelSpec.parse(TokenSequences.SPEC);

    private static String reject(Example example) {
        ExampleValidator.Rejection r = ExampleValidator.validate(example, SPEC);
        return r == null ? null : r.field() + ": " + r.reason();
    }

    private static Example tokens(Object value) {
        return TokenSequences.example("words", "s", "tokens", value);
    }

    @Test
    void aListOfStringsWithinTheBoundsIsASequence() {
        assertThat(reject(tokens(List.of("a1", "a2", "a3")))).isNull();
        assertThat(reject(tokens(List.of()))).as("an empty sequence trains no pair, but is no error").isNull();
        assertThat(reject(tokens(Collections.nCopies(12, "x".repeat(SequenceFields.MAX_TOKEN_CHARS))))).isNull();
    }

    @Test
    void eachMisfitIsRejectedNamingTheFieldTheExpectedAndTheActualValue() {
        assertThat(reject(TokenSequences.example("words", "s", "words", List.of("a")))).isEqualTo("fields: field "
                + "'fields': expected only the token sequence 'tokens' (spec key 'tokensField'), got \"words\"");
        Example none = tokens(List.of("a"));
        none.setFields(Map.of());
        assertThat(reject(none)).isEqualTo("fields: field 'fields.tokens': expected a list of strings, got nothing "
                + "(field missing)");
        none.setFields(null);
        assertThat(reject(none)).isEqualTo("fields: field 'fields': expected the token sequence of a skip-gram task in "
                + "field 'tokens', got null");
        assertThat(reject(tokens("a1 a2"))).isEqualTo("fields: field 'fields.tokens': expected a list of strings, "
                + "got a string, not a list of strings");
        assertThat(reject(tokens(3.0))).isEqualTo("fields: field 'fields.tokens': expected a list of strings, got a "
                + "number, 3.0");
        assertThat(reject(tokens(Collections.nCopies(13, "a")))).isEqualTo("fields: field 'fields.tokens': expected "
                + "at most 12 tokens (spec key 'skipGram.maxTokens'), got 13");
        assertThat(reject(tokens(List.of("a", "x".repeat(1025))))).isEqualTo("fields: field 'fields.tokens': "
                + "expected tokens of at most 1024 characters, got 1025 characters at position 1");
        Example labelled = tokens(List.of("a"));
        labelled.setLabel(1);
        assertThat(reject(labelled)).isEqualTo("label: field 'label': expected null for a skip-gram task (it learns "
                + "from its token sequence alone), got 1");
        Example vector = tokens(List.of("a"));
        vector.setFeatures(Float32.pack(new float[] {1, 2, 3}));
        assertThat(reject(vector)).isEqualTo("features: field 'features': expected no values for a skip-gram task "
                + "(its tokens are the named field 'fields.tokens'), got 3 float32 values");
        Example sparse = tokens(List.of("a"));
        sparse.setIndices(List.of());
        assertThat(reject(sparse)).isEqualTo("indices: field 'indices': expected null for a skip-gram task (its "
                + "tokens are the named field 'fields.tokens'), got an array of 0 indices");
    }
}
