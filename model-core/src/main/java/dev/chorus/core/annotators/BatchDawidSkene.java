package dev.chorus.core.annotators;

import java.util.Arrays;

/**
 * Dawid and Skene's EM for the true classes of items labelled by several annotators, in batch and run to convergence
 * (A. P. Dawid, A. M. Skene, "Maximum likelihood estimation of observer error-rates using the EM algorithm", Applied
 * Statistics 28(1), 1979): starting from the per-item vote shares, the M-step estimates the class prior and each
 * annotator's confusion matrix from the current posteriors, and the E-step recomputes every item's posterior from
 * them ({@link ItemConsensus#posterior}, so with the same floor as the streaming E-step); until no posterior moves by
 * more than the tolerance. The reference the streaming consensus is measured against. Each (item, annotator) pair
 * counts once, with its last label, as in the streaming {@link ItemLabelHistory}.
 */
public final class BatchDawidSkene {

  public static final int DEFAULT_MAX_ITERATIONS = 200;
  public static final double DEFAULT_TOLERANCE = 1e-7;

  private BatchDawidSkene() {}

  /**
   * @param posteriors per item, the posterior over its true class; uniform for an item without labels
   * @param classPrior the estimated class distribution
   * @param confusions per annotator, {@code [true class][given label]}
   * @param iterations EM iterations run (each an M-step and an E-step)
   */
  public record Result(double[][] posteriors, double[] classPrior, double[][][] confusions, int iterations) {

    /** Each item's most likely class, the lowest index on ties. */
    public int[] mostLikely() {
      int[] best = new int[posteriors.length];
      for (int i = 0; i < best.length; i++) {
        best[i] = ItemConsensus.argmax(posteriors[i]);
      }
      return best;
    }
  }

  /**
   * Runs EM on {@code stream} (items in {@code [0, numItems)}, annotators in {@code [0, numAnnotators)}, labels in
   * {@code [0, k)}) until no posterior moves by more than {@code tolerance}, or {@code maxIterations}.
   */
  public static Result fit(LabelStream stream, int numItems, int numAnnotators, int k, int maxIterations,
      double tolerance) {
    int[][] votes = lastLabels(stream, numItems, numAnnotators, k);
    double[][] posteriors = voteShares(votes, numItems, k);
    double[] prior = new double[k];
    double[][][] confusions = new double[numAnnotators][k][k];
    double[] flat = new double[numAnnotators * k * k];
    int[] slots = new int[numAnnotators];
    int[] labels = new int[numAnnotators];
    double[] next = new double[k];
    int iterations = 0;
    boolean converged = false;
    while (!converged && iterations < maxIterations) {
      iterations++;
      mStep(votes, posteriors, prior, confusions, k);
      for (int a = 0; a < numAnnotators; a++) {
        for (int c = 0; c < k; c++) {
          System.arraycopy(confusions[a][c], 0, flat, (a * k + c) * k, k);
        }
      }
      converged = true;
      for (int i = 0; i < numItems; i++) {
        int count = 0;
        for (int a = 0; a < numAnnotators; a++) {
          if (votes[i][a] >= 0) {
            slots[count] = a;
            labels[count++] = votes[i][a];
          }
        }
        if (count == 0) {
          continue;
        }
        ItemConsensus.posterior(prior, flat, k, slots, labels, count, next);
        for (int c = 0; c < k; c++) {
          converged &= Math.abs(next[c] - posteriors[i][c]) <= tolerance;
          posteriors[i][c] = next[c];
        }
      }
    }
    return new Result(posteriors, prior, confusions, iterations);
  }

  /** Majority vote over each (item, annotator) pair's last label, the lowest class on ties. */
  public static int[] majority(LabelStream stream, int numItems, int k) {
    int numAnnotators = 0;
    for (int a : stream.annotators()) {
      numAnnotators = Math.max(numAnnotators, a + 1);
    }
    double[][] shares = voteShares(lastLabels(stream, numItems, numAnnotators, k), numItems, k);
    int[] best = new int[numItems];
    for (int i = 0; i < numItems; i++) {
      best[i] = ItemConsensus.argmax(shares[i]);
    }
    return best;
  }

  /** {@code votes[item][annotator]}: the annotator's last label of the item, -1 for none. */
  private static int[][] lastLabels(LabelStream stream, int numItems, int numAnnotators, int k) {
    int[][] votes = new int[numItems][numAnnotators];
    for (int[] row : votes) {
      Arrays.fill(row, -1);
    }
    for (int e = 0; e < stream.size(); e++) {
      int label = stream.labels()[e];
      if (label < 0 || label >= k) {
        throw new IllegalArgumentException("label of event " + e + " must be in [0, " + k + "), got " + label);
      }
      votes[stream.items()[e]][stream.annotators()[e]] = label;
    }
    return votes;
  }

  /** Each item's share of votes per class; uniform for an item without labels. */
  private static double[][] voteShares(int[][] votes, int numItems, int k) {
    double[][] shares = new double[numItems][k];
    for (int i = 0; i < numItems; i++) {
      int count = 0;
      for (int label : votes[i]) {
        if (label >= 0) {
          shares[i][label]++;
          count++;
        }
      }
      for (int c = 0; c < k; c++) {
        shares[i][c] = count == 0 ? 1.0 / k : shares[i][c] / count;
      }
    }
    return shares;
  }

  /**
   * The M-step: the class prior is the mean posterior over labelled items, and annotator {@code a}'s row {@code c}
   * is the posterior mass of class {@code c} on the items it labelled, split by the label it gave, normalised; a row
   * without mass stays uniform.
   */
  private static void mStep(int[][] votes, double[][] posteriors, double[] prior, double[][][] confusions, int k) {
    Arrays.fill(prior, 0);
    for (double[][] confusion : confusions) {
      for (double[] row : confusion) {
        Arrays.fill(row, 0);
      }
    }
    int labelled = 0;
    for (int i = 0; i < votes.length; i++) {
      boolean any = false;
      for (int a = 0; a < votes[i].length; a++) {
        int label = votes[i][a];
        if (label >= 0) {
          any = true;
          for (int c = 0; c < k; c++) {
            confusions[a][c][label] += posteriors[i][c];
          }
        }
      }
      if (any) {
        labelled++;
        for (int c = 0; c < k; c++) {
          prior[c] += posteriors[i][c];
        }
      }
    }
    for (int c = 0; c < k; c++) {
      prior[c] = labelled == 0 ? 1.0 / k : prior[c] / labelled;
    }
    for (double[][] confusion : confusions) {
      for (double[] row : confusion) {
        double total = Arrays.stream(row).sum();
        for (int j = 0; j < k; j++) {
          row[j] = total > 0 ? row[j] / total : 1.0 / k;
        }
      }
    }
  }
}
