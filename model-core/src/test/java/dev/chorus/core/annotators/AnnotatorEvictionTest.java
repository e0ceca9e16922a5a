package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NonFiniteUpdateException;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Annotator slots are not first come, first kept: when every slot is taken, a new annotator takes the slot of the
 * least recently seen annotator with fewer than {@code protectedLabels} labels, so invented identifiers cannot lock
 * out real annotators.
 */
class AnnotatorEvictionTest {

  private static final int DIM = 4;
  private static final int K = 3;
  private static final GaussianBlobs DATA = GaussianBlobs.generate(4000, DIM, K, 11);

  static java.util.List<String> methods() {
    return LabelModels.NAMES;
  }

  private static ModelSpec spec() {
    return spec("tanh");
  }

  /** With relu units, finite features as large as Float.MAX_VALUE overflow the network: a rejected minibatch. */
  private static ModelSpec spec(String activation) {
    return ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":" + DIM + ",\"numClasses\":" + K
        + ",\"layers\":[{\"units\":5,\"activation\":\"" + activation + "\"}],\"batchSize\":16,\"clipNorm\":5,\"standardize\":false,"
        + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.01},\"seed\":3}");
  }

  /** {@code n} labels from {@code annotator(e)} on items {@code firstItem + e}, true labels of DATA rows. */
  private static void train(LabelModel model, int firstRow, int n, long firstItem,
      java.util.function.IntFunction<String> annotator) {
    float[] x = Arrays.copyOfRange(DATA.x(), firstRow * DIM, (firstRow + n) * DIM);
    long[] items = new long[n];
    String[] annotators = new String[n];
    int[] labels = new int[n];
    for (int e = 0; e < n; e++) {
      items[e] = firstItem + e;
      annotators[e] = annotator.apply(e);
      labels[e] = DATA.labels()[firstRow + e];
    }
    model.train(x, items, annotators, labels, n);
  }

  /** 256 invented ids, one label each on items 0..255, fill every slot of the default 256. */
  private static LabelModel fullOfFakes(LabelModelSpec config) {
    return fullOfFakes(LabelModels.create(spec(), config));
  }

  private static LabelModel fullOfFakes(LabelModel model) {
    for (int b = 0; b < 16; b++) {
      int first = b * 16;
      train(model, first, 16, first, e -> "fake-" + (first + e));
    }
    return model;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("methods")
  void inventedAnnotatorsDoNotLockOutARealOne(String method) {
    LabelModel model = fullOfFakes(LabelModelSpec.withMaxAnnotators(method, 256));
    assertThat(model.annotatorCount()).isEqualTo(256);

    // The real annotator labels the fakes' items 0..159 again.
    for (int b = 0; b < 10; b++) {
      train(model, 256 + b * 16, 16, b * 16, e -> "real");
    }
    assertThat(model.knowsAnnotator("real")).isTrue();
    assertThat(model.labelsSeen("real")).isEqualTo(160);
    assertThat(model.annotator("real").confusion()).as("its confusion learned from its labels")
        .isNotEqualTo(model.annotator("nobody").confusion());
    assertThat(model.knowsAnnotator("fake-0")).as("the least recently seen fake was evicted").isFalse();
    assertThat(model.knowsAnnotator("fake-1")).isTrue();
    assertThat(model.annotatorCount()).isEqualTo(256);
    assertThat(model.annotatorEvictions()).isEqualTo(1);
    assertThat(model.annotatorIds().get(0)).as("the real one took the evicted fake's slot").isEqualTo("real");

    ItemLabelHistory history = model.history();
    if (history != null) {
      int[] slots = new int[history.maxLabelsPerItem()];
      int[] labels = new int[history.maxLabelsPerItem()];
      assertThat(history.labels(0, slots, labels)).as("item 0 keeps only the real label, not fake-0's").isEqualTo(1);
      assertThat(slots[0]).isZero();
      assertThat(labels[0]).isEqualTo(DATA.labels()[256]);
      assertThat(history.labels(1, slots, labels)).as("item 1 keeps fake-1's label and the real one").isEqualTo(2);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("methods")
  void evictedSlotsStartAfreshAndTheRealAnnotatorIsNeverEvicted(String method) {
    LabelModel model = fullOfFakes(LabelModelSpec.withMaxAnnotators(method, 256));
    for (int b = 0; b < 4; b++) {
      train(model, 256 + b * 16, 16, 1000 + b * 16, e -> "real");
    }
    // A second wave of 300 invented ids, one per label: each evicts the least recently seen fake, never "real".
    for (int b = 0; b < 20; b++) {
      int first = b * 15;
      train(model, 400 + first, 15, 2000 + first, e -> "wave-" + (first + e));
    }
    assertThat(model.knowsAnnotator("real")).isTrue();
    assertThat(model.labelsSeen("real")).isEqualTo(64);
    assertThat(model.annotatorEvictions()).isEqualTo(1 + 300);
    assertThat(model.annotatorCount()).isEqualTo(256);
    assertThat(model.knowsAnnotator("wave-299")).isTrue();
    assertThat(model.knowsAnnotator("wave-44")).as("evicted in turn by the wave's later ids").isFalse();
    AnnotatorModel fresh = model.annotator("wave-299");
    assertThat(fresh.labelsSeen()).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("methods")
  void annotatorsWithProtectedLabelsAreNeverEvicted(String method) throws Exception {
    LabelModel model = LabelModels.create(spec(), new LabelModelSpec(method, 2, 64, 1000, 4, 3));
    train(model, 0, 6, 0, e -> e % 2 == 0 ? "a" : "b");
    byte[] before = model.toBytes();
    assertThat(model.firstRefusedAnnotator(new String[] {"z"}, 1)).isEqualTo("z");
    assertThatThrownBy(() -> train(model, 6, 1, 6, e -> "z"))
        .isInstanceOf(AnnotatorLimitException.class)
        .hasMessage("annotator \"z\" is new but all 2 slots of the label model are held by annotators with at least "
            + "protectedLabels=3 labels or by the same minibatch");
    assertThat(model.toBytes()).as("unchanged by the refused minibatch").isEqualTo(before);
    assertThat(model.annotatorIds()).containsExactly("a", "b");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("methods")
  void annotatorsOfTheSameMinibatchAreNotEvicted(String method) {
    LabelModel model = LabelModels.create(spec(), new LabelModelSpec(method, 2, 64, 1000, 4, 3));
    train(model, 0, 2, 0, e -> e == 0 ? "a" : "b");
    assertThat(model.firstRefusedAnnotator(new String[] {"a", "c"}, 2)).as("b may go").isNull();
    assertThat(model.firstRefusedAnnotator(new String[] {"a", "c", "d"}, 3)).isEqualTo("d");
    train(model, 2, 2, 2, e -> e == 0 ? "c" : "a");
    assertThat(model.annotatorIds()).containsExactly("a", "c");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("methods")
  void evictionsReplayExactlyAfterARestore(String method) {
    LabelModelSpec config = new LabelModelSpec(method, 8, 64, 1000, 4, 5);
    LabelModel model = LabelModels.create(spec(), config);
    LabelModel restored = null;
    for (int b = 0; b < 30; b++) {
      int first = b * 8;
      java.util.function.IntFunction<String> who = e -> (first + e) % 3 == 0 ? "steady" : "drifter-" + (first + e) % 11;
      train(model, first, 8, first % 40, who);
      if (restored != null) {
        train(restored, first, 8, first % 40, who);
      }
      if (b == 14) {
        restored = LabelModels.fromBytes(model.toBytes());
      }
    }
    assertThat(model.annotatorEvictions()).as("the drifters churn the slots").isGreaterThan(20);
    assertThat(restored.toBytes()).isEqualTo(model.toBytes());
    assertThat(model.copy().toBytes()).isEqualTo(model.toBytes());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("methods")
  void aRejectedMinibatchUndoesItsEvictions(String method) {
    LabelModelSpec config = LabelModelSpec.withMaxAnnotators(method, 256);
    LabelModel model = fullOfFakes(LabelModels.create(spec("relu"), config));
    LabelModel reference = fullOfFakes(LabelModels.create(spec("relu"), config));
    byte[] before = model.toBytes();
    float[] x = Arrays.copyOfRange(DATA.x(), 300 * DIM, 316 * DIM);
    Arrays.fill(x, 4 * DIM, 5 * DIM, Float.MAX_VALUE);
    Arrays.fill(x, 9 * DIM, 10 * DIM, Float.MAX_VALUE);
    long[] items = new long[16];
    String[] annotators = new String[16];
    int[] labels = new int[16];
    for (int e = 0; e < 16; e++) {
      items[e] = e;
      annotators[e] = "new-" + e;
      labels[e] = DATA.labels()[300 + e];
    }
    assertThatThrownBy(() -> model.train(x, items, annotators, labels, 16))
        .isInstanceOf(NonFiniteUpdateException.class);
    assertThat(model.toBytes()).as("the evictions and resets are undone").isEqualTo(before);
    assertThat(model.knowsAnnotator("fake-0")).isTrue();
    train(model, 320, 16, 0, e -> "new-" + e);
    train(reference, 320, 16, 0, e -> "new-" + e);
    assertThat(model.toBytes()).isEqualTo(reference.toBytes());
  }
}
