package dev.chorus.core.loss;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every classification loss's loss and gradient, bit for bit, on seeded minibatches (hard and soft targets; no, random,
 * partly zero and all-zero weights; logits up to ±40): a digest of their raw bits, frozen from the losses as they were
 * before they shared {@link WeightedMeanLoss}. A change that moves a single bit of any of them fails here, where the
 * value tests' tolerances would let it pass.
 */
class LossBitsTest {

  private static final int ROWS = 13;
  private static final int CLASSES = 5;

  @Test
  void everyLossComputesTheSameBitsAsBeforeTheSharedBase() {
    assertThat(digest(SoftmaxCrossEntropy.INSTANCE)).as(SoftmaxCrossEntropy.NAME).isEqualTo(7702524670893085607L);
    assertThat(digest(LogisticLoss.INSTANCE)).as(LogisticLoss.NAME).isEqualTo(6434326220134335930L);
    assertThat(digest(BinaryHinge.INSTANCE)).as(BinaryHinge.NAME).isEqualTo(8587726584487281512L);
    assertThat(digest(MulticlassHinge.INSTANCE)).as(MulticlassHinge.NAME).isEqualTo(7888768119483260294L);
    assertThat(digest(SoftmaxSquaredError.INSTANCE)).as(SoftmaxSquaredError.NAME).isEqualTo(9019603068732433978L);
  }

  /** The raw bits of {@code loss}'s losses and gradients over the seeded minibatches, folded into one number. */
  static long digest(ClassificationLoss loss) {
    int classes = loss.outputDim(2) == 1 ? 2 : CLASSES;
    int width = loss.outputDim(classes);
    long digest = 17;
    for (long seed = 0; seed < 8; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      float[] outputs = new float[ROWS * width];
      for (int i = 0; i < outputs.length; i++) {
        outputs[i] = (float) random.nextDouble(seed < 4 ? -3 : -40, seed < 4 ? 3 : 40);
      }
      int[] labels = new int[ROWS];
      float[] targets = new float[ROWS * classes];
      for (int i = 0; i < ROWS; i++) {
        labels[i] = random.nextInt(classes);
        double sum = 0;
        for (int c = 0; c < classes; c++) {
          targets[i * classes + c] = (float) random.nextDouble();
          sum += targets[i * classes + c];
        }
        for (int c = 0; c < classes; c++) {
          targets[i * classes + c] /= (float) sum;
        }
      }
      for (float[] weights : new float[][] {null, weights(random, 0), weights(random, 0.3), new float[ROWS]}) {
        float[] gradient = new float[ROWS * width];
        digest = fold(digest, loss.lossAndGradient(outputs, ROWS, classes, labels, weights, gradient), gradient);
        if (loss.supportsSoftTargets()) {
          gradient = new float[ROWS * width];
          digest = fold(digest, loss.softLossAndGradient(outputs, ROWS, classes, targets, weights, gradient),
              gradient);
        }
      }
    }
    return digest;
  }

  /** Weights in [0, 2), each zero with probability {@code zeros}. */
  private static float[] weights(SplittableRandom random, double zeros) {
    float[] weights = new float[ROWS];
    for (int i = 0; i < ROWS; i++) {
      weights[i] = random.nextDouble() < zeros ? 0f : (float) random.nextDouble(2);
    }
    return weights;
  }

  private static long fold(long digest, double loss, float[] gradient) {
    digest = digest * 1_000_003 + Double.doubleToRawLongBits(loss);
    for (float g : gradient) {
      digest = digest * 1_000_003 + Float.floatToRawIntBits(g);
    }
    return digest;
  }
}
