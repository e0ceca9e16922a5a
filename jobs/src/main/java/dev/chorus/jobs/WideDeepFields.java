package dev.chorus.jobs;

import dev.chorus.core.model.WideDeepBatch;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;

/**
 * The prediction of one example of a wide and deep task, whose named fields were checked as a hashed task's
 * ({@link HashedFields}) and taken apart ({@link WideDeepBatch#add}) once: by the trainer on arrival, by the serve job
 * with the served model's spec.
 */
public final class WideDeepFields {

    private WideDeepFields() {}

    /** What {@code model} predicts for {@code example}, the one row of {@code row}. */
    public static Prediction predict(WideDeepModel model, WideDeepBatch row, float[] probabilities, Example example,
            String variant, long modelVersion, long producedAt) {
        model.predictBatch(row, probabilities);
        return model.isClassifier()
                ? ExampleTensors.prediction(example, variant, modelVersion, probabilities, producedAt)
                : ExampleTensors.regression(example, variant, modelVersion, probabilities[0], producedAt);
    }
}
