package dev.chorus.core.model;

import dev.chorus.core.optim.AdaGrad;
import dev.chorus.core.optim.AdaGradSpec;
import dev.chorus.core.optim.Ftrl;
import dev.chorus.core.optim.FtrlSpec;
import dev.chorus.core.optim.OptimizerSpec;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.core.tensor.TouchedRows;
import java.util.Arrays;

/**
 * A {@link SparseLinearModel}'s optimizer step on the rows one minibatch touched ({@code outputs} parameters a row,
 * the bias row included): the gradient from the outputs' gradient, a check that it is finite, then one pass that
 * backs each coordinate up, steps it, clears its gradient and checks the result, rows ascending. The rows are a
 * {@link TouchedRows} list, so a step costs the rows touched, not the table's size; each coordinate sees the same
 * float operations in the same order as a walk of the whole bitmap per phase did, so the numbers are the same.
 */
final class SparseStep {

  private final float[] weights;
  private final float[][] slots;
  private final float[] gradient;
  private final int outputs;
  private final int biasRow;
  private final TouchedRows touched;
  /** Rows a step has ever touched, the model's (which {@link SparseLinearModel#writeTo} reads). */
  private final long[] written;
  /** The touched rows' weights and slots before the last step, interleaved per coordinate. */
  private float[] backup = new float[0];
  /** Whether {@link #touched} still lists the rows of the last step, which {@link #undo} may restore. */
  private boolean undoable;
  /** The list {@link #addRowsTo} last added to, and the rows the last step added that it did not hold before. */
  private TouchedRows changed;
  private int[] addedToChanged = new int[0];
  private int addedCount;
  /**
   * The rows the gradient being accumulated, or the last step, marked in {@link #written} for the first time: a
   * rejected or undone step unmarks them, so that {@code written} is as it was before the step.
   */
  private int[] newlyWritten = new int[0];
  private int newlyWrittenCount;

  SparseStep(float[] weights, float[][] slots, float[] gradient, int outputs, int biasRow, long[] written) {
    this.weights = weights;
    this.slots = slots;
    this.gradient = gradient;
    this.outputs = outputs;
    this.biasRow = biasRow;
    this.touched = new TouchedRows(biasRow + 1);
    this.written = written;
  }

  /**
   * Adds to the gradient of the rows {@code batch} touched and of the biases the gradient of the objective, given its
   * gradient with respect to the raw outputs, {@code outputGradient} ({@code rows × outputs}); the last step can no
   * longer be undone.
   */
  void accumulate(SparseBatch batch, float[] outputGradient) {
    if (undoable) {
      touched.clear();
      undoable = false;
    }
    if (touched.size() == 0) {
      newlyWrittenCount = 0;
    }
    addedCount = 0;
    int[] indices = batch.indices();
    float[] values = batch.values();
    int bias = biasRow * outputs;
    for (int r = 0; r < batch.rows(); r++) {
      int out = r * outputs;
      for (int k = 0; k < outputs; k++) {
        gradient[bias + k] += outputGradient[out + k];
      }
      for (int e = batch.rowStart(r); e < batch.rowStart(r + 1); e++) {
        int j = indices[e];
        touch(j);
        float v = values[e];
        for (int k = 0, i = j * outputs; k < outputs; k++, i++) {
          gradient[i] += v * outputGradient[out + k];
        }
      }
    }
    touch(biasRow);
    touched.sort();
  }

  private void touch(int row) {
    touched.add(row);
    long bit = 1L << row;
    if ((written[row >>> 6] & bit) == 0) {
      written[row >>> 6] |= bit;
      if (newlyWrittenCount == newlyWritten.length) {
        newlyWritten = Arrays.copyOf(newlyWritten, Math.max(16, newlyWritten.length * 2));
      }
      newlyWritten[newlyWrittenCount++] = row;
    }
  }

  /** Unmarks the rows the step marked written first; they hold their values from before it, all zero. */
  private void unmarkNewlyWritten() {
    for (int i = 0; i < newlyWrittenCount; i++) {
      int row = newlyWritten[i];
      written[row >>> 6] &= ~(1L << row);
    }
    newlyWrittenCount = 0;
  }

  /** The first gradient coordinate that is not finite, rows ascending, described; or {@code null}. */
  String firstNonFiniteGradient() {
    for (int t = 0; t < touched.size(); t++) {
      for (int k = 0, i = touched.row(t) * outputs; k < outputs; k++, i++) {
        if (!Float.isFinite(gradient[i])) {
          return "gradient " + gradient[i] + " of feature " + i / outputs + ", output " + i % outputs;
        }
      }
    }
    return null;
  }

  /** Forgets the accumulated gradient without a step. */
  void discard() {
    for (int t = 0; t < touched.size(); t++) {
      int i = touched.row(t) * outputs;
      Arrays.fill(gradient, i, i + outputs, 0f);
    }
    unmarkNewlyWritten();
    touched.clear();
    undoable = false;
  }

  /**
   * Steps every touched coordinate by {@code optimizer} at {@code learningRate} and clears its gradient.
   *
   * @return {@code null}, or which weight (or optimizer state) would not be finite, the first rows ascending; then
   *     every coordinate is as it was before
   */
  String apply(OptimizerSpec optimizer, float learningRate) {
    int needed = touched.size() * outputs * (slots.length + 1);
    if (backup.length < needed) {
      backup = new float[Math.max(needed, backup.length * 2)];
    }
    FtrlSpec ftrl = optimizer instanceof FtrlSpec spec ? spec : null;
    boolean adaGrad = optimizer instanceof AdaGradSpec;
    float epsilon = adaGrad ? (float) ((AdaGradSpec) optimizer).epsilon() : 0f;
    String overflow = null;
    int at = 0;
    for (int t = 0; t < touched.size(); t++) {
      for (int k = 0, i = touched.row(t) * outputs; k < outputs; k++, i++) {
        backup[at++] = weights[i];
        for (float[] slot : slots) {
          backup[at++] = slot[i];
        }
        if (ftrl != null) {
          Ftrl.update(weights, slots[0], slots[1], i, gradient[i], learningRate, ftrl);
        } else if (adaGrad) {
          AdaGrad.update(weights, slots[0], i, gradient[i], learningRate, epsilon);
        } else {
          weights[i] -= learningRate * gradient[i];
        }
        gradient[i] = 0f;
        boolean finite = Float.isFinite(weights[i]);
        for (float[] slot : slots) {
          finite &= Float.isFinite(slot[i]);
        }
        if (overflow == null && !finite) {
          overflow = "weight " + weights[i] + " of feature " + i / outputs + ", output " + i % outputs
              + " (or its optimizer state) would not be finite";
        }
      }
    }
    if (overflow != null) {
      restore();
      unmarkNewlyWritten();
      touched.clear();
      return overflow;
    }
    undoable = true;
    return null;
  }

  /** Adds the rows the last step changed to {@code changed}, remembering which it did not hold, for {@link #undo}. */
  void addRowsTo(TouchedRows changed) {
    this.changed = changed;
    if (addedToChanged.length < touched.size()) {
      addedToChanged = new int[touched.size()];
    }
    addedCount = 0;
    for (int t = 0; t < touched.size(); t++) {
      int row = touched.row(t);
      if (!changed.contains(row)) {
        changed.add(row);
        addedToChanged[addedCount++] = row;
      }
    }
  }

  /**
   * Puts back the weights and optimizer state of the last step's rows, and takes the rows it added to the changed
   * list ({@link #addRowsTo}) out again, so that the holder does not write back rows the undone step left as they
   * were; the rows it wrote first are no longer written, so that saving, copying and the size estimate see the
   * model that never took the step.
   */
  void undo() {
    if (!undoable) {
      throw new IllegalStateException("SparseLinearModel: no step to undo");
    }
    restore();
    // Last added first: each is then at the list's end, where TouchedRows.remove looks first.
    for (int i = addedCount - 1; i >= 0; i--) {
      changed.remove(addedToChanged[i]);
    }
    addedCount = 0;
    unmarkNewlyWritten();
    touched.clear();
    undoable = false;
  }

  private void restore() {
    int at = 0;
    for (int t = 0; t < touched.size(); t++) {
      for (int k = 0, i = touched.row(t) * outputs; k < outputs; k++, i++) {
        weights[i] = backup[at++];
        for (float[] slot : slots) {
          slot[i] = backup[at++];
        }
      }
    }
  }
}
