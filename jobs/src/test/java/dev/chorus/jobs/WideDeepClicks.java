package dev.chorus.jobs;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.WideDeepBatch;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.schemas.Example;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link ClickExamples}' click stream for a wide and deep task, and the model-core reference a job's predictions
 * must match: the same minibatches, each predicted in one batched pass of the model before its update. The savepoint
 * fixture {@code train-wide-deep-v1} holds examples of this spec: change {@link #SPEC} and it no longer restores to
 * the same numbers; a different spec is a new constant.
 */
public final class WideDeepClicks {
    /**
     * Wide: the four fields hashed to 2^10, user × country crossed, FTRL; deep: user and words embedded (4 wide, 64
     * buckets) beside the amount, one hidden layer of 8, Adam; minibatches of 4.
     */
    public static final String SPEC = """
            {"algorithm":"wide-deep","numClasses":2,"batchSize":4,"standardize":false,"seed":5,
             "hashing":{"bits":10,"fields":["user","country","words","amount"],"interactions":[["user","country"]]},
             "embeddings":{"dim":4,"buckets":64,"fields":["user","words"],"numeric":["amount"]},
             "layers":[{"units":8,"activation":"relu"}],
             "optimizer":{"type":"adam","learningRate":0.01},"wideOptimizer":{"type":"ftrl","alpha":0.1,"l1":0.01}}""";

    private WideDeepClicks() {}

    /** What the job must do, in model-core alone: each example's outputs with the model it met, then the model. */
    public record Reference(List<float[]> outputs, WideDeepModel model) {}

    /**
     * Test-then-train over {@code examples}, labeled (a class, or a target for a regressor), in minibatches of the
     * spec's size: each full minibatch is predicted in one pass, then trained on; a trailing partial one too when
     * {@code flushPartial} (the end of a bounded input).
     */
    public static Reference reference(String specJson, List<Example> examples, boolean flushPartial) {
        ModelSpec spec = ModelSpec.parse(specJson);
        WideDeepModel model = WideDeepModel.create(spec);
        WideDeepBatch batch = new WideDeepBatch(spec);
        int n = spec.batchSize();
        int k = model.outputDim();
        int[] labels = new int[n];
        float[] targets = new float[n];
        float[] weights = new float[n];
        List<float[]> outputs = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            int r = batch.rows();
            batch.add(e.getFields());
            if (model.isClassifier()) {
                labels[r] = e.getLabel();
            } else {
                targets[r] = e.getTarget().floatValue();
            }
            weights[r] = e.getWeight();
            if (batch.rows() == n || i == examples.size() - 1 && flushPartial) {
                float[] out = new float[batch.rows() * k];
                model.predictBatch(batch, out);
                for (int row = 0; row < batch.rows(); row++) {
                    outputs.add(Arrays.copyOfRange(out, row * k, row * k + k));
                }
                if (model.isClassifier()) {
                    model.trainMinibatch(batch, Arrays.copyOf(labels, batch.rows()), Arrays.copyOf(weights, batch.rows()));
                } else {
                    model.trainMinibatch(batch, Arrays.copyOf(targets, batch.rows()), Arrays.copyOf(weights, batch.rows()));
                }
                batch.clear();
            }
        }
        return new Reference(outputs, model);
    }

    /** What {@code model} predicts for one example's fields on its own (an unlabeled example, or the serve job). */
    public static float[] predict(WideDeepModel model, Example example) {
        float[] out = new float[model.outputDim()];
        if (model.isClassifier()) {
            model.predictProba(example.getFields(), out);
        } else {
            out[0] = model.predictValue(example.getFields());
        }
        return out;
    }
}
