package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An item keeps one label per annotator, so a label its annotator already gave the item (a second pass over the
 * same labels, a record sent twice) adds nothing to what the item rests on: it is not counted again and takes no
 * M-step, else the confusions sharpen on labels counted twice though the history holds them once.
 */
class IdenticalRelabelTest {

  static final int K = 3;
  static final int ITEMS = 100;
  static final String[] ANNOTATORS = {"expert", "fair", "spammer"};
  static final ModelSpec LABEL_ONLY = ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":0,"
      + "\"numClasses\":3,\"batchSize\":16,\"labelModel\":\"dawid-skene\"}");

  /**
   * 300 labels: each of three annotators (right 90% and 70% of the time, and a spammer) labels every item once, one
   * annotator's round after another, so an item's labels arrive far apart; {@code [item, annotator, label]}.
   */
  static int[][] events() {
    SplittableRandom random = new SplittableRandom(11);
    double[] accuracy = {0.9, 0.7, 1.0 / K};
    int[][] events = new int[ANNOTATORS.length * ITEMS][];
    for (int a = 0; a < ANNOTATORS.length; a++) {
      for (int item = 0; item < ITEMS; item++) {
        int truth = item % K;
        int label = random.nextDouble() < accuracy[a] ? truth : (truth + 1 + random.nextInt(K - 1)) % K;
        events[a * ITEMS + item] = new int[] {item, a, label};
      }
    }
    return events;
  }

  /** Trains {@code model} on {@code events[from, to)}, 16 a minibatch, item {@code i}'s features row {@code i}. */
  static void train(LabelModel model, int[][] events, int from, int to, GaussianBlobs data) {
    int dim = model.inputDim();
    for (int start = from; start < to; start += 16) {
      int n = Math.min(16, to - start);
      float[] x = new float[n * dim];
      long[] items = new long[n];
      String[] who = new String[n];
      int[] labels = new int[n];
      for (int e = 0; e < n; e++) {
        int[] event = events[start + e];
        items[e] = event[0];
        who[e] = ANNOTATORS[event[1]];
        labels[e] = event[2];
        if (dim > 0) {
          System.arraycopy(data.x(), event[0] * dim, x, e * dim, dim);
        }
      }
      model.train(x, items, who, labels, n);
    }
  }

  @Test
  void aSecondPassOverTheSameLabelsLeavesCountsConfusionsAndPosteriorsAsOnePass() {
    int[][] events = events();
    LabelModel once = LabelModels.create(LABEL_ONLY);
    train(once, events, 0, events.length, null);
    LabelModel twice = LabelModels.create(LABEL_ONLY);
    train(twice, events, 0, events.length, null);
    train(twice, events, 0, events.length, null);

    for (String id : ANNOTATORS) {
      assertThat(twice.labelsSeen(id)).as("labels of %s", id).isEqualTo(once.labelsSeen(id)).isEqualTo(ITEMS);
      assertThat(twice.annotator(id).confusion()).as("confusion of %s", id).isDeepEqualTo(once.annotator(id).confusion());
    }
    for (int item = 0; item < ITEMS; item++) {
      assertThat(twice.consensus(item, null).posterior()).as("posterior of item %d", item)
          .containsExactly(once.consensus(item, null).posterior());
    }
  }

  /**
   * Every method with features: the classifier or the Doctor Net trains on the event again, its annotator learns
   * nothing, nor the class prior that its reliability reads.
   */
  @ParameterizedTest
  @ValueSource(strings = {NaiveLabelModel.NAME, MajorityLabelModel.NAME, SoftLabelModel.NAME,
      DawidSkeneLabelModel.NAME, DoctorNetLabelModel.NAME, WeightedDoctorNetLabelModel.NAME,
      WeightedDoctorNetPaperLabelModel.NAME})
  void aSecondPassWithFeaturesCountsNoLabelTwice(String method) {
    GaussianBlobs data = GaussianBlobs.generate(ITEMS, 4, K, 5);
    ModelSpec spec = ModelSpec.softmaxRegression(4, K).withSeed(3);
    LabelModelSpec config = LabelModelSpec.withMaxAnnotators(method, 4);
    int[][] events = events();
    LabelModel once = LabelModels.create(spec, config);
    train(once, events, 0, events.length, data);
    LabelModel twice = LabelModels.create(spec, config);
    train(twice, events, 0, events.length, data);
    train(twice, events, 0, events.length, data);

    assertThat(twice.examplesSeen()).as("the classifier trained on both passes").isEqualTo(2L * events.length);
    for (String id : ANNOTATORS) {
      assertThat(twice.labelsSeen(id)).as("labels of %s", id).isEqualTo(ITEMS);
      assertThat(twice.annotator(id).confusion()).as("confusion of %s", id).isDeepEqualTo(once.annotator(id).confusion());
      assertThat(twice.annotator(id).reliability()).as("reliability of %s", id)
          .isEqualTo(once.annotator(id).reliability());
    }
  }

  /** A record sent twice in one minibatch is counted and credited once; the Doctor Net trains on both events. */
  @ParameterizedTest
  @ValueSource(strings = {DoctorNetLabelModel.NAME, WeightedDoctorNetLabelModel.NAME,
      WeightedDoctorNetPaperLabelModel.NAME})
  void aDoctorNetCountsARecordSentTwiceInOneMinibatchOnce(String method) {
    float[] x = RelabelTest.oneRowTwice();
    LabelModel once = RelabelTest.withFeatures(method);
    once.train(Arrays.copyOf(x, 4), new long[] {1}, new String[] {"a"}, new int[] {2}, 1);
    LabelModel twice = RelabelTest.withFeatures(method);
    twice.train(x, new long[] {1, 1}, new String[] {"a", "a"}, new int[] {2, 2}, 2);

    assertThat(twice.examplesSeen()).as("the network trained on both events").isEqualTo(2);
    assertThat(twice.labelsSeen("a")).isEqualTo(1);
    assertThat(twice.annotator("a").confusion()).isDeepEqualTo(once.annotator("a").confusion());
    assertThat(twice.annotator("a").reliability()).isEqualTo(once.annotator("a").reliability());
  }

  /** A relabel that changes the label replaces the earlier one: it is not counted again (RelabelTest has the rest). */
  @Test
  void aChangedRelabelReplacesTheLabelAndMovesTheConsensus() {
    LabelModel model = LabelModels.create(LABEL_ONLY);
    model.train(new float[0], new long[] {7, 7}, new String[] {"a", "b"}, new int[] {1, 2}, 2);
    ItemConsensus before = model.consensus(7, null);
    model.train(new float[0], new long[] {7}, new String[] {"a"}, new int[] {1}, 1);
    assertThat(model.labelsSeen("a")).as("the same label again").isEqualTo(1);
    // The repeated label goes last among the item's, as any relabel: the E-step sums its logs in another order.
    assertThat(model.consensus(7, null).posterior()).containsExactly(before.posterior(), within(1e-12));
    model.train(new float[0], new long[] {7}, new String[] {"a"}, new int[] {2}, 1);
    assertThat(model.labelsSeen("a")).as("another label for the same item").isEqualTo(1);
    assertThat(model.consensus(7, null).labels()).isEqualTo(2);
    assertThat(model.consensus(7, null).mostLikely()).isEqualTo(2);
  }

  /** Whether a label is one the item has is read from the item history, which the model's state holds whole. */
  @Test
  void aModelRestoredHalfwayThroughTheSecondPassEndsAsTheUninterruptedOne() {
    int[][] events = events();
    LabelModel model = LabelModels.create(LABEL_ONLY);
    train(model, events, 0, events.length, null);
    train(model, events, 0, 160, null);
    LabelModel restored = LabelModels.fromBytes(model.toBytes());
    train(model, events, 160, events.length, null);
    train(restored, events, 160, events.length, null);
    assertThat(restored.toBytes()).isEqualTo(model.toBytes());
  }
}
