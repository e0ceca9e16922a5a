package dev.chorus.jobs;

import dev.chorus.core.model.OnlineLearner;
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
        return Prediction.newBuilder()
                .setId(example.getId())
                .setTask(example.getTask())
                .setVariant(variant)
                .setModelVersion(modelVersion)
                .setPredictedClass(argMax(probabilities))
                .setProbabilities(Float32.pack(probabilities))
                .setLabel(example.getLabel())
                .setTarget(example.getTarget())
                .setAnnotator(example.getAnnotator())
                .setEventTime(example.getEventTime())
                .setProducedAt(producedAt)
                .build();
    }

    /** The prediction of a regressor that predicted {@code value} for {@code example}. */
    public static Prediction regression(Example example, String variant, long modelVersion, float value,
            long producedAt) {
        return Prediction.newBuilder()
                .setId(example.getId())
                .setTask(example.getTask())
                .setVariant(variant)
                .setModelVersion(modelVersion)
                .setPredictedValue((double) value)
                .setProbabilities(ByteBuffer.allocate(0))
                .setLabel(example.getLabel())
                .setTarget(example.getTarget())
                .setAnnotator(example.getAnnotator())
                .setEventTime(example.getEventTime())
                .setProducedAt(producedAt)
                .build();
    }

    /** What {@code learner} predicts for the features at {@code offset} of {@code features}. */
    public static Prediction predict(OnlineLearner learner, float[] features, int offset, float[] probabilities,
            Example example, String variant, long modelVersion, long producedAt) {
        if (!learner.isClassifier()) {
            return regression(example, variant, modelVersion, learner.predictValue(features, offset), producedAt);
        }
        learner.predictProba(features, offset, probabilities);
        return prediction(example, variant, modelVersion, probabilities, producedAt);
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
