package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.model.HiddenLayerSpec;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code weighted-doctor-net-paper}: Guan et al.'s Weighted Doctor Net as the paper has it, learned online. */
class WeightedDoctorNetPaperTest {

  private static final int K = 4;
  private static final int DIM = 8;

  private static ModelSpec mlp() {
    return ModelSpec.mlp(DIM, K, List.of(HiddenLayerSpec.of(16, ActivationFunction.RELU))).withSeed(3);
  }

  /** Four experts and two spammers. */
  private static AnnotatorPool pool() {
    List<SimulatedAnnotator> people = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      people.add(new SimulatedAnnotator("expert-" + i, "expert", AnnotatorPool.uniformErrors(K, 0.95)));
    }
    for (int i = 0; i < 2; i++) {
      people.add(new SimulatedAnnotator("spammer-" + i, "spammer", AnnotatorPool.uniformErrors(K, 1.0 / K)));
    }
    return new AnnotatorPool(people);
  }

  private static WeightedDoctorNetPaperLabelModel model() {
    return (WeightedDoctorNetPaperLabelModel) LabelModels.create(mlp(),
        LabelModelSpec.withMaxAnnotators(WeightedDoctorNetPaperLabelModel.NAME, 8));
  }

  /**
   * Every annotator labels every item: the paper's weights fit the pooled labels, so the spammers' flat heads
   * together take about the share of the labels that are noise, and with a skewed workload a busy spammer can
   * outweigh a rarely seen expert. Equal workloads leave only reliability to rank them.
   */
  @Test
  void learnedWeightsRankEveryExpertAboveEverySpammer() {
    GaussianBlobs data = GaussianBlobs.generate(1000, DIM, K, 21);
    AnnotatorPool pool = pool();
    LabelStream stream = pool.label(data.labels(), new int[] {6}, 22);
    WeightedDoctorNetPaperLabelModel model = model();
    train(model, data, pool, stream, 0, stream.size());
    double lowestExpert = Double.POSITIVE_INFINITY;
    double highestSpammer = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < 4; i++) {
      lowestExpert = Math.min(lowestExpert, model.annotator("expert-" + i).weight());
    }
    for (int i = 0; i < 2; i++) {
      highestSpammer = Math.max(highestSpammer, model.annotator("spammer-" + i).weight());
    }
    assertThat(lowestExpert).as("the least weighted expert against the most weighted spammer")
        .isGreaterThan(highestSpammer);
    int right = 0;
    for (int i = 0; i < data.rows(); i++) {
      right += model.predict(data.x(), i * DIM) == data.labels()[i] ? 1 : 0;
    }
    assertThat((double) right / data.rows()).isGreaterThan(0.6);
  }

  @Test
  void predictionIsExactlyTheWeightedMeanOfTheHeads() {
    GaussianBlobs data = GaussianBlobs.generate(600, DIM, K, 5);
    AnnotatorPool pool = pool();
    LabelStream stream = pool.label(data.labels(), new int[] {3}, 6);
    WeightedDoctorNetPaperLabelModel model = model();
    train(model, data, pool, stream, 0, stream.size());
    double[] weights = model.weights();
    assertThat(weights).hasSize(6);
    float[] head = new float[K];
    float[] p = new float[K];
    for (int r = 0; r < 50; r++) {
      float[] features = model.net.features(data.x(), r * DIM);
      float[] expected = new float[K];
      for (int h = 0; h < weights.length; h++) {
        model.net.headProba(h, features, head);
        for (int c = 0; c < K; c++) {
          expected[c] += (float) weights[h] * head[c];
        }
      }
      model.predictProba(data.x(), r * DIM, p);
      assertThat(p).as("example %d", r).containsExactly(expected);
    }
  }

  @Test
  void weightsStepOnHeadsBeforeTheyTrainOnTheMinibatchAndHeadsOnTheirOwnLabels() {
    GaussianBlobs data = GaussianBlobs.generate(400, DIM, K, 8);
    AnnotatorPool pool = pool();
    LabelStream stream = pool.label(data.labels(), new int[] {3}, 9);
    WeightedDoctorNetPaperLabelModel model = model();
    train(model, data, pool, stream, 0, 320);
    WeightedDoctorNetPaperLabelModel before = model.copy();
    assertThat(before.weights()).as("every annotator seen before the minibatch").hasSize(6);
    double[] logits = logits(before);
    float[][] heads = new float[6][K];
    float[] target = new float[K];
    double[] gradient = new double[6];
    for (int e = 320; e < 352; e++) {
      float[] features = before.net.features(data.x(), stream.items()[e] * DIM);
      for (int h = 0; h < 6; h++) {
        before.net.headProba(h, features, heads[h]);
      }
      double[] alpha = softmax(logits);
      ClassifierLabelModel.oneHot(stream.labels()[e], target);
      WeightedDoctorNetLabelModel.logitGradient(alpha, heads, target, 6, gradient);
      for (int h = 0; h < 6; h++) {
        logits[h] -= WeightedDoctorNetPaperLabelModel.WEIGHT_LEARNING_RATE * gradient[h];
      }
    }
    train(model, data, pool, stream, 320, 352);
    assertThat(model.weights()).as("weights from the heads as they were before the minibatch")
        .containsExactly(softmax(logits), within(1e-12));
    DoctorNetLabelModel plain = new DoctorNetLabelModel(mlp(),
        LabelModelSpec.withMaxAnnotators(DoctorNetLabelModel.NAME, 8));
    train(plain, data, pool, stream, 0, 352);
    float[] features = model.net.features(data.x(), 0);
    float[] ours = new float[K];
    float[] theirs = new float[K];
    for (int h = 0; h < 6; h++) {
      model.net.headProba(h, features, ours);
      float[] plainFeatures = plain.net.features(data.x(), 0);
      plain.net.headProba(h, plainFeatures, theirs);
      assertThat(ours).as("head %d trains as the Doctor Net's, on its annotator's own labels", h)
          .containsExactly(theirs);
    }
  }

  @Test
  void stateRoundTripsBitForBitAndTrainsOnIdentically() {
    GaussianBlobs data = GaussianBlobs.generate(600, DIM, K, 11);
    AnnotatorPool pool = pool();
    LabelStream stream = pool.label(data.labels(), new int[] {3}, 12);
    WeightedDoctorNetPaperLabelModel model = model();
    train(model, data, pool, stream, 0, stream.size() / 2);
    byte[] bytes = model.toBytes();
    LabelModel restored = LabelModels.fromBytes(bytes);
    LabelModel copy = model.copy();
    assertThat(restored).isInstanceOf(WeightedDoctorNetPaperLabelModel.class);
    assertThat(restored.toBytes()).isEqualTo(bytes);
    train(model, data, pool, stream, stream.size() / 2, stream.size());
    train(restored, data, pool, stream, stream.size() / 2, stream.size());
    assertThat(restored.toBytes()).isEqualTo(model.toBytes());
    assertThat(copy.toBytes()).as("the copy is independent").isEqualTo(bytes);
    assertThat(model.toBytes()).isNotEqualTo(bytes);
  }

  private static double[] logits(WeightedDoctorNetPaperLabelModel model) {
    double[] w = model.weights();
    double[] logits = new double[w.length];
    for (int h = 0; h < w.length; h++) {
      logits[h] = Math.log(w[h]);
    }
    return logits;
  }

  private static double[] softmax(double[] logits) {
    double[] out = logits.clone();
    WeightedDoctorNetLabelModel.softmax(out, out.length);
    return out;
  }

  private static void train(LabelModel model, GaussianBlobs data, AnnotatorPool pool, LabelStream stream, int from,
      int to) {
    LabelEvents.train(model, data, pool, stream, from, to, 32);
  }
}
