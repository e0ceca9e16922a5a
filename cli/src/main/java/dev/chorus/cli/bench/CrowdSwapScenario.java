package dev.chorus.cli.bench;

import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.core.annotators.DawidSkeneLabelModel;
import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.annotators.LabelStream;
import dev.chorus.core.annotators.SimulatedAnnotator;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.random.SplitMix64;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The crowd benchmark's scenario of annotators who change (docs: NOISY-LABELS.md): the protocol's pool labels the
 * training items as in the main track, but from the stream's midpoint on the experts answer as spammers and the
 * spammers as the experts did (spammer {@code j} takes expert {@code j}'s confusion). Dawid–Skene, whose confusions
 * forget with a half-life of {@link #HALF_LIFE_LABELS} labels ({@code labelModel.halfLifeLabels}), trains on the
 * stream in minibatches; after each minibatch of the second half the scenario checks whether the reliability ranking
 * has flipped, every former spammer estimated more reliable than every former expert.
 *
 * <p>Reported under {@code swap}, each the mean over the seeds with its sample standard deviation beside it
 * ({@code _std}): {@code ranking_flip_labels} (labels per swapped annotator from the midpoint until the flip, their
 * mean; NaN for a seed where it never flipped, and then for the mean) and {@code second_half_minus_first} (clean
 * test accuracy after the whole stream minus that after its first half); and {@code half_life_labels} and
 * {@code method}.
 */
final class CrowdSwapScenario {

  /** The half-life, in labels per annotator, of the confusions in the scenario. */
  static final double HALF_LIFE_LABELS = 200;

  private CrowdSwapScenario() {}

  /** Runs the scenario for every seed of {@code options}: {@code {ranking_flip_labels_mean: …, …}}. */
  static Map<String, Object> run(CrowdBenchmark.Options options, float[] trainX, int[] trainY, float[] testX,
      int[] testY, int dim) {
    int seeds = options.seeds().size();
    double[] flips = new double[seeds];
    double[] drift = new double[seeds];
    for (int s = 0; s < seeds; s++) {
      long seed = options.seeds().get(s);
      AnnotatorPool pool = AnnotatorPool.fashionMnist(seed);
      LabelStream stream = pool.label(trainY, AnnotatorPool.DEFAULT_LABELS_PER_ITEM, seed);
      List<Integer> experts = ofKind(pool, "expert");
      List<Integer> spammers = ofKind(pool, "spammer");
      int[] labels = swappedLabels(pool, stream, trainY, experts, spammers, seed);
      ModelSpec spec = CrowdBenchmark.spec(options, dim, seed);
      LabelModel model = LabelModels.create(spec, LabelModelSpec.withMaxAnnotators(DawidSkeneLabelModel.NAME,
          pool.size()).withHalfLifeLabels(HALF_LIFE_LABELS));
      int mid = stream.size() / 2;
      Trainer trainer = new Trainer(options.batchSize(), trainX, dim, pool, stream, labels);
      trainer.train(model, 0, mid, null);
      double first = accuracy(model, testX, testY, dim);
      int flippedAt = trainer.train(model, mid, stream.size(), () -> flipped(model, pool, experts, spammers));
      flips[s] = flippedAt < 0 ? Double.NaN : trainer.meanLabels(mid, flippedAt, experts, spammers);
      drift[s] = accuracy(model, testX, testY, dim) - first;
    }
    Map<String, Object> swap = new LinkedHashMap<>();
    swap.put("ranking_flip_labels", CrowdBenchmark.mean(flips));
    swap.put("ranking_flip_labels_std", CrowdBenchmark.std(flips));
    swap.put("second_half_minus_first", CrowdBenchmark.mean(drift));
    swap.put("second_half_minus_first_std", CrowdBenchmark.std(drift));
    swap.put("half_life_labels", HALF_LIFE_LABELS);
    swap.put("method", CrowdBenchmark.jsonName(DawidSkeneLabelModel.NAME));
    return swap;
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

  private static double accuracy(LabelModel model, float[] x, int[] y, int dim) {
    int correct = 0;
    for (int i = 0; i < y.length; i++) {
      correct += model.predict(x, i * dim) == y[i] ? 1 : 0;
    }
    return (double) correct / y.length;
  }

  /** Trains on stretches of the stream in minibatches. */
  private record Trainer(int batch, float[] trainX, int dim, AnnotatorPool pool, LabelStream stream, int[] labels) {

    interface Check {
      boolean holds();
    }

    /**
     * Trains on events {@code [from, to)}; returns the end of the first minibatch after which {@code check} holds,
     * or -1 (always -1 without a check).
     */
    int train(LabelModel model, int from, int to, Check check) {
      float[] x = new float[batch * dim];
      long[] items = new long[batch];
      String[] annotators = new String[batch];
      int[] y = new int[batch];
      for (int start = from; start < to; start += batch) {
        int n = Math.min(batch, to - start);
        for (int e = 0; e < n; e++) {
          int item = stream.items()[start + e];
          System.arraycopy(trainX, item * dim, x, e * dim, dim);
          items[e] = item;
          annotators[e] = pool.get(stream.annotators()[start + e]).id();
          y[e] = labels[start + e];
        }
        model.train(x, items, annotators, y, n);
        if (check != null && check.holds()) {
          return start + n;
        }
      }
      return -1;
    }

    /** The mean over the swapped annotators of their labels in events {@code [from, to)}. */
    double meanLabels(int from, int to, List<Integer> experts, List<Integer> spammers) {
      long count = 0;
      for (int e = from; e < to; e++) {
        int who = stream.annotators()[e];
        count += experts.contains(who) || spammers.contains(who) ? 1 : 0;
      }
      return (double) count / (experts.size() + spammers.size());
    }
  }
}
