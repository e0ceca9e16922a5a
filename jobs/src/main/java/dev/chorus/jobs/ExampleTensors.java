package dev.chorus.jobs;

import dev.chorus.core.model.Predictor;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/** Where records become tensors and model outputs become records: the one place jobs convert between them. */
public final class ExampleTensors {
    private ExampleTensors() {}

    /** Writes the example's features into {@code dst} at {@code offset} (dense: one bulk copy; sparse: zero, then scatter). */
    public static void copyFeatures(Example example, float[] dst, int offset, int dim) {
        ByteBuffer values = example.getFeatures();
        List<Integer> indices = example.getIndices();
        if (indices == null) {
            Float32.unpackInto(values, dst, offset);
            return;
        }
        Arrays.fill(dst, offset, offset + dim, 0f);
        float[] sparse = Float32.unpack(values);
        for (int i = 0; i < sparse.length; i++) {
            dst[offset + indices.get(i)] = sparse[i];
        }
    }

    /** The prediction of a classifier with class probabilities {@code probabilities} for {@code example}. */
    public static Prediction prediction(Example example, String variant, long modelVersion, float[] probabilities,
            long producedAt) {
        return prediction(example.getId(), example.getTask(), example.getLabel(), example.getTarget(),
                example.getAnnotator(), example.getEventTime(), variant, modelVersion, probabilities, producedAt);
    }

    /** The prediction of a classifier with class probabilities {@code probabilities} for the example so described. */
    public static Prediction prediction(String id, String task, Integer label, Double target, String annotator,
            long eventTime, String variant, long modelVersion, float[] probabilities, long producedAt) {
        Prediction prediction = prediction(id, task, target, annotator, eventTime, variant, modelVersion, producedAt);
        prediction.setPredictedClass(argMax(probabilities));
        prediction.setProbabilities(Float32.pack(probabilities));
        prediction.setLabel(label);
        return prediction;
    }

    /** The prediction of a regressor that predicted {@code value} for {@code example}. */
    public static Prediction regression(Example example, String variant, long modelVersion, float value,
            long producedAt) {
        return regression(example.getId(), example.getTask(), example.getTarget(), example.getAnnotator(),
                example.getEventTime(), variant, modelVersion, value, producedAt);
    }

    /** The prediction of a regressor that predicted {@code value} for the example so described (no label). */
    public static Prediction regression(String id, String task, Double target, String annotator, long eventTime,
            String variant, long modelVersion, float value, long producedAt) {
        Prediction prediction = prediction(id, task, target, annotator, eventTime, variant, modelVersion, producedAt);
        prediction.setPredictedValue((double) value);
        prediction.setProbabilities(ByteBuffer.allocate(0));
        return prediction;
    }

    /**
     * A prediction with the fields every prediction has. Set field by field rather than through Avro's builder,
     * which validated and default-filled each of the twelve fields of every prediction, a cost the serve thread's
     * profile showed (docs/BENCHMARKS.md, "Profiles behind design choices"); the predicted class or value,
     * probabilities and label are the callers'.
     */
    static Prediction prediction(String id, String task, Double target, String annotator, long eventTime,
            String variant, long modelVersion, long producedAt) {
        Prediction prediction = new Prediction();
        prediction.setId(id);
        prediction.setTask(task);
        prediction.setVariant(variant);
        prediction.setModelVersion(modelVersion);
        prediction.setTarget(target);
        prediction.setAnnotator(annotator);
        prediction.setEventTime(eventTime);
        prediction.setProducedAt(producedAt);
        return prediction;
    }

    /** What {@code learner} predicts for the features at {@code offset} of {@code features}. */
    public static Prediction predict(Predictor learner, float[] features, int offset, float[] probabilities,
            Example example, String variant, long modelVersion, long producedAt) {
        if (!learner.isClassifier()) {
            return regression(example, variant, modelVersion, learner.predictValue(features, offset), producedAt);
        }
        learner.predictProba(features, offset, probabilities);
        return prediction(example, variant, modelVersion, probabilities, producedAt);
    }

    /**
     * Null when every number {@code prediction} carries is finite, else the reason of the dead letter that takes its
     * place: what is not finite and where (its predicted value, a class's probability, or one of a large-output
     * model's top probabilities), and the model and version that made it. A model's inputs and parameters can each be
     * finite while their products overflow float32.
     */
    public static String nonFiniteReason(Prediction prediction) {
        String bad = nonFinite(prediction);
        return bad == null ? null : "field 'prediction': " + bad + " (model "
                + ExampleValidator.quoted(prediction.getTask() + "/" + prediction.getVariant()) + " version "
                + prediction.getModelVersion() + ": its weights and these features overflow float32)";
    }

    private static String nonFinite(Prediction prediction) {
        Double value = prediction.getPredictedValue();
        if (value != null && !Double.isFinite(value)) {
            return "expected a finite predicted value, got " + value;
        }
        ByteBuffer probabilities = prediction.getProbabilities();
        int bad = probabilities == null ? -1 : Float32.firstNonFinite(probabilities);
        if (bad >= 0) {
            return "expected finite class probabilities, got " + Float32.unpack(probabilities)[bad] + " for class "
                    + bad;
        }
        ByteBuffer top = prediction.getTopProbabilities();
        bad = top == null ? -1 : Float32.firstNonFinite(top);
        if (bad >= 0) {
            return "expected finite top probabilities, got " + Float32.unpack(top)[bad] + " at rank " + bad
                    + " (class " + prediction.getTopClasses().get(bad) + ")";
        }
        return null;
    }

    /** The annotator a label-model task attributes an example's label to when the example names none. */
    public static final String ANONYMOUS_ANNOTATOR = "(anonymous)";

    /** Who gave the example's label: its annotator, or {@link #ANONYMOUS_ANNOTATOR}. */
    public static String annotator(Example example) {
        return annotator(example.getAnnotator());
    }

    /** {@code annotator}, or {@link #ANONYMOUS_ANNOTATOR} when it is null. */
    public static String annotator(String annotator) {
        return annotator == null ? ANONYMOUS_ANNOTATOR : annotator;
    }

    /**
     * The 64-bit item key a label model remembers the item's labels under: FNV-1a over the id's UTF-16 code
     * units, then a SplitMix64 finaliser so that similar ids spread over all bits. Two ids share a key with
     * probability about n²/2⁶⁵ among n items (under 10⁻⁷ for a million items); they would then share a history.
     */
    public static long itemKey(String id) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < id.length(); i++) {
            h ^= id.charAt(i);
            h *= 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }

    static int argMax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
