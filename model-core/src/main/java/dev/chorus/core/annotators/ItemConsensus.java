package dev.chorus.core.annotators;

import java.util.List;

/**
 * The current best guess of one item's true class: the Dawid–Skene E-step over the labels the item's history
 * remembers (one per annotator), with the annotators' current confusions and a prior, which every label model with
 * an item history computes here ({@link LabelModel#consensus}).
 *
 * @param posterior probability of each true class, summing to 1
 * @param mostLikely the class of highest posterior, the lowest index on ties
 * @param labels labels it rests on
 * @param annotators who gave them, oldest label first
 */
public record ItemConsensus(double[] posterior, int mostLikely, int labels, List<String> annotators) {

  /**
   * The E-step in double precision: {@code posterior[c] ∝ prior[c] · Π_i confusion[slots[i]][c][labels[i]]} over
   * {@code i < count}, each factor floored at {@link DawidSkeneLabelModel#FLOOR} so that no certain zero vetoes a
   * class, summed in log space and normalised from the largest term, so that it sums to 1 however many labels and
   * however extreme the confusions.
   *
   * @param prior class probabilities, length {@code k}
   * @param confusions flat {@code slots × k × k} confusion matrices, as {@link ConfusionEstimates#confusions()}
   * @param posterior receives the posterior, length {@code k}
   * @return the log of the normaliser, {@code log Σ_c prior[c] · Π_i confusion[slots[i]][c][labels[i]]} (floored
   *     alike): the log likelihood of the item's labels, which batch EM sums into its objective
   */
  public static double posterior(double[] prior, double[] confusions, int k, int[] slots, int[] labels, int count,
      double[] posterior) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < k; c++) {
      double sum = Math.log(Math.max(prior[c], DawidSkeneLabelModel.FLOOR));
      for (int i = 0; i < count; i++) {
        sum += Math.log(Math.max(confusions[slots[i] * k * k + c * k + labels[i]], DawidSkeneLabelModel.FLOOR));
      }
      posterior[c] = sum;
      max = Math.max(max, sum);
    }
    double total = 0;
    for (int c = 0; c < k; c++) {
      posterior[c] = Math.exp(posterior[c] - max);
      total += posterior[c];
    }
    for (int c = 0; c < k; c++) {
      posterior[c] /= total;
    }
    return max + Math.log(total);
  }

  /** The class of highest probability, the lowest index on ties. */
  public static int argmax(double[] p) {
    int best = 0;
    for (int c = 1; c < p.length; c++) {
      if (p[c] > p[best]) {
        best = c;
      }
    }
    return best;
  }
}
