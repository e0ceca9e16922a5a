package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.embedding.EmbeddingBag;
import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.output.HierarchicalSoftmax;
import dev.chorus.core.output.HierarchicalSoftmaxSpec;
import dev.chorus.core.output.RowGradients;
import dev.chorus.core.output.SampledSoftmax;
import dev.chorus.core.output.SampledSoftmaxSpec;
import dev.chorus.core.output.Scored;
import dev.chorus.core.output.SyntheticManyClasses;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.core.tensor.SparseBatch;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class LargeOutputModelTest {

  static String spec(int classes, String output) {
    return "{\"algorithm\":\"large-softmax\",\"numClasses\":" + classes + ",\"hashing\":{\"bits\":12,"
        + "\"fields\":[\"key\",\"group\",\"noise\"]},\"output\":" + output + ",\"optimizer\":{\"type\":\"sgd\","
        + "\"learningRate\":0.5},\"standardize\":false,\"batchSize\":16,\"seed\":3}";
  }

  static final String SAMPLED = "{\"type\":\"sampled-softmax\",\"samples\":8,\"dim\":8,\"topK\":5}";
  static final String NEGATIVE = "{\"type\":\"negative-sampling\",\"negatives\":5,\"dim\":8,\"combiner\":\"sum\"}";
  static final String HIERARCHICAL = "{\"type\":\"hierarchical-softmax\",\"dim\":8}";

  /** {@code steps} minibatches of 16 from the synthetic stream of {@code seed}, hashed by the spec. */
  static SparseBatch[] batches(ModelSpec spec, int steps, long seed, int[][] labels) {
    SyntheticManyClasses stream = new SyntheticManyClasses(spec.numClasses(), seed);
    FeatureHasher hasher = new FeatureHasher(spec.hashing());
    SparseBatch[] batches = new SparseBatch[steps];
    for (int s = 0; s < steps; s++) {
      batches[s] = new SparseBatch(spec.inputDim());
      labels[s] = new int[16];
      for (int r = 0; r < 16; r++) {
        SyntheticManyClasses.Example e = stream.next();
        SparseVector x = hasher.hash(e.fields());
        batches[s].add(x.indices(), x.values());
        labels[s][r] = e.label();
      }
    }
    return batches;
  }

  static LargeOutputModel trained(String spec, int steps) {
    LargeOutputModel model = LargeOutputModel.create(ModelSpec.parse(spec));
    int[][] labels = new int[steps][];
    SparseBatch[] batches = batches(model.spec(), steps, 11, labels);
    for (int s = 0; s < steps; s++) {
      model.trainMinibatch(batches[s], labels[s], null);
    }
    return model;
  }

  @Test
  void specReadsWritesAndValidatesTheOutputKey() {
    ModelSpec spec = ModelSpec.parse(spec(1_000_000, SAMPLED));
    assertThat(spec.output()).isEqualTo(new LargeOutputSpec(LargeOutputSpec.Type.SAMPLED_SOFTMAX, 8, 8,
        EmbeddingBag.Combiner.MEAN, 5));
    assertThat(spec.loss()).isEqualTo("softmax-cross-entropy");
    assertThat(ModelSpec.parse(spec.toJson())).isEqualTo(spec);
    assertThat(ModelSpec.parse(spec(50, HIERARCHICAL)).output().samples()).isZero();
    assertThat(ModelSpec.parse(spec(50, "{\"type\":\"negative-sampling\"}")).output().samples())
        .isEqualTo(LargeOutputSpec.DEFAULT_NEGATIVES);

    assertThatThrownBy(() -> ModelSpec.parse(spec(1_000_001, SAMPLED)))
        .hasMessageContaining("'numClasses': expected an integer in [2, 1000000]").hasMessageContaining("1000001");
    assertThatThrownBy(() -> ModelSpec.parse(spec(50, "{\"type\":\"hierarchical-softmax\",\"samples\":3}")))
        .hasMessageContaining("unknown key 'output.samples'");
    assertThatThrownBy(() -> ModelSpec.parse(spec(50, "{\"type\":\"hierarchical-softmax\",\"countPrefix\":9}")))
        .as("the tree takes Zipf counts by rank, never counts of the stream").hasMessageContaining(
            "unknown key 'output.countPrefix'");
    assertThatThrownBy(() -> ModelSpec.parse(spec(50, "{\"type\":\"full-softmax\"}")))
        .hasMessageContaining("key 'output.type'").hasMessageContaining("\"full-softmax\"");
    assertThatThrownBy(() -> ModelSpec.parse(spec(50, "{\"type\":\"sampled-softmax\",\"topK\":51}")))
        .hasMessageContaining("'output.topK': expected at most numClasses = 50, got 51");
    assertThatThrownBy(() -> ModelSpec.parse(spec(50, SAMPLED).replace("\"sgd\"", "\"adam\"")))
        .hasMessageContaining("key 'optimizer.type': expected \"sgd\"").hasMessageContaining("got \"adam\"");
    assertThatThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"large-softmax\",\"numClasses\":50,"
        + "\"hashing\":{\"bits\":12},\"optimizer\":{\"type\":\"sgd\"},\"standardize\":false}"))
        .hasMessageContaining("key 'output': expected an object like");
    assertThatThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"numClasses\":5,"
        + "\"inputDim\":3,\"output\":" + SAMPLED + "}"))
        .hasMessageContaining("key 'output': expected none unless algorithm is \"large-softmax\"");
  }

  /** The model is an embedding bag feeding the existing output layer: stepping those by hand gives the same bits. */
  @Test
  void trainsAsTheEmbeddingBagAndSampledSoftmaxItComposes() {
    ModelSpec spec = ModelSpec.parse(spec(300, SAMPLED));
    LargeOutputModel model = LargeOutputModel.create(spec);
    SplitMix64 rng = SplitMix64.seeded(3);
    EmbeddingBag bag = EmbeddingBag.create("ref", 4096, 8, EmbeddingBag.Combiner.SUM, 0.5, 0, rng);
    SampledSoftmax layer = new SampledSoftmax(new SampledSoftmaxSpec(300, 8,
        SampledSoftmaxSpec.Objective.SAMPLED_SOFTMAX), 8, rng.nextLong());
    RowGradients gradient = new RowGradients(8);
    int[][] labels = new int[20][];
    SparseBatch[] batches = batches(spec, 20, 5, labels);
    float[] bags = new float[16 * 8];
    float[] bagGradient = new float[16 * 8];
    for (int s = 0; s < 20; s++) {
      double loss = model.trainMinibatch(batches[s], labels[s], null);
      SparseBatch means = LargeOutputModel.bagInputs(batches[s], EmbeddingBag.Combiner.MEAN);
      bag.forward(means, bags, 8, 0);
      double expected = layer.lossAndGradient(bags, 16, labels[s], null, layer.drawSample(), bagGradient, gradient);
      bag.backward(means, bagGradient, 8, 0);
      assertThat(bag.step()).isNull();
      layer.apply(gradient, 0.5f);
      assertThat(loss).as("loss of minibatch %d", s).isEqualTo(expected);
    }
    SparseBatch probe = LargeOutputModel.bagInputs(batches[0], EmbeddingBag.Combiner.MEAN);
    bag.forward(probe, bags, 8, 0);
    SparseVector first = new SparseVector(
        Arrays.copyOfRange(batches[0].indices(), 0, batches[0].rowStart(1)),
        Arrays.copyOfRange(batches[0].values(), 0, batches[0].rowStart(1)));
    assertThat(model.predictTopK(first, 5)).isEqualTo(layer.predictTopK(bags, 0, 5));
  }

  @Test
  void hierarchicalTopKIsTheTreeLayersExactRanking() {
    LargeOutputModel model = trained(spec(300, HIERARCHICAL), 30);
    SparseVector x = new FeatureHasher(model.spec().hashing()).hash(SyntheticManyClasses.fields(7, 3));
    float[] all = new float[300];
    model.predictProba(x, all);
    double sum = 0;
    for (float p : all) {
      sum += p;
    }
    assertThat(sum).as("the tree's probabilities over all classes").isCloseTo(1, within(1e-4));
    List<Scored> top = model.predictTopK(x, 10);
    Set<Integer> ids = new HashSet<>();
    for (int i = 0; i < top.size(); i++) {
      assertThat(top.get(i).score()).as("rank %d", i).isCloseTo(all[top.get(i).id()], within(1e-6));
      ids.add(top.get(i).id());
    }
    for (int c = 0; c < 300; c++) {
      if (!ids.contains(c)) {
        assertThat((double) all[c]).as("class %d outside the top 10", c).isLessThanOrEqualTo(top.get(9).score() + 1e-6);
      }
    }
    // The tree is Huffman's over Zipf counts by rank: the Zipf-frequent ids sit high.
    HierarchicalSoftmax layer = new HierarchicalSoftmax(new HierarchicalSoftmaxSpec(300, 1), 8,
        LargeOutputModel.rankCounts(300));
    assertThat(layer.pathLength(0)).isLessThan(layer.pathLength(299));
  }

  @ParameterizedTest
  @ValueSource(strings = {SAMPLED, NEGATIVE, HIERARCHICAL})
  void learnsClassesTheFieldsDetermine(String output) {
    LargeOutputModel model = trained(spec(300, output), 1500);
    FeatureHasher hasher = new FeatureHasher(model.spec().hashing());
    SyntheticManyClasses test = new SyntheticManyClasses(300, 99);
    int hits = 0;
    for (int i = 0; i < 500; i++) {
      SyntheticManyClasses.Example e = test.next();
      List<Scored> top = model.predictTopK(hasher.hash(e.fields()), 5);
      hits += top.stream().anyMatch(s -> s.id() == e.label()) ? 1 : 0;
      double sum = top.stream().mapToDouble(Scored::score).sum();
      assertThat(sum).isLessThanOrEqualTo(1 + 1e-6);
      for (int k = 1; k < top.size(); k++) {
        assertThat(top.get(k).score()).isLessThanOrEqualTo(top.get(k - 1).score());
      }
    }
    assertThat(hits / 500.0).as("top-5 accuracy of %s", output).isGreaterThan(0.8);
  }

  @ParameterizedTest
  @ValueSource(strings = {SAMPLED, NEGATIVE, HIERARCHICAL})
  void savedBytesRestoreTheModelExactlyAndTrainingContinuesTheSame(String output) {
    String json = spec(300, output);
    LargeOutputModel model = trained(json, 10);
    byte[] bytes = model.toBytes();
    LargeOutputModel restored = (LargeOutputModel) SavedModels.read(bytes);
    assertThat(restored.toBytes()).isEqualTo(bytes);
    assertThat(restored.steps()).isEqualTo(10);
    assertThat(restored.examplesSeen()).isEqualTo(160);
    int[][] labels = new int[5][];
    SparseBatch[] more = batches(model.spec(), 5, 12, labels);
    for (int s = 0; s < 5; s++) {
      model.trainMinibatch(more[s], labels[s], null);
      restored.trainMinibatch(more[s], labels[s], null);
    }
    assertThat(restored.toBytes()).as("a restored sampler draws what the original would").isEqualTo(model.toBytes());
    assertThat(model.copy().toBytes()).isEqualTo(model.toBytes());
  }

  @ParameterizedTest
  @ValueSource(strings = {SAMPLED, HIERARCHICAL})
  void savedBytesAreWrittenOnceIntoABufferOfTheirSize(String output) {
    // Rows enough for about a MB of saved bytes: an unsized buffer doubles its way there, allocating and copying
    // about twice that again, then copies it once more; a sized one is allocated once (plus the 64 KiB chunks).
    LargeOutputModel model = trained(spec(100_000, output.replace("\"dim\":8", "\"dim\":32")), 300);
    byte[] unsized = BinaryState.toBytes(model::writeTo);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    model.toBytes();
    long before = threads.getThreadAllocatedBytes(thread);
    byte[] bytes = model.toBytes();
    long allocated = threads.getThreadAllocatedBytes(thread) - before;
    assertThat(bytes).as("the same bytes as written through an unsized buffer").isEqualTo(unsized);
    assertThat(bytes.length).isGreaterThan(500_000);
    assertThat((double) allocated / bytes.length).as("bytes allocated per byte saved").isLessThan(1.3);
  }

  @Test
  void aLabelOutsideTheClassesChangesNothing() {
    LargeOutputModel model = trained(spec(300, SAMPLED), 3);
    byte[] before = model.toBytes();
    int[][] labels = new int[1][];
    SparseBatch[] batch = batches(model.spec(), 1, 4, labels);
    labels[0][5] = 300;
    assertThatThrownBy(() -> model.trainMinibatch(batch[0], labels[0], null))
        .hasMessageContaining("label of example 5 must be in [0, 300), got 300");
    assertThat(model.toBytes()).isEqualTo(before);
  }

  @Test
  void corruptBytesAreRefusedWithTheReason() {
    byte[] bytes = trained(spec(300, SAMPLED), 2).toBytes();
    assertThatThrownBy(() -> LargeOutputModel.fromBytes(Arrays.copyOf(bytes, bytes.length - 3)))
        .hasMessageContaining("corrupt LargeOutputModel bytes");
    byte[] trailing = Arrays.copyOf(bytes, bytes.length + 1);
    assertThatThrownBy(() -> LargeOutputModel.fromBytes(trailing)).hasMessageContaining("1 trailing bytes");
  }
}
