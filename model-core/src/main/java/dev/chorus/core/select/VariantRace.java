package dev.chorus.core.select;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NonFiniteUpdateException;
import dev.chorus.core.model.OnlineLearner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The live variants of one classification task racing on one stream, in process: what a benchmark drives, and what
 * the job's selection operator can hold per task. Per minibatch, {@link #step} does test-then-train for every live
 * variant on the same examples (every variant predicts each example before any learns from it), then gives each
 * variant's per-example losses to the {@link SuccessiveHalving} search (a variant it retires stops training: that is
 * the search's saving) and to the variant's {@link DriftDetector}, and applies the {@link DriftSpec}'s reaction:
 * {@value DriftSpec#NONE}; {@value DriftSpec#RESET}, the variant starts again from fresh parameters with its
 * hyperparameters; {@value DriftSpec#FORK}, {@code forkVariants} fresh challengers with the champion's
 * hyperparameters (and other seeds) start training while the champion keeps serving, until one is
 * {@linkplain #challengerIsBetter better} on the examples both have seen since the fork, or the fork's patience runs
 * out. Every decision is returned as a {@link RaceEvent} with its evidence.
 *
 * <p>The loss is the 0/1 prequential loss (1 for a wrong prediction): comparable across model losses (hinge, cross
 * entropy), what accuracy targets are stated in, and the scale the detectors' defaults were set on. A spec without a
 * search races one variant, {@value #DEFAULT_VARIANT}. The champion is the search's best on its latest rung (its
 * last survivor once it has ended; {@code s0} before the first rung ends), then whoever a fork promotes. A
 * {@code warmStart} is not this class's concern: it starts every variant fresh. This class decides and trains; it
 * reads no files and no clock, so a seed gives the same decisions.
 */
public final class VariantRace {

  /** The name of the one variant of a spec without a search. */
  public static final String DEFAULT_VARIANT = "default";
  /** Paired examples a challenger needs before it can replace the champion, unless the caller says otherwise. */
  public static final int DEFAULT_MIN_PAIRED_EXAMPLES = 1000;
  /** Paired examples after which a fork's challengers that never beat the champion retire. */
  public static final long DEFAULT_FORK_PATIENCE = 20_000;

  /** Where a variant stands. */
  public enum Status { CHAMPION, CHALLENGER, RETIRED }

  /**
   * One minibatch's outcome.
   *
   * @param atExample the stream position of the minibatch's first example
   * @param servedBy the champion when the minibatch was predicted: the variant whose predictions were served
   * @param servedLoss its 0/1 loss on each example of the minibatch
   * @param events what was decided after the minibatch
   */
  public record Step(long atExample, String servedBy, double[] servedLoss, List<RaceEvent> events) {}

  /**
   * A challenger's and the champion's loss summed over the same {@code examples} since a fork.
   */
  public record Paired(long examples, double championLossSum, double challengerLossSum) {}

  private static final class Variant {
    final String name;
    final ModelSpec spec;
    final DriftDetector detector;
    OnlineLearner learner;
    Status status;
    long trained;
    long rejectedMinibatches;
    double[] losses = new double[0];
    /** Losses since the detector started or last fired, for the evidence of a drift event. */
    double lossSinceDetection;

    Variant(String name, ModelSpec spec, DriftSpec drift, Status status) {
      this.name = name;
      this.spec = spec;
      this.learner = OnlineLearner.create(spec);
      this.detector = DriftDetectors.create(drift);
      this.status = status;
    }
  }

  /** A fork in progress: its challengers' and the champion's loss sums over the examples since it started. */
  private static final class Fork {
    final String champion;
    final Map<String, Double> challengerSums = new TreeMap<>();
    long paired;
    double championSum;

    Fork(String champion, List<String> challengers) {
      this.champion = champion;
      challengers.forEach(c -> challengerSums.put(c, 0.0));
    }
  }

  private final DriftSpec drift;
  private final int minPairedExamples;
  private final long forkPatience;
  private final Map<String, Variant> variants = new LinkedHashMap<>();
  private final SuccessiveHalving search;
  private String champion;
  private Fork fork;
  private int forks;
  private long examples;
  private float[] probabilities = new float[0];

  /** A race with {@link #DEFAULT_MIN_PAIRED_EXAMPLES} and {@link #DEFAULT_FORK_PATIENCE}. */
  public VariantRace(VariantSpec spec) {
    this(spec, DEFAULT_MIN_PAIRED_EXAMPLES, DEFAULT_FORK_PATIENCE);
  }

  /**
   * The variants {@code spec} describes (its search's drawn variants, or its model alone), fresh.
   *
   * @param minPairedExamples paired examples a challenger needs before it can replace the champion
   * @param forkPatience paired examples after which a fork that has not promoted a challenger ends
   * @throws IllegalArgumentException for a regressor, or a patience shorter than the paired examples needed
   */
  public VariantRace(VariantSpec spec, int minPairedExamples, long forkPatience) {
    if (!spec.model().isClassifier()) {
      throw new IllegalArgumentException("VariantRace: expected a classifier spec, got " + spec.model().algorithm()
          + " (a regressor)");
    }
    if (minPairedExamples < 1 || forkPatience < minPairedExamples) {
      throw new IllegalArgumentException("VariantRace: expected 1 <= minPairedExamples <= forkPatience, got "
          + minPairedExamples + " and " + forkPatience);
    }
    this.drift = spec.drift();
    this.minPairedExamples = minPairedExamples;
    this.forkPatience = forkPatience;
    Optional<SearchSpec> searchSpec = spec.search();
    if (searchSpec.isPresent()) {
      spec.variants().forEach(v -> add(v.name(), v.spec(), Status.CHALLENGER));
      search = SuccessiveHalving.start(searchSpec.get(), spec.variants());
    } else {
      add(DEFAULT_VARIANT, spec.model(), Status.CHALLENGER);
      search = null;
    }
    promote(variants.keySet().iterator().next());
  }

  private void add(String name, ModelSpec spec, Status status) {
    variants.put(name, new Variant(name, spec, drift, status));
  }

  private void promote(String name) {
    if (champion != null && variants.get(champion).status == Status.CHAMPION) {
      variants.get(champion).status = Status.CHALLENGER;
    }
    champion = name;
    variants.get(name).status = Status.CHAMPION;
  }

  /**
   * Test-then-train on {@code n} labelled examples for every live variant, then the search's, the detectors' and
   * the fork's decisions.
   *
   * @param x features, row-major {@code n × inputDim}
   * @param labels class indices
   * @throws IllegalArgumentException before anything changes, if a label is out of range or the arrays are short
   */
  public Step step(float[] x, int[] labels, int n) {
    ModelSpec first = variants.values().iterator().next().spec;
    requireMinibatch(x, labels, n, first.inputDim(), first.numClasses());
    List<Variant> live = liveVariants();
    for (Variant v : live) {
      prequentialLoss(v, x, labels, n);
    }
    for (Variant v : live) {
      train(v, x, labels, n);
    }
    long at = examples;
    examples += n;
    String servedBy = champion;
    double[] served = Arrays.copyOf(variants.get(servedBy).losses, n);
    List<RaceEvent> events = new ArrayList<>();
    searchStep(n, events);
    forkStep(n, events);
    for (Variant v : live) {
      if (v.status != Status.RETIRED) {
        detect(v, n, events);
      }
    }
    return new Step(at, servedBy, served, List.copyOf(events));
  }

  private static void requireMinibatch(float[] x, int[] labels, int n, int dim, int classes) {
    if (n < 1 || (long) n * dim > x.length || labels.length < n) {
      throw new IllegalArgumentException("VariantRace.step: expected n >= 1, x of n × inputDim = " + n + " × " + dim
          + " floats and n labels, got " + x.length + " floats and " + labels.length + " labels");
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("VariantRace.step: label of example " + i + " must be in [0, " + classes
            + "), got " + labels[i]);
      }
    }
  }

  /** Each example's 0/1 loss under {@code v}'s current parameters, into {@code v.losses}. */
  private void prequentialLoss(Variant v, float[] x, int[] labels, int n) {
    int k = v.spec.numClasses();
    if (probabilities.length < n * k) {
      probabilities = new float[n * k];
    }
    if (v.losses.length < n) {
      v.losses = new double[n];
    }
    v.learner.predictProbaBatch(x, n, probabilities);
    for (int i = 0; i < n; i++) {
      int best = 0;
      for (int c = 1; c < k; c++) {
        if (probabilities[i * k + c] > probabilities[i * k + best]) {
          best = c;
        }
      }
      v.losses[i] = best == labels[i] ? 0 : 1;
    }
  }

  private static void train(Variant v, float[] x, int[] labels, int n) {
    try {
      v.learner.trainMinibatch(x, labels, null, n);
    } catch (NonFiniteUpdateException e) {
      // The learner kept its last good parameters; a variant that keeps diverging loses the race on its loss.
      v.rejectedMinibatches++;
    }
    v.trained += n;
  }

  private void searchStep(int n, List<RaceEvent> events) {
    if (search == null || search.finished()) {
      return;
    }
    Map<String, Double> sums = new TreeMap<>();
    for (String name : search.live()) {
      sums.put(name, sum(variants.get(name).losses, n));
    }
    search.record(sums, n).ifPresent(decision -> {
      decision.retired().forEach(name -> variants.get(name).status = Status.RETIRED);
      promote(decision.survivors().get(0));
      events.add(new RaceEvent.RungDecided(examples, decision, champion));
    });
  }

  private void forkStep(int n, List<RaceEvent> events) {
    if (fork == null) {
      return;
    }
    fork.paired += n;
    fork.championSum += sum(variants.get(fork.champion).losses, n);
    fork.challengerSums.replaceAll((name, total) -> total + sum(variants.get(name).losses, n));
    Optional<Map.Entry<String, Double>> best = fork.challengerSums.entrySet().stream()
        .filter(c -> challengerIsBetter(new Paired(fork.paired, fork.championSum, c.getValue()), minPairedExamples))
        .min(Map.Entry.<String, Double>comparingByValue().thenComparing(Map.Entry.comparingByKey()));
    if (best.isPresent()) {
      String winner = best.get().getKey();
      List<String> retired = new ArrayList<>(List.of(fork.champion));
      fork.challengerSums.keySet().stream().filter(c -> !c.equals(winner)).forEach(retired::add);
      retired.forEach(name -> variants.get(name).status = Status.RETIRED);
      promote(winner);
      events.add(new RaceEvent.Promoted(examples, fork.champion, winner, fork.paired,
          fork.championSum / fork.paired, best.get().getValue() / fork.paired, retired));
      fork = null;
    } else if (fork.paired >= forkPatience) {
      List<String> retired = List.copyOf(fork.challengerSums.keySet());
      retired.forEach(name -> variants.get(name).status = Status.RETIRED);
      events.add(new RaceEvent.ForkExpired(examples, fork.champion, fork.paired, fork.championSum / fork.paired,
          retired));
      fork = null;
    }
  }

  /**
   * Whether a challenger replaces the champion: at least {@code minPairedExamples} paired examples and a lower mean
   * loss over them. The one place the rule lives, so that a paired test with a confidence bound can replace it.
   */
  static boolean challengerIsBetter(Paired paired, int minPairedExamples) {
    return paired.examples() >= minPairedExamples && paired.challengerLossSum() < paired.championLossSum();
  }

  /** Feeds {@code v}'s losses to its detector; at the first firing, applies the reaction and skips the rest. */
  private void detect(Variant v, int n, List<RaceEvent> events) {
    for (int i = 0; i < n; i++) {
      v.lossSinceDetection += v.losses[i];
      long seen = v.detector.examples() + 1;
      if (v.detector.add(v.losses[i])) {
        events.add(react(v, seen, v.lossSinceDetection / seen));
        v.detector.reset();
        v.lossSinceDetection = 0;
        return;
      }
    }
  }

  private RaceEvent.DriftDetected react(Variant v, long detectorExamples, double meanLoss) {
    String reaction = drift.reaction();
    if (reaction.equals(DriftSpec.RESET)) {
      v.learner = OnlineLearner.create(v.spec);
      return new RaceEvent.DriftDetected(examples, v.name, detectorExamples, meanLoss, DriftSpec.RESET, List.of(), "");
    }
    if (reaction.equals(DriftSpec.FORK)) {
      String why = !v.name.equals(champion) ? "not the champion"
          : search != null && !search.finished() ? "the search is running"
          : fork != null ? "a fork from " + fork.champion + " is racing" : "";
      if (why.isEmpty()) {
        List<String> challengers = startFork(v);
        return new RaceEvent.DriftDetected(examples, v.name, detectorExamples, meanLoss, DriftSpec.FORK,
            challengers, "");
      }
      return new RaceEvent.DriftDetected(examples, v.name, detectorExamples, meanLoss, DriftSpec.NONE, List.of(),
          "fork not started: " + why);
    }
    return new RaceEvent.DriftDetected(examples, v.name, detectorExamples, meanLoss, DriftSpec.NONE, List.of(), "");
  }

  /** Fresh challengers {@code f<k>-0, f<k>-1, ...} with the champion's hyperparameters and seeds of their own. */
  private List<String> startFork(Variant from) {
    forks++;
    List<String> names = new ArrayList<>();
    for (int i = 0; i < drift.forkVariants(); i++) {
      String name = "f" + forks + "-" + i;
      long seed = from.spec.seed() + 7919L * forks + i + 1;
      add(name, from.spec.withTraining(from.spec.training().withSeed(seed)), Status.CHALLENGER);
      names.add(name);
    }
    fork = new Fork(from.name, names);
    return names;
  }

  private static double sum(double[] losses, int n) {
    double total = 0;
    for (int i = 0; i < n; i++) {
      total += losses[i];
    }
    return total;
  }

  private List<Variant> liveVariants() {
    return variants.values().stream().filter(v -> v.status != Status.RETIRED).toList();
  }

  /** The variant whose predictions are served now. */
  public String champion() {
    return champion;
  }

  /** The variants not retired, in the order they started. */
  public List<String> live() {
    return liveVariants().stream().map(v -> v.name).toList();
  }

  /** Every variant the race has had, in the order they started, retired ones included. */
  public List<String> variants() {
    return List.copyOf(variants.keySet());
  }

  public Status status(String variant) {
    return get(variant).status;
  }

  /** The variant's learner now (a reset replaces it). */
  public OnlineLearner learner(String variant) {
    return get(variant).learner;
  }

  public ModelSpec spec(String variant) {
    return get(variant).spec;
  }

  /** Examples the variant trained on, across resets; frozen once it is retired. */
  public long examplesTrained(String variant) {
    return get(variant).trained;
  }

  /** Minibatches the variant's learner rejected as non-finite (it kept its parameters). */
  public long rejectedMinibatches(String variant) {
    return get(variant).rejectedMinibatches;
  }

  /** Examples trained summed over every variant: the race's training work in one variant's examples. */
  public long variantExamplesTrained() {
    return variants.values().stream().mapToLong(v -> v.trained).sum();
  }

  /** Examples of the stream consumed so far. */
  public long examples() {
    return examples;
  }

  /** Whether the search has decided all its rungs (true without a search). */
  public boolean searchFinished() {
    return search == null || search.finished();
  }

  private Variant get(String variant) {
    Variant v = variants.get(variant);
    if (v == null) {
      throw new IllegalArgumentException("variant: expected one of " + variants.keySet() + ", got " + variant);
    }
    return v;
  }

}
