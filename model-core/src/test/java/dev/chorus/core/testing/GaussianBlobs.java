package dev.chorus.core.testing;

import java.util.Random;

/**
 * A seeded synthetic classification data set: {@code classes} Gaussian blobs in {@code dim} dimensions with
 * unit noise around centres drawn from N(0, 1), shifted by a common offset and scaled per feature so that
 * standardisation has something to do. Shared with the jobs module's tests through model-core's test jar.
 */
public record GaussianBlobs(float[] x, int[] labels, int rows, int dim) {

  public static GaussianBlobs generate(int rows, int dim, int classes, long seed) {
    Random centresRandom = new Random(1234);
    double[][] centres = new double[classes][dim];
    for (double[] centre : centres) {
      for (int f = 0; f < dim; f++) {
        centre[f] = centresRandom.nextGaussian();
      }
    }
    Random random = new Random(seed);
    float[] x = new float[rows * dim];
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      int label = random.nextInt(classes);
      labels[i] = label;
      for (int f = 0; f < dim; f++) {
        double scale = 1 + f % 5;
        x[i * dim + f] = (float) (10 + scale * (centres[label][f] + random.nextGaussian()));
      }
    }
    return new GaussianBlobs(x, labels, rows, dim);
  }
}
