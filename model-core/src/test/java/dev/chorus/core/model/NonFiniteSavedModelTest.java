package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.annotators.ClassifierLabelModel;
import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.saved.ModelWarmStart;
import dev.chorus.core.saved.SavedModels;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Saved bytes holding a NaN or an infinity where predictions read (a forged or corrupted record on the models topic,
 * a model file from a foreign writer) are refused when read, naming the number, rather than served as models whose
 * every prediction is NaN; a learner's own bytes still read.
 */
class NonFiniteSavedModelTest {

  static final String SOFTMAX = "{\"algorithm\":\"softmax-regression\",\"inputDim\":3,\"numClasses\":2,\"seed\":1}";
  static final String AVERAGED_MLP = "{\"algorithm\":\"mlp\",\"inputDim\":3,\"numClasses\":2,"
      + "\"layers\":[{\"units\":4,\"activation\":\"tanh\"}],\"averaging\":{\"decay\":0.9},\"seed\":1}";
  static final String HASHED = "{\"algorithm\":\"softmax-regression\",\"numClasses\":3,\"hashing\":{\"bits\":4},"
      + "\"standardize\":false,\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.1}}";
  static final String DAWID_SKENE = "{\"algorithm\":\"softmax-regression\",\"inputDim\":3,\"numClasses\":2,"
      + "\"labelModel\":{\"method\":\"dawid-skene\",\"maxAnnotators\":4}}";

  private static OnlineLearner poisoned(String spec, Consumer<OnlineLearner> poison) {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(spec));
    assertThat(SavedModels.read(learner.toBytes()).firstNonFinite()).as("a learner's own bytes read").isNull();
    poison.accept(learner);
    return learner;
  }

  @Test
  void aDenseModelWithANaNWeightIsRefusedNamingIt() {
    OnlineLearner learner = poisoned(SOFTMAX,
        l -> l.model().network().parameters().get(0).value().data()[5] = Float.NaN);
    String name = learner.model().network().parameters().get(0).name();
    assertThatThrownBy(() -> SavedModels.read(learner.toBytes()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected finite weights and statistics, got a model whose parameter '" + name
            + "' is NaN at index 5");
  }

  @Test
  void anAveragedWeightThatIsInfiniteIsRefusedToo() {
    OnlineLearner learner = poisoned(AVERAGED_MLP,
        l -> l.servingModel().network().parameters().get(0).value().data()[0] = Float.POSITIVE_INFINITY);
    assertThat(learner.servingModel()).isNotSameAs(learner.model());
    assertThatThrownBy(() -> SavedModels.read(learner.toBytes()))
        .hasMessageStartingWith("expected finite weights and statistics, got a model whose averaged parameter '")
        .hasMessageEndingWith("' is Infinity at index 0");
  }

  @Test
  void aHashedModelWithANaNRowIsRefused() {
    SparseLinearModel model = SparseLinearModel.create(ModelSpec.parse(HASHED));
    float[] row = model.copyRows(7, 1);
    row[1] = Float.NaN;
    model.putRows(7, row);
    assertThatThrownBy(() -> SavedModels.read(model.toBytes()))
        .hasMessage("expected finite weights and statistics, got a model whose weight (row-major, 3 per row, the "
            + "biases last) is NaN at index 22");

    // Every row written: the check reads the whole table in one pass rather than row by row; the same answer.
    SparseLinearModel full = SparseLinearModel.create(ModelSpec.parse(HASHED));
    float[] rows = full.copyRows(0, full.rows());
    full.putRows(0, rows);
    float[] row9 = full.copyRows(9, 1);
    row9[2] = Float.NEGATIVE_INFINITY;
    full.putRows(9, row9);
    assertThatThrownBy(() -> SavedModels.read(full.toBytes()))
        .hasMessage("expected finite weights and statistics, got a model whose weight (row-major, 3 per row, the "
            + "biases last) is -Infinity at index 29");
  }

  @Test
  void aLargeOutputModelWithANaNEmbeddingIsRefused() {
    LargeOutputModel model = LargeOutputModel.create(ModelSpec.parse(LargeOutputModelTest.spec(50,
        LargeOutputModelTest.SAMPLED)));
    float[] row = model.rowsApart().copyRows(3, 1);
    row[0] = 1; // seen; then the last step in three parts, the weights, the accumulators
    row[4] = Float.NaN;
    model.rowsApart().putRows(3, row);
    assertThatThrownBy(() -> SavedModels.read(model.toBytes()))
        .hasMessageStartingWith("expected finite weights and statistics, got a model whose embedding table '")
        .hasMessageContaining("weight is NaN at index ");
  }

  @Test
  void aLabelModelWithANaNConfusionOrClassifierWeightIsRefused() {
    LabelModel confused = LabelModels.create(ModelSpec.parse(DAWID_SKENE));
    assertThat(SavedModels.read(confused.toBytes()).firstNonFinite()).isNull();
    ((ClassifierLabelModel) confused).estimates().confusions()[2] = Double.NaN;
    assertThatThrownBy(() -> SavedModels.read(confused.toBytes()))
        .hasMessage("expected finite weights and statistics, got a model whose annotator confusions is NaN at "
            + "index 2");

    ClassifierLabelModel classifier = (ClassifierLabelModel) LabelModels.create(ModelSpec.parse(DAWID_SKENE));
    classifier.learner().network().parameters().get(0).value().data()[1] = Float.NEGATIVE_INFINITY;
    assertThatThrownBy(() -> SavedModels.read(classifier.toBytes()))
        .hasMessageStartingWith("expected finite weights and statistics, got a model whose classifier parameter '")
        .hasMessageEndingWith("' is -Infinity at index 1");
  }

  /**
   * A minibatch whose squared deviations overflow float leaves a batch-norm running variance of +Infinity, and the
   * step is accepted (the column then outputs its β). Before, the readers refused every later snapshot of such a
   * model ({@code SavedModels.read}, the serve job's loader, and warm starts) while training went on.
   */
  @Test
  void anMlpRunningVarianceThatOverflowedInTrainingStillReadsAndWarmStarts() {
    OnlineLearner mlp = OnlineLearner.create(ModelSpec.parse("""
        {"algorithm":"mlp","inputDim":2,"numClasses":2,"batchSize":4,"standardize":false,"seed":3,
         "layers":[{"units":4,"batchNorm":true}]}"""));
    mlp.trainMinibatch(new float[] {1e30f, -1e30f, -1e30f, 1e30f, 2e30f, 0, 0, -2e30f}, new int[] {0, 1, 0, 1},
        null, 4);
    assertThat(mlp.steps()).as("the step is accepted").isEqualTo(1);
    assertThat(mlp.model().network().runningStatistics().get(1)).contains(Float.POSITIVE_INFINITY);
    assertThat(mlp.firstNonFinite()).isNull();
    float[] x = {0.5f, -1.5f, 3, 0.25f};
    float[] expected = new float[4];
    mlp.predictProbaBatch(x, 2, expected);

    Predictor read = SavedModels.read(mlp.toBytes());
    float[] p = new float[4];
    read.predictProbaBatch(x, 2, p);
    assertThat(p).containsExactly(expected);
    OnlineLearner started = LearnerWarmStart.start(mlp.spec(), mlp.toBytes(), true);
    started.predictProbaBatch(x, 2, p);
    assertThat(p).containsExactly(expected);
    ModelWarmStart.start(mlp.spec(), mlp.toBytes(), false).predictProbaBatch(x, 2, p);
    assertThat(p).containsExactly(expected);
  }

  /** As above, for a wide and deep model whose hidden layer normalises: its numeric field at ±1e30 overflows. */
  @Test
  void aWideDeepRunningVarianceThatOverflowedInTrainingStillReadsAndWarmStarts() {
    ModelSpec wideDeepSpec = ModelSpec.parse(WideDeepModelTest.SPEC
        .replace("\"init\":\"he-normal\"", "\"init\":\"he-normal\",\"batchNorm\":true"));
    WideDeepModel wideDeep = WideDeepModel.create(wideDeepSpec);
    WideDeepBatch batch = new WideDeepBatch(wideDeepSpec);
    float[] xs = {1e30f, -1e30f, -1e30f, 1e30f};
    for (int r = 0; r < xs.length; r++) {
      batch.add(Map.of("a", "a" + r, "b", "b" + r, "x", xs[r]));
    }
    wideDeep.trainMinibatch(batch, new int[] {0, 1, 0, 1}, null);
    assertThat(wideDeep.steps()).as("the step is accepted").isEqualTo(1);
    assertThat(java.util.HexFormat.of().formatHex(wideDeep.toBytes())).as("a float +Infinity in the saved state")
        .contains("7f800000");
    assertThat(wideDeep.firstNonFinite()).isNull();
    Map<String, Object> example = Map.of("a", "a1", "b", "b7", "x", 0.5f);
    float[] wideDeepExpected = new float[2];
    wideDeep.predictProba(example, wideDeepExpected);

    float[] q = new float[2];
    ((WideDeepModel) SavedModels.read(wideDeep.toBytes())).predictProba(example, q);
    assertThat(q).containsExactly(wideDeepExpected);
    ((WideDeepModel) ModelWarmStart.start(wideDeepSpec, wideDeep.toBytes(), true)).predictProba(example, q);
    assertThat(q).containsExactly(wideDeepExpected);
  }

  /** What no training leaves in a batch-norm layer (a NaN, negative or −∞ variance, a non-finite mean) is refused. */
  @Test
  void aRunningStatisticNoTrainingLeavesIsRefused() {
    String spec = """
        {"algorithm":"mlp","inputDim":2,"numClasses":2,"batchSize":4,"standardize":false,"seed":3,
         "layers":[{"units":4,"batchNorm":true}]}""";
    float[][] bad = {{Float.NaN, -1f, Float.NEGATIVE_INFINITY}, {Float.NaN, Float.POSITIVE_INFINITY}};
    String[] what = {"variance", "mean"};
    for (int s = 0; s < 2; s++) {
      for (float value : bad[s]) {
        OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(spec));
        learner.model().network().runningStatistics().get(1 - s)[2] = value;
        assertThat(learner.firstNonFinite()).as("%s %s", what[s], value)
            .isEqualTo("batch-norm running " + what[s] + " of 'hidden0.batchNorm.gamma' is " + value
                + " at index 2 (expected " + (s == 0 ? "a number >= 0" : "a finite number") + ")");
      }
    }
  }

  @Test
  void aWarmStartFromAModelWithANaNWeightIsRefused() {
    OnlineLearner learner = poisoned(SOFTMAX,
        l -> l.model().network().parameters().get(0).value().data()[0] = Float.NaN);
    ModelSpec spec = ModelSpec.parse(SOFTMAX);
    assertThatThrownBy(() -> LearnerWarmStart.start(spec, learner.toBytes(), true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("expected a saved OnlineLearner (a Chorus model file or a snapshot's parameters), got ")
        .hasMessageContaining("bytes that do not read: expected finite weights and statistics, got a model whose "
            + "parameter '");
    assertThatThrownBy(() -> ModelWarmStart.start(spec, learner.toBytes(), true))
        .hasMessageContaining("expected finite weights and statistics");
  }
}
