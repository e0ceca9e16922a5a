package dev.chorus.core.metrics;

/** Metrics over whole arrays of predicted and actual class labels. */
public final class ClassificationMetrics {

  private ClassificationMetrics() {}

  /**
   * The fraction of positions where {@code predicted} equals {@code actual}.
   *
   * @throws IllegalArgumentException if the arrays differ in length or are empty
   */
  public static double accuracy(int[] predicted, int[] actual) {
    if (predicted.length != actual.length) {
      throw new IllegalArgumentException("accuracy: predicted has " + predicted.length + " labels, actual has "
          + actual.length + "; expected equal lengths");
    }
    if (predicted.length == 0) {
      throw new IllegalArgumentException("accuracy: expected at least one label, got none");
    }
    int correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      if (predicted[i] == actual[i]) {
        correct++;
      }
    }
    return (double) correct / predicted.length;
  }
}
