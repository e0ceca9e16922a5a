package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@code labelModel.halfLifeLabels}: confusions that forget, for annotators who change. */
class ForgettingConfusionsTest {

  private static final int K = 4;
  private static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":0,\"numClasses\":4,"
      + "\"batchSize\":16,\"labelModel\":{\"method\":\"dawid-skene\",\"maxAnnotators\":8%s}}";
  /** Labels per annotator before the swap. */
  private static final int BEFORE = 1500;
  /** Labels per annotator after it that the ranking has, at most, to flip with a half-life of 100 labels. */
  private static final int WITHIN = 300;

  @Test
  void withAHalfLifeASwappedAnnotatorsReliabilityCrossesWithinAFewHundredLabels() {
    int crossed = labelsUntilCrossing(",\"halfLifeLabels\":100", BEFORE + 2000);
    assertThat(crossed).as("labels per annotator after the swap until the new expert outranks the new spammer")
        .isBetween(1, WITHIN);
  }

  @Test
  void withoutAHalfLifeItDoesNotCrossInTwiceAsManyLabels() {
    assertThat(labelsUntilCrossing("", 2 * BEFORE)).as("never crossed").isEqualTo(-1);
  }

  @Test
  void theHalfLifeIsReadWrittenOnlyWhenSetAndSavedWithTheModel() {
    ModelSpec plain = ModelSpec.parse(SPEC.formatted(""));
    assertThat(plain.labelModel().halfLifeLabels()).isZero();
    assertThat(plain.toJson()).doesNotContain("halfLifeLabels");
    ModelSpec forgetting = ModelSpec.parse(SPEC.formatted(",\"halfLifeLabels\":100"));
    assertThat(forgetting.labelModel()).isEqualTo(plain.labelModel().withHalfLifeLabels(100));
    assertThat(forgetting.toJson()).contains("\"halfLifeLabels\":100.0");
    assertThat(ModelSpec.parse(forgetting.toJson())).isEqualTo(forgetting);
    assertThatThrownBy(() -> ModelSpec.parse(SPEC.formatted(",\"halfLifeLabels\":-1"))).hasMessage(
        "ModelSpec key 'labelModel': halfLifeLabels must be finite and >= 0 (0: never forget), got -1.0");

    LabelModel model = LabelModels.create(forgetting);
    feed(model, new SplittableRandom(3), 200, false);
    LabelModel restored = LabelModels.fromBytes(model.toBytes());
    LabelModel copy = model.copy();
    SplittableRandom a = new SplittableRandom(4);
    SplittableRandom b = new SplittableRandom(4);
    SplittableRandom c = new SplittableRandom(4);
    feed(model, a, 200, true);
    feed(restored, b, 200, true);
    feed(copy, c, 200, true);
    assertThat(restored.toBytes()).as("the restored model forgets as the saved one did").isEqualTo(model.toBytes());
    assertThat(copy.toBytes()).as("and so does a copy").isEqualTo(model.toBytes());
    LabelModel given = LabelModels.create(ModelSpec.softmaxRegression(2, K),
        LabelModelSpec.withMaxAnnotators("dawid-skene", 8).withHalfLifeLabels(100));
    assertThat(given.spec().labelModel().halfLifeLabels()).as("a half-life given beside the spec is saved with it")
        .isEqualTo(100);
  }

  /**
   * Anchors A and B always answer right; "x" is an expert (95% right) and "y" a spammer until the swap, then the
   * other way round. Each item gets one label from each of the four. Returns the labels per annotator after the
   * swap until x's estimated reliability falls below y's, or -1 if it has not within {@code total} labels each.
   */
  private static int labelsUntilCrossing(String halfLife, int total) {
    LabelModel model = LabelModels.create(ModelSpec.parse(SPEC.formatted(halfLife)));
    SplittableRandom random = new SplittableRandom(11);
    feed(model, random, BEFORE, false);
    assertThat(model.annotator("x").reliability()).isGreaterThan(model.annotator("y").reliability());
    for (int after = 1; after <= total - BEFORE; after++) {
      feed(model, random, 1, true);
      if (model.annotator("x").reliability() < model.annotator("y").reliability()) {
        return after;
      }
    }
    return -1;
  }

  /** {@code items} items, each labelled by a, b, x and y in one minibatch, numbered on from what the model has seen. */
  private static void feed(LabelModel model, SplittableRandom random, int items, boolean swapped) {
    String[] who = {"a", "b", "x", "y"};
    for (int i = 0; i < items; i++) {
      int truth = random.nextInt(K);
      long item = model.labelsSeen("a");
      int[] labels = new int[4];
      labels[0] = truth;
      labels[1] = truth;
      labels[2] = swapped ? random.nextInt(K) : expert(truth, random);
      labels[3] = swapped ? expert(truth, random) : random.nextInt(K);
      model.train(new float[0], new long[] {item, item, item, item}, who, labels, 4);
    }
  }

  private static int expert(int truth, SplittableRandom random) {
    return random.nextDouble() < 0.95 ? truth : (truth + 1 + random.nextInt(K - 1)) % K;
  }
}
