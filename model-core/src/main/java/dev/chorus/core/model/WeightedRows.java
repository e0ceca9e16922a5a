package dev.chorus.core.model;

import dev.chorus.core.tensor.SparseBatch;
import java.util.Arrays;

/** The rows of a minibatch whose example weight is not 0, with their labels and weights, in the batch's order. */
record WeightedRows(SparseBatch batch, int[] labels, float[] weights) {

  /**
   * {@code batch} itself when no row's weight is 0 ({@code weights} null: all ones), else a copy of the rows whose
   * weight is not 0.
   */
  static WeightedRows positive(SparseBatch batch, int[] labels, float[] weights) {
    int n = batch.rows();
    int kept = 0;
    for (int r = 0; weights != null && r < n; r++) {
      kept += weights[r] != 0 ? 1 : 0;
    }
    if (weights == null || kept == n) {
      return new WeightedRows(batch, labels, weights);
    }
    SparseBatch rows = new SparseBatch(batch.columns());
    int[] keptLabels = new int[kept];
    float[] keptWeights = new float[kept];
    for (int r = 0, k = 0; r < n; r++) {
      if (weights[r] != 0) {
        rows.add(Arrays.copyOfRange(batch.indices(), batch.rowStart(r), batch.rowStart(r + 1)),
            Arrays.copyOfRange(batch.values(), batch.rowStart(r), batch.rowStart(r + 1)));
        keptLabels[k] = labels[r];
        keptWeights[k++] = weights[r];
      }
    }
    return new WeightedRows(rows, keptLabels, keptWeights);
  }
}
