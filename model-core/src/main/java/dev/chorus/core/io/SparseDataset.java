package dev.chorus.core.io;

/**
 * A dataset that stores only the features present in each row, in compressed sparse row (CSR) form: row
 * {@code i}'s features are at positions {@code rowStart[i] .. rowStart[i+1])} of {@code indices} (0-based
 * feature indices, strictly increasing within a row) and {@code values}. The arrays are held, not copied.
 */
public record SparseDataset(String source, int rows, int dim, int[] rowStart, int[] indices, float[] values,
    double[] labels) implements Dataset {

  /** @throws IllegalArgumentException if the arrays are inconsistent with each other or with {@code dim} */
  public SparseDataset {
    if (rows < 0 || dim < 0) {
      throw new IllegalArgumentException(source + ": rows and dim must be >= 0, got " + rows + " × " + dim);
    }
    if (rowStart.length != rows + 1 || labels.length != rows) {
      throw new IllegalArgumentException(source + ": expected " + (rows + 1) + " row starts and " + rows
          + " labels, got " + rowStart.length + " and " + labels.length);
    }
    if (indices.length != values.length || rowStart[0] != 0 || rowStart[rows] != indices.length) {
      throw new IllegalArgumentException(source + ": expected rowStart from 0 to " + indices.length
          + " and as many values as indices (" + values.length + ")");
    }
    for (int i = 0; i < rows; i++) {
      for (int p = rowStart[i]; p < rowStart[i + 1]; p++) {
        int index = indices[p];
        if (index < 0 || index >= dim || (p > rowStart[i] && index <= indices[p - 1])) {
          throw new IllegalArgumentException(source + ": row " + i + " has feature index " + index
              + "; expected indices in [0, " + dim + "), strictly increasing within the row");
        }
      }
    }
  }

  /** Stored (nonzero or explicitly written) features in all rows. */
  public int storedValues() {
    return indices.length;
  }

  @Override
  public DenseDataset toDense() {
    long size = (long) rows * dim;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException(source + ": " + rows + " × " + dim + " = " + size
          + " features exceed the largest Java array; keep this dataset sparse");
    }
    float[] dense = new float[(int) size];
    for (int i = 0; i < rows; i++) {
      for (int p = rowStart[i]; p < rowStart[i + 1]; p++) {
        dense[i * dim + indices[p]] = values[p];
      }
    }
    return new DenseDataset(source, rows, dim, dense, labels);
  }
}
