package dev.chorus.jobs;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.output.Scored;
import dev.chorus.core.output.SyntheticManyClasses;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.schemas.Example;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * A seeded stream of named-field examples of a task with many classes ({@link SyntheticManyClasses}: Zipf class
 * frequencies, fields that determine the class), and the model-core reference a job's large-output predictions must
 * match: the same hashing, the same minibatches, test-then-train. The savepoint fixture {@code train-large-output-v1}
 * holds examples of this stream: change {@link #example} and it no longer restores to the same numbers.
 */
public final class LargeOutputExamples {

    private LargeOutputExamples() {}

    /** A large-softmax spec over {@code classes} classes: sampled softmax of 16 samples, bags of 8, minibatches of 16. */
    public static String spec(int classes) {
        return "{\"algorithm\":\"large-softmax\",\"numClasses\":" + classes + ",\"batchSize\":16,"
                + "\"hashing\":{\"bits\":16,\"fields\":[\"key\",\"group\",\"noise\"]},"
                + "\"output\":{\"type\":\"sampled-softmax\",\"samples\":16,\"dim\":8,\"topK\":5},"
                + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.5},\"standardize\":false,\"seed\":7}";
    }

    /** Example {@code i} of the stream of {@code seed} over {@code classes} classes. */
    public static Example example(String task, int i, int classes, long seed) {
        SyntheticManyClasses.Example drawn = new SyntheticManyClasses(classes, seed * 1_000_003L + i).next();
        return Example.newBuilder().setId("many-" + i).setTask(task).setFeatures(ByteBuffer.allocate(0))
                .setFields(new LinkedHashMap<>(drawn.fields())).setLabel(drawn.label())
                .setEventTime(1_700_000_000_000L + i).build();
    }

    public static List<Example> stream(String task, int n, int classes, long seed) {
        List<Example> examples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            examples.add(example(task, i, classes, seed));
        }
        return examples;
    }

    /** What the job must do, in model-core alone: each example's top k with the model it met, then the model. */
    public record Reference(List<List<Scored>> top, LargeOutputModel model) {}

    /** Test-then-train over {@code examples}, all labeled, in whole minibatches of the spec's size, with their weights. */
    public static Reference reference(String specJson, List<Example> examples) {
        ModelSpec spec = ModelSpec.parse(specJson);
        LargeOutputModel model = LargeOutputModel.create(spec);
        FeatureHasher hasher = new FeatureHasher(spec.hashing());
        SparseBatch batch = new SparseBatch(spec.inputDim());
        List<SparseVector> rows = new ArrayList<>();
        int[] labels = new int[spec.batchSize()];
        float[] weights = new float[spec.batchSize()];
        List<List<Scored>> top = new ArrayList<>();
        for (Example e : examples) {
            SparseVector x = hasher.hash(e.getFields());
            labels[rows.size()] = e.getLabel();
            weights[rows.size()] = e.getWeight();
            rows.add(x);
            batch.add(x.indices(), x.values());
            if (rows.size() == spec.batchSize()) {
                for (SparseVector row : rows) {
                    top.add(model.predictTopK(row));
                }
                model.trainMinibatch(batch, labels, weights);
                batch.clear();
                rows.clear();
            }
        }
        return new Reference(top, model);
    }
}
