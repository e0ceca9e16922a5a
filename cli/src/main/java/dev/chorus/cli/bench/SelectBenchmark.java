package dev.chorus.cli.bench;

import dev.chorus.cli.bench.e2e.VariantsCostTrack;
import dev.chorus.cli.data.FashionMnist;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.select.ChampionRace;
import dev.chorus.core.select.DrawnVariant;
import dev.chorus.core.select.RaceEvent;
import dev.chorus.core.select.SearchSpec;
import dev.chorus.core.select.VariantRace;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.kafka.LabeledDataset;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * {@code chorus bench select}: live model management in process, on Fashion-MNIST, with {@link VariantRace} (what
 * the job's selection runs). The training split is streamed once in a seeded order; the test split is touched once
 * per model at the end, for the reported test accuracies, never for a decision.
 *
 * <p>Search track ({@code search.}): 8 MLP variants drawn from {@link #SPACE} around the default MLP of
 * {@code bench learn}, by successive halving with {@code budgetExamples} a third of the stream (20,000 of 60,000;
 * {@code --search-budget} sets another), against the same 8 trained to the end (the best of them on the test split
 * is the best in hindsight) and the default MLP alone. CPU is the training thread's CPU time (ThreadMXBean) over the
 * race's steps, prequential predictions included; {@code cpu_ratio_to_one_variant} divides the search's by the mean
 * of the 8 trained to the end (their race's CPU over 8). One such timing is about a second of CPU, and two of them a
 * minute apart differed by half (session 34), so the three races run {@code cpuRepeats} times, interleaved (search,
 * the 8, the default, then again), each repeat checked to train exactly what the first did, and the ratios divide
 * the medians ({@code cpu_seconds}; every timing in {@code cpu_seconds_runs}, each repeat's own ratio in
 * {@code cpu_ratio_to_one_variant_runs}). {@code stream_hindsight} judges the 8 to the end on the
 * training stream itself (their prequential accuracy over its last sixth), a judge of the search's settings that
 * never touches the test split. The same run searches {@link #WIDE_SPACE} too ({@code search_wide.}), against the
 * same default. The drift track is {@link SelectDriftTrack}'s; the cost of variants through the real train job (on
 * the first {@code limit} training records) is {@link VariantsCostTrack}'s.
 */
public final class SelectBenchmark {

  /** The search space, in the paths {@link dev.chorus.core.select.SearchSpace} takes. */
  public static final String SPACE = "{\"optimizer.learningRate\":{\"logUniform\":[1e-4,1e-1]},"
      + "\"layers[0].units\":[64,128,256],\"l2\":[0,1e-5,1e-4]}";
  /**
   * The space and the minibatch size: in one pass a smaller minibatch makes more updates from the same
   * examples, the first knob a user tunes for one pass, so the default (128) need not be the best point here.
   */
  public static final String WIDE_SPACE = SPACE.substring(0, SPACE.length() - 1) + ",\"batchSize\":[16,32,64,128]}";
  public static final int SEARCH_VARIANTS = 8;
  /** The search's default budget, {@code budgetExamples}: the stream's rows over this. */
  static final int BUDGET_DIVISOR = 3;
  /** The stream's hindsight judges the 8 trained to the end over its last rows over this. */
  static final int TAIL_DIVISOR = 6;
  /** The most variants a spec may start, as the job's default. */
  static final int MAX_VARIANTS = 16;

  /**
   * What to run.
   *
   * @param dataDir directory of the Fashion-MNIST IDX files
   * @param seed seeds the stream's order, the draw of the variants and every model
   * @param limit stream the first {@code limit} training examples only; 0 for all
   * @param batchSize examples per minibatch
   * @param tracks the tracks to run, some of {@link #TRACKS}
   */
  public record Options(Path dataDir, long seed, int limit, int batchSize, Set<String> tracks, long searchBudget,
      int cpuRepeats) {

    /** Each search track times its three races {@value #DEFAULT_CPU_REPEATS} times. */
    public static final int DEFAULT_CPU_REPEATS = 3;

    public Options {
      Objects.requireNonNull(dataDir, "dataDir");
      if (cpuRepeats < 1) {
        throw new IllegalArgumentException("bench select: expected --cpu-repeats of at least 1, got " + cpuRepeats);
      }
      if (searchBudget < 0) {
        throw new IllegalArgumentException("bench select: expected a search budget of 0 (the default) or more"
            + " examples, got " + searchBudget);
      }
      if (limit < 0 || (limit > 0 && limit < 100) || batchSize < 1) {
        throw new IllegalArgumentException("bench select: expected limit 0 (all) or at least 100 and batchSize >= 1,"
            + " got " + limit + " and " + batchSize);
      }
      tracks = Set.copyOf(tracks);
      if (tracks.isEmpty() || !TRACKS.containsAll(tracks)) {
        throw new IllegalArgumentException("bench select: expected tracks among " + TRACKS + ", got " + tracks);
      }
    }

    /** These options, the search's races timed {@value #DEFAULT_CPU_REPEATS} times. */
    public Options(Path dataDir, long seed, int limit, int batchSize, Set<String> tracks, long searchBudget) {
      this(dataDir, seed, limit, batchSize, tracks, searchBudget, DEFAULT_CPU_REPEATS);
    }

    /** Seed 42, every example, minibatches of 128, as {@code bench learn}; every track. */
    public static Options defaults(Path dataDir) {
      return new Options(dataDir, 42, 0, 128, Set.copyOf(TRACKS), 0);
    }
  }

  /** The tracks, in the order they run. */
  public static final List<String> TRACKS = List.of("search", "drift", "variants");

  /** The training stream ({@code rows} rows of {@code train} in {@code order}) and the test split. */
  record Data(LabeledDataset train, int rows, LabeledDataset test) {}

  /**
   * What one race over a stream gave: the served predictions' 0/1 losses by stream position, its events, the
   * training thread's CPU nanoseconds.
   */
  record Outcome(VariantRace race, double[] servedLoss, List<RaceEvent> events, long cpuNanos,
      List<ChampionRace.Standing> tailStart) {}

  /**
   * Examples of the stream's start each search track first races unmeasured (the search and the default), so that
   * every measured race runs on code the JIT has compiled.
   */
  static final int WARMUP_EXAMPLES = 12_000;

  private SelectBenchmark() {}

  /**
   * Runs the chosen tracks and returns {@code {search: {...}, drift: {...}, variants: {...}, config: {...}}}.
   *
   * @throws Exception if the data set cannot be read or a run of the variants track fails
   */
  public static Map<String, Object> run(Options options, Consumer<String> log) throws Exception {
    long started = System.nanoTime();
    LabeledDataset train = FashionMnist.fromDirectory(options.dataDir(), "train");
    LabeledDataset test = FashionMnist.fromDirectory(options.dataDir(), "t10k");
    int rows = options.limit() == 0 ? train.labels().length : Math.min(options.limit(), train.labels().length);
    Data data = new Data(train, rows, test);
    Map<String, Object> results = new LinkedHashMap<>();
    if (options.tracks().contains("search")) {
      results.put("search", search(options, data, "search", SPACE, log));
      results.put("search_wide", search(options, data, "search_wide", WIDE_SPACE, log));
    }
    if (options.tracks().contains("drift")) {
      results.put("drift", SelectDriftTrack.run(options, data, log));
    }
    if (options.tracks().contains("variants")) {
      results.put("variants", VariantsCostTrack.run(train, rows, log));
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("data_dir", options.dataDir().toString());
    config.put("train_examples", rows);
    config.put("test_examples", test.labels().length);
    config.put("batch_size", options.batchSize());
    config.put("seed", options.seed());
    config.put("search_space", SPACE);
    config.put("search_wide_space", WIDE_SPACE);
    results.put("config", config);
    results.put("seconds", (System.nanoTime() - started) / 1e9);
    return results;
  }

  /**
   * Successive halving over {@code space} around the default MLP, the same 8 to the end, and the default alone, on
   * one stream of the training split.
   */
  private static Map<String, Object> search(Options options, Data data, String key, String space,
      Consumer<String> log) {
    int[] order = LearnBenchmark.shuffledOrder(data.rows(), SplitMix64.seeded(options.seed()));
    Stream stream = new Stream(data, order, new int[data.rows()], new boolean[data.rows()]);
    for (int i = 0; i < order.length; i++) {
      stream.labels()[i] = data.train().labels()[order[i]];
    }
    String base = LearnBenchmark.mlpJson(data.train().dim(), data.train().numClasses(), options.batchSize(),
        options.seed(), "");
    long budget = options.searchBudget() > 0 ? options.searchBudget() : data.rows() / BUDGET_DIVISOR;
    VariantSpec halving = VariantSpec.parse(
        withSearch(base, SearchSpec.SUCCESSIVE_HALVING, budget, options.seed(), space), MAX_VARIANTS);
    VariantSpec random = VariantSpec.parse(withSearch(base, SearchSpec.RANDOM, budget, options.seed(), space),
        MAX_VARIANTS);

    // Unmeasured: the search race would otherwise be the JVM's first training and carry its JIT warm-up, which the
    // races after it, its yardsticks, do not.
    int warm = Math.min(WARMUP_EXAMPLES, data.rows());
    Stream warmup = new Stream(data, Arrays.copyOf(order, warm), Arrays.copyOf(stream.labels(), warm), new boolean[warm]);
    warmup.race(new VariantRace(halving), options.batchSize());
    warmup.race(new VariantRace(VariantSpec.parse(base, MAX_VARIANTS)), options.batchSize());

    log.accept(key + ": successive halving over " + SEARCH_VARIANTS + " variants of " + space + ", budget " + budget
        + " examples");
    Outcome search = stream.race(new VariantRace(halving), options.batchSize());
    log.accept(key + ": the same " + SEARCH_VARIANTS + " trained to the end");
    int tailFrom = data.rows() - data.rows() / TAIL_DIVISOR;
    Outcome all = stream.race(new VariantRace(random), options.batchSize(), tailFrom);
    log.accept(key + ": the default MLP alone");
    Outcome alone = stream.race(new VariantRace(VariantSpec.parse(base, MAX_VARIANTS)), options.batchSize());
    long[] searchCpu = new long[options.cpuRepeats()];
    long[] allCpu = new long[options.cpuRepeats()];
    long[] aloneCpu = new long[options.cpuRepeats()];
    searchCpu[0] = search.cpuNanos();
    allCpu[0] = all.cpuNanos();
    aloneCpu[0] = alone.cpuNanos();
    for (int r = 1; r < options.cpuRepeats(); r++) {
      log.accept(key + ": the three races again, for their CPU (" + (r + 1) + " of " + options.cpuRepeats() + ")");
      searchCpu[r] = sameWork(search, stream.race(new VariantRace(halving), options.batchSize()));
      allCpu[r] = sameWork(all, stream.race(new VariantRace(random), options.batchSize(), tailFrom));
      aloneCpu[r] = sameWork(alone,
          stream.race(new VariantRace(VariantSpec.parse(base, MAX_VARIANTS)), options.batchSize()));
    }
    long searchNanos = median(searchCpu);
    long allNanos = median(allCpu);
    long aloneNanos = median(aloneCpu);

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("space", space);
    out.put("budget_examples", budget);
    out.put("warmup_examples_unmeasured", warm);
    VariantRace race = search.race();
    String champion = race.champion();
    Map<String, Object> championResult = variant(race, champion, data.test());
    out.put("champion", championResult);
    Map<String, Object> toEnd = new LinkedHashMap<>();
    String best = null;
    double bestAccuracy = -1;
    for (DrawnVariant drawn : random.variants()) {
      Map<String, Object> one = variant(all.race(), drawn.name(), data.test());
      toEnd.put(drawn.name(), one);
      double accuracy = (double) one.get("test_accuracy");
      if (accuracy > bestAccuracy) {
        best = drawn.name();
        bestAccuracy = accuracy;
      }
    }
    Map<String, Object> bestResult = new LinkedHashMap<>(Map.of("variant", best, "test_accuracy", bestAccuracy));
    out.put("best_in_hindsight", bestResult);
    Map<String, Object> defaultResult = variant(alone.race(), VariantRace.DEFAULT_VARIANT, data.test());
    out.put("default", defaultResult);
    Map<String, Object> streamHindsight = streamHindsight(all, champion);
    out.put("stream_hindsight", streamHindsight);
    out.put("all_to_end", toEnd);
    out.put("rungs", search.events().stream().filter(RaceEvent.RungDecided.class::isInstance)
        .map(e -> rung((RaceEvent.RungDecided) e)).toList());
    out.put("variant_examples_trained", race.variantExamplesTrained());
    out.put("variant_examples_all_to_end", all.race().variantExamplesTrained());
    out.put("cpu_repeats", options.cpuRepeats());
    out.put("cpu_seconds", Map.of("search", searchNanos / 1e9, "all_to_end", allNanos / 1e9,
        "default", aloneNanos / 1e9));
    out.put("cpu_seconds_runs", Map.of("search", seconds(searchCpu), "all_to_end", seconds(allCpu),
        "default", seconds(aloneCpu)));
    double oneVariant = allNanos / (double) SEARCH_VARIANTS;
    List<Double> ratioRuns = new ArrayList<>();
    for (int r = 0; r < options.cpuRepeats(); r++) {
      ratioRuns.add(searchCpu[r] / (allCpu[r] / (double) SEARCH_VARIANTS));
    }
    out.put("cpu_ratio_to_one_variant", searchNanos / oneVariant);
    out.put("cpu_ratio_to_one_variant_runs", ratioRuns);
    out.put("cpu_ratio_to_default", searchNanos / (double) aloneNanos);
    double championAccuracy = (double) championResult.get("test_accuracy");
    Map<String, Object> targets = new LinkedHashMap<>();
    targets.put("champion_within_0_5_points_of_best", championAccuracy >= bestAccuracy - 0.005);
    targets.put("champion_1_point_above_default",
        championAccuracy >= (double) defaultResult.get("test_accuracy") + 0.01);
    targets.put("cpu_at_most_2_5x", searchNanos / oneVariant <= 2.5);
    targets.put("champion_is_stream_hindsight_best", champion.equals(streamHindsight.get("best")));
    out.put("targets", targets);
    log.accept(String.format(key + ": champion %s %.4f, best in hindsight %s %.4f, default %.4f, CPU %.2fx one variant"
        + " (medians of %d timings; each repeat's ratio %s)", champion, championAccuracy, best, bestAccuracy,
        (double) defaultResult.get("test_accuracy"), searchNanos / oneVariant, options.cpuRepeats(),
        ratioRuns.stream().map(x -> String.format("%.2f", x)).toList()));
    return out;
  }

  /** The CPU nanoseconds of {@code again}, a repeat of {@code first}'s race, after checking it trained the same. */
  private static long sameWork(Outcome first, Outcome again) {
    long trained = first.race().variantExamplesTrained();
    if (again.race().variantExamplesTrained() != trained || !Objects.equals(first.race().champion(),
        again.race().champion())) {
      throw new IllegalStateException("bench select: a repeat of a race trained " + again.race().variantExamplesTrained()
          + " variant-examples to champion " + again.race().champion() + ", the first " + trained + " to "
          + first.race().champion() + "; a race must be deterministic for its timings to be compared");
    }
    return again.cpuNanos();
  }

  /** The median of {@code nanos} (of an even count, the lower middle one, a timing that was measured). */
  static long median(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[(sorted.length - 1) / 2];
  }

  private static List<Double> seconds(long[] nanos) {
    List<Double> out = new ArrayList<>();
    for (long n : nanos) {
      out.add(n / 1e9);
    }
    return out;
  }

  /**
   * The 8 trained to the end, judged on the training stream itself: each one's prequential accuracy and mean log
   * loss (each example predicted before it trained on it) over the stream's last sixth, where every variant has
   * learned from the same five sixths; the best by accuracy, and where the search's champion ranks. Training data
   * only, so a search's settings (its budget) can be judged by it without touching the test split.
   */
  private static Map<String, Object> streamHindsight(Outcome all, String champion) {
    Map<String, ChampionRace.Standing> before = new LinkedHashMap<>();
    all.tailStart().forEach(s -> before.put(s.variant(), s));
    Map<String, Object> variants = new LinkedHashMap<>();
    List<Map.Entry<String, Double>> ranked = new ArrayList<>();
    long examples = 0;
    for (ChampionRace.Standing end : all.race().standings()) {
      ChampionRace.Standing start = before.get(end.variant());
      long n = end.labelled() - (start == null ? 0 : start.labelled());
      long correct = end.correct() - (start == null ? 0 : start.correct());
      double loss = end.lossMean() * end.labelled() - (start == null ? 0 : start.lossMean() * start.labelled());
      examples = Math.max(examples, n);
      double accuracy = n == 0 ? 0 : (double) correct / n;
      variants.put(end.variant(), Map.of("accuracy", accuracy, "log_loss", n == 0 ? 0 : loss / n));
      ranked.add(Map.entry(end.variant(), accuracy));
    }
    ranked.sort(Map.Entry.<String, Double>comparingByValue().reversed());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("tail_examples", examples);
    out.put("best", ranked.isEmpty() ? null : ranked.get(0).getKey());
    int rank = 0;
    while (rank < ranked.size() && !ranked.get(rank).getKey().equals(champion)) {
      rank++;
    }
    out.put("champion_rank", rank + 1);
    out.put("variants", new TreeMap<>(variants));
    return out;
  }

  private static String withSearch(String base, String method, long budget, long seed, String space) {
    return base.substring(0, base.length() - 1) + ",\"search\":{\"method\":\"" + method + "\",\"variants\":"
        + SEARCH_VARIANTS + ",\"budgetExamples\":" + budget + ",\"seed\":" + seed + ",\"space\":" + space + "}}";
  }

  private static Map<String, Object> variant(VariantRace race, String name, LabeledDataset test) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("variant", name);
    out.put("test_accuracy", testAccuracy(race.learner(name), test));
    out.put("examples_trained", race.examplesTrained(name));
    out.put("rejected_minibatches", race.rejectedMinibatches(name));
    out.put("spec", race.spec(name).toJson());
    return out;
  }

  private static Map<String, Object> rung(RaceEvent.RungDecided event) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("rung", event.decision().rung());
    out.put("at_example", event.atExample());
    out.put("survivors", event.decision().survivors());
    out.put("retired", event.decision().retired());
    out.put("mean_loss", event.decision().meanLoss());
    return out;
  }

  static double testAccuracy(OnlineLearner learner, LabeledDataset test) {
    int rows = test.labels().length;
    int correct = 0;
    for (int i = 0; i < rows; i++) {
      if (learner.predict(test.features(), i * test.dim()) == test.labels()[i]) {
        correct++;
      }
    }
    return (double) correct / rows;
  }

  /**
   * A stream over the training split: {@code order[i]} is the row at position {@code i}, {@code labels[i]} the label
   * it carries there, and {@code inverted[i]} whether its features are inverted ({@code x -> 1 - x}).
   */
  record Stream(Data data, int[] order, int[] labels, boolean[] inverted) {

    /** Drives {@code race} over the stream in minibatches, timing the steps on this thread's CPU clock. */
    Outcome race(VariantRace race, int batchSize) {
      return race(race, batchSize, Integer.MAX_VALUE);
    }

    /**
     * As {@link #race(VariantRace, int)}, keeping the standings as they were at the first minibatch boundary at or
     * after {@code tailFrom} (none if the stream is shorter): with the standings at the end, each variant's
     * prequential figures over the stream's tail.
     */
    Outcome race(VariantRace race, int batchSize, int tailFrom) {
      List<ChampionRace.Standing> tailStart = List.of();
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      int dim = data.train().dim();
      float[] features = data.train().features();
      float[] x = new float[batchSize * dim];
      int[] y = new int[batchSize];
      double[] served = new double[order.length];
      List<RaceEvent> events = new ArrayList<>();
      long cpu = 0;
      for (int start = 0; start < order.length; start += batchSize) {
        int n = Math.min(batchSize, order.length - start);
        if (start >= tailFrom && tailStart.isEmpty()) {
          tailStart = race.standings();
        }
        for (int i = 0; i < n; i++) {
          int position = start + i;
          System.arraycopy(features, order[position] * dim, x, i * dim, dim);
          if (inverted[position]) {
            for (int f = i * dim; f < (i + 1) * dim; f++) {
              x[f] = 1 - x[f];
            }
          }
          y[i] = labels[position];
        }
        long began = threads.getCurrentThreadCpuTime();
        VariantRace.Step step = race.step(x, y, n);
        cpu += threads.getCurrentThreadCpuTime() - began;
        System.arraycopy(step.servedLoss(), 0, served, start, n);
        events.addAll(step.events());
      }
      long began = threads.getCurrentThreadCpuTime();
      race.trainOpenMinibatches();
      cpu += threads.getCurrentThreadCpuTime() - began;
      return new Outcome(race, served, events, cpu, tailStart);
    }
  }
}
