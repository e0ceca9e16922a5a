package dev.chorus.core.select;

import dev.chorus.core.io.BinaryState;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The variants of one task racing for champion: each variant's prequential standing, and one
 * {@link PairedComparison} per challenger against the champion, fed with the losses both made on the same example.
 *
 * <p>Losses are paired by example id in a buffer of at most {@code maxPending} ids waiting for some live variant's
 * loss: an id is evicted (oldest first) and counted {@link #unpaired()} if it waits beyond that. The id is the
 * caller's: the job's names the example and its annotator, as each labelling of a crowd item is an example of its
 * own. An id every live variant has reported is complete, and stays, beyond {@code maxPending}, among the
 * {@link #MAX_COMPLETED} (at most {@code maxPending}) completed last, for a variant whose predictions lag the
 * others': a newcomer (its trainer on another subtask, or just revived) that reports one of them pairs its loss with
 * the champion's (and, as champion, with each challenger's) on that example, as if it had come in time. When a
 * variant comes or comes back, each kept id awaits it (its place in the entry held by {@link #AWAITED}) and stays
 * complete: it counts as no pending id, and leaves, oldest completed first, when more than the bound are kept, never
 * counted unpaired (the variants that had reported it were paired; the newcomer may well start later). A retirement
 * that completes waiting ids keeps them too, and one that leaves no live variant drops every id. An id that a
 * variant reports twice (an annotator labelling the item again) starts a new occurrence, counted unpaired if the
 * first was waiting, not if it was complete; a newcomer filling its awaited place is no second report. An id
 * completed before the kept ones is gone, so a newcomer's loss on it waits for the others and is unpaired when
 * evicted.
 *
 * <p>The first champion is variant {@value #DEFAULT_VARIANT} if it predicts before the task's first standings were
 * published ({@link #standingsPublished()}) and before any challenger has won, else the first variant seen. The bound
 * is what the world saw: before the first record, the first-seen variant is an accident of which trainer's
 * predictions came first, and default takes its place without a {@link Change}; after it, a record has named
 * another champion, and a default that only starts predicting then (added late, or revived after the race forgot
 * it) is an untrained challenger like any other. After that only a {@link PairedComparison} win or retiring the
 * champion changes it: its best live challenger succeeds it, or, if it was the last live variant, the race has no
 * champion until a variant comes or comes back ({@link #revive}), which is then a {@link Change} from the retired one.
 * A retired variant keeps its standing, leaves the race, and its later predictions are ignored until it is
 * {@link #revive revived}.
 *
 * <p>Retired standings are bounded: a race keeps the {@value #MAX_RETIRED} most recently retired variants, and a
 * retirement beyond that forgets the one retired longest ago (in order of retirement, not arrival, so a variant just
 * retired is never the one forgotten), with its pending losses. A forgotten variant is unknown again: its
 * predictions would join the race as a new variant's, and a {@link #revive} of it does nothing (its fresh model's
 * first prediction admits it, with no drift history). The caller keeps out the predictions of a variant it knows is
 * retired (the train job's selection asks the control topic's broadcast before {@link #record}): by the time
 * {@value #MAX_RETIRED} later retirements have happened the retirement is there, as a task trains at most 16 live
 * variants by default. A fork that keeps drifting therefore costs a task at most {@value #MAX_RETIRED} retired
 * standings, in state and in every champion record, however long the stream.
 *
 * <p>A variant may be watched by a drift detector ({@link #observeDrift}, the detector its {@link DriftSpec} names)
 * fed with its per-example 0/1 prequential loss, as {@link VariantRace} feeds it: comparable across model losses,
 * and the scale the detectors' defaults were set on (a log loss is unbounded, which ADWIN's bound does not allow).
 * A detection is counted in the standing with its time; the detector then starts afresh. Reacting to it (reset,
 * fork) is the job's, not the race's: a reset comes back as a retirement and a {@link #revive}.
 *
 * <p>A revived variant's predictions made by its old model, still on their way when the revival reaches the race, are
 * not its fresh record's: they are counted {@link #stale()} and ignored until its version goes down (below the
 * newest the race saw of the old model), which is the fresh model's first prediction, as versions restart at 0 and
 * each variant's predictions arrive in order. A variant whose versions went down before its revival (the fresh
 * model's predictions overtook it) awaits nothing.
 *
 * <p>Not thread-safe.
 */
public final class ChampionRace {

  /** The variant a task trains when it names none. */
  public static final String DEFAULT_VARIANT = "default";
  /**
   * 4 added each variant's order of retirement; 3 added each variant's replaced model version and the race's stale
   * predictions; 2 added each variant's drift detector, drift events and last drift time; 1 to 3 still read (their
   * retired variants taken as retired in order of arrival).
   */
  private static final int FORMAT_VERSION = 4;

  /** Retired variants a race keeps the standings of: beyond, the one retired longest ago is forgotten. */
  public static final int MAX_RETIRED = 16;

  /**
   * Complete ids a race keeps for a variant that lags (no more than {@code maxPending}, so a small buffer bounds them
   * too): a lag of up to this many examples pairs in full. Kept small as each kept id stays in state and in every
   * checkpoint with one loss per variant that reported it, about 29 KB a task at 40-character ids and three variants
   * of 10-character names (100 KB at 16), where the 10,000 ids the job lets wait by default could take 40 times that.
   */
  public static final int MAX_COMPLETED = 256;

  /**
   * The loss a kept complete id holds for a live variant that came after it was complete and has not reported it:
   * not a loss (losses are finite), so never paired; the written layout has no other place to say it.
   */
  private static final double AWAITED = Double.NaN;

  public enum Status { CHAMPION, CHALLENGER, RETIRED }

  /** A variant's replaced version once its fresh model's predictions overtook its revival: none to await then. */
  private static final long RESTARTED = -1;

  /**
   * A new champion: by a comparison's {@code evidence}, or null evidence when the previous one was retired (its
   * successor, or the variant that came or came back to a task whose last live variant it was).
   */
  public record Change(String previous, String champion, PairedComparison.Evidence evidence) {}

  /** What {@link #revive} did: whether the variant came back, and the change of champion it made, null if none. */
  public record Revival(boolean revived, Change change) {}

  /**
   * One variant's prequential standing; {@code correct} counts only for classifiers; {@code lastDriftAt} is the time
   * given with its latest drift detection, null if none.
   */
  public record Standing(String variant, Status status, long labelled, double lossMean, double lossStandardError,
      boolean classifier, long correct, long modelVersion, long driftEvents, Long lastDriftAt) {}

  private static final class Variant {
    Status status;
    final RunningMoments loss;
    boolean classifier;
    long correct;
    long modelVersion;
    PairedComparison comparison;
    DriftDetector detector;
    long driftEvents;
    Long lastDriftAt;
    /**
     * After a revival, the newest version the race saw of the replaced model: a prediction at this version or above
     * is that model's; 0 when none is awaited; {@link #RESTARTED} when the versions went down before a revival.
     */
    long replacedVersion;
    /** When retired, its place in the race's retirements (greater: retired later); 0 when live. */
    long retiredOrder;

    Variant(Status status, RunningMoments loss) {
      this.status = status;
      this.loss = loss;
    }
  }

  private PairedComparison.Settings settings;
  private int maxPending;
  private final LinkedHashMap<String, Variant> variants = new LinkedHashMap<>();
  private final LinkedHashMap<String, LinkedHashMap<String, Double>> pending = new LinkedHashMap<>();
  /**
   * The ids in {@link #pending} every live variant has reported (or awaits, {@link #AWAITED}), oldest completed first,
   * which is their order in {@link #pending} too, as an id moves to its end when it completes. Not written: a read
   * race finds them again ({@link #findCompleted}).
   */
  private final LinkedHashSet<String> completed = new LinkedHashSet<>();
  private String champion;
  private boolean decided;
  private long unpaired;
  private long ignored;
  private long stale;
  private boolean standingsChanged;
  /** Whether any standings went out: from then on the champion they named is not default's to take. */
  private boolean published;

  public ChampionRace(PairedComparison.Settings settings, int maxPending) {
    if (maxPending < 1) {
      throw new IllegalArgumentException("maxPending: expected at least 1, got " + maxPending);
    }
    this.settings = settings;
    this.maxPending = maxPending;
  }

  /**
   * Records variant {@code variant}'s prequential loss on example {@code exampleId} ({@code correct} null for a
   * regressor) made by model version {@code modelVersion}; the champion change it caused, if any.
   */
  public Optional<Change> record(String exampleId, String variant, double loss, Boolean correct, long modelVersion) {
    if (!Double.isFinite(loss)) {
      throw new IllegalArgumentException("loss of " + variant + " on " + exampleId + ": expected a finite value, got "
          + loss);
    }
    Variant v = variants.get(variant);
    Optional<Change> change = Optional.empty();
    if (v == null) {
      String previous = champion == null ? lastChampion() : null;
      v = admit(variant);
      if (previous != null) {
        change = Optional.of(championAgain(previous, variant));
      } else if (variant.equals(DEFAULT_VARIANT) && !decided && !published && !variant.equals(champion)) {
        // Nothing has named the first-seen variant yet: default simply is the first champion, no change, no cooldown.
        promote(variant, null, false);
      }
    } else if (v.status == Status.RETIRED) {
      ignored++;
      return Optional.empty();
    } else if (v.replacedVersion > 0) {
      if (modelVersion >= v.replacedVersion) {
        stale++;
        return Optional.empty();
      }
      v.replacedVersion = 0;
    } else if (modelVersion < v.modelVersion) {
      // Its trainer restarted it before the revival reached the race: nothing of the old model is still to come.
      v.replacedVersion = RESTARTED;
    }
    v.loss.add(loss);
    v.classifier = correct != null;
    v.correct += Boolean.TRUE.equals(correct) ? 1 : 0;
    v.modelVersion = Math.max(v.modelVersion, modelVersion);
    standingsChanged = true;
    Optional<Change> won = pair(exampleId, variant, loss);
    return won.isPresent() ? won : change;
  }

  private Variant admit(String variant) {
    Variant v = new Variant(Status.CHALLENGER, new RunningMoments());
    variants.put(variant, v);
    awaitCompleted(variant);
    if (champion == null) {
      champion = variant;
      v.status = Status.CHAMPION;
    } else {
      v.comparison = PairedComparison.start(settings);
    }
    return v;
  }

  private Optional<Change> pair(String exampleId, String variant, double loss) {
    LinkedHashMap<String, Double> entry = pending.get(exampleId);
    if (entry != null && entry.containsKey(variant) && !Double.isNaN(entry.get(variant))) {
      pending.remove(exampleId);
      if (!completed.remove(exampleId)) {
        unpaired++;
      }
      entry = null;
    }
    if (entry == null) {
      entry = new LinkedHashMap<>();
      pending.put(exampleId, entry);
      evictBeyondBound();
    }
    entry.put(variant, loss);
    String winner = null;
    PairedComparison.Evidence best = null;
    if (variant.equals(champion)) {
      for (Map.Entry<String, Double> other : entry.entrySet()) {
        Variant challenger = variants.get(other.getKey());
        if (challenger.status == Status.CHALLENGER && !Double.isNaN(other.getValue())) {
          Optional<PairedComparison.Evidence> e = challenger.comparison.add(loss, other.getValue());
          if (e.isPresent() && (best == null || e.get().lowerBound() > best.lowerBound())) {
            best = e.get();
            winner = other.getKey();
          }
        }
      }
    } else if (entry.containsKey(champion) && !Double.isNaN(entry.get(champion))) {
      Optional<PairedComparison.Evidence> e = variants.get(variant).comparison.add(entry.get(champion), loss);
      if (e.isPresent()) {
        best = e.get();
        winner = variant;
      }
    }
    if (!completed.contains(exampleId) && isComplete(entry)) {
      keepCompleted(exampleId);
    }
    if (winner == null) {
      return Optional.empty();
    }
    decided = true;
    return Optional.of(promote(winner, best, true));
  }

  private void evictBeyondBound() {
    Iterator<Map.Entry<String, LinkedHashMap<String, Double>>> oldest = pending.entrySet().iterator();
    while (pending() > maxPending) {
      if (completed.contains(oldest.next().getKey())) {
        continue;
      }
      oldest.remove();
      unpaired++;
    }
  }

  /** Keeps {@code exampleId}, just complete, as the one completed last: moved to the end of {@link #pending}. */
  private void keepCompleted(String exampleId) {
    pending.put(exampleId, pending.remove(exampleId));
    completed.add(exampleId);
    keepCompletedWithinBound();
  }

  /** The complete ids kept beyond the bound leave, oldest completed first: paired, so not unpaired. */
  private void keepCompletedWithinBound() {
    Iterator<String> oldest = completed.iterator();
    while (completed.size() > Math.min(maxPending, MAX_COMPLETED)) {
      pending.remove(oldest.next());
      oldest.remove();
    }
  }

  /** Each kept complete id awaits {@code variant}, live from now on: complete still, and a place for its loss. */
  private void awaitCompleted(String variant) {
    for (String id : completed) {
      pending.get(id).putIfAbsent(variant, AWAITED);
    }
  }

  /** The ids in {@link #pending} every live variant has reported or awaits, in their order there. */
  private void findCompleted() {
    completed.clear();
    for (Map.Entry<String, LinkedHashMap<String, Double>> e : pending.entrySet()) {
      if (isComplete(e.getValue())) {
        completed.add(e.getKey());
      }
    }
  }

  private boolean isComplete(Map<String, Double> entry) {
    for (Map.Entry<String, Variant> v : variants.entrySet()) {
      if (v.getValue().status != Status.RETIRED && !entry.containsKey(v.getKey())) {
        return false;
      }
    }
    return true;
  }

  private Change promote(String winner, PairedComparison.Evidence evidence, boolean cooldown) {
    String previous = champion;
    champion = winner;
    for (Map.Entry<String, Variant> e : variants.entrySet()) {
      Variant v = e.getValue();
      if (v.status == Status.RETIRED) {
        continue;
      }
      boolean isChampion = e.getKey().equals(winner);
      v.status = isChampion ? Status.CHAMPION : Status.CHALLENGER;
      v.comparison = isChampion ? null
          : cooldown ? PairedComparison.afterChange(settings) : PairedComparison.start(settings);
    }
    standingsChanged = true;
    return new Change(previous, winner, evidence);
  }

  /**
   * Takes {@code variant} out of the race (the control topic retired it): it keeps its standing as RETIRED, and if
   * it was the champion the live challenger of lowest mean loss succeeds it (one with losses on record before one
   * without, such as a variant just revived). The change, if the champion changed.
   */
  public Optional<Change> retire(String variant) {
    Variant v = variants.get(variant);
    if (v == null || v.status == Status.RETIRED) {
      return Optional.empty();
    }
    v.status = Status.RETIRED;
    v.comparison = null;
    v.detector = null; // never fed again: a revival starts without one
    v.retiredOrder = lastRetirement() + 1;
    forgetBeyondBound();
    standingsChanged = true;
    // It awaits none of them now. The ids it alone kept waiting are complete now that it is out: kept like any
    // other, for a variant that lags. With no live variant left nothing is racing to pair them: all are dropped.
    for (LinkedHashMap<String, Double> entry : pending.values()) {
      if (entry.containsKey(variant) && Double.isNaN(entry.get(variant))) {
        entry.remove(variant);
      }
    }
    if (liveVariants() == 0) {
      pending.clear();
      completed.clear();
    } else {
      List<String> completedNow = new ArrayList<>();
      pending.forEach((id, entry) -> {
        if (!completed.contains(id) && isComplete(entry)) {
          completedNow.add(id);
        }
      });
      completedNow.forEach(this::keepCompleted);
    }
    if (!variant.equals(champion)) {
      return Optional.empty();
    }
    // A challenger with no loss on record (just revived, or reset by its drift reaction) has a NaN mean, which no
    // comparison prefers: it succeeds only when no live challenger has a record, the first of them then.
    String successor = null;
    for (Map.Entry<String, Variant> e : variants.entrySet()) {
      Variant c = e.getValue();
      if (c.status == Status.CHALLENGER && (successor == null || betterRecord(c, variants.get(successor)))) {
        successor = e.getKey();
      }
    }
    if (successor == null) {
      champion = null;
      return Optional.empty();
    }
    decided = true;
    return Optional.of(promote(successor, null, true));
  }

  /**
   * The champion of a race that has none now, but had: the variant retired last. Only retiring the champion leaves a
   * race without one (every other live variant is a challenger that would succeed it), and a variant that comes or
   * comes back then is champion at once, so the last retirement was the champion's. (A race restored from a layout
   * before the order of retirement, 1 to 3, takes its retired variants as retired in order of arrival.) Null for a
   * race that never had a variant.
   */
  private String lastChampion() {
    String last = null;
    long order = 0;
    for (Map.Entry<String, Variant> e : variants.entrySet()) {
      if (e.getValue().retiredOrder > order) {
        last = e.getKey();
        order = e.getValue().retiredOrder;
      }
    }
    return last;
  }

  /** {@code variant}, champion of a race whose last live variant, {@code previous}, was retired: a change. */
  private Change championAgain(String previous, String variant) {
    decided = true;
    return new Change(previous, variant, null);
  }

  private long lastRetirement() {
    long last = 0;
    for (Variant v : variants.values()) {
      last = Math.max(last, v.retiredOrder);
    }
    return last;
  }

  /** Forgets the variants retired longest ago beyond {@link #MAX_RETIRED}, and their pending losses. */
  private void forgetBeyondBound() {
    int retired = variants.size() - liveVariants();
    while (retired > MAX_RETIRED) {
      String oldest = null;
      long order = Long.MAX_VALUE;
      for (Map.Entry<String, Variant> e : variants.entrySet()) {
        Variant v = e.getValue();
        if (v.status == Status.RETIRED && v.retiredOrder < order) {
          oldest = e.getKey();
          order = v.retiredOrder;
        }
      }
      variants.remove(oldest);
      for (LinkedHashMap<String, Double> entry : pending.values()) {
        entry.remove(oldest);
      }
      pending.values().removeIf(Map::isEmpty);
      completed.retainAll(pending.keySet());
      retired--;
    }
  }

  /** Whether {@code c}'s record succeeds a champion before {@code other}'s: one with losses before one without. */
  private static boolean betterRecord(Variant c, Variant other) {
    if (c.loss.count() == 0) {
      return false;
    }
    return other.loss.count() == 0 || c.loss.mean() < other.loss.mean();
  }

  /**
   * Brings a retired {@code variant} back into the race (the control topic made it live again, its model restarted
   * from version 0): it races again from an empty record, with no losses, paired statistics, pending losses or
   * drift detector of its past; its drift events and last drift time stay on record. It is champion if the task has
   * none (a {@link Change} from the variant retired last, which may be itself: a reset of a task's only variant),
   * else a challenger that must win a full paired test. Predictions of its old model that arrive after this are
   * {@link #stale()}. Not revived: a live or unknown variant (one never seen, or retired so long ago that the race
   * forgot it, {@link #MAX_RETIRED}) is left alone.
   */
  public Revival revive(String variant) {
    Variant old = variants.get(variant);
    if (old == null || old.status != Status.RETIRED) {
      return new Revival(false, null);
    }
    String previous = champion == null ? lastChampion() : null;
    Variant v = new Variant(Status.CHALLENGER, new RunningMoments());
    v.driftEvents = old.driftEvents;
    v.lastDriftAt = old.lastDriftAt;
    // An old model that never got past version 0 cannot be told from the fresh one: nothing is awaited then.
    v.replacedVersion = old.replacedVersion == RESTARTED ? 0 : old.modelVersion;
    variants.put(variant, v);
    for (LinkedHashMap<String, Double> entry : pending.values()) {
      entry.remove(variant);
    }
    pending.values().removeIf(Map::isEmpty);
    completed.retainAll(pending.keySet());
    awaitCompleted(variant);
    standingsChanged = true;
    if (champion != null) {
      v.comparison = PairedComparison.start(settings);
      return new Revival(true, null);
    }
    champion = variant;
    v.status = Status.CHAMPION;
    return new Revival(true, championAgain(previous, variant));
  }

  /**
   * Feeds {@code variant}'s 0/1 loss on one example ({@code correct}: its prediction was right) to its drift
   * detector, created on the first call as {@code drift} names it (detector {@code none}: not watched); whether it
   * detected a drift, which sets the standing's last drift to {@code now}. An unknown or retired variant is not
   * watched, nor a revived one before its fresh model's first prediction. The detector is the one of the variant's
   * first call: a live variant's spec does not change.
   */
  public boolean observeDrift(String variant, DriftSpec drift, boolean correct, long now) {
    Variant v = variants.get(variant);
    if (v == null || v.status == Status.RETIRED || v.replacedVersion > 0) {
      return false;
    }
    if (v.detector == null) {
      if (drift.detector().equals(DriftSpec.NONE)) {
        return false;
      }
      v.detector = DriftDetectors.create(drift);
    }
    if (!v.detector.add(correct ? 0 : 1)) {
      return false;
    }
    v.detector.reset();
    v.driftEvents++;
    v.lastDriftAt = now;
    standingsChanged = true;
    return true;
  }

  /**
   * Goes on under {@code settings} and {@code maxPending} (a restored race gets the restarted job's configuration);
   * standings, comparisons and pending losses are kept, the oldest pending ids evicted if the bound shrank (and the
   * complete ones kept beyond the new bound leave, not unpaired).
   */
  public void configure(PairedComparison.Settings settings, int maxPending) {
    if (settings.equals(this.settings) && maxPending == this.maxPending) {
      return;
    }
    if (maxPending < 1) {
      throw new IllegalArgumentException("maxPending: expected at least 1, got " + maxPending);
    }
    this.settings = settings;
    this.maxPending = maxPending;
    for (Variant v : variants.values()) {
      if (v.comparison != null) {
        v.comparison.configure(settings);
      }
    }
    keepCompletedWithinBound();
    evictBeyondBound();
  }

  /** The current champion; null before the first prediction or after its only variant was retired. */
  public String champion() {
    return champion;
  }

  /** Live (not retired) variants. */
  public int liveVariants() {
    int live = 0;
    for (Variant v : variants.values()) {
      live += v.status == Status.RETIRED ? 0 : 1;
    }
    return live;
  }

  /** Every variant's standing, the champion first, then in order of arrival. */
  public List<Standing> standings() {
    List<Standing> standings = new ArrayList<>();
    variants.forEach((name, v) -> {
      Standing s = new Standing(name, v.status, v.loss.count(), v.loss.mean(), v.loss.standardError(), v.classifier,
          v.correct, v.modelVersion, v.driftEvents, v.lastDriftAt);
      standings.add(name.equals(champion) ? 0 : standings.size(), s);
    });
    return standings;
  }

  /**
   * Pairs the paired test of challenger {@code variant} has counted against the champion since it joined, was revived
   * or the champion last changed (a cooldown's pairs not counted); 0 for the champion or a retired or unknown variant.
   */
  public long pairs(String variant) {
    Variant v = variants.get(variant);
    return v == null || v.comparison == null ? 0 : v.comparison.pairs();
  }

  /**
   * The challengers whose {@link #pairs} a loss of {@code variant} just recorded may have raised: every challenger
   * if it is the champion, else itself if it is a challenger.
   */
  public List<String> pairedBy(String variant) {
    Variant v = variants.get(variant);
    if (v == null || v.status == Status.RETIRED) {
      return List.of();
    }
    if (v.status == Status.CHALLENGER) {
      return List.of(variant);
    }
    List<String> challengers = new ArrayList<>();
    variants.forEach((name, c) -> {
      if (c.status == Status.CHALLENGER) {
        challengers.add(name);
      }
    });
    return challengers;
  }

  /** Ids evicted from the pairing buffer, or seen again, before every live variant had reported them. */
  public long unpaired() {
    return unpaired;
  }

  /** Predictions of retired variants, which the race ignores. */
  public long ignored() {
    return ignored;
  }

  /** Predictions of a revived variant's old model that arrived after its revival, which the race ignores. */
  public long stale() {
    return stale;
  }

  /** Ids waiting for some live variant's loss (not the complete ones kept for a variant that lags). */
  public int pending() {
    return pending.size() - completed.size();
  }

  /** Whether any standing changed since {@link #standingsPublished()}. */
  public boolean standingsChanged() {
    return standingsChanged;
  }

  /** The standings as they are now went out (a record naming the current champion). */
  public void standingsPublished() {
    standingsChanged = false;
    published = true;
  }

  /** Writes the whole state exactly (settings and bound not included: they come from the job's configuration). */
  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(FORMAT_VERSION);
    out.writeBoolean(champion != null);
    if (champion != null) {
      BinaryState.writeString(out, champion);
    }
    out.writeBoolean(decided);
    out.writeLong(unpaired);
    out.writeLong(ignored);
    out.writeLong(stale);
    out.writeBoolean(standingsChanged);
    out.writeBoolean(published);
    out.writeInt(variants.size());
    for (Map.Entry<String, Variant> e : variants.entrySet()) {
      Variant v = e.getValue();
      BinaryState.writeString(out, e.getKey());
      out.writeByte(v.status.ordinal());
      v.loss.writeTo(out);
      out.writeBoolean(v.classifier);
      out.writeLong(v.correct);
      out.writeLong(v.modelVersion);
      out.writeBoolean(v.comparison != null);
      if (v.comparison != null) {
        v.comparison.writeTo(out);
      }
      out.writeBoolean(v.detector != null);
      if (v.detector != null) {
        v.detector.writeTo(out);
      }
      out.writeLong(v.driftEvents);
      out.writeBoolean(v.lastDriftAt != null);
      if (v.lastDriftAt != null) {
        out.writeLong(v.lastDriftAt);
      }
      out.writeLong(v.replacedVersion);
      out.writeLong(v.retiredOrder);
    }
    out.writeInt(pending.size());
    for (Map.Entry<String, LinkedHashMap<String, Double>> e : pending.entrySet()) {
      BinaryState.writeString(out, e.getKey());
      out.writeInt(e.getValue().size());
      for (Map.Entry<String, Double> loss : e.getValue().entrySet()) {
        BinaryState.writeString(out, loss.getKey());
        out.writeLong(Double.doubleToRawLongBits(loss.getValue()));
      }
    }
  }

  /** Reads a state written by {@link #writeTo}, under {@code settings} and {@code maxPending}. */
  public static ChampionRace readFrom(DataInput in, PairedComparison.Settings settings, int maxPending)
      throws IOException {
    int format = in.readInt();
    if (format < 1 || format > FORMAT_VERSION) {
      throw new IOException("ChampionRace state: expected format 1 to " + FORMAT_VERSION + ", stream has " + format);
    }
    ChampionRace race = new ChampionRace(settings, maxPending);
    race.champion = in.readBoolean() ? BinaryState.readString(in, "champion") : null;
    race.decided = in.readBoolean();
    race.unpaired = in.readLong();
    race.ignored = in.readLong();
    race.stale = format >= 3 ? in.readLong() : 0;
    race.standingsChanged = in.readBoolean();
    race.published = in.readBoolean();
    int count = in.readInt();
    BinaryState.requireFits(in, count, 40, "ChampionRace variants");
    for (int i = 0; i < count; i++) {
      String name = BinaryState.readString(in, "variant");
      int status = in.readByte();
      if (status < 0 || status >= Status.values().length) {
        throw new IOException("ChampionRace variant " + name + ": expected a status in [0, "
            + Status.values().length + "), stream has " + status);
      }
      Variant v = new Variant(Status.values()[status], RunningMoments.readFrom(in, "loss of " + name));
      v.classifier = in.readBoolean();
      v.correct = in.readLong();
      v.modelVersion = in.readLong();
      v.comparison = in.readBoolean() ? PairedComparison.readFrom(in, settings) : null;
      if (format >= 2) {
        v.detector = in.readBoolean() ? DriftDetectors.readFrom(in) : null;
        v.driftEvents = in.readLong();
        v.lastDriftAt = in.readBoolean() ? in.readLong() : null;
      }
      v.replacedVersion = format >= 3 ? in.readLong() : 0;
      if (format >= 4) {
        v.retiredOrder = in.readLong();
      } else if (v.status == Status.RETIRED) {
        v.retiredOrder = race.lastRetirement() + 1;
      }
      if ((v.status == Status.RETIRED) != (v.retiredOrder > 0)) {
        throw new IOException("ChampionRace variant " + name + ": status " + v.status + " with order of retirement "
            + v.retiredOrder);
      }
      race.variants.put(name, v);
    }
    int ids = in.readInt();
    BinaryState.requireFits(in, ids, 8, "ChampionRace pending ids");
    for (int i = 0; i < ids; i++) {
      String id = BinaryState.readString(in, "pending id");
      int losses = in.readInt();
      BinaryState.requireFits(in, losses, 12, "ChampionRace losses of " + id);
      LinkedHashMap<String, Double> entry = new LinkedHashMap<>();
      for (int j = 0; j < losses; j++) {
        entry.put(BinaryState.readString(in, "variant of " + id), Double.longBitsToDouble(in.readLong()));
      }
      race.pending.put(id, entry);
    }
    if (format < 4) {
      race.forgetBeyondBound(); // a layout from before the bound may hold any number of retired variants
    }
    race.findCompleted();
    return race;
  }

  /** An independent copy, through the exact state format. */
  public ChampionRace copy() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      writeTo(new DataOutputStream(bytes));
      return readFrom(new BinaryState.Bytes(bytes.toByteArray()), settings, maxPending);
    } catch (IOException e) {
      throw new IllegalStateException("copying a champion race through its own state format", e);
    }
  }
}
