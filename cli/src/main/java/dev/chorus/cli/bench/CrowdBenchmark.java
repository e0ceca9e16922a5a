package dev.chorus.cli.bench;

import dev.chorus.cli.data.IdxReader;
import dev.chorus.core.annotators.AnnotatorModel;
import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.annotators.LabelStream;
import dev.chorus.core.annotators.NaiveLabelModel;
import dev.chorus.core.annotators.SimulatedAnnotator;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.TrainingSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongFunction;

/**
 * The noisy-labels benchmark (docs: NOISY-LABELS.md), in memory: for each seed, the seeded Fashion-MNIST
 * {@link AnnotatorPool} labels the training images ({@link AnnotatorPool#label(int[], long)}: 1, 3 or 5 labels
 * per item, Zipf-like workload, events shuffled), every {@link LabelModels} method trains on the label events
 * in that order for the given passes, in minibatches, and is scored on the clean test set; the fair oracle (the
 * naive method on the same events with each label replaced by the item's clean one) gives the ceiling.
 *
 * <p>Validation: one training item in {@link #VALIDATION_EVERY} (the last tenth of the items used) is held out, never
 * labelled nor trained on; every choice the benchmark makes (the best noise-aware method of a corruption level) and
 * every learning curve is on the validation items' clean labels, and the clean test set is scored once per run, at
 * the end, for the reported accuracy.
 *
 * <p>Scores, each as mean and (sample) standard deviation over the seeds, under {@code <model>.<method>.}:
 * {@code accuracy_mean|std} (clean test accuracy), {@code validation_accuracy_mean|std} (the held-out training
 * items' clean labels), {@code confusion_error_mean|std} (mean over annotators of
 * the Frobenius norm of estimated minus true confusion, divided by K) and {@code spearman_mean|std} (Spearman
 * rank correlation of estimated reliability with the simulator's true accuracy, over annotators), and
 * {@code label_events} (events trained on, summed over the seeds: the oracle's equal the methods'). The oracle
 * reports accuracies only. {@code <model>} is {@code softmax} or {@code mlp<units>}.
 *
 * <p>The corruption track, for each level {@code p}: one annotator labels each training item once, replacing
 * the true class by a uniformly drawn other class with probability {@code p}; every method is scored as above
 * (without Spearman's correlation, which one annotator cannot have) under
 * {@code <model>.corruption.p<p>.<method>.}, e.g. {@code softmax.corruption.p0_5.dawid_skene.accuracy_mean}; each
 * level also names its best noise-aware method ({@code .method}) and that method's {@code .accuracy_mean}, and
 * gives {@code .min_method_minus_naive}.
 *
 * <p>For the charts ({@link Plots#crowd}), the main track also records {@code <model>.curves.<method>}, the mean
 * validation accuracy over the seeds at the quarters of every pass ({@code passes}, {@code accuracy_mean}; the last is
 * {@code validation_accuracy_mean}), and {@code <model>.confusions}: for the first seed, the true confusion ({@code true}) and each
 * method's estimate of the first annotator of each of the pool's first {@link #CONFUSION_KINDS} kinds, under
 * {@code annotators.<id>}.
 */
public final class CrowdBenchmark {

  /** Adam step size of every benchmarked model, as in {@link LearnBenchmark}. */
  public static final double LEARNING_RATE = LearnBenchmark.LEARNING_RATE;
  /** Key of the oracle among the methods. */
  public static final String ORACLE = "oracle";
  /** The corruption track's levels in the protocol. */
  public static final List<Double> PROTOCOL_CORRUPTION = List.of(0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8);
  private static final String[] SCORES = {"accuracy", "confusion_error", "spearman", "validation_accuracy"};
  /** One training item in this many is held out for validation: never labelled, never trained on. */
  public static final int VALIDATION_EVERY = 10;
  /** A learning curve's points in each pass, at its quarters. */
  static final int CURVE_POINTS_PER_PASS = 4;
  /** Kinds of annotator whose confusions the results keep, the first of each, in pool order. */
  static final int CONFUSION_KINDS = 3;

  /**
   * What to run.
   *
   * @param dataDir directory of the four IDX files (gzip-compressed or not)
   * @param hiddenUnits 0 for softmax regression, else one hidden ReLU layer of that many units
   * @param passes passes over the label stream
   * @param batchSize label events per minibatch
   * @param seeds one run per seed: seeds the pool, the workload and the models
   * @param methods the label models to run, names from {@link LabelModels#NAMES}
   * @param trainItems how many training images to use, from the start, a tenth of them held out for validation;
   *     0 for all
   * @param corruption levels {@code p} of the corruption track to run; empty to skip it
   * @param averagingDecay every model's spec predicts from averaged weights with this decay (the spec's
   *     {@code "averaging"}), the oracle's and naive's too; null for none
   */
  public record Options(Path dataDir, int hiddenUnits, int passes, int batchSize, List<Long> seeds,
      List<String> methods, int trainItems, List<Double> corruption, Double averagingDecay) {

    /** Without averaging. */
    public Options(Path dataDir, int hiddenUnits, int passes, int batchSize, List<Long> seeds, List<String> methods,
        int trainItems, List<Double> corruption) {
      this(dataDir, hiddenUnits, passes, batchSize, seeds, methods, trainItems, corruption, null);
    }

    /** @throws IllegalArgumentException if a value is out of range */
    public Options {
      Objects.requireNonNull(dataDir, "dataDir");
      seeds = List.copyOf(seeds);
      methods = List.copyOf(methods);
      corruption = List.copyOf(corruption);
      if (averagingDecay != null && !(averagingDecay > 0 && averagingDecay < 1)) {
        throw new IllegalArgumentException("averaging decay must be in (0, 1), got " + averagingDecay);
      }
      for (double p : corruption) {
        if (!(p >= 0 && p <= 1)) {
          throw new IllegalArgumentException("corruption levels must be in [0, 1], got " + p);
        }
      }
      if (hiddenUnits < 0 || passes < 1 || batchSize < 1 || seeds.isEmpty() || trainItems < 0) {
        throw new IllegalArgumentException("crowd benchmark needs hiddenUnits >= 0, passes >= 1, batchSize >= 1, "
            + "at least one seed and trainItems >= 0; got " + hiddenUnits + ", " + passes + ", " + batchSize + ", "
            + seeds + ", " + trainItems);
      }
      for (String method : methods) {
        if (!LabelModels.NAMES.contains(method)) {
          throw new IllegalArgumentException("unknown method \"" + method + "\", expected one of " + LabelModels.NAMES);
        }
      }
    }

    /**
     * The protocol's defaults: softmax regression, one pass, minibatches of 64, seeds 0–4, every method, all
     * items, the protocol's corruption levels.
     */
    public static Options defaults(Path dataDir) {
      return new Options(dataDir, 0, 1, TrainingSpec.DEFAULT_BATCH_SIZE, List.of(0L, 1L, 2L, 3L, 4L), LabelModels.NAMES,
          0, PROTOCOL_CORRUPTION);
    }
  }

  /** The labelled training items, the held-out validation items (clean labels) and the clean test set. */
  private record Data(float[] trainX, int[] trainY, float[] validationX, int[] validationY, float[] testX, int[] testY,
      int dim) {}

  private CrowdBenchmark() {}

  /**
   * Runs the benchmark and returns {@code {<model>: {<method>: {accuracy_mean: …, …}}, config: {…}}}.
   *
   * @throws IOException if the data set cannot be read
   */
  public static Map<String, Object> run(Options options, LearnBenchmark.Progress progress) throws IOException {
    long started = System.nanoTime();
    Data data = load(options.dataDir(), options.trainItems());
    String modelKey = options.hiddenUnits() == 0 ? "softmax" : "mlp" + options.hiddenUnits();
    List<String> methods = new ArrayList<>(options.methods());
    methods.add(ORACLE);
    long runsPerSeed = methods.size() + (long) options.corruption().size() * options.methods().size();
    Tally tally = new Tally(progress, options.seeds().size() * runsPerSeed);
    Map<String, Object> model = track(options, data, modelKey, methods, AnnotatorPool::fashionMnist,
        AnnotatorPool.DEFAULT_LABELS_PER_ITEM, tally, true);
    if (!options.corruption().isEmpty()) {
      Map<String, Object> corruption = new LinkedHashMap<>();
      for (double p : options.corruption()) {
        Map<String, Object> level = track(options, data, modelKey + " corruption " + p, options.methods(),
            seed -> AnnotatorPool.corruption(AnnotatorPool.FASHION_MNIST_CLASSES, p), new int[] {1}, tally, false);
        nameBestNoiseAware(level);
        corruption.put(corruptionKey(p), level);
      }
      model.put("corruption", corruption);
    }
    model.putAll(CrowdScenarios.run(options, data.trainX(), data.trainY(), data.validationX(),
        data.validationY(), data.testX(), data.testY(), data.dim()));
    progress.update("done", tally.done, tally.total);
    Map<String, Object> results = new LinkedHashMap<>();
    results.put(modelKey, model);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("data_dir", options.dataDir().toString());
    config.put("train_items", data.trainY().length);
    config.put("validation_items", data.validationY().length);
    config.put("test_examples", data.testY().length);
    config.put("passes", options.passes());
    config.put("batch_size", options.batchSize());
    config.put("seeds", options.seeds());
    config.put("corruption", options.corruption());
    config.put("learning_rate", LEARNING_RATE);
    results.put("config", config);
    results.put("seconds", (System.nanoTime() - started) / 1e9);
    return results;
  }

  /** Progress over all runs of all tracks. */
  private static final class Tally {
    final LearnBenchmark.Progress progress;
    final long total;
    long done;

    Tally(LearnBenchmark.Progress progress, long total) {
      this.progress = progress;
      this.total = total;
    }
  }

  /** A method's key in the results: its name with underscores ({@code dawid_skene}), as JSON consumers expect. */
  static String jsonName(String method) {
    return method.replace('-', '_');
  }

  /**
   * Adds to a corruption level the best noise-aware method (every method but naive and the oracle), chosen by its
   * mean validation accuracy, and that method's mean test accuracy, as {@code method} and {@code accuracy_mean}; and, when naive ran, the least over the other methods of
   * their mean accuracy minus naive's, as {@code min_method_minus_naive} (at least 0: no method collapses below
   * naive).
   */
  @SuppressWarnings("unchecked")
  private static void nameBestNoiseAware(Map<String, Object> level) {
    String best = null;
    double bestAccuracy = Double.NEGATIVE_INFINITY;
    for (Map.Entry<String, Object> e : level.entrySet()) {
      if (e.getKey().equals("naive") || e.getKey().equals(ORACLE) || !(e.getValue() instanceof Map)) {
        continue;
      }
      double accuracy = ((Number) ((Map<String, Object>) e.getValue()).get("validation_accuracy_mean")).doubleValue();
      if (accuracy > bestAccuracy) {
        bestAccuracy = accuracy;
        best = e.getKey();
      }
    }
    if (best != null) {
      level.put("method", best);
      level.put("accuracy_mean", ((Map<String, Object>) level.get(best)).get("accuracy_mean"));
    }
    if (level.get("naive") instanceof Map<?, ?> naive) {
      double least = Double.POSITIVE_INFINITY;
      for (Map.Entry<String, Object> e : level.entrySet()) {
        if (!e.getKey().equals("naive") && e.getValue() instanceof Map<?, ?> row) {
          least = Math.min(least, ((Number) row.get("accuracy_mean")).doubleValue()
              - ((Number) naive.get("accuracy_mean")).doubleValue());
        }
      }
      if (least != Double.POSITIVE_INFINITY) {
        level.put("min_method_minus_naive", least);
      }
    }
  }

  /** {@code p0_5} for {@code p = 0.5}, {@code p0} for 0: the key of a corruption level, free of dots. */
  static String corruptionKey(double p) {
    return "p" + java.math.BigDecimal.valueOf(p).stripTrailingZeros().toPlainString().replace('.', '_');
  }

  /**
   * Runs {@code methods} for every seed on the stream that {@code pools}' pool for that seed gives the training
   * items, and returns {@code {<method>: {<score>_mean, <score>_std, …}}}. Spearman's correlation is reported
   * only when the pool has more than one annotator, and the oracle only has an accuracy. With {@code detail}, also
   * {@code curves} and {@code confusions} (see the class comment).
   */
  private static Map<String, Object> track(Options options, Data data, String phase, List<String> methods,
      LongFunction<AnnotatorPool> pools, int[] labelsPerItem, Tally tally, boolean detail) {
    Map<String, double[][]> scores = new LinkedHashMap<>();
    Map<String, double[][]> curves = new LinkedHashMap<>();
    for (String method : methods) {
      scores.put(method, new double[SCORES.length][options.seeds().size()]);
      curves.put(method, new double[options.seeds().size()][]);
    }
    Map<String, Object> confusions = new LinkedHashMap<>();
    int poolSize = 0;
    long events = 0;
    for (int s = 0; s < options.seeds().size(); s++) {
      long seed = options.seeds().get(s);
      AnnotatorPool pool = pools.apply(seed);
      poolSize = pool.size();
      LabelStream stream = pool.label(data.trainY(), labelsPerItem, seed);
      Map<String, Map<String, Object>> shown = new LinkedHashMap<>();
      if (detail && s == 0) {
        confusions.put("seed", seed);
        confusions.put("annotators", shown);
        for (SimulatedAnnotator annotator : firstOfKinds(pool, CONFUSION_KINDS)) {
          shown.computeIfAbsent(annotator.id(), id -> new LinkedHashMap<>()).put("true", copy(annotator.confusion()));
        }
      }
      events += (long) stream.size() * options.passes();
      for (String method : methods) {
        tally.progress.update(phase + " " + method + " seed " + seed, tally.done, tally.total);
        ModelSpec spec = spec(options, data.dim(), seed);
        Outcome outcome = method.equals(ORACLE)
            ? oracle(options, data, pool, stream, spec, detail)
            : runMethod(options, data, pool, stream, method, spec, detail);
        double[][] table = scores.get(method);
        for (int m = 0; m < SCORES.length; m++) {
          table[m][s] = outcome.scores()[m];
        }
        curves.get(method)[s] = outcome.curve();
        if (outcome.model() != null) {
          shown.forEach((id, matrices) -> matrices.put(jsonName(method),
              copy(outcome.model().annotator(id).confusion())));
        }
        tally.done++;
      }
    }
    Map<String, Object> track = new LinkedHashMap<>();
    for (String method : methods) {
      Map<String, Object> figures = new LinkedHashMap<>();
      double[][] table = scores.get(method);
      int reported = method.equals(ORACLE) ? 1 : poolSize > 1 ? 3 : 2;
      for (int m = 0; m < SCORES.length; m++) {
        if (m < reported || m == SCORES.length - 1) {
          figures.put(SCORES[m] + "_mean", mean(table[m]));
          figures.put(SCORES[m] + "_std", std(table[m]));
        }
      }
      figures.put("label_events", events);
      track.put(jsonName(method), figures);
    }
    if (detail) {
      Map<String, Object> curveMeans = new LinkedHashMap<>();
      curves.forEach((method, bySeed) -> curveMeans.put(jsonName(method), meanCurve(bySeed)));
      track.put("curves", curveMeans);
      track.put("confusions", confusions);
    }
    return track;
  }

  /** A method's scores on one seed, its accuracy at each curve point, and the model it trained. */
  private record Outcome(double[] scores, double[] curve, LabelModel model) {}

  /** {@code [{passes, accuracy_mean}]}: the mean over seeds at each point, {@code bySeed[seed][point]}. */
  private static List<Map<String, Object>> meanCurve(double[][] bySeed) {
    List<Map<String, Object>> curve = new ArrayList<>();
    for (int point = 0; point < bySeed[0].length; point++) {
      double[] atPoint = new double[bySeed.length];
      for (int s = 0; s < bySeed.length; s++) {
        atPoint[s] = bySeed[s][point];
      }
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("passes", (point + 1) / (double) CURVE_POINTS_PER_PASS);
      figures.put("accuracy_mean", mean(atPoint));
      curve.add(figures);
    }
    return curve;
  }

  /** The first annotator of each of the pool's first {@code kinds} kinds, in pool order. */
  private static List<SimulatedAnnotator> firstOfKinds(AnnotatorPool pool, int kinds) {
    Map<String, SimulatedAnnotator> first = new LinkedHashMap<>();
    for (SimulatedAnnotator annotator : pool.annotators()) {
      if (first.size() == kinds) {
        break;
      }
      first.putIfAbsent(annotator.kind(), annotator);
    }
    return List.copyOf(first.values());
  }

  private static double[][] copy(double[][] matrix) {
    double[][] copy = new double[matrix.length][];
    for (int r = 0; r < matrix.length; r++) {
      copy[r] = matrix[r].clone();
    }
    return copy;
  }

  static ModelSpec spec(Options options, int dim, long seed) {
    String layers = options.hiddenUnits() == 0 ? ""
        : ",\"layers\":[{\"units\":" + options.hiddenUnits() + ",\"activation\":\"relu\"}]";
    String algorithm = options.hiddenUnits() == 0 ? ModelSpec.SOFTMAX_REGRESSION : ModelSpec.MLP;
    return ModelSpec.parse("{\"algorithm\":\"" + algorithm + "\",\"inputDim\":" + dim + ",\"numClasses\":"
        + AnnotatorPool.FASHION_MNIST_CLASSES + layers + ",\"batchSize\":" + options.batchSize()
        + ",\"optimizer\":{\"type\":\"adam\",\"learningRate\":" + LEARNING_RATE + "}"
        + (options.averagingDecay() == null ? "" : ",\"averaging\":{\"decay\":" + options.averagingDecay() + "}")
        + ",\"seed\":" + seed + "}");
  }

  /** Trains {@code method} on the stream; scores accuracy, confusion error and Spearman correlation. */
  private static Outcome runMethod(Options options, Data data, AnnotatorPool pool, LabelStream stream,
      String method, ModelSpec spec, boolean curve) {
    LabelModel model = LabelModels.create(spec, LabelModelSpec.withMaxAnnotators(method, pool.size()));
    String[] ids = new String[pool.size()];
    for (int a = 0; a < ids.length; a++) {
      ids[a] = pool.get(a).id();
    }
    double[] validation = train(options, data, model, stream.items(), stream.annotators(), ids, stream.labels(),
        curve);
    int k = AnnotatorPool.FASHION_MNIST_CLASSES;
    double error = 0;
    double[] estimated = new double[pool.size()];
    double[] truth = new double[pool.size()];
    for (int a = 0; a < pool.size(); a++) {
      SimulatedAnnotator annotator = pool.get(a);
      AnnotatorModel learned = model.annotator(annotator.id());
      error += frobenius(learned.confusion(), annotator.confusion()) / k;
      estimated[a] = learned.reliability();
      truth[a] = annotator.accuracy();
    }
    return new Outcome(new double[] {accuracy(model, data.testX(), data.testY(), data.dim()), error / pool.size(),
        spearman(estimated, truth), validation[validation.length - 1]}, curve ? validation : null, model);
  }

  /**
   * The fair oracle: the naive method on the same event stream as the methods, in the same order and minibatches,
   * each label replaced by the item's clean one, so it takes as many steps as they do.
   */
  private static Outcome oracle(Options options, Data data, AnnotatorPool pool, LabelStream stream, ModelSpec spec,
      boolean curve) {
    LabelModel model = LabelModels.create(spec, LabelModelSpec.withMaxAnnotators(NaiveLabelModel.NAME, pool.size()));
    String[] ids = new String[pool.size()];
    for (int a = 0; a < ids.length; a++) {
      ids[a] = pool.get(a).id();
    }
    double[] validation = train(options, data, model, stream.items(), stream.annotators(), ids,
        cleanLabels(stream, data.trainY()), curve);
    return new Outcome(new double[] {accuracy(model, data.testX(), data.testY(), data.dim()), Double.NaN, Double.NaN,
        validation[validation.length - 1]}, curve ? validation : null, null);
  }

  /** Each event's label replaced by its item's clean label. */
  static int[] cleanLabels(LabelStream stream, int[] trainY) {
    int[] labels = new int[stream.size()];
    for (int e = 0; e < labels.length; e++) {
      labels[e] = trainY[stream.items()[e]];
    }
    return labels;
  }

  /**
   * Trains {@code model} for the options' passes and returns its validation accuracy at the end, preceded, with
   * {@code curve}, by its validation accuracy at every quarter of every pass (the last quarter being the end). The
   * test set is not looked at here: the caller scores it once, after training.
   */
  private static double[] train(Options options, Data data, LabelModel model, int[] items, int[] who, String[] ids,
      int[] labels, boolean curve) {
    int points = curve ? CURVE_POINTS_PER_PASS : 0;
    double[] accuracies = new double[curve ? options.passes() * points : 1];
    int batch = options.batchSize();
    int dim = data.dim();
    float[] x = new float[batch * dim];
    long[] itemIds = new long[batch];
    String[] annotators = new String[batch];
    int[] y = new int[batch];
    for (int pass = 0; pass < options.passes(); pass++) {
      int next = 1;
      for (int start = 0; start < items.length; start += batch) {
        int n = Math.min(batch, items.length - start);
        for (int e = 0; e < n; e++) {
          int item = items[start + e];
          System.arraycopy(data.trainX(), item * dim, x, e * dim, dim);
          itemIds[e] = item;
          annotators[e] = ids[who[start + e]];
          y[e] = labels[start + e];
        }
        model.train(x, itemIds, annotators, y, n);
        if (next <= points && start + n >= (long) next * items.length / points) {
          double accuracy = accuracy(model, data.validationX(), data.validationY(), dim);
          for (; next <= points && start + n >= (long) next * items.length / points; next++) {
            accuracies[pass * points + next - 1] = accuracy;
          }
        }
      }
    }
    if (!curve) {
      accuracies[0] = accuracy(model, data.validationX(), data.validationY(), dim);
    }
    return accuracies;
  }

  private static double accuracy(LabelModel model, float[] x, int[] y, int dim) {
    float[] p = new float[model.numClasses()];
    int correct = 0;
    for (int i = 0; i < y.length; i++) {
      model.predictProba(x, i * dim, p);
      int best = 0;
      for (int c = 1; c < p.length; c++) {
        if (p[c] > p[best]) {
          best = c;
        }
      }
      correct += best == y[i] ? 1 : 0;
    }
    return (double) correct / y.length;
  }

  static double frobenius(double[][] a, double[][] b) {
    double sum = 0;
    for (int c = 0; c < a.length; c++) {
      for (int j = 0; j < a[c].length; j++) {
        double diff = a[c][j] - b[c][j];
        sum += diff * diff;
      }
    }
    return Math.sqrt(sum);
  }

  /** Spearman's rank correlation: Pearson's on ranks, ties sharing their mean rank; NaN if either side is constant. */
  static double spearman(double[] a, double[] b) {
    double[] ra = ranks(a);
    double[] rb = ranks(b);
    double ma = mean(ra);
    double mb = mean(rb);
    double cov = 0;
    double va = 0;
    double vb = 0;
    for (int i = 0; i < a.length; i++) {
      cov += (ra[i] - ma) * (rb[i] - mb);
      va += (ra[i] - ma) * (ra[i] - ma);
      vb += (rb[i] - mb) * (rb[i] - mb);
    }
    return va == 0 || vb == 0 ? Double.NaN : cov / Math.sqrt(va * vb);
  }

  private static double[] ranks(double[] values) {
    Integer[] order = new Integer[values.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (i, j) -> Double.compare(values[i], values[j]));
    double[] ranks = new double[values.length];
    for (int start = 0; start < order.length; ) {
      int end = start;
      while (end + 1 < order.length && values[order[end + 1]] == values[order[start]]) {
        end++;
      }
      double rank = (start + end) / 2.0 + 1;
      for (int i = start; i <= end; i++) {
        ranks[order[i]] = rank;
      }
      start = end + 1;
    }
    return ranks;
  }

  static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum / values.length;
  }

  /** Sample standard deviation; 0 for a single value. */
  static double std(double[] values) {
    if (values.length < 2) {
      return 0;
    }
    double m = mean(values);
    double sum = 0;
    for (double v : values) {
      sum += (v - m) * (v - m);
    }
    return Math.sqrt(sum / (values.length - 1));
  }

  private static Data load(Path dir, int trainItems) throws IOException {
    IdxReader.Images trainImages = IdxReader.readImages(find(dir, LearnBenchmark.TRAIN_IMAGES));
    int[] trainLabels = IdxReader.readLabels(find(dir, LearnBenchmark.TRAIN_LABELS));
    IdxReader.Images testImages = IdxReader.readImages(find(dir, LearnBenchmark.TEST_IMAGES));
    int[] testLabels = IdxReader.readLabels(find(dir, LearnBenchmark.TEST_LABELS));
    int dim = trainImages.pixelsPerImage();
    if (trainImages.count() != trainLabels.length || testImages.count() != testLabels.length
        || testImages.pixelsPerImage() != dim) {
      throw new IOException(dir + ": expected matching image and label counts and equal image sizes, got training "
          + trainImages.count() + " images of " + dim + " pixels and " + trainLabels.length + " labels, test "
          + testImages.count() + " images of " + testImages.pixelsPerImage() + " pixels and " + testLabels.length
          + " labels");
    }
    for (int[] labels : new int[][] {trainLabels, testLabels}) {
      for (int label : labels) {
        if (label < 0 || label >= AnnotatorPool.FASHION_MNIST_CLASSES) {
          throw new IOException(dir + ": expected labels in [0, " + AnnotatorPool.FASHION_MNIST_CLASSES
              + "), found " + label);
        }
      }
    }
    int n = trainItems == 0 ? trainLabels.length : Math.min(trainItems, trainLabels.length);
    int held = n / VALIDATION_EVERY;
    int kept = n - held;
    return new Data(Arrays.copyOf(trainImages.pixels(), kept * dim), Arrays.copyOf(trainLabels, kept),
        Arrays.copyOfRange(trainImages.pixels(), kept * dim, n * dim), Arrays.copyOfRange(trainLabels, kept, n),
        testImages.pixels(), testLabels, dim);
  }

  private static Path find(Path dir, String name) throws IOException {
    for (Path candidate : new Path[] {dir.resolve(name + ".gz"), dir.resolve(name)}) {
      if (Files.isReadable(candidate)) {
        return candidate;
      }
    }
    throw new IOException(dir + ": neither " + name + ".gz nor " + name + " is a readable file"
        + " (install Debian's dataset-fashion-mnist, or give the directory of an MNIST-format data set)");
  }
}
