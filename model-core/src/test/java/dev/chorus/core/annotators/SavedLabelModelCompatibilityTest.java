package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.model.HiddenLayerSpec;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.optim.AdamSpec;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Label models saved by earlier builds must keep loading, predicting and reporting their annotators the same.
 * Each {@code <method>-vN.bin} is frozen once written; a new format version adds files instead of replacing them.
 *
 * <p>Format 1, written by the first build that checkpointed label models in the train job: inputDim 4, 3 classes,
 * batch 8, Adam(0.05), seed 5, bounds (4 annotators, 64 items, age 1000, 4 labels per item); 3 minibatches of 8
 * label events, event {@code i} on item {@code i / 2} with true class {@code item % 3} and feature
 * {@code f = sin(3·item + f)·(f + 1) + class}, given by annotator {@code "a", "b", "c"} in turn, where
 * {@code "c"} always answers the next class. {@code dawid-skene}: softmax regression;
 * {@code weighted-doctor-net}: an mlp with 6 tanh units. Sizes are below the BLAS small-operation thresholds.
 *
 * <p>Format 2, written by the build whose weighted Doctor Net de-noises its heads at prediction (10
 * Richardson–Lucy iterations, saved after the averaging logits) and trains them towards {@code Cᵀ·posterior}:
 * the same model, data and minibatches as format 1. A format-1 weighted Doctor Net reads with 0 de-noising
 * iterations and so predicts as it did. {@code dawid-skene-v2.bin} differs from v1 only in the format number.
 *
 * <p>Format 3, written by the build that evicts annotators: the same model, data and minibatches (no eviction: 3
 * annotators, 4 slots); the registry adds protectedLabels (50), the label tick (24), the evictions (0) and each
 * slot's last tick, and the spec its {@code protectedLabels}. Formats 1 and 2 read with every slot last seen at
 * tick 0.
 *
 * <p>Format 4, written by the build whose {@code doctor-net} keeps an item history (so it publishes consensus): the
 * same model, data and minibatches, built by {@link SavedLabelModelFixtures}; {@code dawid-skene-v4.bin} and
 * {@code weighted-doctor-net-v4.bin} differ from v3 only in the format number, and {@code doctor-net-v4.bin} and
 * {@code weighted-doctor-net-paper-v4.bin} (mlps of 6 tanh units, like the weighted one) are new. A doctor-net of formats 1 to 3 reads without a history
 * ({@link DoctorNetConsensusTest}).
 *
 * <p>Format 5, written by the build whose Dawid–Skene keeps a lone annotator's confusion one-coin until items with
 * several labels shape it: the same model, data and minibatches; {@code dawid-skene-v5.bin} adds after its confusions
 * each slot's count of labels on items that others labelled too (every item has two labels, so each annotator has 4,
 * and the fixture's 24 examples are all in the warm-up, which trains as before). {@code doctor-net-v5.bin} and
 * {@code weighted-doctor-net-paper-v5.bin} differ from v4 only in the format number; {@code weighted-doctor-net-v5.bin}
 * is the builder's model as it trains since session 9. Formats 1 to 4 read every annotator with an M-step as shaped.
 *
 * <p>Format 6, written by the build whose Dawid–Skene reads the E-step's prior from an average of its classifier's
 * weights ({@link DawidSkeneLabelModel#TEACHER}): the same model, data and minibatches; {@code dawid-skene-v6.bin} is
 * v5's bytes but the format number, then the average's values (the fixture's 24 examples are all in the warm-up, whose
 * prior is uniform, so the model trained as before while the average moved). The other three differ from v5 only in
 * the format number. Formats 1 to 5 start the average at the classifier's weights.
 *
 * <p>Format 7, written by the build whose weighted Doctor Net reads its E-step's prior and a lone label's head prior from
 * an average of its body and heads ({@link WeightedDoctorNetLabelModel#TEACHER}): the same model, data and minibatches;
 * {@code weighted-doctor-net-v7.bin} is v6's bytes but the format number, with the average's values after the heads
 * (all 24 examples are in the warm-up, so the model trained as before while the average moved). The other three differ
 * from v6 only in the format number. Formats 1 to 6 start the weighted Doctor Net's average at its weights.
 */
class SavedLabelModelCompatibilityTest {

  @ParameterizedTest(name = "{1}-v{0}")
  @CsvSource(delimiter = '|', textBlock = """
      1 | dawid-skene         | 0.31867293,0.40040126,0.2809258;0.4333219,0.2265295,0.34014863;0.21753119,0.32418275,0.45828608 | 0.5865084601334406,0.7627810014446319,0.5724715266300483 |
      1 | weighted-doctor-net | 0.6550678,0.15356804,0.19136417;0.3539976,0.25947213,0.38653034;0.3036884,0.31998,0.37633163 | 0.655952380952381,0.5499999999999999,0.37611111111111106 | 0
      2 | dawid-skene         | 0.31867293,0.40040126,0.2809258;0.4333219,0.2265295,0.34014863;0.21753119,0.32418275,0.45828608 | 0.5865084601334406,0.7627810014446319,0.5724715266300483 |
      2 | weighted-doctor-net | 0.66286886,0.20029482,0.13683635;0.25675374,0.2763179,0.46692836;0.12570788,0.48296818,0.39132395 | 0.5865084601334406,0.7627810014446319,0.5724715266300483 | 10
      3 | weighted-doctor-net | 0.66286886,0.20029482,0.13683635;0.25675374,0.2763179,0.46692836;0.12570788,0.48296818,0.39132395 | 0.5865084601334406,0.7627810014446319,0.5724715266300483 | 10
      3 | dawid-skene         | 0.31867293,0.40040126,0.2809258;0.4333219,0.2265295,0.34014863;0.21753119,0.32418275,0.45828608 | 0.5865084601334406,0.7627810014446319,0.5724715266300483 |
      4 | weighted-doctor-net | 0.66286886,0.20029482,0.13683635;0.25675374,0.2763179,0.46692836;0.12570788,0.48296818,0.39132395 | 0.5865084601334406,0.7627810014446319,0.5724715266300483 | 10
      4 | dawid-skene         | 0.31867293,0.40040126,0.2809258;0.4333219,0.2265295,0.34014863;0.21753119,0.32418275,0.45828608 | 0.5865084601334406,0.7627810014446319,0.5724715266300483 |
      4 | doctor-net          | 0.65496933,0.15359873,0.19143194;0.35397008,0.25930157,0.3867284;0.3037032,0.3197955,0.37650135 | 0.5135221539940062,0.5041120594295333,0.47762947129531214 |
      4 | weighted-doctor-net-paper | 0.654915,0.15360387,0.19148114;0.3540986,0.25895497,0.38694644;0.30338842,0.31959632,0.37701526 | 0.5134806909808525,0.5040963459752404,0.47766901756448304 |
      5 | weighted-doctor-net | 0.5887412,0.11014024,0.3011186;0.29027706,0.16198087,0.5477421;0.1402346,0.23893741,0.620828 | 0.5568083281437618,0.8365021522476057,0.5576886241131398 | 10
      5 | dawid-skene         | 0.31867293,0.40040126,0.2809258;0.4333219,0.2265295,0.34014863;0.21753119,0.32418275,0.45828608 | 0.5865084601334406,0.7627810014446319,0.5724715266300483 |
      5 | doctor-net          | 0.65496933,0.15359873,0.19143194;0.35397008,0.25930157,0.3867284;0.3037032,0.3197955,0.37650135 | 0.5135221539940062,0.5041120594295333,0.47762947129531214 |
      5 | weighted-doctor-net-paper | 0.654915,0.15360387,0.19148114;0.3540986,0.25895497,0.38694644;0.30338842,0.31959632,0.37701526 | 0.5134806909808525,0.5040963459752404,0.47766901756448304 |
      6 | weighted-doctor-net | 0.5887412,0.11014024,0.3011186;0.29027706,0.16198087,0.5477421;0.1402346,0.23893741,0.620828 | 0.5568083281437618,0.8365021522476057,0.5576886241131398 | 10
      6 | dawid-skene         | 0.31867293,0.40040126,0.2809258;0.4333219,0.2265295,0.34014863;0.21753119,0.32418275,0.45828608 | 0.5865084601334406,0.7627810014446319,0.5724715266300483 |
      6 | doctor-net          | 0.65496933,0.15359873,0.19143194;0.35397008,0.25930157,0.3867284;0.3037032,0.3197955,0.37650135 | 0.5135221539940062,0.5041120594295333,0.47762947129531214 |
      6 | weighted-doctor-net-paper | 0.654915,0.15360387,0.19148114;0.3540986,0.25895497,0.38694644;0.30338842,0.31959632,0.37701526 | 0.5134806909808525,0.5040963459752404,0.47766901756448304 |
      7 | weighted-doctor-net-paper | 0.654915,0.15360387,0.19148114;0.3540986,0.25895497,0.38694644;0.30338842,0.31959632,0.37701526 | 0.5134806909808525,0.5040963459752404,0.47766901756448304 |
      7 | weighted-doctor-net | 0.5887412,0.11014024,0.3011186;0.29027706,0.16198087,0.5477421;0.1402346,0.23893741,0.620828 | 0.5568083281437618,0.8365021522476057,0.5576886241131398 | 10
      7 | dawid-skene         | 0.31867293,0.40040126,0.2809258;0.4333219,0.2265295,0.34014863;0.21753119,0.32418275,0.45828608 | 0.5865084601334406,0.7627810014446319,0.5724715266300483 |
      7 | doctor-net          | 0.65496933,0.15359873,0.19143194;0.35397008,0.25930157,0.3867284;0.3037032,0.3197955,0.37650135 | 0.5135221539940062,0.5041120594295333,0.47762947129531214 |
      """)
  void savedFormatsStillLoadAndPredictTheSame(int version, String method, String probabilities,
      String reliabilities, Integer denoiseIterations) throws IOException {
    byte[] saved = resource(method + "-v" + version + ".bin");
    LabelModel model = LabelModels.fromBytes(saved);
    assertLoadsAndPredicts(model, method, probabilities, reliabilities);
    if (model instanceof WeightedDoctorNetLabelModel weighted) {
      assertThat(weighted.denoiseIterations()).isEqualTo(denoiseIterations);
    }
    if (LabelModels.FORMAT_VERSION == version) {
      assertThat(model.toBytes()).as("the current writer still writes format %d byte for byte", version)
          .isEqualTo(saved);
    }
  }

  /**
   * Format 5 saves how far items with several labels have shaped each annotator; formats 1 to 4 read the three
   * annotators, who have all taken M-steps, as shaped (so they learn as they did) and the unused fourth slot as new.
   */
  @ParameterizedTest(name = "dawid-skene-v{0}")
  @CsvSource({"1, 1", "2, 1", "3, 1", "4, 1", "5, 0.4", "6, 0.4", "7, 0.4"})
  void dawidSkeneReadsHowFarItsAnnotatorsAreShaped(int version, double shaped) throws IOException {
    DawidSkeneLabelModel model = (DawidSkeneLabelModel) LabelModels.fromBytes(resource("dawid-skene-v" + version
        + ".bin"));
    for (String id : List.of("a", "b", "c")) {
      assertThat(model.estimates().shaped(model.registry.slotOf(id))).as("annotator %s", id).isEqualTo(shaped);
    }
    assertThat(model.estimates().shaped(3)).as("the unused slot").isZero();
  }

  /**
   * Format 6 saves the average of the classifier's weights that Dawid–Skene's E-step reads, so a restored model's
   * prior is the saved one; format 5 had none, and the average starts at the classifier's weights.
   */
  @Test
  void dawidSkeneRestoresItsClassifiersAverageFromFormat6AndStartsItAtTheWeightsBefore() throws IOException {
    DawidSkeneLabelModel v5 = (DawidSkeneLabelModel) LabelModels.fromBytes(resource("dawid-skene-v5.bin"));
    DawidSkeneLabelModel v6 = (DawidSkeneLabelModel) LabelModels.fromBytes(resource("dawid-skene-v6.bin"));
    DawidSkeneLabelModel built = (DawidSkeneLabelModel) SavedLabelModelFixtures.build(DawidSkeneLabelModel.NAME);
    float[] probe = {0.3f, -1.2f, 2.5f, 0.7f};
    assertThat(teacher(v5, probe)).as("format 5: the average starts at the classifier's weights")
        .isEqualTo(live(v5, probe));
    assertThat(teacher(v6, probe)).as("format 6: the saved average").isEqualTo(teacher(built, probe))
        .isNotEqualTo(live(v6, probe));
  }

  /**
   * Format 7 saves the average of the weighted Doctor Net's body and heads that its E-step reads; format 6 had none,
   * and the average starts at the network's weights.
   */
  @Test
  void weightedDoctorNetRestoresItsAverageFromFormat7AndStartsItAtTheWeightsBefore() throws IOException {
    WeightedDoctorNetLabelModel v6 = (WeightedDoctorNetLabelModel) LabelModels.fromBytes(
        resource("weighted-doctor-net-v6.bin"));
    WeightedDoctorNetLabelModel v7 = (WeightedDoctorNetLabelModel) LabelModels.fromBytes(
        resource("weighted-doctor-net-v7.bin"));
    WeightedDoctorNetLabelModel built = (WeightedDoctorNetLabelModel) SavedLabelModelFixtures.build(
        WeightedDoctorNetLabelModel.NAME);
    float[] probe = {0.3f, -1.2f, 2.5f, 0.7f};
    for (int head = 0; head < 3; head++) {
      assertThat(head(v6.net.teacher(), head, probe)).as("format 6: the average starts at the weights, head %d", head)
          .isEqualTo(head(v6.net.live(), head, probe));
      assertThat(head(v7.net.teacher(), head, probe)).as("format 7: the saved average, head %d", head)
          .isEqualTo(head(built.net.teacher(), head, probe))
          .isNotEqualTo(head(v7.net.live(), head, probe));
    }
  }

  private static float[] head(DoctorNetView view, int head, float[] x) {
    float[] p = new float[3];
    view.headProba(head, view.features(x, 0), p);
    return p;
  }

  private static float[] teacher(DawidSkeneLabelModel model, float[] x) {
    float[] p = new float[3];
    model.learner().teacherModel().predictProba(x, 0, p);
    return p;
  }

  private static float[] live(DawidSkeneLabelModel model, float[] x) {
    float[] p = new float[3];
    model.learner().model().predictProba(x, 0, p);
    return p;
  }

  private byte[] resource(String name) throws IOException {
    try (InputStream in = getClass().getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return in.readAllBytes();
    }
  }

  private static void assertLoadsAndPredicts(LabelModel model, String method, String probabilities,
      String reliabilities) {

    ModelSpec classifier = method.equals(DawidSkeneLabelModel.NAME) ? ModelSpec.softmaxRegression(4, 3)
        : ModelSpec.mlp(4, 3, List.of(HiddenLayerSpec.of(6, ActivationFunction.TANH)));
    assertThat(model.spec()).isEqualTo(classifier.withBatchSize(8).withOptimizer(AdamSpec.withLearningRate(0.05))
        .withSeed(5).withLabelModel(new LabelModelSpec(method, 4, 64, 1000, 4)));
    assertThat(model.name()).isEqualTo(method);
    assertThat(model.steps()).isEqualTo(3);
    assertThat(model.examplesSeen()).isEqualTo(24);
    assertThat(model.annotatorIds()).containsExactly("a", "b", "c");

    String[] rows = probabilities.split(";");
    float[] p = new float[3];
    for (int k = 0; k < 3; k++) {
      float[] probe = new float[4];
      for (int f = 0; f < 4; f++) {
        probe[f] = (float) (Math.sin(3 * k + f) * (f + 1) + k);
      }
      model.predictProba(probe, 0, p);
      String[] expected = rows[k].split(",");
      for (int c = 0; c < 3; c++) {
        assertThat(p[c]).as("probe %d class %d", k, c).isCloseTo(Float.parseFloat(expected[c]), within(1e-6f));
      }
    }
    String[] expectedReliability = reliabilities.split(",");
    for (int a = 0; a < 3; a++) {
      AnnotatorModel annotator = model.annotator(model.annotatorIds().get(a));
      assertThat(annotator.labelsSeen()).isEqualTo(8);
      assertThat(annotator.reliability()).isCloseTo(Double.parseDouble(expectedReliability[a]), within(1e-12));
    }
  }
}
