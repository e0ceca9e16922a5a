package dev.chorus.jobs;

import dev.chorus.core.features.HashingSpec;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.ValueRange;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Named fields ({@link Example#getFields()}) of tasks whose spec hashes them ({@link ModelSpec#hashing()}): the
 * checks that keep a hostile record cheap, made before anything is hashed, and the prediction of a hashed row. The
 * bounds make hashing one example at most {@link #MAX_TOKENS} tokens of at most {@link #MAX_HASHED_CHARS} characters
 * in all, whatever a producer sends (an interaction's token is its two tokens' characters and one more, so a few long
 * strings crossed with many short ones would otherwise make gigabytes of tokens from a record under a megabyte); what
 * only hashing can find (a sum or a crossed product past float32) is the hashing operator's dead letter.
 */
public final class HashedFields {
    /** Longest string accepted as a field name, a value or a list element. */
    public static final int MAX_VALUE_CHARS = 65_536;
    /** Most strings accepted in one field's list. */
    public static final int MAX_FIELD_TOKENS = 10_000;
    /** Most tokens one example may hash to, the spec's interactions included. */
    public static final int MAX_TOKENS = 100_000;
    /**
     * Most characters the tokens of one example may hold in all, the spec's interactions included: 80 for each of
     * {@link #MAX_TOKENS} tokens, 16 MB of UTF-16 while they are hashed.
     */
    public static final long MAX_HASHED_CHARS = 8_000_000;

    private HashedFields() {}

    /**
     * The check of {@code example} against {@code spec} as far as fields go: a hashed task takes fields and no
     * vector, within the bounds, listed by the spec if it lists any, numbers finite in float32 (and in the spec's
     * {@code featureRange} if it has one); a task without hashing takes no fields. Null when they fit.
     */
    static ExampleValidator.Rejection check(Example example, ModelSpec spec) {
        Map<String, Object> fields = example.getFields();
        HashingSpec hashing = spec.hashing();
        if (hashing == null) {
            return fields == null ? null : new ExampleValidator.Rejection("fields", "field 'fields': expected null for "
                    + "a task without a 'hashing' key (its features are 'features'), got " + fields.size()
                    + " named fields");
        }
        int values = example.getFeatures().remaining() / Float.BYTES;
        if (values > 0) {
            return new ExampleValidator.Rejection("features", "field 'features': expected no values for a hashed task "
                    + "(spec key 'hashing': its features are the named 'fields'), got " + values + " float32 values");
        }
        if (example.getIndices() != null) {
            return new ExampleValidator.Rejection("indices", "field 'indices': expected null for a hashed task (spec "
                    + "key 'hashing': its features are the named 'fields'), got an array of "
                    + example.getIndices().size() + " indices");
        }
        if (fields == null) {
            return new ExampleValidator.Rejection("fields",
                    "field 'fields': expected named fields for a hashed task (spec key 'hashing'), got null");
        }
        Map<String, Integer> tokens = new HashMap<>();
        Map<String, Long> characters = new HashMap<>();
        long total = 0;
        long totalCharacters = 0;
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            String name = field.getKey();
            if (name.length() > MAX_VALUE_CHARS) {
                return new ExampleValidator.Rejection("fields", "field 'fields': expected names of at most "
                        + MAX_VALUE_CHARS + " characters, got " + name.length() + " characters");
            }
            if (!hashing.fields().isEmpty() && !hashing.fields().contains(name)) {
                return rejection(name, "one of the spec's fields " + hashing.fields() + ", got "
                        + ExampleValidator.quoted(name));
            }
            String problem = problem(field.getValue(), spec.featureRange());
            if (problem != null) {
                return rejection(name, problem);
            }
            int count = field.getValue() instanceof List<?> list ? list.size() : 1;
            long chars = tokenCharacters(name, field.getValue());
            tokens.put(name, count);
            characters.put(name, chars);
            total += count;
            totalCharacters += chars;
        }
        for (List<String> pair : hashing.interactions()) {
            long a = tokens.getOrDefault(pair.get(0), 0);
            long b = tokens.getOrDefault(pair.get(1), 0);
            total += a * b;
            // Each of the a·b tokens ta^tb: every token of one field meets every token of the other.
            totalCharacters += b * characters.getOrDefault(pair.get(0), 0L)
                    + a * characters.getOrDefault(pair.get(1), 0L) + a * b;
        }
        if (total > MAX_TOKENS) {
            return new ExampleValidator.Rejection("fields", "field 'fields': expected at most " + MAX_TOKENS
                    + " tokens with the spec's interactions, got " + total);
        }
        if (totalCharacters > MAX_HASHED_CHARS) {
            return new ExampleValidator.Rejection("fields", "field 'fields': expected tokens of at most "
                    + MAX_HASHED_CHARS + " characters in all with the spec's interactions, got " + totalCharacters);
        }
        return null;
    }

    /**
     * The characters of the tokens a field makes ({@code name=value} per string, {@code name} for a number), which
     * {@link #problem} has checked.
     */
    private static long tokenCharacters(String name, Object value) {
        if (value instanceof CharSequence text) {
            return name.length() + 1L + text.length();
        }
        if (value instanceof List<?> list) {
            long chars = 0;
            for (Object element : list) {
                chars += name.length() + 1L + ((CharSequence) element).length();
            }
            return chars;
        }
        return name.length();
    }

    /**
     * What is wrong with one field's value, as "expected …, got …", or null. A number must lie in {@code range}, the
     * spec's {@code featureRange}, if it has one: a number keeps its value as a feature (tokens weigh 1).
     */
    private static String problem(Object value, ValueRange range) {
        if (value instanceof Double number) {
            return !Float.isFinite(number.floatValue()) ? "a number finite in float32, got " + number
                    : Math.abs(number) > ExampleValidator.MAX_MAGNITUDE ? "a number of at most "
                    + ExampleValidator.MAX_MAGNITUDE + " in magnitude (its square must stay finite in float32), got "
                    + number
                    : range != null && !range.contains(number.floatValue()) ? "a number " + range.describe()
                    + " (the spec's featureRange), got " + number : null;
        }
        if (value instanceof CharSequence text) {
            return text.length() <= MAX_VALUE_CHARS ? null
                    : "a string of at most " + MAX_VALUE_CHARS + " characters, got " + text.length() + " characters";
        }
        List<?> list = (List<?>) value;
        if (list.size() > MAX_FIELD_TOKENS) {
            return "at most " + MAX_FIELD_TOKENS + " tokens, got " + list.size();
        }
        for (int i = 0; i < list.size(); i++) {
            int length = ((CharSequence) list.get(i)).length();
            if (length > MAX_VALUE_CHARS) {
                return "strings of at most " + MAX_VALUE_CHARS + " characters, got " + length
                        + " characters at position " + i;
            }
        }
        return null;
    }

    private static ExampleValidator.Rejection rejection(String name, String expectedGot) {
        // The name as is when it is safe to print, else quoted; the rejection's field stays 'fields' whatever the
        // name, as names are the producer's and dead-letter metric labels must stay few.
        String quoted = ExampleValidator.quoted(name);
        String shown = quoted.equals('"' + name + '"') ? name : quoted;
        return new ExampleValidator.Rejection("fields", "field 'fields." + shown + "': expected " + expectedGot);
    }

    /** What {@code model} predicts for the hashed row {@code x} of {@code example}. */
    public static Prediction predict(SparseLinearModel model, SparseVector x, float[] probabilities, Example example,
            String variant, long modelVersion, long producedAt) {
        if (!model.isClassifier()) {
            return ExampleTensors.regression(example, variant, modelVersion, model.predictValue(x), producedAt);
        }
        model.predictProba(x, probabilities);
        return ExampleTensors.prediction(example, variant, modelVersion, probabilities, producedAt);
    }
}
