package dev.chorus.core.select;

/** The standard normal quantiles and the Wilson interval the selection's tests and standings rest on. */
public final class Normal {

  private Normal() {}

  // Acklam's rational approximation of the inverse normal CDF (relative error below 1.15e-9), coefficients as
  // published by Peter J. Acklam, "An algorithm for computing the inverse normal cumulative distribution function".
  private static final double[] A = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  private static final double[] B = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01};
  private static final double[] C = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  private static final double[] D = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00};
  private static final double LOW = 0.02425;

  /**
   * The {@code p}-quantile of the standard normal distribution, {@code p} in (0, 1); computed from the nearer tail
   * so that tiny upper-tail probabilities (a spent alpha of 1e-9) keep their precision.
   */
  public static double quantile(double p) {
    if (!(p > 0 && p < 1)) {
      throw new IllegalArgumentException("normal quantile: expected p in (0, 1), got " + p);
    }
    if (p < LOW) {
      double q = Math.sqrt(-2 * Math.log(p));
      return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
          / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
    }
    if (p > 1 - LOW) {
      return -quantile(1 - p);
    }
    double q = p - 0.5;
    double r = q * q;
    return (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
        / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  }

  /** The z with upper-tail probability {@code alpha}: {@code P(Z > z) = alpha}. */
  public static double upperCritical(double alpha) {
    return -quantile(alpha);
  }

  /**
   * The Wilson score interval {@code {low, high}} of a proportion from {@code successes} of {@code n} at critical
   * value {@code z} (1.96 for 95%): unlike the Wald interval it stays inside [0, 1] and does not collapse to a
   * point at 0 or n successes. {@code {NaN, NaN}} when {@code n} is 0.
   */
  public static double[] wilson(long successes, long n, double z) {
    if (successes < 0 || successes > n) {
      throw new IllegalArgumentException("wilson: expected 0 <= successes <= n, got " + successes + " of " + n);
    }
    if (n == 0) {
      return new double[] {Double.NaN, Double.NaN};
    }
    double p = (double) successes / n;
    double z2 = z * z;
    double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    double half = z / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
    return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
  }
}
