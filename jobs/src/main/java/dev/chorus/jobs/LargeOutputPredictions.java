package dev.chorus.jobs;

import dev.chorus.core.features.SparseVector;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.output.Scored;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Predictions of a large-output model ({@code large-softmax}, up to 10^6 classes), which cannot carry every class's
 * probability: they carry the model's top k classes ({@code output.topK}) in {@code topClasses}, most probable first,
 * their probabilities in {@code topProbabilities}, the first as {@code predictedClass}, and empty
 * {@code probabilities}. The train and serve jobs make them alike.
 */
public final class LargeOutputPredictions {

    private LargeOutputPredictions() {}

    /** What {@code model} predicts for the hashed row {@code x} of {@code example}. */
    public static Prediction predict(LargeOutputModel model, SparseVector x, Example example, String variant,
            long modelVersion, long producedAt) {
        return prediction(example.getId(), example.getTask(), example.getLabel(), example.getAnnotator(),
                example.getEventTime(), variant, modelVersion, model.predictTopK(x), producedAt);
    }

    /** The prediction of the example so described whose most probable classes are {@code top}. */
    public static Prediction prediction(String id, String task, Integer label, String annotator, long eventTime,
            String variant, long modelVersion, List<Scored> top, long producedAt) {
        Prediction prediction = ExampleTensors.prediction(id, task, null, annotator, eventTime, variant, modelVersion,
                producedAt);
        List<Integer> classes = new ArrayList<>(top.size());
        float[] probabilities = new float[top.size()];
        for (int k = 0; k < top.size(); k++) {
            classes.add(top.get(k).id());
            probabilities[k] = (float) top.get(k).score();
        }
        prediction.setPredictedClass(classes.get(0));
        prediction.setProbabilities(ByteBuffer.allocate(0));
        prediction.setTopClasses(classes);
        prediction.setTopProbabilities(Float32.pack(probabilities));
        prediction.setLabel(label);
        return prediction;
    }
}
