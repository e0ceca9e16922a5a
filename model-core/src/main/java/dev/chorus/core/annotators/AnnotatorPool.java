package dev.chorus.core.annotators;

import dev.chorus.core.random.SplitMix64;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A seeded pool of {@link SimulatedAnnotator}s and the workload that spreads label events over them, as the
 * noisy-labels benchmark protocol describes. Everything is a pure function of the seeds.
 */
public final class AnnotatorPool {

  /** Classes of Fashion-MNIST. */
  public static final int FASHION_MNIST_CLASSES = 10;
  /** Groups of Fashion-MNIST classes that pair-confusers mix up: {T-shirt, Shirt}, {Pullover, Coat}, footwear. */
  public static final int[][] FASHION_MNIST_CONFUSABLE = {{0, 6}, {2, 4}, {5, 7, 9}};
  /** Labels per item, drawn uniformly by {@link #label(int[], long)}. */
  public static final int[] DEFAULT_LABELS_PER_ITEM = {1, 3, 5};
  /** Exponent of the Zipf-like workload: the annotator of rank {@code r} is picked with weight {@code 1/(r+1)^s}. */
  public static final double WORKLOAD_EXPONENT = 1.0;
  /** Accuracy of pair-confusers on classes outside their confusable groups, errors spread uniformly. */
  public static final double PAIR_CONFUSER_OTHER_ACCURACY = 0.95;
  /** Share of a competent annotator's errors that falls on its two favourite wrong classes per true class. */
  public static final double COMPETENT_CONCENTRATION = 0.8;
  /** Probability that the shifting adversary answers {@code k+1} for class {@code k}. */
  public static final double SHIFT_PROBABILITY = 0.7;

  private final List<SimulatedAnnotator> annotators;
  private final int numClasses;

  /**
   * A pool of the given annotators.
   *
   * @throws IllegalArgumentException if it is empty or the annotators disagree on the number of classes
   */
  public AnnotatorPool(List<SimulatedAnnotator> annotators) {
    if (annotators.isEmpty()) {
      throw new IllegalArgumentException("an annotator pool needs at least one annotator");
    }
    this.numClasses = annotators.get(0).numClasses();
    for (SimulatedAnnotator a : annotators) {
      if (a.numClasses() != numClasses) {
        throw new IllegalArgumentException("annotator " + a.id() + " has " + a.numClasses() + " classes, expected "
            + numClasses);
      }
    }
    this.annotators = List.copyOf(annotators);
  }

  /**
   * The benchmark pool for Fashion-MNIST: {@code 3} experts, {@code 4} competent annotators, {@code 3}
   * pair-confusers, {@code 2} spammers and the two adversaries, with parameters drawn from {@code seed}.
   */
  public static AnnotatorPool fashionMnist(long seed) {
    return fashionMnist(seed, 3, 4, 3, 2);
  }

  /** A Fashion-MNIST pool with the given numbers of each kind, plus the two adversaries. */
  public static AnnotatorPool fashionMnist(long seed, int experts, int competent, int pairConfusers, int spammers) {
    int k = FASHION_MNIST_CLASSES;
    SplitMix64 rng = SplitMix64.seeded(seed);
    List<SimulatedAnnotator> pool = new ArrayList<>();
    for (int i = 0; i < experts; i++) {
      pool.add(new SimulatedAnnotator("expert-" + i, "expert", uniformErrors(k, uniform(rng, 0.92, 0.98))));
    }
    for (int i = 0; i < competent; i++) {
      pool.add(new SimulatedAnnotator("competent-" + i, "competent", competent(k, rng)));
    }
    for (int i = 0; i < pairConfusers; i++) {
      pool.add(new SimulatedAnnotator("pair-confuser-" + i, "pair-confuser",
          pairConfuser(k, FASHION_MNIST_CONFUSABLE, uniform(rng, 0.3, 0.5))));
    }
    for (int i = 0; i < spammers; i++) {
      pool.add(new SimulatedAnnotator("spammer-" + i, "spammer", uniformErrors(k, 1.0 / k)));
    }
    pool.add(new SimulatedAnnotator("adversary-constant", "adversary-constant",
        constant(k, (int) Long.remainderUnsigned(rng.nextLong(), k))));
    pool.add(new SimulatedAnnotator("adversary-shift", "adversary-shift", shift(k, SHIFT_PROBABILITY)));
    return new AnnotatorPool(pool);
  }

  /**
   * The corruption track: one annotator who replaces the true class by a uniformly drawn other class with
   * probability {@code p}.
   */
  public static AnnotatorPool corruption(int numClasses, double p) {
    if (!(p >= 0 && p <= 1) || numClasses < 2) {
      throw new IllegalArgumentException("corruption needs p in [0, 1] and at least 2 classes, got p=" + p
          + ", numClasses=" + numClasses);
    }
    return new AnnotatorPool(List.of(new SimulatedAnnotator("corrupter", "corrupter",
        uniformErrors(numClasses, 1 - p))));
  }

  public List<SimulatedAnnotator> annotators() {
    return annotators;
  }

  public SimulatedAnnotator get(int index) {
    return annotators.get(index);
  }

  public int size() {
    return annotators.size();
  }

  public int numClasses() {
    return numClasses;
  }

  /** {@link #label(int[], int[], long)} with 1, 3 or 5 labels per item. */
  public LabelStream label(int[] trueLabels, long seed) {
    return label(trueLabels, DEFAULT_LABELS_PER_ITEM, seed);
  }

  /**
   * Labels every item: item {@code i} gets a number of labels drawn uniformly from {@code labelsPerItem} (at
   * most the pool size), from distinct annotators drawn with Zipf-like weights over a seeded ranking of the
   * pool, each label drawn from its annotator's row for {@code trueLabels[i]}. The events are then shuffled,
   * so an item's labels arrive far apart.
   */
  public LabelStream label(int[] trueLabels, int[] labelsPerItem, long seed) {
    if (labelsPerItem.length == 0) {
      throw new IllegalArgumentException("labelsPerItem must offer at least one count, got none");
    }
    SplitMix64 rng = SplitMix64.seeded(seed);
    int m = annotators.size();
    int[] rankOf = shuffled(m, rng);
    double[] weight = new double[m];
    for (int a = 0; a < m; a++) {
      weight[a] = 1 / Math.pow(rankOf[a] + 1, WORKLOAD_EXPONENT);
    }
    int total = 0;
    int[] counts = new int[trueLabels.length];
    for (int i = 0; i < trueLabels.length; i++) {
      int count = labelsPerItem[(int) Long.remainderUnsigned(rng.nextLong(), labelsPerItem.length)];
      if (count < 1) {
        throw new IllegalArgumentException("labelsPerItem entries must be >= 1, got " + count);
      }
      counts[i] = Math.min(count, m);
      total += counts[i];
    }
    int[] items = new int[total];
    int[] who = new int[total];
    int[] labels = new int[total];
    double[] remaining = new double[m];
    int e = 0;
    for (int i = 0; i < trueLabels.length; i++) {
      System.arraycopy(weight, 0, remaining, 0, m);
      for (int j = 0; j < counts[i]; j++) {
        int a = draw(remaining, rng);
        remaining[a] = 0;
        items[e] = i;
        who[e] = a;
        labels[e] = annotators.get(a).label(trueLabels[i], rng);
        e++;
      }
    }
    int[] order = shuffled(total, rng);
    return new LabelStream(permute(items, order), permute(who, order), permute(labels, order));
  }

  private static int draw(double[] weights, SplitMix64 rng) {
    double sum = 0;
    for (double w : weights) {
      sum += w;
    }
    double u = rng.nextDouble() * sum;
    int last = -1;
    for (int a = 0; a < weights.length; a++) {
      if (weights[a] > 0) {
        last = a;
        u -= weights[a];
        if (u < 0) {
          return a;
        }
      }
    }
    return last;
  }

  private static int[] shuffled(int n, SplitMix64 rng) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = (int) Long.remainderUnsigned(rng.nextLong(), i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }

  private static int[] permute(int[] values, int[] order) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[order[i]];
    }
    return out;
  }

  private static double uniform(SplitMix64 rng, double low, double high) {
    return low + (high - low) * rng.nextDouble();
  }

  /** Accuracy {@code accuracy} on every class, errors spread uniformly over the other classes. */
  static double[][] uniformErrors(int k, double accuracy) {
    double[][] m = new double[k][k];
    for (int c = 0; c < k; c++) {
      for (int j = 0; j < k; j++) {
        m[c][j] = c == j ? accuracy : (1 - accuracy) / (k - 1);
      }
    }
    return m;
  }

  private static double[][] competent(int k, SplitMix64 rng) {
    double[][] m = new double[k][k];
    for (int c = 0; c < k; c++) {
      double accuracy = uniform(rng, 0.60, 0.85);
      double error = 1 - accuracy;
      int first = (c + 1 + (int) Long.remainderUnsigned(rng.nextLong(), k - 1)) % k;
      int second = first;
      while (second == first) {
        second = (c + 1 + (int) Long.remainderUnsigned(rng.nextLong(), k - 1)) % k;
      }
      for (int j = 0; j < k; j++) {
        m[c][j] = j == c ? accuracy : error * (1 - COMPETENT_CONCENTRATION) / (k - 1);
      }
      m[c][first] += error * COMPETENT_CONCENTRATION / 2;
      m[c][second] += error * COMPETENT_CONCENTRATION / 2;
    }
    return m;
  }

  private static double[][] pairConfuser(int k, int[][] groups, double flip) {
    double[][] m = uniformErrors(k, PAIR_CONFUSER_OTHER_ACCURACY);
    for (int[] group : groups) {
      for (int c : group) {
        Arrays.fill(m[c], 0);
        for (int j : group) {
          m[c][j] = j == c ? 1 - flip : flip / (group.length - 1);
        }
      }
    }
    return m;
  }

  private static double[][] constant(int k, int answer) {
    double[][] m = new double[k][k];
    for (int c = 0; c < k; c++) {
      m[c][answer] = 1;
    }
    return m;
  }

  private static double[][] shift(int k, double p) {
    double[][] m = new double[k][k];
    for (int c = 0; c < k; c++) {
      m[c][c] = 1 - p;
      m[c][(c + 1) % k] = p;
    }
    return m;
  }
}
