package dev.chorus.jobs;

import dev.chorus.runtime.LabeledDataset;
import java.util.SplittableRandom;

/** A learnable synthetic classification stream: K Gaussian blobs with well-separated, seeded centres. */
public final class SyntheticBlobs {
    private SyntheticBlobs() {}

    public static LabeledDataset generate(int n, int dim, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][] centres = new float[classes][dim];
        for (float[] c : centres) {
            for (int j = 0; j < dim; j++) {
                c[j] = (float) (random.nextDouble() * 6 - 3);
            }
        }
        float[] features = new float[n * dim];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int k = random.nextInt(classes);
            labels[i] = k;
            for (int j = 0; j < dim; j++) {
                features[i * dim + j] = centres[k][j] + (float) gaussian(random);
            }
        }
        return new LabeledDataset("blobs(" + classes + "x" + dim + ", seed " + seed + ")", features, labels, dim, classes);
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
