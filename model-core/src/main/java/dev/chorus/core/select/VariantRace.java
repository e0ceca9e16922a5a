package dev.chorus.core.select;

import dev.chorus.core.model.LearnerWarmStart;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NonFiniteUpdateException;
import dev.chorus.core.model.OnlineLearner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The live variants of one classification task racing on one stream, in process: what a benchmark drives, deciding
 * as the train job does. Per minibatch, {@link #step} does test-then-train for every live variant on the same
 * examples, each as the job's trainer does it: an example is predicted by the model it meets on arrival, and the
 * variant trains when its own minibatch (its spec's {@code batchSize}) fills, so a searched batch size is the one
 * trained with, and a partial minibatch waits for the next step or {@link #trainOpenMinibatches}. Then, example by
 * example and variant by variant in the order they started, each loss goes where the job's selection puts it, scored
 * as it scores it ({@link ClassifierLoss}: a prediction that is not finite the worst and not correct): the log loss
 * of the true class (clipped as the prequential metrics clip it) into a {@link ChampionRace} under the job's
 * {@link PairedComparison.Settings}, which pairs the variants' losses by example and promotes a challenger only when
 * its paired test says so; the 0/1 loss into the variant's drift detector there. After the minibatch come the drift
 * reactions, as the job's drift reactions write them ({@value DriftSpec#NONE}: nothing; {@value DriftSpec#RESET}: the
 * variant is retired and revived with fresh weights, so a champion hands over to the live challenger of lowest mean
 * loss and must win a paired test to serve again; {@value DriftSpec#REWARM}: the same, but the revived variant's
 * learner starts from its own ({@link LearnerWarmStart#startFrom}, the optimizer's moments and step count, so the
 * schedule, and the model version from 0); {@value DriftSpec#FORK}: when the variant was champion at its
 * detection and no challenger of its latest fork is live, {@code forkVariants} challengers {@code <champion>-f<n>}
 * with its spec (or points drawn from {@code forkSpace}) and seeds {@code seed + n}, {@code n} going on with its drift
 * events ({@link DriftSpec#fork}), that race it until the paired
 * test promotes one, each retired once its paired test has counted {@code forkPatienceExamples} pairs without
 * promoting it, right after the loss that made that count). The search's rungs are the job's too: the same log
 * losses go, example by example, into a {@link SearchRun} (the {@link SuccessiveHalving} schedule the job's
 * selection runs), so a rung ends at the example that completes it, mid-minibatch or not, and a variant it retires
 * leaves the champion race there and then and stops training after the minibatch (that is the search's saving).
 * Every decision is returned as a {@link RaceEvent} with its evidence.
 *
 * <p>Unlike the job, a reaction takes effect at once (the job's goes round the control topic), and a variant
 * predicts from the minibatch after its start. A spec without a search races one variant, {@value #DEFAULT_VARIANT}.
 * A {@code warmStart} is not this class's concern: it starts every variant fresh. This class decides and trains; it
 * reads no files and no clock, so a seed gives the same decisions.
 */
public final class VariantRace {

  /** The name of the one variant of a spec without a search, the job's default variant. */
  public static final String DEFAULT_VARIANT = ChampionRace.DEFAULT_VARIANT;
  /** The name the search's rung evidence gives it. */
  private static final String SEARCH = "search";
  /**
   * Example ids the champion race may hold unpaired: every live variant reports an example in the same step, so at
   * most one minibatch waits.
   */
  private static final int MAX_PENDING = 1 << 20;

  /**
   * One minibatch's outcome.
   *
   * @param atExample the stream position of the minibatch's first example
   * @param servedBy the champion when the minibatch was predicted: the variant whose predictions were served
   * @param servedLoss its 0/1 loss on each example of the minibatch
   * @param events what was decided after the minibatch
   */
  public record Step(long atExample, String servedBy, double[] servedLoss, List<RaceEvent> events) {}

  private static final class Variant {
    final String name;
    final ModelSpec spec;
    /** The open minibatch: its first {@code open} rows and labels wait for the rest of the variant's batch size. */
    final float[] openX;
    final int[] openY;
    int open;
    OnlineLearner learner;
    boolean retired;
    long trained;
    long rejectedMinibatches;
    double[] losses = new double[0];
    /** The model version that predicted each example of the step. */
    long[] versions = new long[0];
    double[] logLosses = new double[0];
    /** Losses since the detector started or last fired, for the evidence of a drift event. */
    long sinceDetection;
    double lossSinceDetection;

    Variant(String name, ModelSpec spec) {
      this.name = name;
      this.spec = spec;
      this.openX = new float[spec.batchSize() * spec.inputDim()];
      this.openY = new int[spec.batchSize()];
      this.learner = OnlineLearner.create(spec);
    }
  }

  /** A detector's firing within a minibatch, reacted to after it. */
  private record Detection(Variant variant, boolean wasChampion, long examples, double meanLoss) {}

  private final DriftSpec drift;
  private final Map<String, Variant> variants = new LinkedHashMap<>();
  private final SearchRun search;
  private final ChampionRace race;
  /** Champion → the challengers of its latest fork. */
  private final Map<String, List<String>> forks = new HashMap<>();
  private long examples;
  private float[] probabilities = new float[0];
  /** A part of a step's minibatch that does not start it, copied to the start for a batched prediction. */
  private float[] part = new float[0];

  /** A race under the job's default paired test. */
  public VariantRace(VariantSpec spec) {
    this(spec, PairedComparison.Settings.defaults());
  }

  /**
   * The variants {@code spec} describes (its search's drawn variants, or its model alone), fresh.
   *
   * @param test the paired test that promotes a challenger, as the job's {@code --selection-*} options set it
   * @throws IllegalArgumentException for a regressor
   */
  public VariantRace(VariantSpec spec, PairedComparison.Settings test) {
    if (!spec.model().isClassifier()) {
      throw new IllegalArgumentException("VariantRace: expected a classifier spec, got " + spec.model().algorithm()
          + " (a regressor)");
    }
    this.drift = spec.drift();
    this.race = new ChampionRace(test, MAX_PENDING);
    Optional<SearchSpec> searchSpec = spec.search();
    if (searchSpec.isPresent()) {
      spec.variants().forEach(v -> add(v.name(), v.spec()));
      search = SearchRun.start(SEARCH, searchSpec.get(), spec.variants().stream().map(DrawnVariant::name).toList());
    } else {
      add(DEFAULT_VARIANT, spec.model());
      search = null;
    }
  }

  private void add(String name, ModelSpec spec) {
    variants.put(name, new Variant(name, spec));
  }

  /**
   * Test-then-train on {@code n} labelled examples for every live variant, then the champion race's, the drift
   * reactions' and the search's decisions.
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
      testThenTrain(v, x, labels, n);
    }
    long at = examples;
    examples += n;
    String servedBy = champion();
    double[] served = Arrays.copyOf(variants.get(servedBy).losses, n);
    List<RaceEvent> events = new ArrayList<>();
    List<Detection> detections = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = Long.toString(at + i);
      for (Variant v : live) {
        boolean correct = v.losses[i] == 0;
        race.record(id, v.name, v.logLosses[i], correct, v.versions[i]).ifPresent(change -> events.add(
            new RaceEvent.Promoted(examples, change.previous(), change.champion(), change.evidence())));
        v.sinceDetection++;
        v.lossSinceDetection += v.losses[i];
        if (race.observeDrift(v.name, drift, correct, at + i)) {
          detections.add(new Detection(v, v.name.equals(race.champion()), v.sinceDetection,
              v.lossSinceDetection / v.sinceDetection));
          v.sinceDetection = 0;
          v.lossSinceDetection = 0;
        }
        if (search != null) {
          search.record(id, v.name, v.logLosses[i], MAX_PENDING).ifPresent(decision -> {
            decision.retired().forEach(name -> retire(name, events));
            events.add(new RaceEvent.RungDecided(examples, decision, champion()));
          });
        }
        for (String challenger : race.pairedBy(v.name)) {
          if (drift.forkPatienceRunsOut(race.pairs(challenger))) {
            retireForkChallenger(challenger, events);
          }
        }
      }
    }
    for (Detection d : detections) {
      events.add(react(d, events));
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

  /**
   * The step's {@code n} examples for {@code v}, in parts that end where its minibatch fills: each part predicted
   * under the parameters it meets, then trained on when it closes the minibatch. A whole minibatch that starts the
   * step trains from {@code x} itself (as every step does when the stream's minibatches are the variant's).
   */
  private void testThenTrain(Variant v, float[] x, int[] labels, int n) {
    if (v.losses.length < n) {
      v.losses = new double[n];
      v.logLosses = new double[n];
      v.versions = new long[n];
    }
    int dim = v.spec.inputDim();
    int batchSize = v.openY.length;
    for (int from = 0; from < n; ) {
      int count = Math.min(n - from, batchSize - v.open);
      float[] rows = x;
      if (from > 0) {
        if (part.length < count * dim) {
          part = new float[count * dim];
        }
        System.arraycopy(x, from * dim, part, 0, count * dim);
        rows = part;
      }
      prequentialLoss(v, rows, labels, from, count);
      if (from == 0 && count == batchSize) {
        train(v, x, labels, count);
      } else {
        System.arraycopy(rows, 0, v.openX, v.open * dim, count * dim);
        System.arraycopy(labels, from, v.openY, v.open, count);
        v.open += count;
        if (v.open == batchSize) {
          trainOpenMinibatch(v);
        }
      }
      from += count;
    }
  }

  /**
   * Trains every live variant on its open minibatch, however short, as the job's batch timeout closes one: what a
   * stream's end calls, so that its last examples are learnt.
   */
  public void trainOpenMinibatches() {
    liveVariants().stream().filter(v -> v.open > 0).forEach(VariantRace::trainOpenMinibatch);
  }

  private static void trainOpenMinibatch(Variant v) {
    train(v, v.openX, v.openY, v.open);
    v.open = 0;
  }

  /**
   * The 0/1 loss and log loss of the true class ({@link ClassifierLoss}) under {@code v}'s current parameters of the
   * {@code n} examples whose features start {@code rows} and whose labels are {@code labels[from..]}, into
   * {@code v.losses[from..]} and {@code v.logLosses[from..]}.
   */
  private void prequentialLoss(Variant v, float[] rows, int[] labels, int from, int n) {
    int k = v.spec.numClasses();
    if (probabilities.length < n * k) {
      probabilities = new float[n * k];
    }
    v.learner.predictProbaBatch(rows, n, probabilities);
    Arrays.fill(v.versions, from, from + n, v.learner.steps());
    for (int j = 0; j < n; j++) {
      int i = from + j;
      int best = 0;
      for (int c = 1; c < k; c++) {
        if (probabilities[j * k + c] > probabilities[j * k + best]) {
          best = c;
        }
      }
      ClassifierLoss loss = ClassifierLoss.of(probabilities, j * k, k, best, labels[i]);
      v.losses[i] = loss.correct() ? 0 : 1;
      v.logLosses[i] = loss.logLoss();
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

  /** Takes {@code name} out of training and out of the champion race; a champion's successor is an event. */
  private void retire(String name, List<RaceEvent> events) {
    variants.get(name).retired = true;
    race.retire(name).ifPresent(change -> events.add(
        new RaceEvent.Promoted(examples, change.previous(), change.champion(), change.evidence())));
  }

  /** Retires {@code challenger} if it belongs to a fork, as the job's drift reactions do when its patience ran out. */
  private void retireForkChallenger(String challenger, List<RaceEvent> events) {
    forks.forEach((forkOf, challengers) -> {
      if (challengers.contains(challenger)) {
        String reason = drift.forkPatienceReason(challenger, forkOf, race.champion());
        retire(challenger, events);
        events.add(new RaceEvent.ForkRetired(examples, challenger, forkOf, reason));
      }
    });
  }

  private RaceEvent.DriftDetected react(Detection d, List<RaceEvent> events) {
    Variant v = d.variant();
    String reaction = drift.reaction();
    if (reaction.equals(DriftSpec.RESET) || reaction.equals(DriftSpec.REWARM)) {
      retire(v.name, events);
      v.retired = false;
      v.learner = reaction.equals(DriftSpec.RESET) ? OnlineLearner.create(v.spec)
          : LearnerWarmStart.startFrom(v.spec, v.learner, false);
      v.open = 0;
      race.revive(v.name);
      return new RaceEvent.DriftDetected(examples, v.name, d.examples(), d.meanLoss(), reaction, List.of(), "");
    }
    if (reaction.equals(DriftSpec.FORK)) {
      String live = forks.getOrDefault(v.name, List.of()).stream().filter(c -> !variants.get(c).retired)
          .findFirst().orElse(null);
      String why = !d.wasChampion() ? "not the champion"
          : live != null ? "a fork of " + v.name + " is live: " + live : "";
      if (why.isEmpty()) {
        return new RaceEvent.DriftDetected(examples, v.name, d.examples(), d.meanLoss(), DriftSpec.FORK, fork(v),
            "");
      }
      return new RaceEvent.DriftDetected(examples, v.name, d.examples(), d.meanLoss(), DriftSpec.NONE, List.of(),
          "fork not started: " + why);
    }
    return new RaceEvent.DriftDetected(examples, v.name, d.examples(), d.meanLoss(), DriftSpec.NONE, List.of(), "");
  }

  /**
   * The challengers of the champion's latest drift event, {@link DriftSpec#fork}'s, as the job's drift reaction
   * writes them.
   */
  private List<String> fork(Variant champion) {
    long events = race.standings().stream().filter(s -> s.variant().equals(champion.name)).findFirst()
        .map(ChampionRace.Standing::driftEvents).orElse(1L);
    List<String> names = new ArrayList<>();
    for (DriftSpec.ForkChallenger challenger : drift.fork(champion.name, champion.spec, events)) {
      add(challenger.name(), challenger.spec());
      names.add(challenger.name());
    }
    forks.put(champion.name, names);
    return names;
  }

  private List<Variant> liveVariants() {
    return variants.values().stream().filter(v -> !v.retired).toList();
  }

  /** The variant whose predictions are served now (before the first step, the one that will serve it). */
  public String champion() {
    return race.champion() != null ? race.champion() : liveVariants().get(0).name;
  }

  /**
   * The champion race's standings, the champion first: each variant's examples scored, mean log loss and correct
   * predictions since it started (or was last reset), as the job publishes them.
   */
  public List<ChampionRace.Standing> standings() {
    return race.standings();
  }

  /** The variants not retired, in the order they started. */
  public List<String> live() {
    return liveVariants().stream().map(v -> v.name).toList();
  }

  /** Every variant the race has had, in the order they started, retired ones included. */
  public List<String> variants() {
    return List.copyOf(variants.keySet());
  }

  public ChampionRace.Status status(String variant) {
    Variant v = get(variant);
    return v.retired ? ChampionRace.Status.RETIRED
        : variant.equals(champion()) ? ChampionRace.Status.CHAMPION : ChampionRace.Status.CHALLENGER;
  }

  /** The variant's learner now (a reset or a rewarm replaces it). */
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
    return search == null || !search.running();
  }

  private Variant get(String variant) {
    Variant v = variants.get(variant);
    if (v == null) {
      throw new IllegalArgumentException("variant: expected one of " + variants.keySet() + ", got " + variant);
    }
    return v;
  }

}
