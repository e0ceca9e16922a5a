package dev.chorus.core.model;

/**
 * A trained model as serving sees it: an {@link OnlineLearner}, or a label model ({@code dev.chorus.core.annotators})
 * whose prediction combines what it learned from many annotators. Both save to bytes that
 * {@code dev.chorus.core.saved.SavedModels#read} tells apart by their first int.
 */
public interface Predictor {

  ModelSpec spec();

  int inputDim();

  /** Whether this model predicts classes ({@link #predictProba}) or a value ({@link #predictValue}). */
  boolean isClassifier();

  /** The length of one prediction: the number of classes of a classifier, 1 for a regressor. */
  int outputDim();

  /** Class probabilities for the example at {@code x[xOffset ..]} into {@code out[0 .. outputDim)}. */
  void predictProba(float[] x, int xOffset, float[] out);

  /**
   * The predicted value for the example at {@code x[xOffset ..]}.
   *
   * @throws IllegalStateException for a classifier
   */
  float predictValue(float[] x, int xOffset);

  /**
   * Class probabilities of {@code rows} examples of {@code x} (row-major, {@code inputDim} each) into
   * {@code out[r · outputDim ..]}; equal to {@link #predictProba} per row up to float rounding, and usually
   * faster, as one batched pass. Changes no model state.
   */
  default void predictProbaBatch(float[] x, int rows, float[] out) {
    float[] row = new float[outputDim()];
    for (int r = 0; r < rows; r++) {
      predictProba(x, r * inputDim(), row);
      System.arraycopy(row, 0, out, r * row.length, row.length);
    }
  }

  /** The predicted values of {@code rows} examples of {@code x} into {@code out[0 .. rows)}; for a regressor. */
  default void predictValues(float[] x, int rows, float[] out) {
    for (int r = 0; r < rows; r++) {
      out[r] = predictValue(x, r * inputDim());
    }
  }

  /**
   * Null when every number this model's predictions read is finite (weights, biases, standardiser and batch-norm
   * statistics, averaged weights, a label model's confusions), else which one is not and where; a batch-norm running
   * variance of +Infinity is no fault, as training leaves one ({@code BatchNorm.firstInvalidState}). A learner's
   * numeric guard keeps its own models finite; saved bytes from elsewhere (a models topic anyone with write access
   * feeds, a model file) are checked with this when read ({@code SavedModels}, warm starts), as every prediction of
   * such a model would carry the NaN.
   */
  String firstNonFinite();

  /**
   * {@code model}, unless a number its predictions read is not finite ({@link #firstNonFinite}): bytes written
   * outside a learner's numeric guard (forged, corrupted, or from a foreign writer) that would make every prediction
   * NaN.
   *
   * @throws IllegalArgumentException naming the first such number
   */
  static <T extends Predictor> T requireFinite(T model) {
    String bad = model.firstNonFinite();
    if (bad != null) {
      throw new IllegalArgumentException("expected finite weights and statistics, got a model whose " + bad);
    }
    return model;
  }

  /** Minibatch updates applied: the model's version. */
  long steps();

  /** Examples (label events) trained on. */
  long examplesSeen();

  /** Saved state, which {@code SavedModels.read} reads back. */
  byte[] toBytes();
}
