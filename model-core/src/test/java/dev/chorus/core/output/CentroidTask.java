package dev.chorus.core.output;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.loss.SoftmaxCrossEntropy;
import dev.chorus.core.nn.Dense;
import dev.chorus.core.nn.Network;
import dev.chorus.core.optim.Sgd;
import dev.chorus.core.optim.SgdSpec;
import dev.chorus.core.random.SplitMix64;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A seeded synthetic task with many classes: each class has a Gaussian centroid in {@code dim} dimensions, an
 * example is its class's centroid plus Gaussian noise, and labels follow a Zipf law with exponent 1.1 over class
 * ids (id 0 the most frequent), as words and items do. The reference it is compared against is a full softmax:
 * the library's {@link Dense} layer trained with {@link SoftmaxCrossEntropy} and {@link Sgd} on the same features.
 */
final class CentroidTask {

  static final int BATCH = 32;
  /** One pass at this SGD step for every method compared, the full softmax included. */
  static final float LEARNING_RATE = 1f;
  private static final Map<Integer, CentroidTask> STANDARD = new HashMap<>();
  private static final double NOISE = 0.5;

  final int classes;
  final int dim;
  final float[] trainX;
  final int[] trainY;
  final float[] testX;
  final int[] testY;
  private double fullSoftmaxAccuracy = Double.NaN;

  /**
   * The task the output layers are compared on, shared by the tests of one run so that its full softmax trains
   * once: 16 dimensions, 6,000 training rows (5,000 from 10,000 classes up, to bound the reference's O(C·d) cost on
   * a shared machine) and 1,000 held-out rows.
   */
  static synchronized CentroidTask standard(int classes) {
    return STANDARD.computeIfAbsent(classes, c -> new CentroidTask(c, 16, c < 10_000 ? 6_000 : 5_000, 1_000, 31));
  }

  CentroidTask(int classes, int dim, int trainRows, int testRows, long seed) {
    this.classes = classes;
    this.dim = dim;
    SplitMix64 random = SplitMix64.seeded(seed);
    float[] centroids = new float[classes * dim];
    for (int i = 0; i < centroids.length; i++) {
      centroids[i] = (float) random.nextGaussian();
    }
    double[] cdf = new double[classes];
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      sum += Math.pow(c + 1, -1.1);
      cdf[c] = sum;
    }
    trainX = new float[trainRows * dim];
    trainY = new int[trainRows];
    testX = new float[testRows * dim];
    testY = new int[testRows];
    fill(trainX, trainY, centroids, cdf, random);
    fill(testX, testY, centroids, cdf, random);
  }

  private void fill(float[] x, int[] y, float[] centroids, double[] cdf, SplitMix64 random) {
    for (int i = 0; i < y.length; i++) {
      int found = Arrays.binarySearch(cdf, random.nextDouble() * cdf[classes - 1]);
      y[i] = Math.min(classes - 1, found >= 0 ? found : -found - 1);
      for (int f = 0; f < dim; f++) {
        x[i * dim + f] = centroids[y[i] * dim + f] + (float) (NOISE * random.nextGaussian());
      }
    }
  }

  /** The share of the held-out rows in the most frequent class: what predicting it alone scores. */
  double majorityAccuracy() {
    return Arrays.stream(testY).filter(y -> y == 0).count() / (double) testY.length;
  }

  int batches() {
    return trainY.length / BATCH;
  }

  float[] batchX(int b) {
    return Arrays.copyOfRange(trainX, b * BATCH * dim, (b + 1) * BATCH * dim);
  }

  int[] batchY(int b) {
    return Arrays.copyOfRange(trainY, b * BATCH, (b + 1) * BATCH);
  }

  /** Held-out accuracy of a full softmax trained for one pass at {@link #LEARNING_RATE}, computed once. */
  synchronized double fullSoftmaxAccuracy() {
    if (Double.isNaN(fullSoftmaxAccuracy)) {
      fullSoftmaxAccuracy = fullSoftmaxAccuracy(1, LEARNING_RATE);
    }
    return fullSoftmaxAccuracy;
  }

  private double fullSoftmaxAccuracy(int epochs, float learningRate) {
    Dense dense = Dense.zeros(Blas.get(), "", dim, classes, true);
    Network network = new Network(List.of(dense));
    Sgd sgd = new Sgd(new SgdSpec(learningRate));
    float[] logits = new float[BATCH * classes];
    float[] gradient = new float[BATCH * classes];
    SplitMix64 unused = SplitMix64.seeded(0);
    for (int epoch = 0; epoch < epochs; epoch++) {
      for (int b = 0; b < batches(); b++) {
        float[] x = batchX(b);
        network.forward(x, BATCH, logits, unused);
        SoftmaxCrossEntropy.INSTANCE.lossAndGradient(logits, BATCH, classes, batchY(b), null, gradient);
        network.backward(x, BATCH, gradient);
        sgd.step(network.parameters(), learningRate);
      }
    }
    float[] out = new float[testY.length * classes];
    network.predictBatch(testX, testY.length, out);
    int correct = 0;
    for (int i = 0; i < testY.length; i++) {
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (out[i * classes + c] > out[i * classes + best]) {
          best = c;
        }
      }
      correct += best == testY[i] ? 1 : 0;
    }
    return correct / (double) testY.length;
  }
}
