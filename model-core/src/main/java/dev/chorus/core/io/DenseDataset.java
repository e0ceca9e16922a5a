package dev.chorus.core.io;

/**
 * A dataset with every feature stored: row {@code i}'s features are
 * {@code features[i·dim .. (i+1)·dim)}, the row-major layout that {@code OnlineLearner.trainMinibatch} takes.
 * The arrays are held, not copied.
 */
public record DenseDataset(String source, int rows, int dim, float[] features, double[] labels) implements Dataset {

  /** @throws IllegalArgumentException if the array lengths do not match {@code rows} and {@code dim} */
  public DenseDataset {
    if (rows < 0 || dim < 0) {
      throw new IllegalArgumentException(source + ": rows and dim must be >= 0, got " + rows + " × " + dim);
    }
    if (features.length != (long) rows * dim) {
      throw new IllegalArgumentException(source + ": features must hold " + rows + " × " + dim + " = "
          + (long) rows * dim + " floats, got " + features.length);
    }
    if (labels.length != rows) {
      throw new IllegalArgumentException(source + ": expected " + rows + " labels, got " + labels.length);
    }
  }

  @Override
  public DenseDataset toDense() {
    return this;
  }
}
