package dev.chorus.cli.bench;

import dev.chorus.core.embedding.EmbeddingBag;
import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.loss.SoftmaxCrossEntropy;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.output.Scored;
import dev.chorus.core.output.SyntheticManyClasses;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.tensor.SparseBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The sampled-softmax track of {@code chorus bench sparse}, in memory (issue 17): a {@code large-softmax} model
 * ({@link LargeOutputModel}: hashed fields, a mean embedding bag of {@value #DIM}, sampled softmax of
 * {@value #SAMPLES} classes) on the {@link SyntheticManyClasses} stream.
 *
 * <p><b>cost</b>: training cost per example at 1,000 and at 1,000,000 classes, as the output layer's multiply-adds
 * (logits, gradients, updates: {@code cost_ratio_1m_to_1k}, which does not depend on the machine) and as wall time
 * after a warm-up ({@code ns_ratio_1m_to_1k}, which the memory a million rows spread over adds to).
 *
 * <p><b>accuracy</b>: held-out top-1 and top-5 accuracy at 1,000 and 10,000 classes against a full softmax of the
 * same bag (every class's logit and gradient each step; the same embedding table, initialisation, learning rate and
 * minibatches), after one pass over {@value #TRAIN_EXAMPLES} examples.
 */
public final class SampledSoftmaxBenchmark {

  static final int DIM = 16;
  static final int SAMPLES = 64;
  static final int BITS = 18;
  static final int BATCH_SIZE = 32;
  static final float LEARNING_RATE = 0.5f;
  static final long SEED = 42;
  static final int COST_WARMUP_BATCHES = 200;
  static final int COST_BATCHES = 1_000;
  static final int TRAIN_EXAMPLES = 40_000;
  static final int TEST_EXAMPLES = 2_000;

  private SampledSoftmaxBenchmark() {}

  static String spec(int classes) {
    return "{\"algorithm\":\"large-softmax\",\"numClasses\":" + classes + ",\"batchSize\":" + BATCH_SIZE
        + ",\"hashing\":{\"bits\":" + BITS + ",\"fields\":[\"key\",\"group\",\"noise\"]},"
        + "\"output\":{\"type\":\"sampled-softmax\",\"samples\":" + SAMPLES + ",\"dim\":" + DIM + ",\"topK\":5},"
        + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":" + LEARNING_RATE + "},\"standardize\":false,"
        + "\"seed\":" + SEED + "}";
  }

  /** {@code {"cost": {...}, "accuracy": {...}, "cost_ratio_1m_to_1k": r, "ns_ratio_1m_to_1k": r}}. */
  public static Map<String, Object> run(Consumer<String> log) {
    Map<String, Object> results = new LinkedHashMap<>();
    Map<String, Object> cost = new LinkedHashMap<>();
    for (int classes : List.of(1_000, 1_000_000)) {
      Map<String, Object> figures = cost(classes);
      log.accept(String.format("sampled softmax, %,d classes: %.0f multiply-adds and %.0f ns per training example",
          classes, figures.get("multiply_adds_per_example"), figures.get("ns_per_example")));
      cost.put(Integer.toString(classes), figures);
    }
    double ratio = (double) ((Map<?, ?>) cost.get("1000000")).get("multiply_adds_per_example")
        / (double) ((Map<?, ?>) cost.get("1000")).get("multiply_adds_per_example");
    double nsRatio = (double) ((Map<?, ?>) cost.get("1000000")).get("ns_per_example")
        / (double) ((Map<?, ?>) cost.get("1000")).get("ns_per_example");
    log.accept(String.format("sampled softmax cost 10^6 / 10^3 classes: %.3f (multiply-adds), %.2f (time)", ratio,
        nsRatio));
    results.put("config", Map.of("dim", DIM, "samples", SAMPLES, "bits", BITS, "batch_size", BATCH_SIZE,
        "learning_rate", LEARNING_RATE, "train_examples", TRAIN_EXAMPLES, "test_examples", TEST_EXAMPLES));
    results.put("cost", cost);
    results.put("cost_ratio_1m_to_1k", ratio);
    results.put("ns_ratio_1m_to_1k", nsRatio);
    Map<String, Object> accuracy = new LinkedHashMap<>();
    for (int classes : List.of(1_000, 10_000)) {
      Map<String, Object> figures = accuracy(classes);
      log.accept(String.format("%,d classes: held-out top-1 %.4f sampled softmax, %.4f full softmax; top-5 %.4f, "
          + "%.4f", classes, figures.get("sampled_top1"), figures.get("full_top1"), figures.get("sampled_top5"),
          figures.get("full_top5")));
      accuracy.put(Integer.toString(classes), figures);
    }
    results.put("accuracy", accuracy);
    return results;
  }

  /** Minibatches of the synthetic stream of {@code seed}, hashed. */
  private static List<SparseBatch> batches(ModelSpec spec, int count, long seed, List<int[]> labels) {
    SyntheticManyClasses stream = new SyntheticManyClasses(spec.numClasses(), seed);
    FeatureHasher hasher = new FeatureHasher(spec.hashing());
    List<SparseBatch> batches = new ArrayList<>(count);
    for (int b = 0; b < count; b++) {
      SparseBatch batch = new SparseBatch(spec.inputDim());
      int[] y = new int[BATCH_SIZE];
      for (int r = 0; r < BATCH_SIZE; r++) {
        SyntheticManyClasses.Example e = stream.next();
        SparseVector x = hasher.hash(e.fields());
        batch.add(x.indices(), x.values());
        y[r] = e.label();
      }
      batches.add(batch);
      labels.add(y);
    }
    return batches;
  }

  static Map<String, Object> cost(int classes) {
    ModelSpec spec = ModelSpec.parse(spec(classes));
    LargeOutputModel model = LargeOutputModel.create(spec);
    List<int[]> labels = new ArrayList<>();
    List<SparseBatch> batches = batches(spec, COST_WARMUP_BATCHES + COST_BATCHES, SEED, labels);
    for (int b = 0; b < COST_WARMUP_BATCHES; b++) {
      model.trainMinibatch(batches.get(b), labels.get(b), null);
    }
    long multiplyAdds = model.outputMultiplyAdds();
    long began = System.nanoTime();
    for (int b = COST_WARMUP_BATCHES; b < batches.size(); b++) {
      model.trainMinibatch(batches.get(b), labels.get(b), null);
    }
    double examples = (double) COST_BATCHES * BATCH_SIZE;
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("ns_per_example", (System.nanoTime() - began) / examples);
    figures.put("multiply_adds_per_example", (model.outputMultiplyAdds() - multiplyAdds) / examples);
    return figures;
  }

  static Map<String, Object> accuracy(int classes) {
    ModelSpec spec = ModelSpec.parse(spec(classes));
    LargeOutputModel sampled = LargeOutputModel.create(spec);
    FullSoftmax full = new FullSoftmax(spec);
    List<int[]> labels = new ArrayList<>();
    List<SparseBatch> batches = batches(spec, TRAIN_EXAMPLES / BATCH_SIZE, SEED, labels);
    for (int b = 0; b < batches.size(); b++) {
      sampled.trainMinibatch(batches.get(b), labels.get(b), null);
      full.train(batches.get(b), labels.get(b));
    }
    SyntheticManyClasses test = new SyntheticManyClasses(classes, SEED + 1);
    FeatureHasher hasher = new FeatureHasher(spec.hashing());
    int[] hits = new int[4];
    for (int i = 0; i < TEST_EXAMPLES; i++) {
      SyntheticManyClasses.Example e = test.next();
      SparseVector x = hasher.hash(e.fields());
      List<Scored> s = sampled.predictTopK(x, 5);
      List<Integer> f = full.top5(x);
      hits[0] += s.get(0).id() == e.label() ? 1 : 0;
      hits[1] += s.stream().anyMatch(c -> c.id() == e.label()) ? 1 : 0;
      hits[2] += f.get(0) == e.label() ? 1 : 0;
      hits[3] += f.contains(e.label()) ? 1 : 0;
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("sampled_top1", (double) hits[0] / TEST_EXAMPLES);
    figures.put("sampled_top5", (double) hits[1] / TEST_EXAMPLES);
    figures.put("full_top1", (double) hits[2] / TEST_EXAMPLES);
    figures.put("full_top5", (double) hits[3] / TEST_EXAMPLES);
    return figures;
  }

  /**
   * The reference: the model's embedding bag (same table, initialisation and AdaGrad) under a full softmax over all
   * classes, SGD on every row each step. What sampled softmax estimates, at O(C·d) per example.
   */
  static final class FullSoftmax {
    private final int classes;
    private final EmbeddingBag bag;
    private final float[] weights;
    private final float[] bias;
    private final float[] bags = new float[BATCH_SIZE * DIM];
    private final float[] bagGradient = new float[BATCH_SIZE * DIM];
    private final float[] logits;
    private final float[] gradient;

    FullSoftmax(ModelSpec spec) {
      this.classes = spec.numClasses();
      // As LargeOutputModel builds its table: the spec's seed, a summing table fed mean-scaled values.
      this.bag = EmbeddingBag.create("fields", spec.inputDim(), DIM, EmbeddingBag.Combiner.SUM, LEARNING_RATE, 0,
          SplitMix64.seeded(spec.seed()));
      this.weights = new float[classes * DIM];
      this.bias = new float[classes];
      this.logits = new float[BATCH_SIZE * classes];
      this.gradient = new float[BATCH_SIZE * classes];
    }

    private void logits(int rows) {
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < classes; c++) {
          float z = bias[c];
          for (int k = 0; k < DIM; k++) {
            z += weights[c * DIM + k] * bags[r * DIM + k];
          }
          logits[r * classes + c] = z;
        }
      }
    }

    void train(SparseBatch batch, int[] labels) {
      SparseBatch ids = LargeOutputModel.bagInputs(batch, EmbeddingBag.Combiner.MEAN);
      int rows = batch.rows();
      bag.forward(ids, bags, DIM, 0);
      logits(rows);
      SoftmaxCrossEntropy.INSTANCE.lossAndGradient(logits, rows, classes, labels, null, gradient);
      Arrays.fill(bagGradient, 0f);
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < classes; c++) {
          float g = gradient[r * classes + c];
          for (int k = 0; k < DIM; k++) {
            bagGradient[r * DIM + k] += g * weights[c * DIM + k];
          }
        }
      }
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < classes; c++) {
          float g = gradient[r * classes + c];
          for (int k = 0; k < DIM; k++) {
            weights[c * DIM + k] -= LEARNING_RATE * g * bags[r * DIM + k];
          }
          bias[c] -= LEARNING_RATE * g;
        }
      }
      bag.backward(ids, bagGradient, DIM, 0);
      bag.step();
    }

    List<Integer> top5(SparseVector x) {
      SparseBatch one = new SparseBatch(bag.buckets());
      one.add(x.indices(), x.values());
      bag.forward(LargeOutputModel.bagInputs(one, EmbeddingBag.Combiner.MEAN), bags, DIM, 0);
      logits(1);
      List<Integer> top = new ArrayList<>(5);
      for (int k = 0; k < 5; k++) {
        int best = -1;
        for (int c = 0; c < classes; c++) {
          if (!top.contains(c) && (best < 0 || logits[c] > logits[best])) {
            best = c;
          }
        }
        top.add(best);
      }
      return top;
    }
  }
}
