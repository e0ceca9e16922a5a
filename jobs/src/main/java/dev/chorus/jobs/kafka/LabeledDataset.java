package dev.chorus.jobs.kafka;

/**
 * A dense labeled dataset in memory: {@code size} rows of {@code dim} float features, row-major, and one class
 * label per row.
 */
public record LabeledDataset(String name, float[] features, int[] labels, int dim, int numClasses) {

    public LabeledDataset {
        if (features.length != (long) labels.length * dim) {
            throw new IllegalArgumentException("dataset " + name + ": expected " + labels.length + " x " + dim
                    + " features, got " + features.length);
        }
    }

    public int size() {
        return labels.length;
    }
}
