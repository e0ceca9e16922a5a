package dev.chorus.cli.bench;

import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.core.annotators.DawidSkeneLabelModel;
import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.annotators.LabelStream;
import dev.chorus.core.annotators.SimulatedAnnotator;
import dev.chorus.core.annotators.WeightedDoctorNetPaperLabelModel;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.random.SplitMix64;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The crowd benchmark's scenarios beside its main track (docs: NOISY-LABELS.md), each on the protocol's pool and
 * workload for every seed, reported under its own key with each figure's mean over the seeds and, beside it, its
 * sample standard deviation ({@code _std}):
 *
 * <ul>
 *   <li>{@code swap}, annotators who change: from the stream's midpoint on, the experts answer as spammers and the
 *       spammers as the experts did (spammer {@code j} takes expert {@code j}'s confusion). Dawid–Skene with
 *       confusions that forget ({@code labelModel.halfLifeLabels} = {@link #HALF_LIFE_LABELS}) trains on it; after
 *       each minibatch of the second half the scenario checks whether the reliability ranking has flipped, every
 *       former spammer estimated more reliable than every former expert. {@code ranking_flip_labels}: labels per
 *       swapped annotator from the midpoint until the flip (NaN for a seed where it never flips, and then for the
 *       mean); {@code second_half_minus_first}: accuracy on the held-out validation items (clean labels) after the whole
 *       stream minus that after its first half (the test split is not touched mid-stream).
 *   <li>{@code copycats}: two more annotators copy every label of {@link #COPIED} (a spammer) on the same items, so
 *       three agree on random labels. Per method of {@link #COPYCAT_METHODS}: {@code accuracy} and
 *       {@code copycat_reliability}, the copycats' estimated reliability (their true accuracy is the spammer's).
 *   <li>{@code long_tail}: {@link #TAIL_ANNOTATORS} more annotators label 1 to 5 random items each, each answering
 *       as a pool member drawn at random. Dawid–Skene's {@code accuracy} and {@code spearman} (over the pool's
 *       annotators: the tail must not blur the ranking of those with many labels).
 * </ul>
 */
final class CrowdScenarios {

  /** The half-life, in labels per annotator, of the confusions in the swap scenario. */
  static final double HALF_LIFE_LABELS = 150;
  /** The annotator the copycats copy. */
  static final String COPIED = "spammer-0";
  /** The methods run on the copycat stream, where the benchmark runs them. */
  static final List<String> COPYCAT_METHODS = List.of(DawidSkeneLabelModel.NAME, WeightedDoctorNetPaperLabelModel.NAME);
  /** Annotators in the long tail. */
  static final int TAIL_ANNOTATORS = 1000;

  private CrowdScenarios() {}

  /** Runs every scenario: {@code {swap: …, copycats: …, long_tail: …}}. */
  static Map<String, Object> run(CrowdBenchmark.Options options, float[] trainX, int[] trainY, float[] validationX,
      int[] validationY, float[] testX, int[] testY, int dim) {
    Data data = new Data(trainX, trainY, validationX, validationY, testX, testY, dim);
    Map<String, Object> scenarios = new LinkedHashMap<>();
    scenarios.put("swap", swap(options, data));
    scenarios.put("copycats", copycats(options, data));
    scenarios.put("long_tail", longTail(options, data));
    return scenarios;
  }

  private record Data(float[] trainX, int[] trainY, float[] validationX, int[] validationY, float[] testX, int[] testY,
      int dim) {}

  /** A label stream over annotators named by {@code ids}. */
  private record Events(String[] ids, int[] items, int[] who, int[] labels) {

    static Events of(AnnotatorPool pool, LabelStream stream) {
      String[] ids = new String[pool.size()];
      for (int a = 0; a < ids.length; a++) {
        ids[a] = pool.get(a).id();
      }
      return new Events(ids, stream.items(), stream.annotators(), stream.labels());
    }

    int size() {
      return items.length;
    }
  }

  private static Map<String, Object> swap(CrowdBenchmark.Options options, Data data) {
    int seeds = options.seeds().size();
    double[] flips = new double[seeds];
    double[] drift = new double[seeds];
    for (int s = 0; s < seeds; s++) {
      long seed = options.seeds().get(s);
      AnnotatorPool pool = AnnotatorPool.fashionMnist(seed);
      LabelStream stream = pool.label(data.trainY(), AnnotatorPool.DEFAULT_LABELS_PER_ITEM, seed);
      List<Integer> experts = ofKind(pool, "expert");
      List<Integer> spammers = ofKind(pool, "spammer");
      Events events = Events.of(pool, stream);
      events = new Events(events.ids(), events.items(), events.who(),
          swappedLabels(pool, stream, data.trainY(), experts, spammers, seed));
      LabelModel model = create(options, data, seed, LabelModelSpec.withMaxAnnotators(DawidSkeneLabelModel.NAME,
          pool.size()).withHalfLifeLabels(HALF_LIFE_LABELS));
      int mid = events.size() / 2;
      train(options, data, model, events, 0, mid, null);
      // Halves on the held-out validation items: the test split is touched once, after a stream, never in its middle.
      double first = accuracy(model, data.validationX(), data.validationY(), data.dim());
      int flippedAt = train(options, data, model, events, mid, events.size(),
          () -> flipped(model, pool, experts, spammers));
      flips[s] = flippedAt < 0 ? Double.NaN : meanLabels(events, mid, flippedAt, experts, spammers);
      drift[s] = accuracy(model, data.validationX(), data.validationY(), data.dim()) - first;
    }
    Map<String, Object> swap = new LinkedHashMap<>();
    put(swap, "ranking_flip_labels", flips);
    put(swap, "second_half_minus_first", drift);
    swap.put("half_life_labels", HALF_LIFE_LABELS);
    swap.put("method", CrowdBenchmark.jsonName(DawidSkeneLabelModel.NAME));
    return swap;
  }

  private static Map<String, Object> copycats(CrowdBenchmark.Options options, Data data) {
    List<String> methods = COPYCAT_METHODS.stream().filter(options.methods()::contains).toList();
    int seeds = options.seeds().size();
    double[][] accuracy = new double[methods.size()][seeds];
    double[][] reliability = new double[methods.size()][seeds];
    for (int s = 0; s < seeds; s++) {
      long seed = options.seeds().get(s);
      AnnotatorPool pool = AnnotatorPool.fashionMnist(seed);
      Events base = Events.of(pool, pool.label(data.trainY(), AnnotatorPool.DEFAULT_LABELS_PER_ITEM, seed));
      int copied = Arrays.asList(base.ids()).indexOf(COPIED);
      List<int[]> extra = new ArrayList<>();
      for (int e = 0; e < base.size(); e++) {
        if (base.who()[e] == copied) {
          for (int c = 0; c < 2; c++) {
            extra.add(new int[] {base.items()[e], pool.size() + c, base.labels()[e]});
          }
        }
      }
      String[] ids = Arrays.copyOf(base.ids(), pool.size() + 2);
      ids[pool.size()] = "copycat-0";
      ids[pool.size() + 1] = "copycat-1";
      Events events = mixedIn(base, ids, extra, seed);
      for (int m = 0; m < methods.size(); m++) {
        LabelModel model = create(options, data, seed, LabelModelSpec.withMaxAnnotators(methods.get(m), ids.length));
        train(options, data, model, events, 0, events.size(), null);
        accuracy[m][s] = accuracy(model, data);
        reliability[m][s] = (model.annotator("copycat-0").reliability()
            + model.annotator("copycat-1").reliability()) / 2;
      }
    }
    Map<String, Object> copycats = new LinkedHashMap<>();
    copycats.put("copied", COPIED);
    for (int m = 0; m < methods.size(); m++) {
      Map<String, Object> figures = new LinkedHashMap<>();
      put(figures, "accuracy", accuracy[m]);
      put(figures, "copycat_reliability", reliability[m]);
      copycats.put(CrowdBenchmark.jsonName(methods.get(m)), figures);
    }
    return copycats;
  }

  private static Map<String, Object> longTail(CrowdBenchmark.Options options, Data data) {
    int seeds = options.seeds().size();
    double[] accuracy = new double[seeds];
    double[] spearman = new double[seeds];
    double[] tailLabels = new double[seeds];
    for (int s = 0; s < seeds; s++) {
      long seed = options.seeds().get(s);
      AnnotatorPool pool = AnnotatorPool.fashionMnist(seed);
      Events base = Events.of(pool, pool.label(data.trainY(), AnnotatorPool.DEFAULT_LABELS_PER_ITEM, seed));
      SplitMix64 rng = SplitMix64.seeded(seed ^ 0x7A11L);
      String[] ids = Arrays.copyOf(base.ids(), pool.size() + TAIL_ANNOTATORS);
      List<int[]> extra = new ArrayList<>();
      for (int t = 0; t < TAIL_ANNOTATORS; t++) {
        ids[pool.size() + t] = "tail-" + t;
        SimulatedAnnotator like = pool.get(below(rng, pool.size()));
        int labels = 1 + below(rng, 5);
        for (int l = 0; l < labels; l++) {
          int item = below(rng, data.trainY().length);
          extra.add(new int[] {item, pool.size() + t, like.label(data.trainY()[item], rng)});
        }
      }
      tailLabels[s] = extra.size();
      Events events = mixedIn(base, ids, extra, seed);
      LabelModel model = create(options, data, seed,
          LabelModelSpec.withMaxAnnotators(DawidSkeneLabelModel.NAME, ids.length));
      train(options, data, model, events, 0, events.size(), null);
      accuracy[s] = accuracy(model, data);
      double[] estimated = new double[pool.size()];
      double[] truth = new double[pool.size()];
      for (int a = 0; a < pool.size(); a++) {
        estimated[a] = model.annotator(pool.get(a).id()).reliability();
        truth[a] = pool.get(a).accuracy();
      }
      spearman[s] = CrowdBenchmark.spearman(estimated, truth);
    }
    Map<String, Object> tail = new LinkedHashMap<>();
    tail.put("tail_annotators", TAIL_ANNOTATORS);
    put(tail, "tail_labels", tailLabels);
    Map<String, Object> figures = new LinkedHashMap<>();
    put(figures, "accuracy", accuracy);
    put(figures, "spearman", spearman);
    tail.put(CrowdBenchmark.jsonName(DawidSkeneLabelModel.NAME), figures);
    return tail;
  }

  /** {@code base}'s events and the {@code extra} ones ({item, annotator, label}), in a seeded shuffled order. */
  private static Events mixedIn(Events base, String[] ids, List<int[]> extra, long seed) {
    int n = base.size() + extra.size();
    int[] items = Arrays.copyOf(base.items(), n);
    int[] who = Arrays.copyOf(base.who(), n);
    int[] labels = Arrays.copyOf(base.labels(), n);
    for (int i = 0; i < extra.size(); i++) {
      items[base.size() + i] = extra.get(i)[0];
      who[base.size() + i] = extra.get(i)[1];
      labels[base.size() + i] = extra.get(i)[2];
    }
    int[] order = LearnBenchmark.shuffledOrder(n, SplitMix64.seeded(seed ^ 0xC0B1L));
    int[] shuffledItems = new int[n];
    int[] shuffledWho = new int[n];
    int[] shuffledLabels = new int[n];
    for (int i = 0; i < n; i++) {
      shuffledItems[i] = items[order[i]];
      shuffledWho[i] = who[order[i]];
      shuffledLabels[i] = labels[order[i]];
    }
    return new Events(ids, shuffledItems, shuffledWho, shuffledLabels);
  }

  private static int below(SplitMix64 rng, int bound) {
    return (int) Long.remainderUnsigned(rng.nextLong(), bound);
  }

  private static void put(Map<String, Object> figures, String name, double[] values) {
    figures.put(name, CrowdBenchmark.mean(values));
    figures.put(name + "_std", CrowdBenchmark.std(values));
  }

  private static LabelModel create(CrowdBenchmark.Options options, Data data, long seed, LabelModelSpec config) {
    return LabelModels.create(CrowdBenchmark.spec(options, data.dim(), seed), config);
  }

  private static List<Integer> ofKind(AnnotatorPool pool, String kind) {
    List<Integer> indices = new ArrayList<>();
    for (int a = 0; a < pool.size(); a++) {
      if (pool.get(a).kind().equals(kind)) {
        indices.add(a);
      }
    }
    return indices;
  }

  /** The stream's labels, those of the second half of experts and spammers redrawn as the other kind would say. */
  private static int[] swappedLabels(AnnotatorPool pool, LabelStream stream, int[] truth, List<Integer> experts,
      List<Integer> spammers, long seed) {
    int[] labels = stream.labels().clone();
    SplitMix64 rng = SplitMix64.seeded(seed ^ 0x5A5A5A5AL);
    SimulatedAnnotator spammer = pool.get(spammers.get(0));
    for (int e = stream.size() / 2; e < stream.size(); e++) {
      int who = stream.annotators()[e];
      int trueClass = truth[stream.items()[e]];
      if (experts.contains(who)) {
        labels[e] = spammer.label(trueClass, rng);
      } else if (spammers.contains(who)) {
        SimulatedAnnotator expert = pool.get(experts.get(spammers.indexOf(who) % experts.size()));
        labels[e] = expert.label(trueClass, rng);
      }
    }
    return labels;
  }

  /** Whether every former spammer is now estimated more reliable than every former expert. */
  private static boolean flipped(LabelModel model, AnnotatorPool pool, List<Integer> experts, List<Integer> spammers) {
    double lowestNewExpert = Double.POSITIVE_INFINITY;
    for (int a : spammers) {
      lowestNewExpert = Math.min(lowestNewExpert, model.annotator(pool.get(a).id()).reliability());
    }
    for (int a : experts) {
      if (model.annotator(pool.get(a).id()).reliability() >= lowestNewExpert) {
        return false;
      }
    }
    return true;
  }

  /** The mean over the swapped annotators of their labels in events {@code [from, to)}. */
  private static double meanLabels(Events events, int from, int to, List<Integer> experts, List<Integer> spammers) {
    long count = 0;
    for (int e = from; e < to; e++) {
      int who = events.who()[e];
      count += experts.contains(who) || spammers.contains(who) ? 1 : 0;
    }
    return (double) count / (experts.size() + spammers.size());
  }

  private static double accuracy(LabelModel model, Data data) {
    return accuracy(model, data.testX(), data.testY(), data.dim());
  }

  private static double accuracy(LabelModel model, float[] x, int[] y, int dim) {
    int correct = 0;
    for (int i = 0; i < y.length; i++) {
      correct += model.predict(x, i * dim) == y[i] ? 1 : 0;
    }
    return (double) correct / y.length;
  }

  /**
   * Trains on events {@code [from, to)} in minibatches; returns the end of the first minibatch after which
   * {@code check} holds, or -1 (always -1 without a check).
   */
  private static int train(CrowdBenchmark.Options options, Data data, LabelModel model, Events events, int from,
      int to, BooleanSupplier check) {
    int batch = options.batchSize();
    int dim = data.dim();
    float[] x = new float[batch * dim];
    long[] items = new long[batch];
    String[] annotators = new String[batch];
    int[] y = new int[batch];
    for (int start = from; start < to; start += batch) {
      int n = Math.min(batch, to - start);
      for (int e = 0; e < n; e++) {
        int item = events.items()[start + e];
        System.arraycopy(data.trainX(), item * dim, x, e * dim, dim);
        items[e] = item;
        annotators[e] = events.ids()[events.who()[start + e]];
        y[e] = events.labels()[start + e];
      }
      model.train(x, items, annotators, y, n);
      if (check != null && check.getAsBoolean()) {
        return start + n;
      }
    }
    return -1;
  }
}
