package dev.chorus.core.metrics;

/**
 * Metrics over whole arrays of real-valued predictions and targets, predictions first. Sums run in double
 * precision.
 */
public final class RegressionMetrics {

  private RegressionMetrics() {}

  /** Mean squared error {@code Σ(ŷ − y)² / n}. */
  public static double mse(double[] predicted, double[] actual) {
    check("mse", predicted, actual);
    double sum = 0;
    for (int i = 0; i < predicted.length; i++) {
      double error = predicted[i] - actual[i];
      sum += error * error;
    }
    return sum / predicted.length;
  }

  /** Mean absolute error {@code Σ|ŷ − y| / n}. */
  public static double mae(double[] predicted, double[] actual) {
    check("mae", predicted, actual);
    double sum = 0;
    for (int i = 0; i < predicted.length; i++) {
      sum += Math.abs(predicted[i] - actual[i]);
    }
    return sum / predicted.length;
  }

  /**
   * The coefficient of determination {@code R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)²}: 1 for a perfect fit, 0 for
   * always predicting the mean, negative for worse. When every target is equal the ratio is undefined; as
   * scikit-learn's {@code r2_score} does, the result is then 1 if the predictions are perfect and 0 otherwise.
   */
  public static double r2(double[] predicted, double[] actual) {
    check("r2", predicted, actual);
    double mean = 0;
    for (double y : actual) {
      mean += y;
    }
    mean /= actual.length;
    double residual = 0;
    double spread = 0;
    for (int i = 0; i < actual.length; i++) {
      double error = actual[i] - predicted[i];
      double deviation = actual[i] - mean;
      residual += error * error;
      spread += deviation * deviation;
    }
    if (spread == 0) {
      return residual == 0 ? 1 : 0;
    }
    return 1 - residual / spread;
  }

  private static void check(String what, double[] predicted, double[] actual) {
    if (predicted.length != actual.length) {
      throw new IllegalArgumentException(what + ": predicted has " + predicted.length + " values, actual has "
          + actual.length + "; expected equal lengths");
    }
    if (predicted.length == 0) {
      throw new IllegalArgumentException(what + ": expected at least one value, got none");
    }
    for (int i = 0; i < predicted.length; i++) {
      if (!Double.isFinite(predicted[i]) || !Double.isFinite(actual[i])) {
        throw new IllegalArgumentException(what + ": expected finite values, got predicted=" + predicted[i]
            + ", actual=" + actual[i] + " at index " + i);
      }
    }
  }
}
