package dev.chorus.jobs;

import dev.chorus.core.testing.GaussianBlobs;
import dev.chorus.jobs.kafka.LabeledDataset;

/** model-core's seeded Gaussian blobs as a dataset the jobs can stream. */
public final class SyntheticBlobs {
    private SyntheticBlobs() {}

    public static LabeledDataset generate(int n, int dim, int classes, long seed) {
        GaussianBlobs blobs = GaussianBlobs.generate(n, dim, classes, seed);
        return new LabeledDataset("blobs(" + classes + "x" + dim + ", seed " + seed + ")", blobs.x(), blobs.labels(),
                dim, classes);
    }
}
