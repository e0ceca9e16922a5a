package dev.chorus.core.select;

import dev.chorus.core.io.BinaryState;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Successive halving (Jamieson and Talwalkar, "Non-stochastic best arm identification and hyperparameter
 * optimization", AISTATS 2016) on a stream: the variants train side by side on the same examples, and at the end of
 * each rung the better half by mean prequential loss on that rung goes on (ties broken by name), the rest retire.
 *
 * <p>Schedule: {@code n} variants and a budget of {@code B} examples make {@code R = ceil(log2 n)} rungs of
 * geometric lengths {@code r0, 2 r0, 4 r0, ...} with {@code r0 = floor(B / (2^R - 1))}, the last rung taking the
 * remainder, so the rungs sum to {@code B}; rung {@code k} has {@code n_k = ceil(n / 2^k)} live variants and ends
 * with one left. Cost: every example of a one-pass stream of {@code N >= B} trains the one that is left at the end,
 * plus each other variant live at the time, so the training work is {@code N + sum_k (n_k - 1) * r_k} examples'
 * worth of one variant. For {@code n = 8}: {@code N + 7 r0 + 3 (2 r0) + 1 (4 r0) = N + 17 r0 ~ N + 17 B / 7},
 * that is {@code 1.81 N} for {@code B = N / 3}, against {@code 8 N} for training all eight to the end.
 *
 * <p>A {@link SearchSpec#RANDOM random} search ({@code halving} false) runs the same rungs and publishes the same
 * evidence but keeps every variant. The state (live variants, rung, examples and loss sums in it) is written
 * exactly by {@link #writeTo} and read by {@link #readFrom}.
 */
public final class SuccessiveHalving {

  private static final byte VERSION = 1;
  private static final Comparator<Map.Entry<String, Double>> BY_MEAN_THEN_NAME =
      Map.Entry.<String, Double>comparingByValue(Double::compare).thenComparing(Map.Entry.comparingByKey());

  private final int variantsAtStart;
  private final long budgetExamples;
  private final boolean halving;
  private final long[] rungLengths;
  /** Live variants (sorted by name) and each one's loss summed over the current rung's examples. */
  private final TreeMap<String, Double> sums = new TreeMap<>();
  private int rung;
  private long examplesInRung;

  /**
   * A search over {@code variants} (distinct names) with {@code budgetExamples} in its rungs.
   *
   * @param halving whether rungs retire the worse half ({@link SearchSpec#halving()})
   */
  public SuccessiveHalving(List<String> variants, long budgetExamples, boolean halving) {
    this(variants.size(), budgetExamples, halving);
    variants.forEach(v -> {
      if (sums.put(v, 0.0) != null) {
        throw new IllegalArgumentException("variants: expected distinct names, got " + v + " twice in " + variants);
      }
    });
  }

  private SuccessiveHalving(int variantsAtStart, long budgetExamples, boolean halving) {
    this.variantsAtStart = variantsAtStart;
    this.budgetExamples = budgetExamples;
    this.halving = halving;
    this.rungLengths = rungLengths(variantsAtStart, budgetExamples);
  }

  /** The search {@code search} describes, over the variants it drew. */
  public static SuccessiveHalving start(SearchSpec search, List<DrawnVariant> variants) {
    return new SuccessiveHalving(variants.stream().map(DrawnVariant::name).toList(), search.budgetExamples(),
        search.halving());
  }

  /** {@code ceil(log2 n)}: the rungs that halve {@code n} variants down to one. */
  public static int rungCount(int variants) {
    return variants <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(variants - 1);
  }

  /** The rungs' lengths for {@code variants} and {@code budgetExamples}, as the class comment defines them. */
  public static long[] rungLengths(int variants, long budgetExamples) {
    int count = rungCount(variants);
    long[] lengths = new long[count];
    if (count == 0) {
      return lengths;
    }
    long r0 = budgetExamples / ((1L << count) - 1);
    if (r0 < 1) {
      throw new IllegalArgumentException("budgetExamples: expected at least " + ((1L << count) - 1) + " for "
          + variants + " variants, got " + budgetExamples);
    }
    long used = 0;
    for (int k = 0; k < count - 1; k++) {
      lengths[k] = r0 << k;
      used += lengths[k];
    }
    lengths[count - 1] = budgetExamples - used;
    return lengths;
  }

  /**
   * Adds the loss of each live variant summed over the same {@code examples} new examples (the sums' keys must be
   * exactly {@link #live()}). When the rung's length is reached (a batch that crosses it counts whole), the rung ends
   * and its decision is returned; the next rung starts with the survivors.
   *
   * @throws IllegalStateException if the search has {@link #finished()}
   */
  public Optional<Decision> record(Map<String, Double> lossSums, long examples) {
    if (finished()) {
      throw new IllegalStateException("the search ended after rung " + (rungLengths.length - 1)
          + "; no rung takes losses");
    }
    if (!lossSums.keySet().equals(sums.keySet())) {
      throw new IllegalArgumentException("loss sums: expected one for each live variant " + live() + ", got "
          + new TreeMap<>(lossSums).keySet());
    }
    if (examples < 1) {
      throw new IllegalArgumentException("examples: expected at least 1, got " + examples);
    }
    lossSums.forEach((v, sum) -> sums.merge(v, sum, Double::sum));
    examplesInRung += examples;
    return examplesInRung >= rungLengths[rung] ? Optional.of(decide()) : Optional.empty();
  }

  private Decision decide() {
    TreeMap<String, Double> means = new TreeMap<>();
    sums.forEach((v, sum) -> means.put(v, sum / examplesInRung));
    List<String> ranked = means.entrySet().stream().sorted(BY_MEAN_THEN_NAME).map(Map.Entry::getKey).toList();
    int keep = halving ? (ranked.size() + 1) / 2 : ranked.size();
    Decision decision = new Decision(rung, examplesInRung, ranked.subList(0, keep),
        ranked.subList(keep, ranked.size()), means);
    sums.clear();
    decision.survivors().forEach(v -> sums.put(v, 0.0));
    rung++;
    examplesInRung = 0;
    return decision;
  }

  /**
   * Moves a search that has recorded nothing past the rungs an earlier run of it decided, whose decisions are all that
   * is left of it (a job started again without its state reads them on the control topic): {@code retired} must be
   * as many of the live variants as rungs {@code 0..k-1} retire, {@code n - n_k}; the search then stands at the start
   * of rung {@code k} over the others. Whether it did: other retirements are none that rungs make (some came from
   * outside the search), and the state is left as it was.
   *
   * @throws IllegalStateException if the search has recorded examples already
   */
  public boolean resumeAfter(Collection<String> retired) {
    if (rung != 0 || examplesInRung != 0) {
      throw new IllegalStateException("resume: expected a search that has recorded nothing, got rung " + rung
          + " with " + examplesInRung + " examples");
    }
    int left = sums.size();
    int after = 0;
    while (halving && after < rungLengths.length && left > sums.size() - retired.size()) {
      left = (left + 1) / 2;
      after++;
    }
    if (!sums.keySet().containsAll(retired) || left != sums.size() - retired.size()) {
      return false;
    }
    sums.keySet().removeAll(retired);
    rung = after;
    return true;
  }

  /**
   * Ends the current rung with {@code retired} as its decision, made elsewhere: by an earlier attempt of the job whose
   * decision this run, restored from before it, reads back ({@link SearchRun#adopt}). {@code retired} must be as many
   * live variants as the rung retires ({@link #retiring()}); the next rung starts over the others. Whether it did:
   * otherwise nothing changed.
   */
  public boolean decided(Collection<String> retired) {
    if (retiring() == 0 || retired.size() != retiring() || !sums.keySet().containsAll(retired)) {
      return false;
    }
    sums.keySet().removeAll(retired);
    sums.replaceAll((v, sum) -> 0.0);
    rung++;
    examplesInRung = 0;
    return true;
  }

  /** How many of the live variants the current rung retires: the worse half; none in a random search or at the end. */
  public int retiring() {
    return !halving || finished() ? 0 : sums.size() - (sums.size() + 1) / 2;
  }

  /** Whether every rung has been decided; the variants left then train on without a schedule. */
  public boolean finished() {
    return rung >= rungLengths.length;
  }

  /** The live variants, by name. */
  public List<String> live() {
    return List.copyOf(sums.keySet());
  }

  /** The current rung, 0 first; {@link #rungs()} once finished. */
  public int rung() {
    return rung;
  }

  public int rungs() {
    return rungLengths.length;
  }

  public long rungLength(int rung) {
    return rungLengths[rung];
  }

  /** Examples recorded in the current rung so far. */
  public long examplesInRung() {
    return examplesInRung;
  }

  /** Writes the whole state: budget, method, rung, examples in it, and each live variant's name and loss sum. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    out.writeInt(variantsAtStart);
    out.writeLong(budgetExamples);
    out.writeBoolean(halving);
    out.writeInt(rung);
    out.writeLong(examplesInRung);
    out.writeInt(sums.size());
    for (Map.Entry<String, Double> entry : sums.entrySet()) {
      BinaryState.writeString(out, entry.getKey());
      out.writeLong(Double.doubleToRawLongBits(entry.getValue()));
    }
  }

  /** Reads a state written by {@link #writeTo}, checking that it is consistent. */
  public static SuccessiveHalving readFrom(DataInput in) throws IOException {
    byte version = in.readByte();
    if (version != VERSION) {
      throw new IOException("SuccessiveHalving state: expected version " + VERSION + ", stream has " + version);
    }
    int variants = in.readInt();
    long budget = in.readLong();
    boolean halving = in.readBoolean();
    int rung = in.readInt();
    long examplesInRung = in.readLong();
    int live = in.readInt();
    int rungs = rungCount(variants);
    if (variants < 1 || budget < (1L << rungs) - 1 || rung < 0 || rung > rungs || examplesInRung < 0
        || live < 1 || live > variants) {
      throw new IOException("SuccessiveHalving state: expected 1 <= live " + live + " <= variants " + variants
          + ", budget >= " + ((1L << rungs) - 1) + " (got " + budget + "), rung in 0.." + rungs + " (got " + rung
          + "), examples >= 0 (got " + examplesInRung + ")");
    }
    // A name (its length, at least) and a sum per live variant: the bytes must hold them before lists are sized.
    BinaryState.requireFits(in, live, Integer.BYTES + Long.BYTES, "SuccessiveHalving state: live variants");
    List<String> names = new ArrayList<>(live);
    List<Double> liveSums = new ArrayList<>(live);
    for (int i = 0; i < live; i++) {
      names.add(BinaryState.readString(in, "SuccessiveHalving state: variant " + i));
      liveSums.add(Double.longBitsToDouble(in.readLong()));
    }
    SuccessiveHalving search = new SuccessiveHalving(variants, budget, halving);
    for (int i = 0; i < live; i++) {
      if (search.sums.put(names.get(i), liveSums.get(i)) != null) {
        throw new IOException("SuccessiveHalving state: expected distinct variants, got " + names);
      }
    }
    search.rung = rung;
    search.examplesInRung = examplesInRung;
    return search;
  }
}
