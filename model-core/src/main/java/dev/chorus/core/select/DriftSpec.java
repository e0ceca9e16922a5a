package dev.chorus.core.select;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.saved.ModelWarmStart;
import dev.chorus.core.spec.SpecReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A spec's {@code "drift"}: the detector watching a variant's prequential loss, its parameters, and what happens
 * when it fires, e.g. {@code {"detector":"adwin","delta":0.002,"reaction":"fork","forkVariants":2}}. Each detector
 * takes only its own parameters ({@link PageHinkley}: {@code delta}, {@code lambda}, {@code minInstances},
 * {@code alpha}; {@link Adwin}: {@code delta}, {@code maxBuckets}), each with a default. A fork's challengers have
 * the champion's hyperparameters, or, with {@code forkSpace} (a space as {@code search.space} writes it, e.g.
 * {@code {"optimizer.learningRate":{"logUniform":[1e-4,1e-2]}}}), a point drawn from it around the champion's spec:
 * {@link #fork}.
 *
 * @param reaction {@value #NONE} (report only), {@value #RESET} (the variant starts afresh), {@value #FORK}
 *     ({@code forkVariants} new challengers from the champion's hyperparameters) or {@value #REWARM} (the variant
 *     restarts in place from its own weights, standardiser statistics and layer state, with its optimizer's moments
 *     and step count, so its learning-rate schedule, and its model version started again:
 *     {@link ModelWarmStart#rewarm}; a dense learner, a hashed linear, a wide and deep or a large-softmax model's
 *     spec only, {@link ModelWarmStart#cannotRewarm})
 * @param forkVariants how many challengers a fork starts; 0 unless the reaction is {@value #FORK}
 * @param forkPatienceExamples pairs with the champion after which a fork's challenger that was not promoted is
 *     retired ({@link #forkPatienceRunsOut}); 0 unless the reaction is {@value #FORK}
 * @param forkSpace the hyperparameters a fork's challengers draw; null (the champion's) unless the reaction is
 *     {@value #FORK} and the spec gives one
 */
public record DriftSpec(String detector, double delta, double lambda, int minInstances, double alpha,
    int maxBuckets, String reaction, int forkVariants, long forkPatienceExamples, SearchSpace forkSpace) {

  public static final String NONE = "none";
  public static final String PAGE_HINKLEY = "page-hinkley";
  public static final String ADWIN = "adwin";
  public static final String RESET = "reset";
  public static final String FORK = "fork";
  public static final String REWARM = "rewarm";
  public static final int DEFAULT_FORK_VARIANTS = 2;
  /** The bench's fork patience before the job had one: past the default paired test's look at 12,800 pairs. */
  public static final long DEFAULT_FORK_PATIENCE_EXAMPLES = 20_000;
  private static final List<String> DETECTORS = List.of(NONE, PAGE_HINKLEY, ADWIN);
  private static final List<String> REACTIONS = List.of(NONE, RESET, FORK, REWARM);
  private static final List<String> FORK_KEYS = List.of("forkVariants", "forkPatienceExamples", "forkSpace");
  /** Odd, so that each drift event of a seed draws its fork from a seed of its own ({@link #fork}). */
  private static final long FORK_DRAW_STRIDE = 0x9E3779B97F4A7C15L;

  /** No detector: what a spec without {@code "drift"} has. */
  public static final DriftSpec NO_DRIFT = defaults(NONE);

  /** Detector {@code detector} with its default parameters and no reaction. */
  public static DriftSpec defaults(String detector) {
    return switch (detector) {
      case PAGE_HINKLEY -> new DriftSpec(PAGE_HINKLEY, PageHinkley.DEFAULT_DELTA, PageHinkley.DEFAULT_LAMBDA,
          PageHinkley.DEFAULT_MIN_INSTANCES, PageHinkley.DEFAULT_ALPHA, 0, NONE, 0, 0, null);
      case ADWIN -> new DriftSpec(ADWIN, Adwin.DEFAULT_DELTA, 0, 0, 0, Adwin.DEFAULT_MAX_BUCKETS, NONE, 0, 0, null);
      case NONE -> new DriftSpec(NONE, 0, 0, 0, 0, 0, NONE, 0, 0, null);
      default -> throw new IllegalArgumentException("detector: expected one of " + SpecReader.quoted(DETECTORS)
          + ", got \"" + detector + "\"");
    };
  }

  /** The {@code drift} of a spec of {@code model}. */
  static DriftSpec fromJson(SpecReader json, ModelSpec model, int maxVariantsPerTask) {
    json.requireObject("an object like {\"detector\":\"adwin\",\"reaction\":\"reset\"}");
    String detector = json.string("detector");
    if (!DETECTORS.contains(detector)) {
      throw json.error("detector", "expected one of " + SpecReader.quoted(DETECTORS) + ", got \"" + detector + "\"");
    }
    DriftSpec defaults = defaults(detector);
    String reaction = json.has("reaction") ? json.string("reaction") : NONE;
    if (!REACTIONS.contains(reaction)) {
      throw json.error("reaction", "expected one of " + SpecReader.quoted(REACTIONS) + ", got \"" + reaction + "\"");
    }
    String cannotRewarm = ModelWarmStart.cannotRewarm(model);
    if (reaction.equals(REWARM) && cannotRewarm != null) {
      throw json.error("reaction", "expected \"none\", \"reset\" or \"fork\" for a model with " + cannotRewarm
          + " (a rewarm restarts a dense learner, a hashed linear, a wide and deep or a large-softmax model from its "
          + "own weights with its optimizer afresh: a label model would lose its label history, a skip-gram has no "
          + "optimizer state), got \"" + REWARM + "\"");
    }
    switch (detector) {
      case PAGE_HINKLEY -> json.requireKnownKeys(
          List.of("detector", "delta", "lambda", "minInstances", "alpha", "reaction", "forkVariants",
          "forkPatienceExamples", "forkSpace"));
      case ADWIN -> json.requireKnownKeys(
          List.of("detector", "delta", "maxBuckets", "reaction", "forkVariants", "forkPatienceExamples", "forkSpace"));
      default -> {
        json.requireKnownKeys(List.of("detector", "reaction"));
        if (!reaction.equals(NONE)) {
          throw json.error("reaction", "expected \"none\" with detector \"none\", got \"" + reaction + "\"");
        }
      }
    }
    double delta = json.doubleValue("delta", defaults.delta);
    if (detector.equals(ADWIN) ? !(delta > 0 && delta < 1) : !(delta >= 0 && Double.isFinite(delta))) {
      throw json.error("delta", "expected a number in " + (detector.equals(ADWIN) ? "(0, 1)" : "[0, ∞)")
          + ", got " + delta);
    }
    double lambda = json.doubleValue("lambda", defaults.lambda);
    if (detector.equals(PAGE_HINKLEY) && !(lambda > 0 && Double.isFinite(lambda))) {
      throw json.error("lambda", "expected a finite number > 0, got " + lambda);
    }
    int minInstances = json.intValue("minInstances", defaults.minInstances);
    if (detector.equals(PAGE_HINKLEY) && minInstances < 1) {
      throw json.error("minInstances", "expected an integer >= 1, got " + minInstances);
    }
    double alpha = json.doubleValue("alpha", defaults.alpha);
    if (detector.equals(PAGE_HINKLEY) && !(alpha > 0 && alpha <= 1)) {
      throw json.error("alpha", "expected a number in (0, 1], got " + alpha);
    }
    int maxBuckets = json.intValue("maxBuckets", defaults.maxBuckets);
    if (detector.equals(ADWIN) && (maxBuckets < 2 || maxBuckets > Adwin.MAX_MAX_BUCKETS)) {
      throw json.error("maxBuckets", "expected an integer from 2 to " + Adwin.MAX_MAX_BUCKETS + ", got " + maxBuckets);
    }
    int forkVariants = 0;
    long forkPatienceExamples = 0;
    SearchSpace forkSpace = null;
    for (String key : FORK_KEYS) {
      if (json.has(key) && !reaction.equals(FORK)) {
        throw json.error(key, "expected no " + key + " unless reaction is \"fork\", got " + json.at(key).node());
      }
    }
    if (reaction.equals(FORK)) {
      forkVariants = json.intValue("forkVariants", DEFAULT_FORK_VARIANTS);
      if (forkVariants < 1 || forkVariants > maxVariantsPerTask) {
        throw json.error("forkVariants", "expected an integer from 1 to maxVariantsPerTask " + maxVariantsPerTask
            + ", got " + forkVariants);
      }
      forkPatienceExamples = json.longValue("forkPatienceExamples", DEFAULT_FORK_PATIENCE_EXAMPLES);
      if (forkPatienceExamples < 1) {
        throw json.error("forkPatienceExamples", "expected an integer >= 1, got " + forkPatienceExamples);
      }
      if (json.has("forkSpace")) {
        SearchSpace space = SearchSpace.fromJson(json.at("forkSpace"), model);
        // Drawn at each drift event, long after this spec is read: every value at a dimension's edges must do, and
        // the first fork's points, drawn now, too.
        int count = forkVariants;
        json.at("forkSpace").validated(() -> {
          space.requireValidEnds(model);
          return space.draw(model, count, forkDrawSeed(model, 1), i -> challengerName("<champion>", 1, count, i));
        });
        forkSpace = space;
      }
    }
    return new DriftSpec(detector, delta, lambda, minInstances, alpha, maxBuckets, reaction, forkVariants,
        forkPatienceExamples, forkSpace);
  }

  /** Writes the keys that apply to the detector and reaction, defaults included. */
  void writeJson(ObjectNode json) {
    json.put("detector", detector);
    switch (detector) {
      case PAGE_HINKLEY -> {
        json.put("delta", delta);
        json.put("lambda", lambda);
        json.put("minInstances", minInstances);
        json.put("alpha", alpha);
      }
      case ADWIN -> {
        json.put("delta", delta);
        json.put("maxBuckets", maxBuckets);
      }
      default -> { }
    }
    json.put("reaction", reaction);
    if (reaction.equals(FORK)) {
      json.put("forkVariants", forkVariants);
      json.put("forkPatienceExamples", forkPatienceExamples);
      if (forkSpace != null) {
        forkSpace.writeJson(json.putObject("forkSpace"));
      }
    }
  }

  /**
   * One challenger of a fork.
   *
   * @param name {@code <champion>-f<n>}
   * @param spec what it trains: the champion's spec, or the point drawn for it, with seed {@code seed + n}
   * @param hyperparameters the point drawn from {@code forkSpace}, path to value as {@link DrawnVariant} has it;
   *     empty without a space
   * @param note empty, or why the challenger has the champion's hyperparameters although the spec has a space
   */
  public record ForkChallenger(String name, ModelSpec spec, SortedMap<String, Object> hyperparameters, String note) {

    public ForkChallenger {
      hyperparameters = Collections.unmodifiableSortedMap(new TreeMap<>(hyperparameters));
    }
  }

  /**
   * The {@code forkVariants} challengers {@code <champion>-f<n>} of the champion's {@code events}-th drift event,
   * {@code n = (events - 1) forkVariants + i} for {@code i = 1..forkVariants}, so a later fork never reuses a name:
   * each with the champion's {@code spec} and seed {@code seed + n}, or, with a {@code forkSpace}, the
   * {@code i}-th of the {@code forkVariants} points drawn from it around {@code spec} ({@link SearchSpace#draw}, which
   * covers a grid before it repeats) from a seed of the champion's seed and {@code events}, the same on every JVM. A
   * drawn point whose spec is invalid, which {@link SearchSpace#requireValidEnds} leaves only to hyperparameters whose
   * validity depends on each other, gives every challenger of the fork the champion's hyperparameters, saying why in
   * {@link ForkChallenger#note}.
   */
  public List<ForkChallenger> fork(String champion, ModelSpec spec, long events) {
    long first = (events - 1) * forkVariants;
    List<DrawnVariant> points = List.of();
    String note = "";
    if (forkSpace != null) {
      try {
        points = forkSpace.draw(spec, forkVariants, forkDrawSeed(spec, events),
            i -> challengerName(champion, events, forkVariants, i));
      } catch (IllegalArgumentException e) {
        note = "drift.forkSpace drew no valid spec (" + e.getMessage() + "): the champion's hyperparameters";
      }
    }
    List<ForkChallenger> challengers = new ArrayList<>(forkVariants);
    for (int i = 1; i <= forkVariants; i++) {
      long n = first + i;
      DrawnVariant point = points.isEmpty() ? null : points.get(i - 1);
      ModelSpec model = point == null ? spec : point.spec();
      challengers.add(new ForkChallenger(challengerName(champion, events, forkVariants, i - 1),
          model.withSeed(spec.seed() + n),
          point == null ? new TreeMap<>() : point.hyperparameters(), note));
    }
    return challengers;
  }

  /** The name of the {@code i}-th (from 0) of the {@code count} challengers of {@code champion}'s fork at its event. */
  private static String challengerName(String champion, long events, int count, int i) {
    return champion + "-f" + ((events - 1) * count + i + 1);
  }

  private static long forkDrawSeed(ModelSpec champion, long events) {
    return champion.seed() * FORK_DRAW_STRIDE + events;
  }

  /**
   * Whether a challenger of a fork under this spec runs out of patience when the paired test against the champion
   * has just counted its {@code pairs}-th pair ({@link ChampionRace#pairs}): exactly at the patience, so it is
   * retired once.
   */
  public boolean forkPatienceRunsOut(long pairs) {
    return reaction.equals(FORK) && pairs == forkPatienceExamples;
  }

  /** Why {@code challenger}, of {@code forkOf}'s fork, is retired when its patience runs out against {@code champion}. */
  public String forkPatienceReason(String challenger, String forkOf, String champion) {
    return "fork patience: " + challenger + " (a fork of " + forkOf + ") was paired with champion " + champion
        + " for " + forkPatienceExamples + " examples (drift.forkPatienceExamples) without being promoted";
  }
}
