package dev.chorus.jobs;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.schemas.Example;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded click stream of named-field examples (user, country, words, amount) for hashed tasks, and the model-core
 * reference a job's predictions must match: the same hashing, the same minibatches, test-then-train. The savepoint
 * fixture {@code train-v4} holds examples of this stream: change {@link #example} and it no longer restores to the
 * same numbers; a different stream is a new method.
 */
public final class ClickExamples {
    /** A click-prediction spec: 2^12 hashed dimensions, user × country crossed, FTRL-Proximal, minibatches of 4. */
    public static final String SPEC = """
            {"algorithm":"logistic-regression","batchSize":4,"standardize":false,
             "hashing":{"bits":12,"fields":["user","country","words","amount"],"interactions":[["user","country"]]},
             "optimizer":{"type":"ftrl","alpha":0.1,"l1":0.01}}""";

    private static final String[] COUNTRIES = {"FR", "DE", "US", "JP", "BR"};
    private static final String[] WORDS = {"free", "money", "offer", "news", "sport", "deal", "win", "music"};

    private ClickExamples() {}

    /** Example {@code i} of the stream with {@code seed}: a click (label 1) or not, by a fixed rule plus noise. */
    public static Example example(String task, int i, long seed) {
        Random random = new Random(seed * 1_000_003L + i);
        int user = (int) Math.floor(Math.pow(random.nextDouble(), 2) * 40);
        String country = COUNTRIES[random.nextInt(COUNTRIES.length)];
        List<String> words = new ArrayList<>();
        for (int w = random.nextInt(4); w >= 0; w--) {
            words.add(WORDS[random.nextInt(WORDS.length)]);
        }
        double amount = Math.round(random.nextDouble() * 5000) / 100.0;
        double score = (words.contains("free") ? 1.5 : 0) + (country.equals("FR") ? 1 : -0.5) - amount / 50
                + (user % 3 == 0 ? 0.8 : 0) + random.nextGaussian() * 0.5;
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("user", "u" + user);
        fields.put("country", country);
        fields.put("words", words);
        fields.put("amount", amount);
        return Example.newBuilder().setId("click-" + i).setTask(task).setFeatures(ByteBuffer.allocate(0))
                .setFields(fields).setLabel(score > 0 ? 1 : 0).setEventTime(1_700_000_000_000L + i).build();
    }

    public static List<Example> stream(String task, int n, long seed) {
        List<Example> examples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            examples.add(example(task, i, seed));
        }
        return examples;
    }

    /** What the job must do, in model-core alone: each example's probabilities with the model it met, then the model. */
    public record Reference(List<float[]> probabilities, SparseLinearModel model) {}

    /**
     * Test-then-train over {@code examples}, all labeled, in minibatches of the spec's size: each full minibatch's
     * rows are predicted by the model before its update; a trailing partial minibatch is predicted and trained too
     * when {@code flushPartial} (the end of a bounded input).
     */
    public static Reference reference(String specJson, List<Example> examples, boolean flushPartial) {
        ModelSpec spec = ModelSpec.parse(specJson);
        SparseLinearModel model = SparseLinearModel.create(spec);
        FeatureHasher hasher = new FeatureHasher(spec.hashing());
        SparseBatch batch = new SparseBatch(spec.inputDim());
        List<SparseVector> rows = new ArrayList<>();
        int[] labels = new int[spec.batchSize()];
        float[] weights = new float[spec.batchSize()];
        List<float[]> probabilities = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            SparseVector x = hasher.hash(e.getFields());
            labels[rows.size()] = e.getLabel();
            weights[rows.size()] = e.getWeight();
            rows.add(x);
            batch.add(x.indices(), x.values());
            boolean last = i == examples.size() - 1;
            if (rows.size() == spec.batchSize() || last && flushPartial) {
                for (SparseVector row : rows) {
                    float[] p = new float[spec.numClasses()];
                    model.predictProba(row, p);
                    probabilities.add(p);
                }
                model.trainMinibatch(batch, labels, weights);
                batch.clear();
                rows.clear();
            }
        }
        return new Reference(probabilities, model);
    }
}
