package dev.chorus.core.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Hand-computed values and central-difference gradient checks for every loss, and the L1 proximal step. */
class LossesTest {

  private static final int ROWS = 9;
  private static final int CLASSES = 4;

  static Stream<Named<ClassificationLoss>> classificationLosses() {
    return Stream.of(SoftmaxCrossEntropy.INSTANCE, LogisticLoss.INSTANCE, BinaryHinge.INSTANCE,
        MulticlassHinge.INSTANCE, SoftmaxSquaredError.INSTANCE).map(loss -> Named.of(loss.name(), loss));
  }

  static Stream<Named<ClassificationLoss>> softLosses() {
    return classificationLosses().filter(named -> named.getPayload().supportsSoftTargets());
  }

  /** Binary losses see two classes, the others {@link #CLASSES}. */
  private static int classes(ClassificationLoss loss) {
    return loss.outputDim(2) == 1 ? 2 : CLASSES;
  }

  private static float[] uniform(int n, double low, double high, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextDouble(low, high);
    }
    return values;
  }

  private static int[] labels(int classes) {
    SplittableRandom random = new SplittableRandom(3);
    int[] labels = new int[ROWS];
    for (int i = 0; i < ROWS; i++) {
      labels[i] = random.nextInt(classes);
    }
    return labels;
  }

  private static float[] distributions(int classes) {
    float[] raw = uniform(ROWS * classes, 0.05, 1, 4);
    for (int i = 0; i < ROWS; i++) {
      float sum = 0;
      for (int j = 0; j < classes; j++) {
        sum += raw[i * classes + j];
      }
      for (int j = 0; j < classes; j++) {
        raw[i * classes + j] /= sum;
      }
    }
    return raw;
  }

  /** The hinges' kinks: a margin of exactly 1, or (Crammer–Singer) two rival classes tied. */
  private static boolean nearKink(ClassificationLoss loss, float[] outputs, int[] labels, int classes, double h) {
    for (int i = 0; i < ROWS; i++) {
      if (loss == BinaryHinge.INSTANCE) {
        double sign = labels[i] == 1 ? 1 : -1;
        if (Math.abs(1 - sign * outputs[i]) < 3 * h) {
          return true;
        }
      } else if (loss == MulticlassHinge.INSTANCE) {
        for (int j = 0; j < classes; j++) {
          for (int k = 0; k < classes; k++) {
            float zy = outputs[i * classes + labels[i]];
            if (j != k && j != labels[i] && k != labels[i]
                && Math.abs(outputs[i * classes + j] - outputs[i * classes + k]) < 3 * h) {
              return true;
            }
            if (j == k && j != labels[i] && Math.abs(1 + outputs[i * classes + j] - zy) < 3 * h) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("classificationLosses")
  void gradientMatchesCentralDifferences(ClassificationLoss loss) {
    int classes = classes(loss);
    int width = loss.outputDim(classes);
    float[] outputs = uniform(ROWS * width, -2, 2, 1);
    float[] weights = uniform(ROWS, 0.2, 2, 2);
    int[] labels = labels(classes);
    double h = 1e-3;
    assertThat(nearKink(loss, outputs, labels, classes, h)).as("test points avoid kinks").isFalse();
    float[] gradient = new float[outputs.length];
    loss.lossAndGradient(outputs, ROWS, classes, labels, weights, gradient);
    float[] scratch = new float[outputs.length];
    for (int i = 0; i < outputs.length; i++) {
      float saved = outputs[i];
      outputs[i] = (float) (saved + h);
      double plus = loss.lossAndGradient(outputs, ROWS, classes, labels, weights, scratch);
      outputs[i] = (float) (saved - h);
      double minus = loss.lossAndGradient(outputs, ROWS, classes, labels, weights, scratch);
      outputs[i] = saved;
      double numeric = (plus - minus) / (2 * h);
      assertThat((double) gradient[i]).as("d loss / d output[%d]", i).isCloseTo(numeric, within(1e-4));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("softLosses")
  void softGradientMatchesCentralDifferences(ClassificationLoss loss) {
    int classes = classes(loss);
    int width = loss.outputDim(classes);
    float[] outputs = uniform(ROWS * width, -2, 2, 1);
    float[] weights = uniform(ROWS, 0.2, 2, 2);
    float[] targets = distributions(classes);
    float[] gradient = new float[outputs.length];
    loss.softLossAndGradient(outputs, ROWS, classes, targets, weights, gradient);
    float[] scratch = new float[outputs.length];
    double h = 1e-3;
    for (int i = 0; i < outputs.length; i++) {
      float saved = outputs[i];
      outputs[i] = (float) (saved + h);
      double plus = loss.softLossAndGradient(outputs, ROWS, classes, targets, weights, scratch);
      outputs[i] = (float) (saved - h);
      double minus = loss.softLossAndGradient(outputs, ROWS, classes, targets, weights, scratch);
      outputs[i] = saved;
      double numeric = (plus - minus) / (2 * h);
      assertThat((double) gradient[i]).as("d loss / d output[%d]", i).isCloseTo(numeric, within(1e-4));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("softLosses")
  void oneHotTargetsGiveTheHardLabelsLossAndGradient(ClassificationLoss loss) {
    int classes = classes(loss);
    int width = loss.outputDim(classes);
    float[] outputs = uniform(ROWS * width, -3, 3, 5);
    int[] labels = labels(classes);
    float[] oneHot = new float[ROWS * classes];
    for (int i = 0; i < ROWS; i++) {
      oneHot[i * classes + labels[i]] = 1f;
    }
    float[] hardGradient = new float[outputs.length];
    float[] softGradient = new float[outputs.length];
    double hard = loss.lossAndGradient(outputs, ROWS, classes, labels, null, hardGradient);
    double soft = loss.softLossAndGradient(outputs, ROWS, classes, oneHot, null, softGradient);
    assertThat(soft).isCloseTo(hard, within(1e-12));
    assertThat(softGradient).containsExactly(hardGradient, within(1e-7f));
  }

  @Test
  void softmaxCrossEntropyAgainstADistribution() {
    // z = (0, 0): softmax (½, ½), LSE = ln 2; t = (¼, ¾): loss = ln 2, gradient p − t = (¼, −¼).
    float[] gradient = new float[2];
    double loss = SoftmaxCrossEntropy.INSTANCE.softLossAndGradient(new float[] {0, 0}, 1, 2,
        new float[] {0.25f, 0.75f}, null, gradient);
    assertThat(loss).isCloseTo(Math.log(2), within(1e-12));
    assertThat(gradient).containsExactly(new float[] {0.25f, -0.25f}, within(1e-7f));
  }

  @Test
  void logisticHandComputedAndStableForHugeLogits() {
    // (z=0, y=1): ln 2, σ(0) − 1 = −½. (z=2, y=0): ln(1 + e²) = 2.126928, σ(2) = 0.880797. Weights 1 and 3.
    float[] gradient = new float[2];
    double loss = LogisticLoss.INSTANCE.lossAndGradient(new float[] {0, 2}, 2, 2, new int[] {1, 0},
        new float[] {1, 3}, gradient);
    assertThat(loss).isCloseTo((Math.log(2) + 3 * 2.1269280110429727) / 4, within(1e-9));
    assertThat(gradient).containsExactly(new float[] {-0.125f, 0.880797f * 3 / 4}, within(1e-6f));

    loss = LogisticLoss.INSTANCE.lossAndGradient(new float[] {1000, -1000}, 2, 2, new int[] {0, 0}, null, gradient);
    assertThat(loss).isEqualTo(500.0);
    assertThat(gradient).containsExactly(0.5f, 0f);
    float[] p = new float[2];
    LogisticLoss.INSTANCE.probabilities(new float[] {(float) Math.log(3)}, 0, 2, p);
    assertThat(p).containsExactly(new float[] {0.25f, 0.75f}, within(1e-7f));
  }

  @Test
  void binaryHingeHandComputed() {
    // y=1, f=0.5: 0.5, −1. y=0, f=−2: beyond the margin, 0. y=0, f=0.5: 1.5, +1. Mean over 3.
    float[] gradient = new float[3];
    double loss = BinaryHinge.INSTANCE.lossAndGradient(new float[] {0.5f, -2, 0.5f}, 3, 2, new int[] {1, 0, 0},
        null, gradient);
    assertThat(loss).isCloseTo(2.0 / 3, within(1e-7));
    assertThat(gradient).containsExactly(new float[] {-1f / 3, 0, 1f / 3}, within(1e-7f));
    float[] p = new float[2];
    BinaryHinge.INSTANCE.probabilities(new float[] {1}, 0, 2, p);
    assertThat(p[1]).isCloseTo(0.8807971f, within(1e-6f));
  }

  @Test
  void crammerSingerPenalisesOnlyTheMostViolatingClass() {
    // z = (1, 2, 0.5), y = 0: rival 1, 1 + 2 − 1 = 2. z = (3, 1, 0.5), y = 0: 1 + 1 − 3 < 0. Mean 1.
    float[] gradient = new float[6];
    double loss = MulticlassHinge.INSTANCE.lossAndGradient(new float[] {1, 2, 0.5f, 3, 1, 0.5f}, 2, 3,
        new int[] {0, 0}, null, gradient);
    assertThat(loss).isEqualTo(1.0);
    assertThat(gradient).containsExactly(-0.5f, 0.5f, 0, 0, 0, 0);
  }

  @Test
  void softmaxSquaredErrorHandComputed() {
    // z = (0, 0), y = 0: p = (½, ½), g = p − t = (−½, ½), loss ½·(¼ + ¼) = ¼; Σ p·g = 0, gradient p·g = (−¼, ¼).
    float[] gradient = new float[2];
    double loss = SoftmaxSquaredError.INSTANCE.lossAndGradient(new float[] {0, 0}, 1, 2, new int[] {0}, null, gradient);
    assertThat(loss).isEqualTo(0.25);
    assertThat(gradient).containsExactly(-0.25f, 0.25f);
  }

  @Test
  void squaredErrorHandComputedAndChecked() {
    // Residuals 1 and 2: ½·1 and ½·4, mean 1.25; gradient residual / 2.
    float[] gradient = new float[2];
    double loss = SquaredError.INSTANCE.lossAndGradient(new float[] {1, 3}, 2, 1, new float[] {0, 1}, null, gradient);
    assertThat(loss).isEqualTo(1.25);
    assertThat(gradient).containsExactly(0.5f, 1f);

    float[] outputs = uniform(ROWS * 2, -2, 2, 1);
    float[] targets = uniform(ROWS * 2, -2, 2, 6);
    float[] weights = uniform(ROWS, 0.2, 2, 2);
    float[] analytic = new float[outputs.length];
    SquaredError.INSTANCE.lossAndGradient(outputs, ROWS, 2, targets, weights, analytic);
    float[] scratch = new float[outputs.length];
    double h = 1e-3;
    for (int i = 0; i < outputs.length; i++) {
      float saved = outputs[i];
      outputs[i] = (float) (saved + h);
      double plus = SquaredError.INSTANCE.lossAndGradient(outputs, ROWS, 2, targets, weights, scratch);
      outputs[i] = (float) (saved - h);
      double minus = SquaredError.INSTANCE.lossAndGradient(outputs, ROWS, 2, targets, weights, scratch);
      outputs[i] = saved;
      assertThat((double) analytic[i]).isCloseTo((plus - minus) / (2 * h), within(1e-4));
    }
  }

  @Test
  void zeroTotalWeightGivesZeroLossAndGradient() {
    float[] gradient = {9, 9, 9};
    assertThat(MulticlassHinge.INSTANCE.lossAndGradient(new float[] {1, 2, 3}, 1, 3, new int[] {0},
        new float[] {0}, gradient)).isZero();
    assertThat(gradient).containsOnly(0f);
  }

  @Test
  void hingesRefuseSoftTargets() {
    assertThat(BinaryHinge.INSTANCE.supportsSoftTargets()).isFalse();
    assertThatThrownBy(() -> MulticlassHinge.INSTANCE.softLossAndGradient(new float[3], 1, 3, new float[3], null,
        new float[3])).isInstanceOf(UnsupportedOperationException.class)
        .hasMessage("loss \"multiclass-hinge\" does not train on soft targets");
  }

  @Test
  void l1ProximalStepSoftThresholdsRegularisedValuesOnly() {
    Parameter weights = Parameter.zeros("w", 1, 4, true);
    System.arraycopy(new float[] {0.5f, -0.05f, 0.02f, -1f}, 0, weights.value().data(), 0, 4);
    Parameter bias = Parameter.zeros("b", 1, 1, false);
    bias.value().data()[0] = 0.01f;
    ParameterSet set = new ParameterSet(List.of(weights, bias));
    L1Penalty l1 = new L1Penalty(0.1);
    assertThat(l1.penalty(set)).isCloseTo(0.1 * 1.57, within(1e-6));
    // Threshold η·λ = 0.5 · 0.1 = 0.05: shrink by it, clamp at zero.
    l1.proximalStep(set, 0.5f);
    assertThat(weights.value().data()).containsExactly(new float[] {0.45f, 0f, 0f, -0.95f}, within(1e-7f));
    assertThat(bias.value().data()).containsExactly(0.01f);
  }
}
