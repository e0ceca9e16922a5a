package dev.chorus.core.saved;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepBatch;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.tensor.SparseBatch;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Warm starts of every kind that takes one: a hashed spec starts from a saved sparse linear model, its weights
 * always, its optimizer slots with carry; a dense spec as {@link dev.chorus.core.model.LearnerWarmStart} says; the
 * other kinds, and a saved model that does not fit, are refused naming the key.
 */
class ModelWarmStartTest {

  private static final String FTRL = "{\"type\":\"ftrl\",\"alpha\":0.3,\"beta\":1,\"l1\":0.01,\"l2\":0.1}";

  private static ModelSpec hashed(int bits, String fields, String optimizer) {
    return ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"numClasses\":3,\"hashing\":{\"bits\":" + bits
        + ",\"fields\":" + fields + "},\"optimizer\":" + optimizer + ",\"standardize\":false,\"batchSize\":4}");
  }

  private static final ModelSpec SPEC = hashed(6, "[\"a\",\"b\"]", FTRL);

  /** Minibatch {@code b} of 4 rows, 3 of the 64 features each, labels from a fixed rule, the same for each seed. */
  private static SparseBatch batch(int b, int[] labels) {
    Random random = new Random(31 + b);
    SparseBatch batch = new SparseBatch(64);
    for (int r = 0; r < 4; r++) {
      int f = random.nextInt(21);
      float[] values = {random.nextFloat() * 2 - 1, random.nextFloat() * 2 - 1, random.nextFloat() * 2 - 1};
      batch.add(new int[] {f, f + 21, f + 42}, values);
      labels[r] = values[0] + values[1] > 0 ? 0 : values[2] > 0 ? 1 : 2;
    }
    return batch;
  }

  private static SparseLinearModel trained(ModelSpec spec, int batches) {
    SparseLinearModel model = SparseLinearModel.create(spec);
    for (int b = 0; b < batches; b++) {
      step(model, b);
    }
    return model;
  }

  private static void step(SparseLinearModel model, int b) {
    int[] labels = new int[4];
    model.trainMinibatch(batch(b, labels), labels, null);
  }

  private static float[] weights(SparseLinearModel model) {
    float[] w = new float[65 * 3];
    for (int row = 0; row < 65; row++) {
      for (int k = 0; k < 3; k++) {
        w[row * 3 + k] = model.weight(row, k);
      }
    }
    return w;
  }

  @Test
  void aHashedSpecCarriesTheSavedWeightsAndSlotsAndCountsFromVersionZero() {
    SparseLinearModel source = trained(SPEC, 6);
    Predictor started = ModelWarmStart.start(SPEC, source.toBytes(), true);

    assertThat(started).isInstanceOf(SparseLinearModel.class);
    SparseLinearModel warm = (SparseLinearModel) started;
    assertThat(weights(warm)).containsExactly(weights(source));
    assertThat(warm.steps()).isZero();
    assertThat(warm.examplesSeen()).isZero();
    step(source, 6);
    step(warm, 6);
    assertThat(weights(warm)).as("the carried FTRL accumulators take the step the saved ones would")
        .containsExactly(weights(source));
  }

  @Test
  void aHashedResetKeepsTheWeightsAndStartsTheSlotsAtZero() {
    SparseLinearModel source = trained(SPEC, 6);
    String adaGrad = "{\"type\":\"adagrad\",\"learningRate\":0.3}";
    SparseLinearModel warm = (SparseLinearModel) ModelWarmStart.start(hashed(6, "[\"a\",\"b\"]", adaGrad),
        source.toBytes(), false);
    assertThat(weights(warm)).containsExactly(weights(source));

    SparseLinearModel reset = (SparseLinearModel) ModelWarmStart.start(SPEC, source.toBytes(), false);
    SparseLinearModel carried = (SparseLinearModel) ModelWarmStart.start(SPEC, source.toBytes(), true);
    step(reset, 6);
    step(carried, 6);
    assertThat(weights(reset)).as("FTRL's z and n start at 0: the step is not the carried one")
        .isNotEqualTo(weights(carried));
    assertThat(SparseLinearModel.fromBytes(reset.toBytes()).toBytes()).isEqualTo(reset.toBytes());
  }

  /**
   * A reset FTRL moves each weight from its saved value at its first step, by less than α: with z = n = 0 a weight
   * FTRL did not put there takes the z that gives it back ({@code Ftrl.seed}). Before, its first step set it to
   * (|g|·w₀ − α·g)/(β + |g|), near 0 for a small gradient. A rewarm restarts the optimizer the same way.
   */
  @Test
  void aHashedResetFtrlMovesEachWeightFromItsSavedValue() {
    SparseLinearModel source = trained(SPEC, 6);
    float[] saved = weights(source);
    ModelSpec slow = hashed(6, "[\"a\",\"b\"]", FTRL.replace("\"alpha\":0.3", "\"alpha\":0.001"));
    SparseLinearModel reset = (SparseLinearModel) ModelWarmStart.start(slow, source.toBytes(), false);
    SparseLinearModel rewarmed = (SparseLinearModel) ModelWarmStart.rewarm(slow, source, false);
    step(reset, 6);
    step(rewarmed, 6);

    for (SparseLinearModel started : new SparseLinearModel[] {reset, rewarmed}) {
      float[] after = weights(started);
      int moved = 0;
      for (int i = 0; i < saved.length; i++) {
        assertThat(after[i]).as("weight %d", i).isCloseTo(saved[i], within(0.001f));
        moved += after[i] != saved[i] ? 1 : 0;
      }
      assertThat(moved).as("the step moved the weights it touched").isGreaterThan(0);
    }
  }

  /**
   * A carried start from a saved hashed model (a model file, a fork's snapshot) goes on with its schedule: FTRL at
   * α 0.3 halving each step, 6 steps, then the fork's first step is the saved model's 7th. A fork saved after 2 steps
   * of its own and started again carries all 8; a reset start restarts the schedule, its first step at α 0.3, as a
   * fresh model's. Before, every hashed warm start restarted it: the carried fork's step at 0.3 instead of 0.3·2^-6.
   */
  @Test
  void aCarriedHashedStartFromSavedBytesGoesOnWithTheSchedule() {
    String decaying = SPEC.toJson().replace("{\"type\":\"constant\"}", "{\"type\":\"exponential\",\"gamma\":0.5}");
    ModelSpec spec = ModelSpec.parse(decaying);
    SparseLinearModel source = trained(spec, 6);
    SparseLinearModel carried = (SparseLinearModel) ModelWarmStart.start(spec, source.toBytes(), true);
    SparseLinearModel reset = (SparseLinearModel) ModelWarmStart.start(spec, source.toBytes(), false);
    SparseLinearModel constant = (SparseLinearModel) ModelWarmStart.start(SPEC, source.toBytes(), false);
    assertThat(carried.optimizerSteps()).isEqualTo(6);
    for (SparseLinearModel model : new SparseLinearModel[] {source, carried, reset, constant}) {
      step(model, 6);
    }
    assertThat(weights(carried)).as("the saved model's 7th step").containsExactly(weights(source));
    assertThat(weights(reset)).as("a first step at α 0.3").containsExactly(weights(constant));

    step(source, 7);
    step(carried, 7);
    SparseLinearModel again = (SparseLinearModel) ModelWarmStart.start(spec, carried.toBytes(), true);
    assertThat(again.steps()).isZero();
    assertThat(again.optimizerSteps()).as("6 carried and the fork's 2").isEqualTo(8);
    step(source, 8);
    step(again, 8);
    assertThat(weights(again)).as("the first model's 9th step").containsExactly(weights(source));
  }

  @Test
  void aHashedSavedModelOfAnotherShapeOrOptimizerIsRefusedNamingTheKey() {
    byte[] saved = trained(SPEC, 2).toBytes();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(hashed(7, "[\"a\",\"b\"]", FTRL), saved, true))
        .withMessage("key 'inputDim': expected 128 (the variant's spec), got 64 (the saved model's)");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(hashed(6, "[\"a\",\"c\"]", FTRL), saved, true))
        .withMessageStartingWith("key 'hashing': expected HashingSpec[bits=6, fields=[a, c]");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(hashed(6, "[\"a\",\"b\"]", "{\"type\":\"sgd\",\"learningRate\":0.1}"),
            saved, true))
        .withMessageStartingWith("key 'optimizer.type': expected sgd (the variant's spec), got ftrl");
    byte[] dense = OnlineLearner.create(ModelSpec.softmaxRegression(64, 3)).toBytes();
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(SPEC, dense, false))
        .withMessageStartingWith("expected a saved SparseLinearModel (a snapshot of a hashed variant), got "
            + dense.length + " bytes that do not read: ");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(ModelSpec.softmaxRegression(64, 3), saved, false))
        .withMessageStartingWith("expected a saved OnlineLearner");
  }

  private static final String WIDE_DEEP = "{\"algorithm\":\"wide-deep\",\"numClasses\":2,"
      + "\"hashing\":{\"bits\":10,\"fields\":[\"a\",\"b\",\"x\"]},"
      + "\"embeddings\":{\"dim\":4,\"buckets\":256,\"fields\":[\"a\",\"b\"],\"numeric\":[\"x\"],"
      + "\"learningRate\":0.1},\"layers\":[{\"units\":8,\"activation\":\"relu\"}],"
      + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.01},\"wideOptimizer\":{\"type\":\"ftrl\",\"alpha\":0.1},"
      + "\"standardize\":false,\"batchSize\":16,\"seed\":7}";

  /** Minibatch {@code b} of 16 rows: two categorical fields of 12 values, a number, labels by a fixed rule. */
  private static void step(WideDeepModel model, int b) {
    Random random = new Random(77 + b);
    WideDeepBatch batch = new WideDeepBatch(model.spec());
    int[] labels = new int[16];
    for (int r = 0; r < 16; r++) {
      int a = random.nextInt(12);
      int c = random.nextInt(12);
      batch.add(Map.of("a", "a" + a, "b", "b" + c, "x", random.nextFloat()));
      labels[r] = (a + c) % 2;
    }
    model.trainMinibatch(batch, labels, null);
  }

  private static float[] probabilities(WideDeepModel model) {
    float[] all = new float[24 * 2];
    float[] p = new float[2];
    for (int a = 0; a < 12; a++) {
      for (int c = 0; c < 2; c++) {
        model.predictProba(Map.of("a", "a" + a, "b", "b" + c, "x", 0.5f), p);
        System.arraycopy(p, 0, all, (a * 2 + c) * 2, 2);
      }
    }
    return all;
  }

  @Test
  void aWideDeepSpecCarriesEveryPartAndResetZeroesEveryOptimizersState() {
    ModelSpec spec = ModelSpec.parse(WIDE_DEEP);
    WideDeepModel source = WideDeepModel.create(spec);
    for (int b = 0; b < 5; b++) {
      step(source, b);
    }
    WideDeepModel carried = (WideDeepModel) ModelWarmStart.start(spec, source.toBytes(), true);
    WideDeepModel reset = (WideDeepModel) ModelWarmStart.start(spec, source.toBytes(), false);

    assertThat(probabilities(carried)).containsExactly(probabilities(source));
    assertThat(probabilities(reset)).containsExactly(probabilities(source));
    assertThat(carried.steps()).isZero();
    step(source, 5);
    step(carried, 5);
    step(reset, 5);
    assertThat(probabilities(carried)).as("wide slots, tables' accumulators and Adam's moments carried")
        .containsExactly(probabilities(source));
    assertThat(probabilities(reset)).as("every optimizer's state started afresh").isNotEqualTo(probabilities(source));

    String wider = WIDE_DEEP.replace("\"dim\":4", "\"dim\":8");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(ModelSpec.parse(wider), source.toBytes(), true))
        .withMessageStartingWith("key 'embeddings': expected dim=8, buckets=256, combiner=");
    String deeper = WIDE_DEEP.replace("\"units\":8", "\"units\":9");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(ModelSpec.parse(deeper), source.toBytes(), true))
        .withMessage("key 'layers': expected [9 RELU] (the variant's spec), got [8 RELU] (the saved model's)");
  }

  /**
   * A wide-deep (or large-softmax, {@code LargeOutputWarmStartTest}) model saves only the table rows a step changed;
   * the others are drawn from its spec's seed. A warm start under the saved model's seed answers as it does on an id
   * it never stepped too; one under another seed is refused naming {@code seed}. Before, such a start drew every
   * never-stepped row anew from its own seed, and answered otherwise than the saved model on every unseen id.
   */
  @Test
  void aWideDeepStartAnswersAsTheSavedModelOnAnUnseenIdAndAnotherSeedIsRefused() {
    ModelSpec spec = ModelSpec.parse(WIDE_DEEP);
    WideDeepModel source = WideDeepModel.create(spec.withSeed(99));
    for (int b = 0; b < 5; b++) {
      step(source, b);
    }
    Map<String, Object> unseen = Map.of("a", "never-seen", "b", "b1", "x", 0.5f);
    float[] expected = new float[2];
    source.predictProba(unseen, expected);
    float[] p = new float[2];
    for (boolean carry : new boolean[] {true, false}) {
      ((WideDeepModel) ModelWarmStart.start(spec.withSeed(99), source.toBytes(), carry)).predictProba(unseen, p);
      assertThat(p).as("carry %s", carry).containsExactly(expected);
    }

    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(spec, source.toBytes(), true))
        .withMessage("key 'seed': expected 7 (the variant's spec), got 99 (the saved model's): the rows of its "
            + "embedding tables that no step changed are not saved but drawn from the seed, so a model under another "
            + "seed would answer otherwise on every id the saved one never stepped; give the saved model's seed");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> source.warmStart(spec, false))
        .withMessageStartingWith("key 'seed': expected 7 (the variant's spec), got 99 (the saved model's): ");
  }

  /**
   * A carried wide-deep start goes on with the deep part's schedule, at the deep optimizer's step count: its next step
   * is the saved model's. Before, the schedule restarted with the model's count (Adam at 0.01 halving each step: the
   * fork's 6th step at 0.01 instead of 0.01·2^-5).
   */
  @Test
  void aCarriedWideDeepStartGoesOnWithTheDeepSchedule() {
    ModelSpec spec = ModelSpec.parse(WIDE_DEEP.replace("\"standardize\":false",
        "\"schedule\":{\"type\":\"exponential\",\"gamma\":0.5},\"standardize\":false"));
    WideDeepModel source = WideDeepModel.create(spec);
    for (int b = 0; b < 5; b++) {
      step(source, b);
    }
    WideDeepModel carried = (WideDeepModel) ModelWarmStart.start(spec, source.toBytes(), true);
    step(source, 5);
    step(carried, 5);

    assertThat(probabilities(carried)).containsExactly(probabilities(source));
    assertThat(carried.wide().formatVersion()).as("the wide part, unscheduled, carries no steps: format 1")
        .isEqualTo(1);
  }

  /** The wide part of a reset wide-deep start, FTRL by default, moves each weight from its saved value too. */
  @Test
  void aWideDeepResetMovesEachWideWeightFromItsSavedValue() {
    WideDeepModel source = WideDeepModel.create(ModelSpec.parse(WIDE_DEEP));
    for (int b = 0; b < 5; b++) {
      step(source, b);
    }
    ModelSpec slow = ModelSpec.parse(WIDE_DEEP.replace("\"alpha\":0.1", "\"alpha\":0.001"));
    WideDeepModel reset = (WideDeepModel) ModelWarmStart.start(slow, source.toBytes(), false);
    step(reset, 5);

    int moved = 0;
    for (int row = 0; row <= 1024; row++) {
      float before = source.wide().weight(row, 0);
      float after = reset.wide().weight(row, 0);
      assertThat(after).as("wide weight of row %d", row).isCloseTo(before, within(0.001f));
      moved += after != before ? 1 : 0;
    }
    assertThat(moved).isGreaterThan(0);
  }

  /** A wide-deep spec embedding field u (and hashing it for the wide part), its tables at {@code rates}. */
  private static ModelSpec tableRates(String rates) {
    return ModelSpec.parse("{\"algorithm\":\"wide-deep\",\"numClasses\":2,"
        + "\"hashing\":{\"bits\":6,\"fields\":[\"u\"]},"
        + "\"embeddings\":{\"dim\":3,\"buckets\":64,\"fields\":[\"u\"]," + rates + "},"
        + "\"layers\":[{\"units\":4,\"activation\":\"tanh\"}],"
        + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.1},\"standardize\":false,\"batchSize\":2,\"seed\":3}");
  }

  private static void step(WideDeepModel model, String u, int label) {
    WideDeepBatch batch = new WideDeepBatch(model.spec());
    batch.add(Map.of("u", u));
    model.trainMinibatch(batch, new int[] {label}, null);
  }

  /** Class 1's probability for u = often, rare (stepped once, long ago) and never (never stepped). */
  private static float[] oftenRareNever(WideDeepModel model) {
    float[] answers = new float[3];
    float[] p = new float[2];
    String[] tokens = {"often", "rare", "never"};
    for (int t = 0; t < 3; t++) {
      model.predictProba(Map.of("u", tokens[t]), p);
      answers[t] = p[1];
    }
    return answers;
  }

  /**
   * A wide-deep warm start may change its tables' learning rate and l2 (their decay per step, 1 − rate × l2): the
   * started model answers as the saved one did, for a token stepped often, one stepped once long ago and one never
   * stepped, and its tables decay at their own rate from then on. A saved model whose tables owe rows a decay (l2 &gt;
   * 0, trained) keeps its decay, as a table of another decay cannot owe its never-stepped rows the saved one's debt.
   */
  @Test
  void aWideDeepStartWithOtherTableRatesAnswersAsTheSavedModel() {
    ModelSpec plain = tableRates("\"learningRate\":0.1,\"l2\":0");
    assertThat(java.util.stream.Stream.of("often", "rare", "never").map(u -> plain.embeddings().bucket("u", u))
        .distinct().count()).as("three rows").isEqualTo(3);
    WideDeepModel source = WideDeepModel.create(plain);
    step(source, "rare", 1);
    for (int s = 0; s < 200; s++) {
      step(source, "often", s % 2);
    }
    int rare = plain.embeddings().bucket("u", "rare");
    for (String rates : new String[] {"\"learningRate\":0.1,\"l2\":1", "\"learningRate\":0.5,\"l2\":1.5",
        "\"learningRate\":0.02,\"l2\":0"}) {
      ModelSpec spec = tableRates(rates);
      for (boolean carry : new boolean[] {true, false}) {
        WideDeepModel started = (WideDeepModel) ModelWarmStart.start(spec, source.toBytes(), carry);
        assertThat(oftenRareNever(started)).as("%s, carry %s", rates, carry).containsExactly(oftenRareNever(source));
        float before = started.embedding(0).weight(rare, 0);
        step(started, "often", 0);
        double decay = 1 - spec.embeddings().learningRate() * spec.embeddings().l2();
        assertThat((double) started.embedding(0).weight(rare, 0)).as("%s: one step's decay of the rare row", rates)
            .isCloseTo(before * decay, within(1e-6 * Math.abs(before)));
      }
    }

    ModelSpec decaying = tableRates("\"learningRate\":0.1,\"l2\":0.5");
    WideDeepModel owes = WideDeepModel.create(decaying);
    WideDeepModel fresh = WideDeepModel.create(decaying);
    step(owes, "rare", 1);
    for (int s = 0; s < 200; s++) {
      step(owes, "often", s % 2);
    }
    WideDeepModel same = (WideDeepModel) ModelWarmStart.start(decaying, owes.toBytes(), true);
    assertThat(oftenRareNever(same)).containsExactly(oftenRareNever(owes));
    assertThat(oftenRareNever((WideDeepModel) ModelWarmStart.rewarm(decaying, owes, false)))
        .as("a rewarm, the same code").containsExactly(oftenRareNever(owes));
    assertThat(oftenRareNever((WideDeepModel) ModelWarmStart.start(plain, fresh.toBytes(), true)))
        .as("a saved model whose tables never stepped owes no decay").containsExactly(oftenRareNever(fresh));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(plain, owes.toBytes(), true))
        .withMessageStartingWith("key 'embeddings.l2': expected a decay per step 1 − learningRate × l2 = 0.95 "
            + "(learningRate 0.1, l2 0.5: the saved model's, whose tables owe their rows that decay");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(tableRates("\"learningRate\":0.2,\"l2\":0.5"), owes.toBytes(),
            false))
        .withMessageStartingWith("key 'embeddings.learningRate': expected a decay per step");
  }

  /**
   * A rewarm (a drift reaction's) restarts a live model from its own weights with its optimizer afresh: what a reset
   * warm start from the model's saved bytes gives, for each kind that takes it; a label model and a skip-gram do not.
   */
  @Test
  void aRewarmOfALiveModelIsTheResetWarmStartFromItsOwnBytes() {
    ModelSpec wideDeep = ModelSpec.parse(WIDE_DEEP);
    WideDeepModel wide = WideDeepModel.create(wideDeep);
    for (int b = 0; b < 5; b++) {
      step(wide, b);
    }
    ModelSpec dense = ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":4,\"numClasses\":3,"
        + "\"layers\":[{\"units\":5}],\"seed\":2}");
    OnlineLearner learner = OnlineLearner.create(dense);
    learner.trainMinibatch(new float[] {1, 0, 0, 1, 0, 1, 1, 0}, new int[] {0, 2}, null, 2);
    Map<ModelSpec, Predictor> live = Map.of(SPEC, trained(SPEC, 6), wideDeep, wide, dense, learner);
    live.forEach((spec, model) -> {
      assertThat(ModelWarmStart.cannotRewarm(spec)).isNull();
      assertThat(ModelWarmStart.rewarm(spec, model, false).toBytes()).as(spec.algorithm())
          .isEqualTo(ModelWarmStart.start(spec, model.toBytes(), false).toBytes());
    });
    assertThat(ModelWarmStart.cannotRewarm(labelled("dawid-skene"))).isEqualTo("labelModel");
    assertThat(ModelWarmStart.cannotRewarm(ModelSpec.parse("{\"algorithm\":\"skip-gram\",\"skipGram\":"
        + "{\"buckets\":1024,\"dim\":8}}"))).isEqualTo("skipGram");
  }

  private static ModelSpec labelled(String method) {
    return ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
        + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.05},\"seed\":3,\"labelModel\":{\"method\":\""
        + method + "\",\"maxAnnotators\":4}}");
  }

  /** Minibatch {@code b}: 12 labels of 4 items by 3 annotators, the third of whom swaps classes 0 and 1. */
  private static void step(LabelModel model, int b) {
    Random random = new Random(5 + b);
    float[] x = new float[12 * 4];
    long[] items = new long[12];
    String[] annotators = new String[12];
    int[] labels = new int[12];
    for (int e = 0; e < 12; e++) {
      int truth = random.nextInt(3);
      for (int j = 0; j < 4; j++) {
        x[e * 4 + j] = (j == truth ? 2f : 0f) + (float) random.nextGaussian() * 0.3f;
      }
      items[e] = b * 100L + e / 3;
      annotators[e] = "a" + e % 3;
      labels[e] = e % 3 == 2 && truth < 2 ? 1 - truth : truth;
    }
    model.train(x, items, annotators, labels, 12);
  }

  @Test
  void aLabelModelSpecCarriesItsClassifierAndTheAnnotatorsConfusions() {
    ModelSpec spec = labelled("dawid-skene");
    LabelModel source = LabelModels.create(spec);
    for (int b = 0; b < 6; b++) {
      step(source, b);
    }
    float[] x = {2f, 0f, 0f, 0f, 0f, 0f, 2f, 0f};
    float[] expected = new float[6];
    source.predictProbaBatch(x, 2, expected);
    for (boolean carry : new boolean[] {true, false}) {
      LabelModel warm = (LabelModel) ModelWarmStart.start(spec, source.toBytes(), carry);
      float[] actual = new float[6];
      warm.predictProbaBatch(x, 2, actual);
      assertThat(actual).as("carry %s", carry).containsExactly(expected);
      assertThat(warm.steps()).isZero();
      assertThat(warm.name()).isEqualTo("dawid-skene");
      assertThat(warm.annotatorIds()).containsExactlyElementsOf(source.annotatorIds());
      assertThat(warm.annotator("a2").confusion()).as("the confusions are estimates, carried either way")
          .isDeepEqualTo(source.annotator("a2").confusion());
    }

    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(labelled("soft"), source.toBytes(), true))
        .withMessage("key 'labelModel.method': expected soft (the variant's spec), got dawid-skene (the saved "
            + "model's)");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(labelled("doctor-net"), source.toBytes(), true))
        .withMessageStartingWith("key 'warmStart': expected a spec of a kind that takes a warm start");
  }

  @Test
  void aSkipGramSpecIsRoutedToItsOwnStart() {
    ModelSpec skipGram = ModelSpec.parse("{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":1024,\"dim\":8}}");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelWarmStart.start(skipGram, new byte[0], true))
        .withMessageStartingWith("key 'warmStart': a skip-gram spec starts from a saved SkipGram "
            + "(ModelWarmStart.startSkipGram), not a Predictor");
  }
}
