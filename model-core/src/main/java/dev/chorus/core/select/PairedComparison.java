package dev.chorus.core.select;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.Serializable;
import java.util.Optional;

/**
 * Whether one challenger beats the champion, on the per-example losses both made on the SAME examples, each
 * predicted by both before either learned from it (prequential, so no test data is ever touched). Pairing removes
 * the examples' own difficulty from the comparison: only {@code d = loss(champion) − loss(challenger)} matters, and
 * its running mean and variance are kept by Welford's update ({@link RunningMoments}).
 *
 * <p><b>Decision rule.</b> A one-sided paired test of {@code mean(d) > margin}, with the normal approximation of the
 * mean difference: the central limit theorem makes it good for the {@code n >= minExamples} pairs it waits for, and
 * it needs no assumption on the shape of the losses (log losses are skewed). The test is not run on every pair:
 * continuously peeking at a fixed-alpha test promotes noise (the chance that a random walk ever crosses a fixed
 * boundary goes to 1). It is run only at the doubling sample sizes {@code n = minExamples · 2^k}, k = 0, 1, ..., and
 * look k spends {@code alpha / 2^(k+1)}: by the union bound the chance of any false promotion over all the looks,
 * however long the comparison runs, is below {@code alpha / 2 + alpha / 4 + ... < alpha}. Doubling keeps the looks
 * few (about log2 of the stream's length), so the spent alphas, and with them the power, shrink only slowly. A
 * challenger wins at a look when the lower confidence bound {@code mean(d) − z(alpha_k) · se(d)} exceeds
 * {@code margin}: a challenger must be better by a margin the operator names (in loss units), not merely better,
 * which with {@link Settings#cooldownExamples} (a fresh champion is not challenged before that many pairs) is the
 * hysteresis that keeps two equally good variants from flapping.
 *
 * <p>Not thread-safe.
 */
public final class PairedComparison {

  /** The name of the test, as published in a champion change's evidence. */
  public static final String TEST = "one-sided paired z-test, alpha/2^(k+1) at n = minExamples*2^k";

  /**
   * The decision rule's parameters.
   *
   * @param minExamples pairs before the first look (and the unit of the doubling schedule); default 200, enough
   *     for the normal approximation of a mean of log-loss differences
   * @param alpha the bound on the chance that this comparison (one challenger against one champion, from its
   *     {@link #start} or {@link #afterChange}) ever promotes a challenger that is not better by {@code margin}; k
   *     comparisons at once, or one restarted at each change of champion, spend it k times; default 0.01
   * @param margin how much lower (in loss units) the challenger's mean loss must be; default 0.005, about half a
   *     percent of a typical log loss, below what a user would act on
   * @param cooldownExamples pairs a new champion's comparisons ignore after a change; default 2000
   */
  public record Settings(long minExamples, double alpha, double margin, long cooldownExamples)
      implements Serializable {
    public static final long DEFAULT_MIN_EXAMPLES = 200;
    public static final double DEFAULT_ALPHA = 0.01;
    public static final double DEFAULT_MARGIN = 0.005;
    public static final long DEFAULT_COOLDOWN_EXAMPLES = 2000;

    public Settings {
      if (minExamples < 2) {
        throw new IllegalArgumentException("minExamples: expected at least 2, got " + minExamples);
      }
      if (!(alpha > 0 && alpha < 1)) {
        throw new IllegalArgumentException("alpha: expected a value in (0, 1), got " + alpha);
      }
      if (!(margin >= 0) || Double.isInfinite(margin)) {
        throw new IllegalArgumentException("margin: expected a finite value >= 0, got " + margin);
      }
      if (cooldownExamples < 0) {
        throw new IllegalArgumentException("cooldownExamples: expected a value >= 0, got " + cooldownExamples);
      }
    }

    public static Settings defaults() {
      return new Settings(DEFAULT_MIN_EXAMPLES, DEFAULT_ALPHA, DEFAULT_MARGIN, DEFAULT_COOLDOWN_EXAMPLES);
    }
  }

  /** Why a challenger won: the look's statistics. */
  public record Evidence(String test, long pairedExamples, double meanDifference, double lowerBound, double alpha,
      double margin) {}

  private Settings settings;
  private long toIgnore;
  private RunningMoments d = new RunningMoments();
  private int looks;

  private PairedComparison(Settings settings, long toIgnore) {
    this.settings = settings;
    this.toIgnore = toIgnore;
  }

  /** A comparison from the first pair on (a challenger that joins, or the first champion's). */
  public static PairedComparison start(Settings settings) {
    return new PairedComparison(settings, 0);
  }

  /** A comparison against a champion just promoted: its first {@code cooldownExamples} pairs are ignored. */
  public static PairedComparison afterChange(Settings settings) {
    return new PairedComparison(settings, settings.cooldownExamples());
  }

  /**
   * Adds the losses of one example both predicted; the evidence when this pair completes a look at which the
   * challenger is better by more than the margin, else empty.
   */
  public Optional<Evidence> add(double championLoss, double challengerLoss) {
    if (toIgnore > 0) {
      toIgnore--;
      return Optional.empty();
    }
    d.add(championLoss - challengerLoss);
    if (looks > 40 || d.count() < settings.minExamples() << looks) {
      return Optional.empty();
    }
    double spent = Math.scalb(settings.alpha(), -(looks + 1));
    looks++;
    double se = d.count() < 2 ? 0 : d.standardError();
    double lower = d.mean() - Normal.upperCritical(spent) * se;
    if (lower > settings.margin()) {
      return Optional.of(new Evidence(TEST, d.count(), d.mean(), lower, spent, settings.margin()));
    }
    return Optional.empty();
  }

  /** Goes on under {@code settings} (a restarted job's configuration); the statistics so far are kept. */
  void configure(Settings settings) {
    this.settings = settings;
  }

  /** Pairs counted so far (those ignored in a cooldown are not). */
  public long pairs() {
    return d.count();
  }

  /** Pairs a cooldown still ignores. */
  public long cooldownLeft() {
    return toIgnore;
  }

  /** The mean of {@code loss(champion) − loss(challenger)} so far; {@code NaN} before the first pair. */
  public double meanDifference() {
    return d.mean();
  }

  /** Writes the state exactly; the settings are not written (they come from the job's configuration). */
  public void writeTo(DataOutput out) throws IOException {
    out.writeLong(toIgnore);
    out.writeInt(looks);
    d.writeTo(out);
  }

  /** Reads a state written by {@link #writeTo}, under {@code settings}. */
  public static PairedComparison readFrom(DataInput in, Settings settings) throws IOException {
    long toIgnore = in.readLong();
    int looks = in.readInt();
    if (toIgnore < 0 || looks < 0 || looks > 41) {
      throw new IOException("PairedComparison state: expected pairs to ignore >= 0 and looks in [0, 41], stream has "
          + toIgnore + " and " + looks);
    }
    PairedComparison c = new PairedComparison(settings, toIgnore);
    c.looks = looks;
    c.d = RunningMoments.readFrom(in, "PairedComparison differences");
    return c;
  }
}
