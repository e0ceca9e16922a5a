package dev.chorus.cli.bench;

import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.select.ChampionRace;
import dev.chorus.core.select.DriftSpec;
import dev.chorus.core.select.RaceEvent;
import dev.chorus.core.select.VariantRace;
import dev.chorus.core.select.VariantSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code bench select}'s drift track, on the default MLP of {@code bench learn} (the search's base spec): the training
 * stream in a seeded order, changed at its midpoint.
 * <ul>
 *   <li>abrupt: from the midpoint, the labels of the first half of the classes are rotated ({@code 0 -> 1 -> ... ->
 *       4 -> 0} for ten);
 *   <li>gradual: from the midpoint, an example's features are inverted ({@code x -> 1 - x}, pixels being in
 *       {@code [0, 1]}) with a probability growing linearly from 0 to 1 at the end;
 *   <li>stationary: unchanged, to count false alarms over the whole stream.
 * </ul>
 * With handling (a detector and a reaction) against without (no detector): the served predictions' prequential
 * accuracy over the {@value #AFTER} examples after the change, and the detection delay (examples from the change to
 * the end of the minibatch whose losses fired the detector); beside them, the most any reaction could gain (the
 * unhandled model's accuracy before the change less its accuracy after: an oracle that lost nothing to the change,
 * generous for the gradual stream, whose mixed images are a harder task) and the race's standings at the end (each
 * variant's accuracy and mean log loss on the examples it predicted). The race decides as the train job does
 * ({@link VariantRace}). The detector and reaction are chosen on a validation stream (the training split in another
 * seeded order, never the test split): of Page-Hinkley and ADWIN with their defaults, each with reset, with fork and
 * with rewarm, the pair with no false alarm on the stationary validation stream and the best mean accuracy after the
 * change over the abrupt and gradual ones.
 *
 * <p>Twice: on that MLP at its constant rate (the top-level keys), which re-learns a change by itself within a few
 * thousand examples, and ({@code decayed.}) on the same MLP with a decaying learning-rate schedule, whose smaller
 * steps by the midpoint should adapt more slowly, the case drift handling is for. Its schedule is chosen on the
 * stationary validation stream alone, among {@link #SCHEDULES}: the best unhandled accuracy over the stream's last
 * {@value #AFTER} examples, what a user tuning one pass would pick. A reset or fork starts a fresh variant, whose
 * schedule starts again from its first step; a rewarm keeps the variant's weights and starts its optimizer and
 * schedule again.
 */
final class SelectDriftTrack {

  static final int AFTER = 10_000;
  static final int CURVE_WINDOW = 1000;
  static final List<String> DETECTORS = List.of(DriftSpec.PAGE_HINKLEY, DriftSpec.ADWIN);
  static final List<String> REACTIONS = List.of(DriftSpec.RESET, DriftSpec.FORK, DriftSpec.REWARM);
  /**
   * The decayed learner's candidate schedules of the base rate (Adam 1e-3), {@code t} counting minibatch updates
   * (469 in a full pass of 128s): from mild to steep by the midpoint, where they leave about 1/3 to 1/48 of the rate.
   */
  static final List<String> SCHEDULES = List.of("{\"type\":\"inverse\",\"decay\":0.01}",
      "{\"type\":\"inverse\",\"decay\":0.05}", "{\"type\":\"inverse\",\"decay\":0.2}",
      "{\"type\":\"exponential\",\"gamma\":0.995}", "{\"type\":\"exponential\",\"gamma\":0.99}");
  /** Mixed into the seed for the validation stream's order and the gradual stream's draws. */
  private static final long VALIDATION_SEED = 0x5EEDL;

  enum Kind { ABRUPT, GRADUAL, STATIONARY }

  private SelectDriftTrack() {}

  static Map<String, Object> run(SelectBenchmark.Options options, SelectBenchmark.Data data, Consumer<String> log) {
    String base = LearnBenchmark.mlpJson(data.train().dim(), data.train().numClasses(), options.batchSize(),
        options.seed(), "");
    Map<String, Object> out = learner(base, options, data, log, "drift");
    long validationSeed = options.seed() ^ VALIDATION_SEED;
    Map<String, Object> choice = new LinkedHashMap<>();
    choice.put("validation_seed", validationSeed);
    choice.put("rule", "the schedule whose unhandled served accuracy over the last " + AFTER + " examples of the"
        + " stationary validation stream is best");
    Map<String, Object> candidates = new LinkedHashMap<>();
    String chosen = null;
    for (String schedule : SCHEDULES) {
      double accuracy = lastAccuracy(stream(data, validationSeed, Kind.STATIONARY).race(
          new VariantRace(VariantSpec.parse(withSchedule(base, schedule), SelectBenchmark.MAX_VARIANTS)),
          options.batchSize()), data.rows());
      candidates.put(schedule, accuracy);
      log.accept(String.format("drift decayed schedule %s: accuracy %.4f over the stationary validation stream's end",
          schedule, accuracy));
      if (chosen == null || accuracy > (double) candidates.get(chosen)) {
        chosen = schedule;
      }
    }
    choice.put("candidates", candidates);
    choice.put("chosen", chosen);
    Map<String, Object> decayed = learner(withSchedule(base, chosen), options, data, log, "drift decayed");
    decayed.put("schedule_choice", choice);
    out.put("decayed", decayed);
    return out;
  }

  /**
   * The track for the learner {@code base}: the detector and reaction chosen on the validation streams, then with
   * and without them on the abrupt and gradual streams, and the stationary stream's drift events.
   */
  private static Map<String, Object> learner(String base, SelectBenchmark.Options options, SelectBenchmark.Data data,
      Consumer<String> log, String label) {
    long validationSeed = options.seed() ^ VALIDATION_SEED;
    Map<String, Object> validation = new LinkedHashMap<>();
    String chosen = null;
    double chosenScore = Double.NEGATIVE_INFINITY;
    for (String detector : DETECTORS) {
      for (String reaction : REACTIONS) {
        String drift = "{\"detector\":\"" + detector + "\",\"reaction\":\"" + reaction + "\"}";
        VariantSpec spec = withDrift(base, drift);
        Map<String, Object> candidate = new LinkedHashMap<>();
        double score = 0;
        for (Kind kind : List.of(Kind.ABRUPT, Kind.GRADUAL)) {
          Map<String, Object> run = summary(stream(data, validationSeed, kind).race(new VariantRace(spec),
              options.batchSize()), data.rows());
          candidate.put(key(kind), run);
          score += (double) run.get("accuracy_after") / 2;
        }
        long falseAlarms = driftEvents(stream(data, validationSeed, Kind.STATIONARY)
            .race(new VariantRace(spec), options.batchSize()).events());
        candidate.put("stationary_drift_events", falseAlarms);
        candidate.put("score", score);
        validation.put(detector + "+" + reaction, candidate);
        log.accept(String.format("%s validation: %s + %s: mean accuracy after %.4f, %d false alarms", label,
            detector, reaction, score, falseAlarms));
        if (falseAlarms == 0 && score > chosenScore) {
          chosen = drift;
          chosenScore = score;
        }
      }
    }
    if (chosen == null) {
      chosen = "{\"detector\":\"" + DriftSpec.PAGE_HINKLEY + "\",\"reaction\":\"" + DriftSpec.RESET + "\"}";
    }
    VariantSpec with = withDrift(base, chosen);
    VariantSpec without = VariantSpec.parse(base, SelectBenchmark.MAX_VARIANTS);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("model", "mlp256");
    out.put("spec", base);
    out.put("chosen", with.drift().detector() + "+" + with.drift().reaction());
    out.put("drift_spec", chosen);
    for (Kind kind : List.of(Kind.ABRUPT, Kind.GRADUAL)) {
      SelectBenchmark.Stream stream = stream(data, options.seed(), kind);
      Map<String, Object> withHandling = summary(stream.race(new VariantRace(with), options.batchSize()), data.rows());
      Map<String, Object> withoutHandling = summary(stream.race(new VariantRace(without), options.batchSize()),
          data.rows());
      Map<String, Object> track = new LinkedHashMap<>();
      track.put("with_handling", withHandling);
      track.put("without_handling", withoutHandling);
      track.put("detection_delay_examples", withHandling.get("detection_delay_examples"));
      double gain = (double) withHandling.get("accuracy_after") - (double) withoutHandling.get("accuracy_after");
      track.put("accuracy_after_gain", gain);
      // What an oracle that lost nothing to the change could gain: the unhandled model's accuracy before it, less
      // its accuracy after.
      track.put("accuracy_after_gain_ceiling", (double) withoutHandling.get("accuracy_before")
          - (double) withoutHandling.get("accuracy_after"));
      track.put("target_10_points_met", gain >= 0.10);
      out.put(key(kind), track);
      log.accept(String.format("%s %s: accuracy after %.4f with handling, %.4f without (at most %.4f to gain);"
          + " delay %s examples", label, key(kind), withHandling.get("accuracy_after"),
          withoutHandling.get("accuracy_after"), track.get("accuracy_after_gain_ceiling"),
          withHandling.get("detection_delay_examples")));
    }
    long stationary = driftEvents(stream(data, options.seed(), Kind.STATIONARY)
        .race(new VariantRace(with), options.batchSize()).events());
    out.put("stationary", Map.of("drift_events", stationary, "examples", data.rows()));
    out.put("validation", validation);
    log.accept(label + " stationary: " + stationary + " drift events over " + data.rows() + " examples");
    return out;
  }

  private static String withSchedule(String base, String schedule) {
    return base.substring(0, base.length() - 1) + ",\"schedule\":" + schedule + "}";
  }

  /** The served accuracy over the stream's last {@value #AFTER} examples (fewer on a short stream). */
  private static double lastAccuracy(SelectBenchmark.Outcome outcome, int rows) {
    return accuracy(outcome.servedLoss(), rows - Math.min(AFTER, rows / 2), rows);
  }

  private static VariantSpec withDrift(String base, String drift) {
    return VariantSpec.parse(base.substring(0, base.length() - 1) + ",\"drift\":" + drift + "}",
        SelectBenchmark.MAX_VARIANTS);
  }

  private static String key(Kind kind) {
    return kind.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The stream of {@code kind} over the training split in the order {@code seed} shuffles it into. */
  static SelectBenchmark.Stream stream(SelectBenchmark.Data data, long seed, Kind kind) {
    int rows = data.rows();
    int[] order = LearnBenchmark.shuffledOrder(rows, SplitMix64.seeded(seed));
    int[] labels = new int[rows];
    boolean[] inverted = new boolean[rows];
    int mid = rows / 2;
    int rotated = data.train().numClasses() / 2;
    SplitMix64 draws = SplitMix64.seeded(seed ^ VALIDATION_SEED);
    for (int i = 0; i < rows; i++) {
      int label = data.train().labels()[order[i]];
      boolean changed = i >= mid;
      labels[i] = kind == Kind.ABRUPT && changed && label < rotated ? (label + 1) % rotated : label;
      inverted[i] = kind == Kind.GRADUAL && changed && draws.nextDouble() < (i - mid + 1) / (double) (rows - mid);
    }
    return new SelectBenchmark.Stream(data, order, labels, inverted);
  }

  private static long driftEvents(List<RaceEvent> events) {
    return events.stream().filter(RaceEvent.DriftDetected.class::isInstance).count();
  }

  /**
   * Accuracy of the served predictions before and after the midpoint ({@value #AFTER} examples each way, fewer on a
   * short stream), the detection delay, the events, and the accuracy per {@value #CURVE_WINDOW} examples.
   */
  private static Map<String, Object> summary(SelectBenchmark.Outcome outcome, int rows) {
    int mid = rows / 2;
    int window = Math.min(AFTER, rows - mid);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("accuracy_before", accuracy(outcome.servedLoss(), Math.max(0, mid - window), mid));
    out.put("accuracy_after", accuracy(outcome.servedLoss(), mid, mid + window));
    Long delay = null;
    long falseAlarms = 0;
    for (RaceEvent event : outcome.events()) {
      if (event instanceof RaceEvent.DriftDetected drift) {
        if (drift.atExample() <= mid) {
          falseAlarms++;
        } else if (delay == null) {
          delay = drift.atExample() - mid;
        }
      }
    }
    out.put("detection_delay_examples", delay);
    out.put("drift_events_before_change", falseAlarms);
    out.put("drift_events", driftEvents(outcome.events()));
    out.put("promotions", outcome.events().stream()
        .filter(e -> e instanceof RaceEvent.Promoted p && p.evidence() != null).count());
    out.put("variant_examples_trained", outcome.race().variantExamplesTrained());
    out.put("champion", outcome.race().champion());
    out.put("standings", outcome.race().standings().stream().map(SelectDriftTrack::standing).toList());
    List<Map<String, Object>> curve = new ArrayList<>();
    for (int end = CURVE_WINDOW; end <= rows; end += CURVE_WINDOW) {
      curve.add(Map.of("examples", end, "accuracy", accuracy(outcome.servedLoss(), end - CURVE_WINDOW, end)));
    }
    out.put("curve", curve);
    return out;
  }

  private static Map<String, Object> standing(ChampionRace.Standing s) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("variant", s.variant());
    out.put("status", s.status().name());
    out.put("labelled", s.labelled());
    out.put("accuracy", s.labelled() == 0 ? null : (double) s.correct() / s.labelled());
    out.put("mean_log_loss", s.labelled() == 0 ? null : s.lossMean());
    out.put("drift_events", s.driftEvents());
    return out;
  }

  private static double accuracy(double[] losses, int from, int to) {
    double wrong = 0;
    for (int i = from; i < to; i++) {
      wrong += losses[i];
    }
    return to > from ? 1 - wrong / (to - from) : Double.NaN;
  }
}
