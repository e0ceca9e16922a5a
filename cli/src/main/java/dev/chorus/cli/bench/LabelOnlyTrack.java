package dev.chorus.cli.bench;

import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.core.annotators.BatchDawidSkene;
import dev.chorus.core.annotators.ClassifierLabelModel;
import dev.chorus.core.annotators.ItemConsensus;
import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.annotators.LabelStream;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.random.SplitMix64;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The label-only track of the crowd benchmark (issue 18): no features, many annotators with few labels each. For
 * each seed, a pool of the protocol's annotator kinds (experts, competent, pair-confusers and spammers in the default
 * pool's 3:4:3:2 proportions, plus the two adversaries) labels items of uniformly drawn Fashion-MNIST classes; each
 * annotator gives between {@code minLabels} and {@code maxLabels} labels, skewed towards the few (a cube of a
 * uniform draw), to distinct items drawn uniformly; the events are shuffled. Four truth-inference methods score the
 * same labels, as the share of labelled items whose most likely class is the true one:
 * <ul>
 *   <li>{@code consensus}: a label-only Dawid–Skene task ({@code inputDim} 0) streamed once in minibatches, then each
 *       item's {@link LabelModel#consensus} (the E-step with the confusions and class prior at the end of the
 *       stream), what the consensus topic carries;</li>
 *   <li>{@code batch_dawid_skene}: {@link BatchDawidSkene#fit} to convergence, maximum a posteriori with the
 *       streamed task's own Dirichlet prior on each confusion row ({@link BatchDawidSkene.Prior#of}): the same model
 *       as the stream, so the reference for how well one streamed pass approximates EM;</li>
 *   <li>{@code batch_dawid_skene_mle}: the same EM without pseudo-counts (Dawid and Skene's maximum likelihood), whose
 *       unsmoothed K × K confusions overfit 20–50 labels per annotator, for at most {@link #MLE_MAX_ITERATIONS};</li>
 *   <li>{@code majority}: {@link BatchDawidSkene#majority}.</li>
 * </ul>
 * Keys {@code <method>.accuracy_mean|std} over the seeds, for the two EM fits also {@code <method>.iterations} and
 * {@code <method>.converged}, one per seed (whether a stopping rule ended EM before its cap), plus the sizes in
 * {@code items}, {@code labels}.
 */
public final class LabelOnlyTrack {

  /**
   * @param annotators pool size, at least 6 (two adversaries and one of each other kind)
   * @param minLabels fewest labels an annotator gives
   * @param maxLabels most labels an annotator gives
   * @param labelsPerItem mean labels per item: the number of items is the total labels over this
   * @param batchSize label events per streamed minibatch
   * @param seeds one run per seed
   */
  public record Options(int annotators, int minLabels, int maxLabels, double labelsPerItem, int batchSize,
      List<Long> seeds) {

    /** @throws IllegalArgumentException if a value is out of range */
    public Options {
      seeds = List.copyOf(seeds);
      if (annotators < 6 || minLabels < 1 || maxLabels < minLabels || !(labelsPerItem >= 1) || batchSize < 1
          || seeds.isEmpty()) {
        throw new IllegalArgumentException("the label-only track needs annotators >= 6, 1 <= minLabels <= maxLabels, "
            + "labelsPerItem >= 1, batchSize >= 1 and a seed; got " + annotators + ", " + minLabels + ", " + maxLabels
            + ", " + labelsPerItem + ", " + batchSize + ", " + seeds);
      }
    }

    /** The protocol: 1,000 annotators with 20–50 labels each, 3 labels per item on average, seeds 0–4. */
    public static Options protocol(int batchSize, List<Long> seeds) {
      return new Options(1000, 20, 50, 3, batchSize, seeds);
    }
  }

  static final String[] METHODS = {"consensus", "batch_dawid_skene", "batch_dawid_skene_mle", "majority"};
  /**
   * The ML fit's iterations: its likelihood climbs ever more slowly towards confusions of 0 and 1 (on seed 0 still
   * moving after 2,000 iterations, 110 s), so it keeps the cap it had before MAP-EM ran to convergence.
   */
  static final int MLE_MAX_ITERATIONS = 200;

  private LabelOnlyTrack() {}

  /** Runs the track; returns {@code {consensus: {accuracy_mean, accuracy_std}, …, items, labels}}. */
  public static Map<String, Object> run(Options options) {
    int seeds = options.seeds().size();
    double[][] accuracy = new double[METHODS.length][seeds];
    List<List<Integer>> iterations = List.of(new ArrayList<>(), new ArrayList<>());
    List<List<Boolean>> converged = List.of(new ArrayList<>(), new ArrayList<>());
    int items = 0;
    int labels = 0;
    for (int s = 0; s < seeds; s++) {
      long seed = options.seeds().get(s);
      AnnotatorPool pool = pool(options.annotators(), seed);
      Workload workload = workload(options, pool, seed);
      items = workload.truth.length;
      labels = workload.stream.size();
      int k = pool.numClasses();
      ClassifierLabelModel model = labelOnlyModel(options, pool, seed);
      int[] stream = streamed(options, pool, workload, model);
      BatchDawidSkene.Result[] fits = {
          BatchDawidSkene.fit(workload.stream, items, pool.size(), k, BatchDawidSkene.Prior.of(model.estimates()),
              BatchDawidSkene.DEFAULT_MAX_ITERATIONS, BatchDawidSkene.DEFAULT_TOLERANCE),
          BatchDawidSkene.fit(workload.stream, items, pool.size(), k, MLE_MAX_ITERATIONS,
              BatchDawidSkene.DEFAULT_TOLERANCE)};
      for (int f = 0; f < fits.length; f++) {
        iterations.get(f).add(fits[f].iterations());
        converged.get(f).add(fits[f].converged());
      }
      int[][] guesses = {stream, fits[0].mostLikely(), fits[1].mostLikely(),
          BatchDawidSkene.majority(workload.stream, items, k)};
      for (int m = 0; m < METHODS.length; m++) {
        accuracy[m][s] = accuracy(guesses[m], workload);
      }
    }
    Map<String, Object> track = new LinkedHashMap<>();
    for (int m = 0; m < METHODS.length; m++) {
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("accuracy_mean", CrowdBenchmark.mean(accuracy[m]));
      figures.put("accuracy_std", CrowdBenchmark.std(accuracy[m]));
      if (m == 1 || m == 2) { // the two EM fits
        figures.put("iterations", iterations.get(m - 1));
        figures.put("converged", converged.get(m - 1));
      }
      track.put(METHODS[m], figures);
    }
    track.put("annotators", options.annotators());
    track.put("items", items);
    track.put("labels", labels);
    return track;
  }

  /** The default pool's kinds in its 3:4:3:2 proportions, the two adversaries included in {@code size}. */
  static AnnotatorPool pool(int size, long seed) {
    int rest = size - 2;
    int experts = Math.max(1, rest * 3 / 12);
    int competent = Math.max(1, rest * 4 / 12);
    int pairConfusers = Math.max(1, rest * 3 / 12);
    return AnnotatorPool.fashionMnist(seed, experts, competent, pairConfusers, rest - experts - competent - pairConfusers);
  }

  record Workload(LabelStream stream, int[] truth, boolean[] labelled) {}

  static Workload workload(Options options, AnnotatorPool pool, long seed) {
    SplitMix64 rng = SplitMix64.seeded(seed ^ 0x1abe1L);
    int m = pool.size();
    int[] counts = new int[m];
    int total = 0;
    int spread = options.maxLabels() - options.minLabels() + 1;
    for (int a = 0; a < m; a++) {
      double u = rng.nextDouble();
      counts[a] = options.minLabels() + Math.min(spread - 1, (int) (spread * u * u * u));
      total += counts[a];
    }
    int numItems = Math.max(options.maxLabels(), (int) Math.round(total / options.labelsPerItem()));
    int k = pool.numClasses();
    int[] truth = new int[numItems];
    for (int i = 0; i < numItems; i++) {
      truth[i] = (int) Long.remainderUnsigned(rng.nextLong(), k);
    }
    List<int[]> events = new ArrayList<>(total);
    boolean[] labelled = new boolean[numItems];
    for (int a = 0; a < m; a++) {
      // Distinct items per annotator: a partial Fisher–Yates draw over the item indices.
      int[] order = new int[numItems];
      for (int i = 0; i < numItems; i++) {
        order[i] = i;
      }
      for (int j = 0; j < counts[a]; j++) {
        int pick = j + (int) Long.remainderUnsigned(rng.nextLong(), numItems - j);
        int item = order[pick];
        order[pick] = order[j];
        order[j] = item;
        labelled[item] = true;
        events.add(new int[] {item, a, pool.get(a).label(truth[item], rng)});
      }
    }
    for (int i = events.size() - 1; i > 0; i--) {
      int j = (int) Long.remainderUnsigned(rng.nextLong(), i + 1);
      int[] swap = events.get(i);
      events.set(i, events.get(j));
      events.set(j, swap);
    }
    int[] items = new int[total];
    int[] who = new int[total];
    int[] given = new int[total];
    for (int e = 0; e < total; e++) {
      items[e] = events.get(e)[0];
      who[e] = events.get(e)[1];
      given[e] = events.get(e)[2];
    }
    return new Workload(new LabelStream(items, who, given), truth, labelled);
  }

  /** A fresh label-only Dawid–Skene task ({@code inputDim} 0) with a slot for each annotator of the pool. */
  private static ClassifierLabelModel labelOnlyModel(Options options, AnnotatorPool pool, long seed) {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"" + ModelSpec.SOFTMAX_REGRESSION + "\",\"inputDim\":0,"
        + "\"numClasses\":" + pool.numClasses() + ",\"batchSize\":" + options.batchSize()
        + ",\"labelModel\":\"dawid-skene\",\"seed\":" + seed + "}");
    return (ClassifierLabelModel) LabelModels.create(spec,
        LabelModelSpec.withMaxAnnotators("dawid-skene", pool.size()));
  }

  /** Streams the labels through {@code model}; each item's most likely class at the end. */
  private static int[] streamed(Options options, AnnotatorPool pool, Workload workload, LabelModel model) {
    LabelStream stream = workload.stream;
    int batch = options.batchSize();
    long[] items = new long[batch];
    String[] ids = new String[batch];
    int[] labels = new int[batch];
    for (int start = 0; start < stream.size(); start += batch) {
      int n = Math.min(batch, stream.size() - start);
      for (int e = 0; e < n; e++) {
        items[e] = stream.items()[start + e];
        ids[e] = pool.get(stream.annotators()[start + e]).id();
        labels[e] = stream.labels()[start + e];
      }
      model.train(new float[0], items, ids, labels, n);
    }
    int[] guesses = new int[workload.truth.length];
    for (int i = 0; i < guesses.length; i++) {
      ItemConsensus consensus = workload.labelled[i] ? model.consensus(i, null) : null;
      guesses[i] = consensus == null ? -1 : consensus.mostLikely();
    }
    return guesses;
  }

  /** Share of labelled items whose guess is the true class. */
  private static double accuracy(int[] guesses, Workload workload) {
    int right = 0;
    int labelled = 0;
    for (int i = 0; i < guesses.length; i++) {
      if (workload.labelled[i]) {
        labelled++;
        right += guesses[i] == workload.truth[i] ? 1 : 0;
      }
    }
    return (double) right / labelled;
  }
}
