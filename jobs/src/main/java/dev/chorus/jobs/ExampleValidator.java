package dev.chorus.jobs;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.ValueRange;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.codec.UnicodeText;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Checks decoded examples. A rejection names the field, what was expected and what was found, because that
 * text is all an operator sees on the dead-letter topic. {@link #basic} needs nothing but the record;
 * {@link #againstSpec} checks it against the model that will use it.
 */
public final class ExampleValidator {

    /** Longest annotator id accepted: ids are state keys and topic keys, an unbounded id is an attack. */
    public static final int MAX_ANNOTATOR_ID_LENGTH = 256;
    /** Longest task name accepted: task names are state keys and appear in every prediction and model key. */
    public static final int MAX_TASK_LENGTH = 256;
    /** Longest example id accepted: ids travel in every prediction and key dead letters. */
    public static final int MAX_ID_LENGTH = 1024;
    /**
     * The largest magnitude of a feature value or a target: the largest float below 2^64, the square root of float's
     * largest value, so that a square (a norm, a variance, a squared error, an FTRL accumulator) stays finite in
     * float32, which training runs in. Past it, one example made predictions NaN (a forward pass that overflows) and a
     * Doctor Net annotator's confusion NaN for good.
     */
    public static final float MAX_MAGNITUDE = Math.nextDown(0x1p64f);

    /** Characters of a name or message {@link #quoted} keeps. */
    public static final int QUOTED_CHARS = 80;

    /** Why an example was rejected. */
    public record Rejection(String field, String reason) {}

    private ExampleValidator() {}

    /** Returns null when the example is usable with {@code spec}, else the first problem found. */
    public static Rejection validate(Example example, ModelSpec spec) {
        Rejection basic = basic(example);
        return basic != null ? basic : againstSpec(example, spec);
    }

    /** Checks that need no model: ids, packed and finite features, weight, annotator. */
    public static Rejection basic(Example example) {
        if (example.getId() == null || example.getId().isEmpty()) {
            return new Rejection("id", "field 'id': expected a non-empty string, got \"\"");
        }
        if (example.getId().length() > MAX_ID_LENGTH) {
            return new Rejection("id", "field 'id': expected 1 to " + MAX_ID_LENGTH + " characters, got "
                    + example.getId().length());
        }
        Rejection id = text("id", example.getId());
        if (id != null) {
            return id;
        }
        int separator = example.getId().indexOf(JobSettings.VARIANT_SEPARATOR);
        if (separator >= 0) {
            // An id keys its item's records on the consensus topic, where this character starts a variant's name.
            return new Rejection("id", "field 'id': expected no U+001F (it separates a variant's name in topic keys), "
                    + "got one at position " + separator);
        }
        if (example.getTask() == null || example.getTask().isEmpty()) {
            return new Rejection("task", "field 'task': expected a non-empty string, got \"\"");
        }
        if (example.getTask().length() > MAX_TASK_LENGTH) {
            return new Rejection("task", "field 'task': expected 1 to " + MAX_TASK_LENGTH + " characters, got "
                    + example.getTask().length());
        }
        Rejection taskName = name("task", example.getTask());
        if (taskName != null) {
            return taskName;
        }
        ByteBuffer bytes = example.getFeatures();
        if (bytes == null || bytes.remaining() % Float.BYTES != 0) {
            return new Rejection("features", "field 'features': expected packed float32 values (a multiple of 4 "
                    + "bytes), got " + (bytes == null ? "null" : bytes.remaining() + " bytes"));
        }
        int bad = Float32.firstAtLeast(bytes, 0x1p64f); // NaN, infinite, or past MAX_MAGNITUDE
        if (bad >= 0) {
            float v = floats(example).get(bad);
            return new Rejection("features", !Float.isFinite(v)
                    ? "field 'features': expected finite values, got " + v + " at position " + bad
                    : "field 'features': expected values of at most " + MAX_MAGNITUDE + " in magnitude (a square "
                            + "must stay finite in float32, which training runs in), got " + v + " at position " + bad);
        }
        Integer label = example.getLabel();
        if (label != null && label < 0) {
            return new Rejection("label", "field 'label': expected a class index >= 0, got " + label);
        }
        float weight = example.getWeight();
        if (!Float.isFinite(weight) || weight < 0f) {
            return new Rejection("weight", "field 'weight': expected a finite number >= 0, got " + weight);
        }
        String annotator = example.getAnnotator();
        if (annotator != null && (annotator.isEmpty() || annotator.length() > MAX_ANNOTATOR_ID_LENGTH)) {
            return new Rejection("annotator", "field 'annotator': expected 1 to " + MAX_ANNOTATOR_ID_LENGTH
                    + " characters, got " + annotator.length());
        }
        return annotator == null ? null : name("annotator", annotator);
    }

    /**
     * Names end up in logs, keys and terminals: no control or format characters (terminal escapes, bidi); and in
     * checkpoints as UTF-8, which cannot hold half a surrogate pair (two annotators that differ only there would be one
     * after a restore, which the label model refuses).
     */
    public static Rejection name(String field, String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c) || isFormatOrSeparator(c)) {
                return new Rejection(field, "field '" + field + "': expected a name without control characters, got "
                        + quoted(name) + String.format(" (U+%04X at position %d)", (int) c, i));
            }
        }
        return text(field, name);
    }

    /** Null when {@code value} is Unicode text ({@link UnicodeText}), else a rejection naming its unpaired surrogate. */
    public static Rejection text(String field, String value) {
        int at = UnicodeText.firstUnpairedSurrogate(value);
        return at < 0 ? null : new Rejection(field, "field '" + field + "': " + UnicodeText.problem(value, at));
    }

    /**
     * Checks that depend on the model: a skip-gram task's token sequence ({@link SequenceFields}), or named fields
     * ({@link HashedFields}) or the feature dimension, sparse indices and the spec's {@code featureRange}, then the
     * label range or a finite target (in its {@code targetRange}).
     */
    public static Rejection againstSpec(Example example, ModelSpec spec) {
        int inputDim = spec.inputDim();
        int n = floats(example).remaining();
        List<Integer> indices = example.getIndices();
        if (spec.skipGram() != null) {
            return SequenceFields.check(example, spec);
        }
        Rejection fields = HashedFields.check(example, spec);
        if (fields != null) {
            return fields;
        }
        if (spec.hashing() != null) {
            return againstTarget(example, spec);
        }
        if (indices == null) {
            if (n != inputDim) {
                return new Rejection("features", "field 'features': expected " + inputDim
                        + " float32 values, got " + n);
            }
        } else {
            if (indices.size() != n) {
                return new Rejection("indices", "field 'indices': expected one index per feature value (" + n
                        + "), got " + indices.size());
            }
            int previous = -1;
            for (int i = 0; i < indices.size(); i++) {
                int index = indices.get(i);
                if (index < 0 || index >= inputDim) {
                    return new Rejection("indices", "field 'indices': expected indices in [0, " + inputDim
                            + "), got " + index + " at position " + i);
                }
                if (index <= previous) {
                    return new Rejection("indices", "field 'indices': expected strictly increasing indices, got "
                            + index + " after " + previous + " at position " + i);
                }
                previous = index;
            }
        }
        Rejection range = againstRange(example, spec.featureRange());
        return range != null ? range : againstTarget(example, spec);
    }

    /**
     * What training on {@code example} with a model of {@code spec} needs to hold, in constant time for a dense or
     * sparse row (its width or its last index, its label's range; a skip-gram's sequence whole; a hashed model's
     * fields whole, {@link HashedFields#check}, in time linear in their tokens, as hashing them is): null when it does, else {@link #againstSpec}'s rejection. For the
     * trainer, whose model may be of another spec than the one the example was routed by: the router and the trainer
     * read the control topic's changes on broadcast edges of their own.
     */
    public static Rejection againstModel(Example example, ModelSpec spec) {
        if (spec.skipGram() != null) {
            return SequenceFields.check(example, spec);
        }
        Integer label = example.getLabel();
        boolean fits = !spec.isClassifier() || label == null || label < spec.numClasses();
        if (spec.hashing() == null) {
            int n = floats(example).remaining();
            List<Integer> indices = example.getIndices();
            fits &= indices == null ? n == spec.inputDim()
                    : indices.size() == n && (n == 0 || indices.get(n - 1) < spec.inputDim());
        } else {
            // Linear in the example's tokens, as hashing it is: a row routed by a dense spec, or by a hashed one with
            // fewer interactions (whose bounds the model's may break), never reaches the hasher.
            fits &= HashedFields.check(example, spec) == null;
        }
        if (fits) {
            return null;
        }
        Rejection why = againstSpec(example, spec);
        return why != null ? why : new Rejection("features", "field 'features': expected a row that fits the model's "
                + "spec, got one that does not");
    }

    /**
     * Null when every feature value of {@code example} lies in the spec's {@code featureRange} (or it has none), else a
     * rejection naming the first outside it: its position and, for a sparse row, its index.
     */
    private static Rejection againstRange(Example example, ValueRange range) {
        if (range == null) {
            return null;
        }
        // One bulk copy out of the packed buffer, then ValueRange's pass over a float array.
        FloatBuffer buffer = floats(example);
        float[] values = new float[buffer.remaining()];
        buffer.get(values);
        int i = range.firstOutside(values, 0, values.length);
        if (i < 0) {
            return null;
        }
        List<Integer> indices = example.getIndices();
        return new Rejection("features", "field 'features': expected values " + range.describe()
                + " (the spec's featureRange), got " + values[i] + " at position " + i
                + (indices == null ? "" : " (index " + indices.get(i) + ")"));
    }

    /**
     * The label range of a classifier, or a finite target (in the spec's {@code targetRange} if it has one) and no
     * label for a regressor.
     */
    private static Rejection againstTarget(Example example, ModelSpec spec) {
        Integer label = example.getLabel();
        if (!spec.isClassifier()) {
            if (label != null) {
                return new Rejection("label", "field 'label': expected null for a regression task (its real target "
                        + "goes in 'target'), got " + label);
            }
            Double target = example.getTarget();
            if (target != null && !Double.isFinite(target)) {
                return new Rejection("target", "field 'target': expected a finite number, got " + target);
            }
            if (target != null && Math.abs(target) > MAX_MAGNITUDE) {
                return new Rejection("target", "field 'target': expected a number of at most " + MAX_MAGNITUDE
                        + " in magnitude (a squared error must stay finite in float32, which training runs in), got "
                        + target);
            }
            ValueRange range = spec.targetRange();
            if (target != null && range != null && !range.contains(target.floatValue())) {
                return new Rejection("target", "field 'target': expected a number " + range.describe()
                        + " (the spec's targetRange), got " + target);
            }
            return null;
        }
        if (label != null && label >= spec.numClasses()) {
            return new Rejection("label", "field 'label': expected a class index in [0, " + spec.numClasses()
                    + "), got " + label);
        }
        return null;
    }

    /**
     * {@code text} in double quotes, safe to put in a reason or a log line: quotes, backslashes, control and
     * format characters (terminal escapes, line and bidi controls) and unpaired surrogates as {@code \\uXXXX}, and at
     * most {@link #QUOTED_CHARS} characters of it, then how many there were ({@link UnicodeText#quoted}).
     */
    public static String quoted(String text) {
        return UnicodeText.quoted(text, QUOTED_CHARS);
    }

    private static boolean isFormatOrSeparator(char c) {
        int type = Character.getType(c);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }

    private static FloatBuffer floats(Example example) {
        return example.getFeatures().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    }
}
