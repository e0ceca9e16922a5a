package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.features.RejectedFieldException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

class WideDeepModelTest {

  static final String SPEC = "{\"algorithm\":\"wide-deep\",\"numClasses\":2,"
      + "\"hashing\":{\"bits\":12,\"fields\":[\"a\",\"b\",\"x\"]},"
      + "\"embeddings\":{\"dim\":4,\"buckets\":1024,\"combiner\":\"mean\",\"fields\":[\"a\",\"b\"],\"numeric\":[\"x\"],"
      + "\"learningRate\":0.1},"
      + "\"layers\":[{\"units\":16,\"activation\":\"relu\",\"init\":\"he-normal\"}],"
      + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.01},\"wideOptimizer\":{\"type\":\"ftrl\",\"alpha\":0.1},"
      + "\"standardize\":false,\"batchSize\":32,\"seed\":7}";
  private static final int VALUES = 20;

  /** Two categorical fields of 20 values each, uniformly drawn, and a numeric field in [0, 1). */
  private record Example(int a, int b, float x) {
    Map<String, Object> fields() {
      return Map.of("a", "a" + a, "b", "b" + b, "x", x);
    }
  }

  private static Example draw(Random random) {
    return new Example(random.nextInt(VALUES), random.nextInt(VALUES), random.nextFloat());
  }

  /** Held-out accuracy of each model after 600 minibatches of 32 from a seeded stream labelled by {@code label}. */
  private static double[] accuracies(ToIntFunction<Example> label) {
    ModelSpec spec = ModelSpec.parse(SPEC);
    WideDeepModel wideDeep = WideDeepModel.create(spec);
    SparseLinearModel wide = SparseLinearModel.create(WideDeepModel.wideSpec(spec));
    Random random = new Random(42);
    WideDeepBatch batch = new WideDeepBatch(spec);
    int[] labels = new int[32];
    for (int step = 0; step < 600; step++) {
      batch.clear();
      for (int r = 0; r < 32; r++) {
        Example example = draw(random);
        batch.add(example.fields());
        labels[r] = label.applyAsInt(example);
      }
      wideDeep.trainMinibatch(batch, labels, null);
      wide.trainMinibatch(batch.wide(), labels, null);
    }
    int rightWideDeep = 0;
    int rightWide = 0;
    float[] p = new float[2];
    float[] q = new float[2];
    int heldOut = 2000;
    dev.chorus.core.features.FeatureHasher hasher = new dev.chorus.core.features.FeatureHasher(spec.hashing());
    for (int i = 0; i < heldOut; i++) {
      Example example = draw(random);
      int y = label.applyAsInt(example);
      wideDeep.predictProba(example.fields(), p);
      wide.predictProba(hasher.hash(example.fields()), q);
      rightWideDeep += (p[1] > 0.5f ? 1 : 0) == y ? 1 : 0;
      rightWide += (q[1] > 0.5f ? 1 : 0) == y ? 1 : 0;
    }
    return new double[] {rightWideDeep / (double) heldOut, rightWide / (double) heldOut};
  }

  /** The label is the XOR of the two fields' parities: no sum of per-value weights expresses it. */
  @Test
  void onAnInteractionTheWideAndDeepModelBeatsTheWideModelByAWideMargin() {
    double[] accuracy = accuracies(e -> (e.a() % 2) ^ (e.b() % 2));
    assertThat(accuracy[1]).as("wide alone").isLessThan(0.65);
    assertThat(accuracy[0]).as("wide and deep, against wide alone %s", accuracy[1]).isGreaterThan(0.95);
    assertThat(accuracy[0] - accuracy[1]).isGreaterThan(0.3);
  }

  /** The label is a noiseless threshold of a sum of per-value weights, which the wide part expresses alone. */
  @Test
  void onALinearTargetTheWideAndDeepModelMatchesTheWideModel() {
    Random weights = new Random(9);
    double[] wa = weights.doubles(VALUES, -2, 2).toArray();
    double[] wb = weights.doubles(VALUES, -2, 2).toArray();
    double[] accuracy = accuracies(e -> wa[e.a()] + wb[e.b()] > 0 ? 1 : 0);
    assertThat(accuracy[1]).as("wide alone").isGreaterThan(0.9);
    assertThat(accuracy[0]).as("wide and deep, against wide alone %s", accuracy[1])
        .isBetween(accuracy[1] - 0.03, 1.0);
  }

  private static WideDeepBatch batch(ModelSpec spec, Random random, int[] labels) {
    WideDeepBatch batch = new WideDeepBatch(spec);
    for (int r = 0; r < labels.length; r++) {
      Example example = draw(random);
      batch.add(example.fields());
      labels[r] = (example.a() + example.b()) % 2;
    }
    return batch;
  }

  @Test
  void savedBytesRoundTripExactlyAndTrainOnExactlyAlike() {
    ModelSpec spec = ModelSpec.parse(SPEC.replace("\"units\":16,", "\"units\":16,\"dropout\":0.25,\"batchNorm\":true,"));
    WideDeepModel model = WideDeepModel.create(spec);
    Random random = new Random(1);
    int[] labels = new int[32];
    for (int step = 0; step < 5; step++) {
      model.trainMinibatch(batch(spec, random, labels), labels, null);
    }
    byte[] saved = model.toBytes();
    WideDeepModel read = WideDeepModel.fromBytes(saved);
    assertThat(read.toBytes()).isEqualTo(saved);
    assertThatThrownBy(() -> WideDeepModel.fromBytes(java.util.Arrays.copyOf(saved, saved.length - 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("corrupt WideDeepModel bytes: ");
    assertThatThrownBy(() -> WideDeepModel.fromBytes(java.util.Arrays.copyOf(saved, saved.length + 1)))
        .hasMessage("corrupt WideDeepModel bytes: 1 trailing bytes");
    assertThatThrownBy(() -> WideDeepModel.fromBytes(SparseLinearModel.create(WideDeepModel.wideSpec(spec)).toBytes()))
        .hasMessage("corrupt WideDeepModel bytes: not a WideDeepModel: magic 0x4348534C, expected 0x43485744");
    assertThat(read.steps()).isEqualTo(5);
    assertThat(read.examplesSeen()).isEqualTo(160);
    WideDeepModel copy = model.copy();
    WideDeepBatch next = batch(spec, new Random(2), labels);
    double loss = model.trainMinibatch(next, labels, null);
    assertThat(read.trainMinibatch(next, labels, null)).isEqualTo(loss);
    assertThat(copy.trainMinibatch(next, labels, null)).isEqualTo(loss);
    assertThat(read.toBytes()).isEqualTo(model.toBytes()).isEqualTo(copy.toBytes()).isNotEqualTo(saved);
    float[] p = new float[2];
    float[] q = new float[2];
    Map<String, Object> probe = Map.of("a", "a3", "b", "b4", "x", 0.5f);
    model.predictProba(probe, p);
    read.predictProba(probe, q);
    assertThat(q).containsExactly(p);
  }

  @Test
  void aMinibatchThatWouldOverflowLeavesTheModelAsItWas() {
    ModelSpec spec = ModelSpec.parse(SPEC);
    WideDeepModel model = WideDeepModel.create(spec);
    int[] labels = new int[32];
    model.trainMinibatch(batch(spec, new Random(1), labels), labels, null);
    byte[] before = model.toBytes();
    WideDeepBatch huge = new WideDeepBatch(spec);
    huge.add(Map.of("a", "a1", "b", "b1", "x", 3e38f));
    assertThatThrownBy(() -> model.trainMinibatch(huge, new int[] {1}, null))
        .isInstanceOf(NonFiniteUpdateException.class).hasMessageContaining("minibatch of 1 rejected before step 2");
    assertThat(model.toBytes()).isEqualTo(before);
  }

  /**
   * A minibatch the wide part stepped and a table then refused (its step would overflow) leaves the wide part's written
   * rows, which the rows state and the size estimate go through, as they were: none, here.
   */
  @Test
  void aMinibatchATableRefusesAfterTheWideStepLeavesTheWideRowsUnwritten() {
    ModelSpec spec = ModelSpec.parse(SPEC.replace("\"learningRate\":0.1}", "\"learningRate\":1e39}"));
    WideDeepModel model = WideDeepModel.create(spec);
    byte[] before = model.toBytes();
    int[] labels = new int[32];
    assertThatThrownBy(() -> model.trainMinibatch(batch(spec, new Random(1), labels), labels, null))
        .isInstanceOf(NonFiniteUpdateException.class).hasMessageContaining("of embedding 'a'");
    assertThat(model.wide().nextWrittenRow(0)).as("a wide row written").isEqualTo(-1);
    assertThat(model.toBytes()).isEqualTo(before);
  }

  /** What the joint step relies on when a later part refuses the minibatch: the wide part's last step undone. */
  @Test
  void theWidePartsLastStepCanBeUndoneExactly() {
    ModelSpec spec = ModelSpec.parse(SPEC);
    SparseLinearModel wide = SparseLinearModel.create(WideDeepModel.wideSpec(spec));
    int[] labels = new int[32];
    wide.trainMinibatch(batch(spec, new Random(1), labels).wide(), labels, null);
    byte[] before = wide.toBytes();
    wide.trainMinibatch(batch(spec, new Random(2), labels).wide(), labels, null);
    assertThat(wide.toBytes()).isNotEqualTo(before);
    wide.undoStep();
    assertThat(wide.toBytes()).isEqualTo(before);
    assertThat(wide.steps()).isEqualTo(1);
    assertThat(wide.examplesSeen()).isEqualTo(32);
    assertThatThrownBy(wide::undoStep).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void fieldsOfTheWrongKindAreRefusedNamingTheField() {
    WideDeepBatch batch = new WideDeepBatch(ModelSpec.parse(SPEC));
    assertThatThrownBy(() -> batch.add(Map.of("a", 5, "b", "b1")))
        .isInstanceOf(RejectedFieldException.class)
        .hasMessage("field 'fields.a': expected a string or a list of strings (an embedding field), got 5");
    assertThatThrownBy(() -> batch.add(Map.of("a", "a1", "x", "tall")))
        .isInstanceOf(RejectedFieldException.class)
        .hasMessage("field 'fields.x': expected a number (a numeric field of the embeddings), got tall");
    assertThatThrownBy(() -> batch.add(Map.of("a", List.of("a1", 2))))
        .hasMessage("field 'fields.a': expected a list of strings, got an element 2");
    assertThat(batch.rows()).isZero();
    batch.add(Map.of("a", List.of("a1", "a1", "a2")));
    assertThat(batch.ids(0).rowStart(1)).isEqualTo(2);
    assertThat(batch.ids(1).rowStart(1)).isZero();
  }

  /** The jobs read saved models through one reader: a wide and deep model is one of them, as a Predictor. */
  @Test
  void savedModelsReadsAWideAndDeepModel() {
    ModelSpec spec = ModelSpec.parse(SPEC);
    WideDeepModel model = WideDeepModel.create(spec);
    int[] labels = new int[32];
    model.trainMinibatch(batch(spec, new Random(3), labels), labels, null);
    Predictor read = dev.chorus.core.saved.SavedModels.read(model.toBytes());
    assertThat(read).isInstanceOf(WideDeepModel.class);
    assertThat(read.toBytes()).isEqualTo(model.toBytes());
    assertThat(read.outputDim()).isEqualTo(2);
    assertThat(read.inputDim()).isEqualTo(4096);
    assertThat(read.steps()).isEqualTo(1);
    assertThatThrownBy(() -> read.predictProba(new float[4096], 0, new float[2]))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessage("predictProba: a wide-deep model predicts named fields (predictProba(Map, float[])), not a vector");
  }

  /** A batch rebuilt from another's rows (a restored checkpoint's) holds the same rows and trains alike. */
  @Test
  void aBatchRebuiltRowByRowTrainsExactlyAsTheOriginal() {
    ModelSpec spec = ModelSpec.parse(SPEC);
    int[] labels = new int[32];
    WideDeepBatch original = batch(spec, new Random(4), labels);
    WideDeepBatch rebuilt = new WideDeepBatch(spec);
    for (int r = 0; r < original.rows(); r++) {
      if (r % 2 == 0) {
        rebuilt.addRow(original, r);
      } else {
        dev.chorus.core.features.SparseVector[] ids = {row(original.ids(0), r), row(original.ids(1), r)};
        rebuilt.add(row(original.wide(), r), ids, java.util.Arrays.copyOfRange(original.numeric(), r, r + 1));
      }
    }
    WideDeepModel a = WideDeepModel.create(spec);
    WideDeepModel b = WideDeepModel.create(spec);
    assertThat(b.trainMinibatch(rebuilt, labels, null)).isEqualTo(a.trainMinibatch(original, labels, null));
    assertThat(b.toBytes()).isEqualTo(a.toBytes());
    var wrong = new dev.chorus.core.features.SparseVector(new int[] {5000}, new float[] {1});
    assertThatThrownBy(() -> rebuilt.add(wrong, new dev.chorus.core.features.SparseVector[2], new float[1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("WideDeepBatch row 32: wide part: expected strictly increasing indices in [0, 4096), got [5000] with 1 values");
    assertThat(rebuilt.rows()).isEqualTo(32);
  }

  private static dev.chorus.core.features.SparseVector row(dev.chorus.core.tensor.SparseBatch rows, int r) {
    int from = rows.rowStart(r);
    int to = rows.rowStart(r + 1);
    return new dev.chorus.core.features.SparseVector(java.util.Arrays.copyOfRange(rows.indices(), from, to),
        java.util.Arrays.copyOfRange(rows.values(), from, to));
  }
}
