package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.HiddenLayerSpec;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One label per item, uniformly corrupted with probability 0.8 (right 20% of the time, each wrong class 8.9%):
 * Dawid–Skene must learn how noisy its one annotator is and stay at least as accurate as naive, which trains on the
 * labels as given (issue 18, "no collapse under heavy noise").
 */
class HeavyNoiseTest {

  private static final int K = 10;
  private static final int DIM = 8;
  private static final int ITEMS = 20_000;

  @Test
  void dawidSkeneLearnsTheNoiseAndKeepsNaivesAccuracyAtEightyPercentCorruption() {
    GaussianBlobs train = GaussianBlobs.generate(ITEMS, DIM, K, 41);
    GaussianBlobs test = GaussianBlobs.generate(2000, DIM, K, 42);
    AnnotatorPool pool = AnnotatorPool.corruption(K, 0.8);
    LabelStream stream = pool.label(train.labels(), new int[] {1}, 43);
    double naive = accuracy(trained(NaiveLabelModel.NAME, train, pool, stream), test);
    assertThat(naive).as("naive's accuracy").isGreaterThan(0.3);
    LabelModel model = trained(DawidSkeneLabelModel.NAME, train, pool, stream);
    assertThat(accuracy(model, test)).as("dawid-skene's accuracy against naive's " + naive)
        .isGreaterThanOrEqualTo(naive);
    double diagonal = 0;
    double[][] confusion = model.annotator(pool.get(0).id()).confusion();
    for (int c = 0; c < K; c++) {
      diagonal += confusion[c][c] / K;
    }
    // The true diagonal is 0.2; the collapse came with a confusion stuck near its 0.7 prior, which over-trusts labels.
    assertThat(diagonal).as("dawid-skene's mean estimated diagonal").isBetween(0.1, 0.35);
  }

  /**
   * Weighted Doctor Net fell below naive here (about .29 against .36 over these three streams) while its lone
   * annotator's confusion drifted with its own predictions; then, its diagonal floored at the prior 0.8, it gained
   * less than a point over naive (.369 against .363) where Dawid–Skene gains twelve. A lone label now trains its head
   * and one-coin confusion as Dawid–Skene trains its classifier and confusion. The mean over three seeded streams
   * keeps one stream's luck out of the comparison.
   */
  @Test
  void weightedDoctorNetKeepsNaivesAccuracyAtEightyPercentCorruption() {
    double[] means =
        overStreams(0.8, NaiveLabelModel.NAME, DawidSkeneLabelModel.NAME, WeightedDoctorNetLabelModel.NAME);
    double naive = means[0];
    double dawidSkene = means[1];
    double weighted = means[2];
    assertThat(naive).as("naive's mean accuracy").isGreaterThan(0.3);
    assertThat(weighted).as("weighted-doctor-net's mean accuracy against naive's " + naive)
        .isGreaterThanOrEqualTo(naive);
    assertThat(weighted - naive).as("weighted-doctor-net's gain over naive against half of dawid-skene's "
        + (dawidSkene - naive)).isGreaterThanOrEqualTo((dawidSkene - naive) / 2);
    // The true diagonal is 0.2; floored at the prior 0.8 the labels were over-trusted.
    assertThat(means[3]).as("weighted-doctor-net's mean estimated diagonal").isBetween(0.1, 0.5);
  }

  /**
   * With clean labels, one per item, weighted Doctor Net's lone annotator's diagonal settles below 1 (half of its
   * reference is the head's prediction, 68% right on these blobs; it was held at 0.8 or above before), but the
   * posterior still favours the label by the ratio of the diagonal to an off-diagonal entry: neither method falls
   * below naive.
   */
  @Test
  void aCleanLoneAnnotatorCostsNeitherMethodAccuracy() {
    double[] means = overStreams(0, NaiveLabelModel.NAME, DawidSkeneLabelModel.NAME, WeightedDoctorNetLabelModel.NAME);
    assertThat(means[1]).as("dawid-skene's mean accuracy against naive's " + means[0])
        .isGreaterThanOrEqualTo(means[0] - 0.005);
    assertThat(means[2]).as("weighted-doctor-net's mean accuracy against naive's " + means[0])
        .isGreaterThanOrEqualTo(means[0] - 0.005);
  }

  /**
   * Each method's mean test accuracy over three seeded streams with corruption {@code p}, then the last method's mean
   * estimated diagonal of the one annotator.
   */
  private static double[] overStreams(double p, String... methods) {
    double[] means = new double[methods.length + 1];
    for (int s = 0; s < 3; s++) {
      GaussianBlobs train = GaussianBlobs.generate(ITEMS, DIM, K, 41 + 10 * s);
      GaussianBlobs test = GaussianBlobs.generate(2000, DIM, K, 42 + 10 * s);
      AnnotatorPool pool = AnnotatorPool.corruption(K, p);
      LabelStream stream = pool.label(train.labels(), new int[] {1}, 43 + 10 * s);
      for (int m = 0; m < methods.length; m++) {
        LabelModel model = trained(methods[m], train, pool, stream);
        means[m] += accuracy(model, test) / 3;
        if (m == methods.length - 1) {
          means[methods.length] += meanDiagonal(model, pool) / 3;
        }
      }
    }
    return means;
  }

  private static double meanDiagonal(LabelModel model, AnnotatorPool pool) {
    double[][] confusion = model.annotator(pool.get(0).id()).confusion();
    double diagonal = 0;
    for (int c = 0; c < K; c++) {
      diagonal += confusion[c][c] / K;
    }
    return diagonal;
  }

  private static LabelModel trained(String method, GaussianBlobs data, AnnotatorPool pool, LabelStream stream) {
    ModelSpec spec = ModelSpec.mlp(DIM, K, List.of(HiddenLayerSpec.of(64, ActivationFunction.RELU))).withSeed(7);
    LabelModel model = LabelModels.create(spec, LabelModelSpec.withMaxAnnotators(method, 4));
    LabelEvents.train(model, data, pool, stream, 0, stream.size(), 64);
    return model;
  }

  private static double accuracy(LabelModel model, GaussianBlobs data) {
    int right = 0;
    for (int i = 0; i < data.rows(); i++) {
      right += model.predict(data.x(), i * DIM) == data.labels()[i] ? 1 : 0;
    }
    return (double) right / data.rows();
  }
}
