package dev.chorus.core.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.output.SampledSoftmaxSpec.Objective;
import dev.chorus.core.random.SplitMix64;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class SampledSoftmaxTest {

  private static final int D = 4;
  private static final int C = 9;
  private static final int N = 3;

  /**
   * The analytic gradient of the sampled loss (weights, biases and input) against central differences of the same
   * loss recomputed, for a fixed sample holding a duplicate and an accidental hit of a true class.
   */
  @ParameterizedTest
  @EnumSource(Objective.class)
  void gradientMatchesFiniteDifferences(Objective objective) {
    SampledSoftmax layer = new SampledSoftmax(new SampledSoftmaxSpec(C, 4, objective), D, 5);
    SplitMix64 random = SplitMix64.seeded(17);
    for (int i = 0; i < layer.weights().length; i++) {
      layer.weights()[i] = random.nextSymmetric(1f);
    }
    for (int i = 0; i < C; i++) {
      layer.bias()[i] = random.nextSymmetric(0.5f);
    }
    float[] x = new float[N * D];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextSymmetric(1f);
    }
    int[] labels = {2, 7, 2};
    int[] sample = {0, 7, 5, 5};
    RowGradients gradient = new RowGradients(D);
    float[] inputGradient = new float[N * D];
    layer.lossAndGradient(x, N, labels, null, sample, inputGradient, gradient);
    assertThat(gradient.size()).as("rows touched: the labels and the sample, nothing else").isEqualTo(4);

    for (int c : new int[] {0, 2, 5, 7}) {
      for (int f = 0; f < D; f++) {
        double numeric = centralDifference(layer.weights(), c * D + f, () -> layer.lossAndGradient(x, N, labels, null,
            sample, null, new RowGradients(D)));
        assertThat((double) gradient.weightGradient(c, f)).as("dL/dW[%d][%d]", c, f).isCloseTo(numeric, within(2e-3));
      }
      double numeric = centralDifference(layer.bias(), c, () -> layer.lossAndGradient(x, N, labels, null, sample, null,
          new RowGradients(D)));
      assertThat((double) gradient.biasGradient(c)).as("dL/db[%d]", c).isCloseTo(numeric, within(2e-3));
    }
    for (int i = 0; i < x.length; i++) {
      double numeric = centralDifference(x, i, () -> layer.lossAndGradient(x, N, labels, null, sample, null,
          new RowGradients(D)));
      assertThat((double) inputGradient[i]).as("dL/dx[%d]", i).isCloseTo(numeric, within(2e-3));
    }
    assertThat((double) gradient.weightGradient(3, 0)).as("an unsampled class").isZero();
  }

  /**
   * With zero weights every logit is the correction alone, so the loss is hand-computable: for label 2 and the sample
   * {0, 5} of 9 classes, {@code log(1/Q(2) + 1/Q(0) + 1/Q(5)) − log(1/Q(2))} with Q(c) = log((c+2)/(c+1)) / log 10.
   */
  @Test
  void sampledLogitsAreCorrectedByLogQ() {
    SampledSoftmax layer = new SampledSoftmax(new SampledSoftmaxSpec(C, 2, Objective.SAMPLED_SOFTMAX), D, 1);
    double q2 = Math.log(4.0 / 3) / Math.log(10);
    double q0 = Math.log(2.0) / Math.log(10);
    double q5 = Math.log(7.0 / 6) / Math.log(10);
    double expected = Math.log(1 / q2 + 1 / q0 + 1 / q5) - Math.log(1 / q2);
    double loss = layer.lossAndGradient(new float[D], 1, new int[] {2}, null, new int[] {0, 5}, null, new RowGradients(D));
    assertThat(loss).isCloseTo(expected, within(1e-12));
  }

  /** A sampled class equal to the row's label is removed: a sample of only the label leaves one logit, loss 0. */
  @Test
  void accidentalHitsAreRemoved() {
    SampledSoftmax layer = new SampledSoftmax(new SampledSoftmaxSpec(C, 3, Objective.SAMPLED_SOFTMAX), D, 1);
    RowGradients gradient = new RowGradients(D);
    float[] x = {1f, -1f, 0.5f, 2f};
    double loss = layer.lossAndGradient(x, 1, new int[] {4}, null, new int[] {4, 4, 4}, null, gradient);
    assertThat(loss).isZero();
    assertThat((double) gradient.biasGradient(4)).isZero();
  }

  static double centralDifference(float[] values, int index, DoubleSupplier loss) {
    float saved = values[index];
    float up = saved + 1e-2f;
    float down = saved - 1e-2f;
    values[index] = up;
    double lossUp = loss.getAsDouble();
    values[index] = down;
    double lossDown = loss.getAsDouble();
    values[index] = saved;
    return (lossUp - lossDown) / ((double) up - down);
  }

  /**
   * Trained alike, sampled softmax with 64 negatives comes within 3 points of a full softmax's held-out accuracy
   * (measured 2026-12-04: 0.686 against 0.702 at 1,000 classes, 0.542 against 0.547 at 10,000). Negative sampling,
   * its binary variant with the correction added at inference, within 10 (0.628 and 0.526): its scores are only
   * calibrated up to the proposal, which one pass estimates less well for rare classes.
   */
  @ParameterizedTest
  @CsvSource({"1000, SAMPLED_SOFTMAX, 0.03", "10000, SAMPLED_SOFTMAX, 0.03", "1000, NEGATIVE_SAMPLING, 0.1",
      "10000, NEGATIVE_SAMPLING, 0.1"})
  void comesWithinAMarginOfFullSoftmaxAccuracy(int classes, Objective objective, double margin) {
    CentroidTask task = CentroidTask.standard(classes);
    double full = task.fullSoftmaxAccuracy();
    double sampled = trainedAccuracy(task, objective);
    System.out.printf("classes %d: full softmax %.4f, %s %.4f%n", classes, full, objective, sampled);
    assertThat(full).as("the task is learnable: the majority class alone scores %s", task.majorityAccuracy())
        .isGreaterThan(2 * task.majorityAccuracy());
    assertThat(sampled).as("%s against full softmax %s", objective, full).isGreaterThan(full - margin);
  }

  private static double trainedAccuracy(CentroidTask task, Objective objective) {
    SampledSoftmax layer = new SampledSoftmax(new SampledSoftmaxSpec(task.classes, 64, objective), task.dim, 7);
    for (int b = 0; b < task.batches(); b++) {
      layer.trainMinibatch(task.batchX(b), CentroidTask.BATCH, task.batchY(b), CentroidTask.LEARNING_RATE);
    }
    return accuracy(task, (x, offset) -> layer.predictTopK(x, offset, 1).get(0).id());
  }

  interface Classifier {
    int predict(float[] x, int offset);
  }

  static double accuracy(CentroidTask task, Classifier classifier) {
    int correct = 0;
    for (int i = 0; i < task.testY.length; i++) {
      correct += classifier.predict(task.testX, i * task.dim) == task.testY[i] ? 1 : 0;
    }
    return correct / (double) task.testY.length;
  }

  /** Multiply-adds per trained example do not depend on the class count: 10^6 classes cost under 2 × 10^3. */
  @Test
  void costPerExampleIsIndependentOfTheClassCount() {
    double small = multiplyAddsPerExample(1_000);
    double large = multiplyAddsPerExample(1_000_000);
    System.out.printf("multiply-adds per example: %.1f at 10^3 classes, %.1f at 10^6, ratio %.3f%n", small, large,
        large / small);
    assertThat(small).as("(1 + k)·d per example at least").isGreaterThanOrEqualTo(33 * 16);
    assertThat(large / small).isLessThan(2);
  }

  private static double multiplyAddsPerExample(int classes) {
    SampledSoftmax layer = new SampledSoftmax(new SampledSoftmaxSpec(classes, 32, Objective.SAMPLED_SOFTMAX), 16, 3);
    SplitMix64 random = SplitMix64.seeded(9);
    int rows = 20;
    for (int step = 0; step < 10; step++) {
      float[] x = new float[rows * 16];
      int[] labels = new int[rows];
      for (int i = 0; i < rows; i++) {
        labels[i] = (int) (random.nextDouble() * classes);
      }
      for (int i = 0; i < x.length; i++) {
        x[i] = random.nextSymmetric(1f);
      }
      layer.trainMinibatch(x, rows, labels, 0.1f);
    }
    return layer.multiplyAdds() / (10.0 * rows);
  }

  @Test
  void predictProbaIsTheFullSoftmaxAndTopKItsLargest() {
    SampledSoftmax layer = new SampledSoftmax(new SampledSoftmaxSpec(50, 8, Objective.SAMPLED_SOFTMAX), 3, 1);
    SplitMix64 random = SplitMix64.seeded(4);
    for (int i = 0; i < layer.weights().length; i++) {
      layer.weights()[i] = random.nextSymmetric(1f);
    }
    float[] x = {0.3f, -1f, 0.5f};
    float[] p = new float[50];
    layer.predictProba(x, 0, p);
    double sum = 0;
    int best = 0;
    for (int c = 0; c < 50; c++) {
      sum += p[c];
      best = p[c] > p[best] ? c : best;
    }
    assertThat(sum).isCloseTo(1, within(1e-5));
    List<Scored> top = layer.predictTopK(x, 0, 3);
    assertThat(top).hasSize(3);
    assertThat(top.get(0).id()).isEqualTo(best);
    assertThat(top.get(0).score()).isCloseTo(p[best], within(1e-5));
    assertThat(top.get(1).score()).isLessThanOrEqualTo(top.get(0).score());
  }

  @Test
  void logUniformProposalSumsToOneAndSamplesItsLaw() {
    LogUniformSampler sampler = new LogUniformSampler(100);
    double sum = 0;
    for (int c = 0; c < 100; c++) {
      sum += Math.exp(sampler.logProbability(c));
    }
    assertThat(sum).isCloseTo(1, within(1e-9));
    SplitMix64 random = SplitMix64.seeded(2);
    int zeros = 0;
    for (int i = 0; i < 100_000; i++) {
      int c = sampler.sample(random);
      assertThat(c).isBetween(0, 99);
      zeros += c == 0 ? 1 : 0;
    }
    assertThat(zeros / 100_000.0).isCloseTo(Math.exp(sampler.logProbability(0)), within(0.01));
  }
}
