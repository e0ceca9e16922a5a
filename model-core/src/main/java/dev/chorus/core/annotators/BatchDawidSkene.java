package dev.chorus.core.annotators;

import java.util.Arrays;

/**
 * Dawid and Skene's EM for the true classes of items labelled by several annotators, in batch and run to convergence
 * (A. P. Dawid, A. M. Skene, "Maximum likelihood estimation of observer error-rates using the EM algorithm", Applied
 * Statistics 28(1), 1979): starting from the per-item vote shares, the M-step estimates the class prior and each
 * annotator's confusion matrix from the current posteriors, and the E-step recomputes every item's posterior from
 * them ({@link ItemConsensus#posterior}, so with the same floor as the streaming E-step); until no posterior moves by
 * more than the tolerance, or the objective EM climbs (the log likelihood of the labels, plus with a {@link Prior} the
 * log of its Dirichlet densities up to a constant) changes by at most {@link #OBJECTIVE_TOLERANCE} of its magnitude in
 * an iteration, about where its double-precision sum stops showing progress: near a flat optimum the posteriors can
 * creep by more than the tolerance for hundreds of iterations more while the objective no longer moves. Each
 * (item, annotator) pair counts once, with its last label, as in the streaming {@link ItemLabelHistory}.
 *
 * <p>With a {@link Prior} the EM is maximum a posteriori: the M-step adds Dirichlet pseudo-counts to each confusion
 * row and to the class prior before normalising, the MAP update of Raykar et al. ("Learning From Crowds", JMLR 11,
 * 2010, with Beta/Dirichlet priors on the annotators' parameters; pseudo-counts {@code n} are a Dirichlet{@code (n +
 * 1)} there). {@link Prior#of} takes them from a streaming label model's own prior, so that batch and stream fit the
 * same model and differ only in one streamed pass against EM to convergence: the reference the streaming consensus
 * is measured against. Without pseudo-counts ({@link Prior#none}) it is Dawid and Skene's maximum likelihood.
 */
public final class BatchDawidSkene {

  public static final int DEFAULT_MAX_ITERATIONS = 10_000;
  public static final double DEFAULT_TOLERANCE = 1e-7;
  /** The objective's gain in one iteration, relative to its magnitude, at which EM has converged. */
  public static final double OBJECTIVE_TOLERANCE = 1e-14;

  private BatchDawidSkene() {}

  /**
   * Dirichlet pseudo-counts the M-step adds before normalising.
   *
   * @param confusion {@code [true class][given label]}, added to every annotator's confusion counts
   * @param classes per class, added to the class prior's posterior mass
   */
  public record Prior(double[][] confusion, double[] classes) {

    /** @throws IllegalArgumentException unless {@code confusion} is K × K, {@code classes} K, all finite and >= 0 */
    public Prior {
      boolean valid = confusion.length == classes.length && Arrays.stream(classes).allMatch(Prior::valid);
      for (double[] row : confusion) {
        valid &= row.length == classes.length && Arrays.stream(row).allMatch(Prior::valid);
      }
      if (!valid) {
        throw new IllegalArgumentException("Dirichlet pseudo-counts must be a K x K confusion and K classes, each "
            + "finite and >= 0; got " + Arrays.deepToString(confusion) + " and " + Arrays.toString(classes));
      }
    }

    private static boolean valid(double count) {
      return count >= 0 && count < Double.POSITIVE_INFINITY;
    }

    /** No pseudo-counts: Dawid and Skene's maximum likelihood. */
    public static Prior none(int k) {
      return new Prior(new double[k][k], new double[k]);
    }

    /**
     * The prior of a streaming label model's confusions: each row of {@code estimates}' prior confusion (that of an
     * annotator not seen yet) times its pseudo-observations per row, whose running average is the posterior mean of
     * that Dirichlet ({@link ConfusionEstimates#mStep}); none on the class prior, as the running class prior has none
     * ({@link ConfusionEstimates#classPrior}).
     */
    public static Prior of(ConfusionEstimates estimates) {
      double[][] confusion = estimates.priorMatrix();
      for (double[] row : confusion) {
        for (int j = 0; j < row.length; j++) {
          row[j] *= estimates.priorCount();
        }
      }
      return new Prior(confusion, new double[estimates.numClasses()]);
    }
  }

  /**
   * @param posteriors per item, the posterior over its true class; uniform for an item without labels
   * @param classPrior the estimated class distribution
   * @param confusions per annotator, {@code [true class][given label]}
   * @param iterations EM iterations run (each an M-step and an E-step)
   * @param converged whether a stopping rule ended the run before {@code maxIterations}
   * @param objective the objective at the last M-step's parameters: the labels' log likelihood plus the log prior
   */
  public record Result(double[][] posteriors, double[] classPrior, double[][][] confusions, int iterations,
      boolean converged, double objective) {

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
   * Runs maximum-likelihood EM on {@code stream} (items in {@code [0, numItems)}, annotators in
   * {@code [0, numAnnotators)}, labels in {@code [0, k)}) until no posterior moves by more than {@code tolerance} or
   * the objective's relative gain is at most {@link #OBJECTIVE_TOLERANCE}, or {@code maxIterations}.
   */
  public static Result fit(LabelStream stream, int numItems, int numAnnotators, int k, int maxIterations,
      double tolerance) {
    return fit(stream, numItems, numAnnotators, k, Prior.none(k), maxIterations, tolerance);
  }

  /** As {@link #fit(LabelStream, int, int, int, int, double)}, maximum a posteriori with {@code pseudoCounts}. */
  public static Result fit(LabelStream stream, int numItems, int numAnnotators, int k, Prior pseudoCounts,
      int maxIterations, double tolerance) {
    if (pseudoCounts.classes().length != k) {
      throw new IllegalArgumentException("pseudo-counts for " + pseudoCounts.classes().length + " classes, expected "
          + k);
    }
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
    double objective = Double.NEGATIVE_INFINITY;
    while (!converged && iterations < maxIterations) {
      iterations++;
      mStep(votes, posteriors, pseudoCounts, prior, confusions, k);
      for (int a = 0; a < numAnnotators; a++) {
        for (int c = 0; c < k; c++) {
          System.arraycopy(confusions[a][c], 0, flat, (a * k + c) * k, k);
        }
      }
      double previous = objective;
      objective = logPrior(pseudoCounts, prior, confusions);
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
        objective += ItemConsensus.posterior(prior, flat, k, slots, labels, count, next);
        for (int c = 0; c < k; c++) {
          converged &= Math.abs(next[c] - posteriors[i][c]) <= tolerance;
          posteriors[i][c] = next[c];
        }
      }
      converged |= Math.abs(objective - previous) <= OBJECTIVE_TOLERANCE * Math.abs(objective);
    }
    return new Result(posteriors, prior, confusions, iterations, converged, objective);
  }

  /**
   * The log of the prior's Dirichlet densities at the class prior and the confusions, up to a constant: each
   * pseudo-count times the log of its (floored, as in the E-step) probability. 0 for {@link Prior#none}.
   */
  private static double logPrior(Prior pseudoCounts, double[] prior, double[][][] confusions) {
    double log = 0;
    for (int c = 0; c < prior.length; c++) {
      log += weightedLog(pseudoCounts.classes()[c], prior[c]);
    }
    for (double[][] confusion : confusions) {
      for (int c = 0; c < prior.length; c++) {
        for (int j = 0; j < prior.length; j++) {
          log += weightedLog(pseudoCounts.confusion()[c][j], confusion[c][j]);
        }
      }
    }
    return log;
  }

  private static double weightedLog(double count, double probability) {
    return count == 0 ? 0 : count * Math.log(Math.max(probability, DawidSkeneLabelModel.FLOOR));
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
   * The M-step: the class prior is the posterior mass over labelled items plus the class pseudo-counts, and
   * annotator {@code a}'s row {@code c} the posterior mass of class {@code c} on the items it labelled, split by the
   * label it gave, plus the row's pseudo-counts; each normalised. A row without mass or pseudo-counts is uniform.
   */
  private static void mStep(int[][] votes, double[][] posteriors, Prior pseudoCounts, double[] prior,
      double[][][] confusions, int k) {
    System.arraycopy(pseudoCounts.classes(), 0, prior, 0, k);
    double priorTotal = Arrays.stream(pseudoCounts.classes()).sum();
    for (double[][] confusion : confusions) {
      for (int c = 0; c < k; c++) {
        System.arraycopy(pseudoCounts.confusion()[c], 0, confusion[c], 0, k);
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
      prior[c] = labelled + priorTotal > 0 ? prior[c] / (labelled + priorTotal) : 1.0 / k;
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
