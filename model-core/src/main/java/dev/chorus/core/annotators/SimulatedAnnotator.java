package dev.chorus.core.annotators;

import dev.chorus.core.random.SplitMix64;

/**
 * One simulated annotator: a true {@code K × K} confusion matrix (row = true class, column = given label, each
 * row summing to 1) from whose rows its labels are drawn.
 *
 * @param id stable name, e.g. {@code "expert-0"}
 * @param kind the pool category: {@code expert}, {@code competent}, {@code pair-confuser}, {@code spammer},
 *     {@code adversary-constant}, {@code adversary-shift} or {@code corrupter}
 * @param confusion row-major {@code K × K}; not copied, do not modify
 */
public record SimulatedAnnotator(String id, String kind, double[][] confusion) {

  /** Checks that every row is a distribution over the same {@code K} classes. */
  public SimulatedAnnotator {
    int k = confusion.length;
    for (int c = 0; c < k; c++) {
      if (confusion[c].length != k) {
        throw new IllegalArgumentException("annotator " + id + ": confusion row " + c + " must have " + k
            + " entries, has " + confusion[c].length);
      }
      double sum = 0;
      for (double p : confusion[c]) {
        if (!(p >= 0)) {
          throw new IllegalArgumentException("annotator " + id + ": confusion row " + c + " has entry " + p
              + ", expected a probability");
        }
        sum += p;
      }
      if (Math.abs(sum - 1) > 1e-9) {
        throw new IllegalArgumentException("annotator " + id + ": confusion row " + c + " must sum to 1, sums to "
            + sum);
      }
    }
  }

  public int numClasses() {
    return confusion.length;
  }

  /** The probability of a correct label for a uniformly drawn true class: the mean of the diagonal. */
  public double accuracy() {
    double sum = 0;
    for (int c = 0; c < confusion.length; c++) {
      sum += confusion[c][c];
    }
    return sum / confusion.length;
  }

  /** A label for an item of class {@code trueClass}, drawn from its confusion row with {@code rng}. */
  public int label(int trueClass, SplitMix64 rng) {
    double[] row = confusion[trueClass];
    double u = rng.nextDouble();
    double cumulative = 0;
    for (int j = 0; j < row.length; j++) {
      cumulative += row[j];
      if (u < cumulative) {
        return j;
      }
    }
    // Rounding left u at or above the last cumulative sum: the last class with mass.
    for (int j = row.length - 1; j >= 0; j--) {
      if (row[j] > 0) {
        return j;
      }
    }
    throw new IllegalStateException("annotator " + id + ": confusion row " + trueClass + " has no mass");
  }
}
