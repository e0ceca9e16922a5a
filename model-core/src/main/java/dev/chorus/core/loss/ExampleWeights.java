package dev.chorus.core.loss;

/** The normalisation every loss shares (the large output layers' too): example weights summed in double precision. */
public final class ExampleWeights {

  private ExampleWeights() {}

  /** {@code Σ wᵢ} over {@code rows} examples, {@code rows} when {@code weights} is {@code null}. */
  public static double total(float[] weights, int rows) {
    if (weights == null) {
      return rows;
    }
    double total = 0;
    for (int i = 0; i < rows; i++) {
      total += weights[i];
    }
    return total;
  }

  /** Example {@code i}'s share {@code wᵢ / Σ w} of the mean. */
  static double share(float[] weights, int i, double total) {
    return (weights == null ? 1 : weights[i]) / total;
  }
}
