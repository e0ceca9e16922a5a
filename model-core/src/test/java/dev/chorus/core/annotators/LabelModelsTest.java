package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.core.testing.GaussianBlobs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LabelModelsTest {

  private static final int K = 4;
  private static final int DIM = 8;

  @Test
  void checkRefusesALabelModelThatDoesNotFitTheClassifierNamingTheKey() {
    assertThatThrownBy(() -> LabelModels.check(ModelSpec.parse("{\"algorithm\":\"linear-regression\",\"inputDim\":4,"
        + "\"labelModel\":\"dawid-skene\"}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("ModelSpec key 'labelModel': a label model needs a classifier whose loss takes soft "
            + "targets");
    assertThatThrownBy(() -> LabelModels.check(ModelSpec.parse("{\"algorithm\":\"linear-svm\",\"inputDim\":4,"
        + "\"numClasses\":3,\"labelModel\":\"soft\"}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("multiclass-hinge");
    assertThatThrownBy(() -> LabelModels.check(ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":4,"
        + "\"numClasses\":3,\"layers\":[{\"units\":8,\"dropout\":0.5}],\"labelModel\":\"doctor-net\"}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ModelSpec key 'labelModel': a doctor net body takes dense layers with activations only; "
            + "hidden layer 0 has batchNorm=false, dropout=0.5");
    ModelSpec fits = ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":4,\"numClasses\":3,"
        + "\"layers\":[{\"units\":8,\"dropout\":0.5}],\"labelModel\":\"dawid-skene\"}");
    assertThat(LabelModels.check(fits)).isSameAs(fits);
  }

  @Test
  void everyMethodASpecMayNameIsBuiltByItsOwnClass() {
    assertThat(LabelModels.NAMES).containsExactly(NaiveLabelModel.NAME, MajorityLabelModel.NAME, SoftLabelModel.NAME,
        DawidSkeneLabelModel.NAME, DoctorNetLabelModel.NAME, WeightedDoctorNetLabelModel.NAME,
        WeightedDoctorNetPaperLabelModel.NAME);
  }

  static List<String> names() {
    return LabelModels.NAMES;
  }

  @Test
  void eStepMultipliesPriorAndConfusionsByHand() {
    double[] confusions = {0.8, 0.2, 0.3, 0.7, 0.9, 0.1, 0.4, 0.6};
    float[] posterior = new float[2];
    DawidSkeneLabelModel.eStep(new float[] {0.6f, 0.4f}, confusions, 2, new int[] {0, 1}, new int[] {0, 1}, 2,
        posterior);
    // class 0: 0.6 · 0.8 · 0.1 = 0.048; class 1: 0.4 · 0.3 · 0.6 = 0.072.
    assertThat(posterior[0]).isCloseTo(0.4f, within(1e-6f));
    assertThat(posterior[1]).isCloseTo(0.6f, within(1e-6f));
  }

  @Test
  void mStepMovesRowsByTheirDecayingStepByHand() {
    double[] confusion = {0.7, 0.3, 0.3, 0.7};
    double[] mass = new double[2];
    ConfusionEstimates.mStep(confusion, 0, mass, 0, 2, 0, new float[] {0.8f, 0.2f}, 2, 0);
    // Row 0: step 0.8 / (0.8 + 2) = 2/7; row 1: step 0.2 / (0.2 + 2) = 1/11.
    assertThat(confusion[0]).isCloseTo(0.7 + 0.3 * 2 / 7.0, within(1e-7));
    assertThat(confusion[1]).isCloseTo(0.3 - 0.3 * 2 / 7.0, within(1e-7));
    assertThat(confusion[2]).isCloseTo(0.3 + 0.7 / 11.0, within(1e-7));
    assertThat(confusion[3]).isCloseTo(0.7 - 0.7 / 11.0, within(1e-7));
    assertThat(mass).containsExactly(new double[] {0.8, 0.2}, within(1e-7));
  }

  @Test
  void rejectsAFormatNewerThanItReads() {
    byte[] saved = LabelModels.create(spec(), LabelModelSpec.withMaxAnnotators(NaiveLabelModel.NAME, 2)).toBytes();
    saved[7] = (byte) (LabelModels.FORMAT_VERSION + 1);
    assertThatThrownBy(() -> LabelModels.fromBytes(saved)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("label model: expected format 1.." + LabelModels.FORMAT_VERSION + ", stream has "
            + (LabelModels.FORMAT_VERSION + 1));
  }

  @Test
  void majorityAndSoftTargetsByHand() {
    assertThat(MajorityLabelModel.mode(new int[] {0, 2, 2}, 3, 3)).isEqualTo(2);
    assertThat(MajorityLabelModel.mode(new int[] {2, 1, 2, 1}, 4, 3)).isEqualTo(1);
    assertThat(MajorityLabelModel.mode(new int[] {1, 2, 2, 1}, 4, 3)).isEqualTo(1);
    float[] target = new float[3];
    SoftLabelModel.distribution(new int[] {0, 2, 2}, 3, target);
    assertThat(target).containsExactly(new float[] {1 / 3f, 0f, 2 / 3f}, within(1e-6f));
    SoftLabelModel.distribution(new int[] {1, 1, 1}, 3, target);
    assertThat(target).containsExactly(0f, 1f, 0f);
  }

  @Test
  void majorityTrainsOnTheModeOfTheItemsLabelsSoFar() {
    MajorityLabelModel model =
        new MajorityLabelModel(spec(), LabelModelSpec.withMaxAnnotators(MajorityLabelModel.NAME, 5));
    float[] x = new float[3 * DIM];
    model.train(x, new long[] {7, 7, 7}, new String[] {"a", "b", "c"}, new int[] {1, 2, 2}, 3);
    int[] slots = new int[16];
    int[] labels = new int[16];
    assertThat(model.history().labels(7, slots, labels)).isEqualTo(3);
    assertThat(MajorityLabelModel.mode(labels, 3, K)).isEqualTo(2);
    assertThat(model.annotator("b").labelsSeen()).isEqualTo(1);
  }

  @Test
  void dawidSkeneRecoversConfusionsAndRanksExpertsAboveSpammers() {
    List<SimulatedAnnotator> people = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      people.add(new SimulatedAnnotator("expert-" + i, "expert", AnnotatorPool.uniformErrors(K, 0.9 - 0.05 * i)));
    }
    people.add(new SimulatedAnnotator("spammer-0", "spammer", AnnotatorPool.uniformErrors(K, 1.0 / K)));
    people.add(new SimulatedAnnotator("spammer-1", "spammer", AnnotatorPool.uniformErrors(K, 1.0 / K)));
    double[][] flip = AnnotatorPool.uniformErrors(K, 0.8);
    flip[0] = new double[] {0.5, 0.5, 0, 0};
    people.add(new SimulatedAnnotator("confuser", "pair-confuser", flip));
    AnnotatorPool pool = new AnnotatorPool(people);
    GaussianBlobs data = GaussianBlobs.generate(16000, DIM, K, 11);
    LabelStream stream = pool.label(data.labels(), new int[] {3, 5}, 12);
    LabelModel model = LabelModels.create(spec(), LabelModelSpec.withMaxAnnotators(DawidSkeneLabelModel.NAME, 10));
    train(model, data, pool, stream, 1);

    double error = 0;
    for (SimulatedAnnotator a : pool.annotators()) {
      error += frobenius(model.annotator(a.id()).confusion(), a.confusion()) / K;
    }
    assertThat(error / pool.size()).isLessThan(0.05);
    double worstExpert = Double.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      worstExpert = Math.min(worstExpert, model.annotator("expert-" + i).reliability());
    }
    assertThat(worstExpert).isGreaterThan(model.annotator("spammer-0").reliability())
        .isGreaterThan(model.annotator("spammer-1").reliability());
    // One pass over 16,000 items: a second pass over the same labels teaches the confusions nothing (a label the item
    // already has is not counted again; until session 29 it was, and 4,000 items read twice passed). The
    // stepwise M-step against the posteriors estimates about 0.85 for a true 0.9: a label that is its item's only one
    // so far is credited half against the classifier's prediction, whose own errors pull the estimate down (the price
    // of not confirming a lone label's confusion with itself), and that prediction comes from the classifier's
    // average, which lags the live weights while they still move fast.
    assertThat(model.annotator("expert-0").reliability()).isCloseTo(0.9, within(0.1));
    LabelModel naive = LabelModels.create(spec(), LabelModelSpec.withMaxAnnotators(NaiveLabelModel.NAME, 10));
    train(naive, data, pool, stream, 1);
    assertThat(accuracy(model, data)).isGreaterThan(accuracy(naive, data));
  }

  @ParameterizedTest
  @MethodSource("names")
  void stateRoundTripsExactlyAndCopiesAreIndependent(String name) throws IOException {
    AnnotatorPool pool = new AnnotatorPool(smallPool());
    GaussianBlobs data = GaussianBlobs.generate(300, DIM, K, 3);
    LabelStream stream = pool.label(data.labels(), 4);
    LabelModel model = LabelModels.create(spec(), LabelModelSpec.withMaxAnnotators(name, 10));
    train(model, data, pool, stream, 1);
    byte[] bytes = bytes(model);
    LabelModel restored = LabelModels.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
    LabelModel copy = model.copy();
    assertThat(restored.name()).isEqualTo(name);
    assertThat(bytes(restored)).isEqualTo(bytes);
    assertThat(bytes(copy)).isEqualTo(bytes);
    train(model, data, pool, stream, 1);
    train(restored, data, pool, stream, 1);
    assertThat(bytes(restored)).isEqualTo(bytes(model));
    assertThat(bytes(copy)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @MethodSource("names")
  void unseenAnnotatorGetsTheIdentityLeaningPrior(String name) {
    LabelModel model = LabelModels.create(spec(), LabelModelSpec.withMaxAnnotators(name, 3));
    AnnotatorModel prior = model.annotator("nobody");
    assertThat(prior.labelsSeen()).isZero();
    double diagonal = name.equals(WeightedDoctorNetLabelModel.NAME) ? WeightedDoctorNetLabelModel.PRIOR_DIAGONAL
        : ConfusionEstimates.DEFAULT_PRIOR_DIAGONAL;
    assertThat(prior.confusion()[1][1]).isEqualTo(diagonal);
    assertThat(prior.confusion()[1][0]).isCloseTo((1 - diagonal) / 3, within(1e-12));
    assertThat(prior.reliability()).isCloseTo(diagonal, within(1e-12));
    assertThat(model.annotatorIds()).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("names")
  void annotatorsPastTheBoundAreRejectedWithoutChangingState(String name) throws IOException {
    LabelModel model = LabelModels.create(spec(), LabelModelSpec.withMaxAnnotators(name, 2));
    float[] x = new float[3 * DIM];
    model.train(x, new long[] {1, 2}, new String[] {"a", "b"}, new int[] {0, 1}, 2);
    byte[] before = bytes(model);
    assertThatThrownBy(() -> model.train(x, new long[] {3, 4, 5}, new String[] {"a", "c", "b"},
        new int[] {0, 1, 2}, 3))
        .isInstanceOf(AnnotatorLimitException.class)
        .hasMessageContaining("\"c\"").hasMessageContaining("all 2 slots");
    assertThat(bytes(model)).isEqualTo(before);
  }

  @ParameterizedTest
  @MethodSource("names")
  void countsStepsAndLabelsAndReadsBackAsAPredictor(String name) {
    AnnotatorPool pool = new AnnotatorPool(smallPool());
    GaussianBlobs data = GaussianBlobs.generate(100, DIM, K, 3);
    LabelStream stream = pool.label(data.labels(), 2);
    LabelModel model = LabelModels.create(spec().withLabelModel(LabelModelSpec.withMaxAnnotators(name, 10)));
    assertThat(model.name()).isEqualTo(name);
    assertThat(model.steps()).isZero();
    assertThat(model.knowsAnnotator("good")).isFalse();
    train(model, data, pool, stream, 1);
    assertThat(model.steps()).isEqualTo((stream.size() + 31) / 32);
    assertThat(model.examplesSeen()).isEqualTo(stream.size());
    assertThat(model.annotatorCount()).isEqualTo(3);
    assertThat(model.knowsAnnotator("good")).isTrue();
    long labels = 0;
    for (String id : model.annotatorIds()) {
      labels += model.annotator(id).labelsSeen();
      assertThat(model.labelsSeen(id)).isEqualTo(model.annotator(id).labelsSeen());
    }
    assertThat(labels).isEqualTo(stream.size());
    assertThat(model.labelsSeen("nobody")).isZero();

    byte[] bytes = model.toBytes();
    byte[] snapshot = model.toSnapshotBytes();
    LabelModel served = LabelModels.fromBytes(snapshot);
    if (model.history() != null) {
      assertThat(model.history().size()).isPositive();
      assertThat(snapshot.length).as("without the item history").isLessThan(bytes.length);
      assertThat(served.history().size()).isZero();
      assertThat(served.history().maxItems()).isEqualTo(model.history().maxItems());
    } else {
      assertThat(snapshot).isEqualTo(bytes);
    }
    float[] fromSnapshot = new float[K];
    float[] fromModel = new float[K];
    served.predictProba(data.x(), 0, fromSnapshot);
    model.predictProba(data.x(), 0, fromModel);
    assertThat(fromSnapshot).containsExactly(fromModel);
    assertThat(served.annotator("good").confusion()).isDeepEqualTo(model.annotator("good").confusion());
    Predictor read = SavedModels.read(bytes);
    assertThat(read).isInstanceOf(LabelModel.class);
    assertThat(read.steps()).isEqualTo(model.steps());
    assertThat(read.isClassifier()).isTrue();
    assertThat(read.outputDim()).isEqualTo(K);
    float[] expected = new float[K];
    float[] actual = new float[K];
    model.predictProba(data.x(), 0, expected);
    read.predictProba(data.x(), 0, actual);
    assertThat(actual).containsExactly(expected);
    assertThat(((LabelModel) read).spec()).isEqualTo(model.spec());
    assertThatThrownBy(() -> LabelModels.fromBytes(java.util.Arrays.copyOf(bytes, bytes.length - 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
    assertThatThrownBy(() -> LabelModels.fromBytes(java.util.Arrays.copyOf(bytes, bytes.length + 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 unexpected bytes after the end");
  }

  @Test
  void predictorFromBytesStillReadsOnlineLearners() {
    OnlineLearner learner = OnlineLearner.create(spec());
    assertThat(SavedModels.read(learner.toBytes())).isInstanceOf(OnlineLearner.class);
    assertThatThrownBy(() -> SavedModels.read(new byte[] {1, 2}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unknownMethodIsNamed() {
    assertThatThrownBy(() -> LabelModels.create(spec(), LabelModelSpec.withMaxAnnotators("vote", 2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"vote\"").hasMessageContaining("naive");
  }

  private static List<SimulatedAnnotator> smallPool() {
    return List.of(new SimulatedAnnotator("good", "expert", AnnotatorPool.uniformErrors(K, 0.9)),
        new SimulatedAnnotator("ok", "competent", AnnotatorPool.uniformErrors(K, 0.7)),
        new SimulatedAnnotator("spam", "spammer", AnnotatorPool.uniformErrors(K, 0.25)));
  }

  private static ModelSpec spec() {
    return ModelSpec.softmaxRegression(DIM, K).withSeed(5);
  }

  /** Trains on the stream in minibatches of 32 label events, {@code passes} times. */
  private static void train(LabelModel model, GaussianBlobs data, AnnotatorPool pool, LabelStream stream,
      int passes) {
    for (int pass = 0; pass < passes; pass++) {
      LabelEvents.train(model, data, pool, stream, 0, stream.size(), 32);
    }
  }

  private static double accuracy(LabelModel model, GaussianBlobs data) {
    int right = 0;
    for (int i = 0; i < data.rows(); i++) {
      right += model.predict(data.x(), i * DIM) == data.labels()[i] ? 1 : 0;
    }
    return (double) right / data.rows();
  }

  private static double frobenius(double[][] a, double[][] b) {
    double sum = 0;
    for (int c = 0; c < a.length; c++) {
      for (int j = 0; j < a.length; j++) {
        sum += (a[c][j] - b[c][j]) * (a[c][j] - b[c][j]);
      }
    }
    return Math.sqrt(sum);
  }

  private static byte[] bytes(LabelModel model) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    model.writeTo(new DataOutputStream(buffer));
    return buffer.toByteArray();
  }
}
