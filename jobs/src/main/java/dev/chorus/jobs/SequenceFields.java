package dev.chorus.jobs;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.schemas.Example;
import java.util.List;
import java.util.Map;

/**
 * The token sequence of a skip-gram task's example ({@link ModelSpec#SKIP_GRAM}): a list of strings in the named field
 * the spec's {@code tokensField} names, and nothing else, neither features nor a label. Checked before the trainer sees
 * it, so that training one example is at most {@code maxTokens} tokens of at most {@link #MAX_TOKEN_CHARS} characters.
 */
public final class SequenceFields {
    /** Longest token accepted: a token is a word or an item id, and item ids are bounded as example ids are. */
    public static final int MAX_TOKEN_CHARS = ExampleValidator.MAX_ID_LENGTH;

    private SequenceFields() {}

    /** Null when {@code example} is a token sequence {@code spec} takes, else the first problem found. */
    static ExampleValidator.Rejection check(Example example, ModelSpec spec) {
        String field = spec.tokensField();
        int values = example.getFeatures().remaining() / Float.BYTES;
        if (values > 0) {
            return new ExampleValidator.Rejection("features", "field 'features': expected no values for a skip-gram "
                    + "task (its tokens are the named field 'fields." + field + "'), got " + values + " float32 values");
        }
        if (example.getIndices() != null) {
            return new ExampleValidator.Rejection("indices", "field 'indices': expected null for a skip-gram task (its "
                    + "tokens are the named field 'fields." + field + "'), got an array of "
                    + example.getIndices().size() + " indices");
        }
        if (example.getLabel() != null || example.getTarget() != null) {
            String name = example.getLabel() != null ? "label" : "target";
            return new ExampleValidator.Rejection(name, "field '" + name + "': expected null for a skip-gram task (it "
                    + "learns from its token sequence alone), got " + (example.getLabel() != null
                    ? (Object) example.getLabel() : example.getTarget()));
        }
        Map<String, Object> fields = example.getFields();
        if (fields == null) {
            return new ExampleValidator.Rejection("fields", "field 'fields': expected the token sequence of a skip-gram "
                    + "task in field '" + field + "', got null");
        }
        for (String name : fields.keySet()) {
            if (!name.equals(field)) {
                return new ExampleValidator.Rejection("fields", "field 'fields': expected only the token sequence '"
                        + field + "' (spec key 'tokensField'), got " + ExampleValidator.quoted(name));
            }
        }
        Object value = fields.get(field);
        String problem = value == null ? "nothing (field missing)"
                : value instanceof CharSequence ? "a string, not a list of strings"
                : value instanceof List<?> ? null
                : "a number, " + value;
        if (problem != null) {
            return rejection(field, "a list of strings, got " + problem);
        }
        List<?> tokens = (List<?>) value;
        if (tokens.size() > spec.skipGram().maxTokens()) {
            return rejection(field, "at most " + spec.skipGram().maxTokens() + " tokens (spec key "
                    + "'skipGram.maxTokens'), got " + tokens.size());
        }
        for (int i = 0; i < tokens.size(); i++) {
            int length = ((CharSequence) tokens.get(i)).length();
            if (length > MAX_TOKEN_CHARS) {
                return rejection(field, "tokens of at most " + MAX_TOKEN_CHARS + " characters, got " + length
                        + " characters at position " + i);
            }
        }
        return null;
    }

    private static ExampleValidator.Rejection rejection(String field, String expectedGot) {
        return new ExampleValidator.Rejection("fields", "field 'fields." + field + "': expected " + expectedGot);
    }
}
