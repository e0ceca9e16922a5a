package dev.chorus.core.select;

import dev.chorus.core.io.BinaryState;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A search of a task running on the stream, as the job's selection operator holds it: the {@link SuccessiveHalving}
 * schedule over the search's variants, fed with each example's losses once every live variant of the search has
 * reported that example (its predictions arrive one variant at a time, in any order), so that a rung's means are
 * over the same examples for all. Losses wait, by example id, in a buffer of at most {@code maxPending} ids (oldest
 * evicted, counted {@link #unpaired()}). A variant retired from outside the search (by an operator) ends it: its
 * rungs can no longer be decided on common examples ({@link #abandoned()}). A retirement the search decided itself
 * that the run has not made (an earlier attempt of the job decided the rung after the checkpoint this run was
 * restored from, and its decision reached the control topic) is adopted as the rung's decision ({@link #adopt}). Why
 * each variant was retired is kept for the standings, and so is each rung's decision with its evidence
 * ({@link #decisions()}): a random search's too, which retires nobody. Written exactly by {@link #writeTo}, read by
 * {@link #readFrom} (which reads the first layout, without the decisions, as well); the retirements adopted while the
 * rest of their decision is awaited are the live variants among the reasons' keys, so they need no field of their own.
 */
public final class SearchRun {

  private static final byte VERSION = 2;

  private final String name;
  private final SuccessiveHalving halving;
  private final LinkedHashMap<String, TreeMap<String, Double>> pending = new LinkedHashMap<>();
  private final TreeMap<String, String> retiredBecause = new TreeMap<>();
  private final List<String> decisions = new ArrayList<>();
  private String abandoned;
  private long unpaired;

  private SearchRun(String name, SuccessiveHalving halving) {
    this.name = name;
    this.halving = halving;
  }

  /** The search named {@code name} (its control-topic variant) over {@code variants}, as {@code search} says. */
  public static SearchRun start(String name, SearchSpec search, List<String> variants) {
    return new SearchRun(name, new SuccessiveHalving(variants, search.budgetExamples(), search.halving()));
  }

  /**
   * {@link #start}, then past the rungs an earlier run decided: {@code retired} are those of {@code variants} the
   * control topic had retired before this run's first loss ({@link SuccessiveHalving#resumeAfter}). Retirements that
   * no rungs make came from outside the search, which ends it, as they ended the earlier run.
   */
  public static SearchRun resume(String name, SearchSpec search, List<String> variants, Set<String> retired) {
    SearchRun run = start(name, search, variants);
    if (!run.halving.resumeAfter(retired)) {
      run.abandoned = "variants " + new TreeSet<>(retired) + " were retired before this run of the search, not as its "
          + "rungs retire";
    }
    return run;
  }

  /** The names a search's drawn variants take on the control topic: {@code <name>-s0}, {@code <name>-s1}, ... */
  public static List<String> variantNames(String name, List<DrawnVariant> drawn) {
    return drawn.stream().map(v -> name + "-" + v.name()).toList();
  }

  /**
   * Records {@code variant}'s loss on example {@code exampleId}; the rung's decision when this example completed the
   * rung. Losses of variants outside the search's live ones, and any loss once it has finished, change nothing. While
   * some of the rung's retirements are adopted ({@link #adopt}) and the rest are awaited, an example is complete
   * without the adopted variants, and a rung completed then retires them and the worst of the others.
   */
  public Optional<Decision> record(String exampleId, String variant, double loss, int maxPending) {
    List<String> live = halving.live();
    Set<String> adopted = adopted(live);
    if (!running() || !live.contains(variant) || adopted.contains(variant)) {
      return Optional.empty();
    }
    TreeMap<String, Double> entry = pending.get(exampleId);
    if (entry == null || entry.containsKey(variant)) {
      // An id reported twice by one variant (an annotator labelling the item again: the job's ids name the annotator
      // too) starts over.
      unpaired += entry == null ? 0 : 1;
      entry = new TreeMap<>();
      pending.remove(exampleId);
      pending.put(exampleId, entry);
      Iterator<String> oldest = pending.keySet().iterator();
      while (pending.size() > maxPending) {
        oldest.next();
        oldest.remove();
        unpaired++;
      }
    }
    entry.put(variant, loss);
    for (String v : live) {
      if (!entry.containsKey(v) && !adopted.contains(v)) {
        return Optional.empty();
      }
    }
    pending.remove(exampleId);
    entry.keySet().retainAll(live);
    // Ranked last, the adopted retirements are retired whatever the others' losses.
    for (String v : adopted) {
      entry.put(v, Double.POSITIVE_INFINITY);
    }
    Optional<Decision> decision = halving.record(entry, 1);
    decision.ifPresent(d -> {
      String why = evidence(d, adopted);
      decisions.add(why);
      d.retired().forEach(v -> retiredBecause.put(v, why));
      decided(d.survivors());
    });
    return decision;
  }

  /**
   * Variant {@code variant} was retired on the control topic by a decision of this search, {@code evidence} the
   * record's reason. When it is a decision of the rung this run stands at, the run has not made it: an earlier attempt
   * of the job made it after the checkpoint this run was restored from, and its spec decisions, written at least once,
   * reached the topic. The trainers have retired the variant already, so the run adopts the decision: once every
   * variant the rung retires is in, the rung ends with them retired and {@code evidence} as its decision; until then,
   * the variants in report no loss ({@link #record}). Whether it was adopted: if not, the caller withdraws the variant.
   */
  public boolean adopt(String variant, String evidence) {
    if (!running() || !halving.live().contains(variant) || halving.retiring() == 0 || evidence == null
        || !evidence.startsWith("search " + name + " rung " + halving.rung() + " of ")) {
      return false;
    }
    retiredBecause.put(variant, evidence);
    Set<String> adopted = adopted(halving.live());
    if (adopted.size() == halving.retiring()) {
      halving.decided(adopted);
      decisions.add(evidence);
      decided(halving.live());
    }
    return true;
  }

  /** The variants of {@code live} whose retirement the run adopted, awaiting the rest of their rung's decision. */
  private Set<String> adopted(List<String> live) {
    if (retiredBecause.isEmpty()) {
      return Set.of();
    }
    Set<String> adopted = new TreeSet<>();
    for (String v : retiredBecause.keySet()) {
      if (live.contains(v)) {
        adopted.add(v);
      }
    }
    return adopted;
  }

  /**
   * After a rung's decision: the waiting losses keep the survivors'; an id every survivor reported goes, unpaired.
   * After the last rung's, none is kept, as no rung is left to take them ({@link #record} reads no loss then) and
   * an id only a retired variant reported would wait for good; like a {@link #withdraw}n search's, they are not
   * counted unpaired.
   */
  private void decided(List<String> survivors) {
    if (halving.finished()) {
      pending.clear();
      return;
    }
    // An id every survivor reported while a retired variant had not is neither rung's.
    pending.values().forEach(e -> e.keySet().retainAll(survivors));
    int before = pending.size();
    pending.values().removeIf(e -> e.keySet().containsAll(survivors));
    unpaired += before - pending.size();
  }

  /** Variant {@code variant} was retired from outside the search: if it was one of its live ones, the search ends. */
  public void withdraw(String variant) {
    if (running() && halving.live().contains(variant)) {
      abandoned = "variant " + variant + " was retired outside the search at rung " + halving.rung();
      pending.clear();
    }
  }

  /**
   * The evidence of {@code decision} in one line: the search, the rung, its examples, and each variant's mean
   * prequential loss on them, best first, kept or retired.
   */
  public String evidence(Decision d) {
    return evidence(d, Set.of());
  }

  /** {@link #evidence(Decision)}, for a rung whose retirements {@code adopted} were in before its end. */
  private String evidence(Decision d, Set<String> adopted) {
    String means = Stream.concat(d.survivors().stream(), d.retired().stream())
        .map(v -> adopted.contains(v) ? v + " (retired by this rung's decision of an earlier attempt)"
            : v + " " + String.format(Locale.ROOT, "%.6g", d.meanLoss().get(v))
                + (d.retired().contains(v) ? " (retired)" : " (kept)"))
        .collect(Collectors.joining(", "));
    return "search " + name + " rung " + d.rung() + " of " + halving.rungs() + " over " + d.examples()
        + " examples: mean prequential loss " + means;
  }

  public String name() {
    return name;
  }

  /** Whether rungs are still being decided: not finished, not abandoned. */
  public boolean running() {
    return abandoned == null && !halving.finished();
  }

  /** Why the search ended before its last rung, or null. */
  public String abandoned() {
    return abandoned;
  }

  /** Whether the search is past its last rung. */
  public boolean finished() {
    return halving.finished();
  }

  /** The rung being decided, 0 first (as {@link #evidence} counts); {@link #rungs()} once finished. */
  public int rung() {
    return halving.rung();
  }

  public int rungs() {
    return halving.rungs();
  }

  /** The search's live variants. */
  public List<String> live() {
    return halving.live();
  }

  /** Why each variant the search retired was retired: its rung's evidence. */
  public Map<String, String> retiredBecause() {
    return Collections.unmodifiableMap(retiredBecause);
  }

  /** Each rung decided so far, in order, as {@link #evidence} says it. */
  public List<String> decisions() {
    return Collections.unmodifiableList(decisions);
  }

  /** Example ids waiting for a live variant's loss. */
  public int pending() {
    return pending.size();
  }

  /** Ids evicted from the buffer, or reported twice, before every live variant had reported them. */
  public long unpaired() {
    return unpaired;
  }

  /** Writes the whole state: name, why abandoned, schedule, reasons, decisions, unpaired count and waiting losses. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(VERSION);
    BinaryState.writeString(out, name);
    out.writeBoolean(abandoned != null);
    if (abandoned != null) {
      BinaryState.writeString(out, abandoned);
    }
    halving.writeTo(out);
    out.writeInt(retiredBecause.size());
    for (Map.Entry<String, String> e : retiredBecause.entrySet()) {
      BinaryState.writeString(out, e.getKey());
      BinaryState.writeString(out, e.getValue());
    }
    out.writeInt(decisions.size());
    for (String d : decisions) {
      BinaryState.writeString(out, d);
    }
    out.writeLong(unpaired);
    out.writeInt(pending.size());
    for (Map.Entry<String, TreeMap<String, Double>> e : pending.entrySet()) {
      BinaryState.writeString(out, e.getKey());
      out.writeInt(e.getValue().size());
      for (Map.Entry<String, Double> loss : e.getValue().entrySet()) {
        BinaryState.writeString(out, loss.getKey());
        out.writeLong(Double.doubleToRawLongBits(loss.getValue()));
      }
    }
  }

  /** Reads a state written by {@link #writeTo}. */
  public static SearchRun readFrom(DataInput in) throws IOException {
    byte version = in.readByte();
    if (version != 1 && version != VERSION) {
      throw new IOException("SearchRun state: expected version 1 or " + VERSION + ", stream has " + version);
    }
    String name = BinaryState.readString(in, "SearchRun name");
    String abandoned = in.readBoolean() ? BinaryState.readString(in, "SearchRun " + name + " abandoned") : null;
    SearchRun run = new SearchRun(name, SuccessiveHalving.readFrom(in));
    run.abandoned = abandoned;
    int reasons = in.readInt();
    BinaryState.requireFits(in, reasons, 8, "SearchRun " + name + " reasons");
    for (int i = 0; i < reasons; i++) {
      run.retiredBecause.put(BinaryState.readString(in, "SearchRun retired variant"),
          BinaryState.readString(in, "SearchRun reason"));
    }
    if (version >= 2) {
      int decisions = in.readInt();
      BinaryState.requireFits(in, decisions, 4, "SearchRun " + name + " decisions");
      for (int i = 0; i < decisions; i++) {
        run.decisions.add(BinaryState.readString(in, "SearchRun decision"));
      }
    }
    run.unpaired = in.readLong();
    int ids = in.readInt();
    BinaryState.requireFits(in, ids, 8, "SearchRun " + name + " pending ids");
    for (int i = 0; i < ids; i++) {
      String id = BinaryState.readString(in, "SearchRun pending id");
      int losses = in.readInt();
      BinaryState.requireFits(in, losses, 12, "SearchRun losses of " + id);
      TreeMap<String, Double> entry = new TreeMap<>();
      for (int j = 0; j < losses; j++) {
        entry.put(BinaryState.readString(in, "variant of " + id), Double.longBitsToDouble(in.readLong()));
      }
      run.pending.put(id, entry);
    }
    return run;
  }
}
