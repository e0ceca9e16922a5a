package dev.chorus.cli.bench;

import dev.chorus.cli.data.IdxReader;
import dev.chorus.core.blas.Blas;
import dev.chorus.core.blas.BlasBackend;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.random.SplitMix64;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The {@code bench learn} harness: trains Chorus's models in memory on an MNIST-format data set
 * (Fashion-MNIST in practice) and reports test accuracy and training throughput, beside this machine's
 * sgemm peak and, when Python with scikit-learn is present, scikit-learn's figures under the same
 * conditions.
 *
 * <p>Protocol. One pass is every training example once, in minibatches of {@link Options#batchSize()}, in
 * an order shuffled by a seeded {@link SplitMix64} (each pass draws a new order from the same generator).
 * Pixels are scaled to {@code [0, 1]} by {@link IdxReader}; the models standardise online as their spec
 * says. Test accuracy is measured on the whole clean test set after the pass. Throughput is examples per
 * second of {@link OnlineLearner#trainMinibatch} summed over the passes of a run; copying rows into the
 * minibatch buffer and evaluating are not timed. The MLP's GFLOP/s count the multiply-adds of its dense
 * layers only: per example {@code 2(d·h + h·k)} forward, as many for the weight gradients and
 * {@code 2h·k} for the hidden layer's input gradient ({@code d} inputs, {@code h} hidden units,
 * {@code k} classes).
 *
 * <p>The result is a nested map whose dotted paths are stable, for example
 * {@code softmax.one_pass.test_accuracy}, {@code mlp256.native.examples_per_s},
 * {@code mlp256.native.fraction_of_peak}, {@code sgemm_peak_gflops}, {@code blas_backend},
 * {@code peers.sklearn_mlp256.one_pass.test_accuracy}. A model or peer that cannot run here reports
 * {@code {"unavailable": reason}} in its place instead of failing the whole benchmark. Timings are keyed by
 * backend: {@code native}, {@code vector_api} or {@code java}. The default backend ({@code Blas.get()})
 * trains every model; the MLP also trains one pass on each other backend, for its throughput.
 */
public final class LearnBenchmark {

  public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";
  /** Hidden units of the benchmarked MLPs. */
  public static final int HIDDEN_UNITS = 256;
  /** Passes of the longer MLP run ({@code mlp256.five_pass}). */
  public static final int LONG_PASSES = 5;
  /** Passes of the softmax run: one for the accuracy, the later ones for steady-state throughput. */
  public static final int SOFTMAX_PASSES = 3;
  /** Adam step size of every benchmarked model and of the scikit-learn MLP peer. */
  public static final double LEARNING_RATE = 0.001;
  /** Dropout rate of the {@code mlp256_dropout} variant. */
  public static final double DROPOUT = 0.2;
  /** Decay of the {@code mlp256_averaged} variant, which predicts from an average of its weights (spec key averaging). */
  public static final double AVERAGING_DECAY = 0.99;
  /** A learning curve's points in the first pass (at its quarters); later passes add one at their end. */
  static final int CURVE_POINTS_IN_FIRST_PASS = 4;

  private static final String UNAVAILABLE = SklearnPeer.UNAVAILABLE;

  /**
   * What to run.
   *
   * @param dataDir directory holding the four IDX files, gzip-compressed ({@code .gz}) or not
   * @param batchSize examples per minibatch
   * @param seed seeds the example order and every model's initialisation
   * @param peakGemmSize {@code n} of the {@code n × n · n × n} sgemm that measures the peak
   * @param sklearnPeer the {@code sklearn_peer.py} script, or {@code null} to skip the peer
   * @param pythons interpreters to try for the peer, in order; the first that imports sklearn runs it
   * @param maxExamples trains and tests on at most the first this many examples of each split; 0 for all of them
   * @param otherBackends whether the MLP also trains a pass on each backend other than the default one
   */
  public record Options(Path dataDir, int batchSize, long seed, int peakGemmSize, Path sklearnPeer,
      List<String> pythons, int maxExamples, boolean otherBackends) {

    public Options {
      Objects.requireNonNull(dataDir, "dataDir");
      if (batchSize < 1) {
        throw new IllegalArgumentException("LearnBenchmark: batchSize must be >= 1, got " + batchSize);
      }
      if (peakGemmSize < 1) {
        throw new IllegalArgumentException("LearnBenchmark: peakGemmSize must be >= 1, got " + peakGemmSize);
      }
      if (maxExamples < 0) {
        throw new IllegalArgumentException("LearnBenchmark: maxExamples must be >= 0 (0 for all), got " + maxExamples);
      }
      pythons = List.copyOf(pythons);
    }

    /**
     * Minibatches of 128, seed 42, a 2048 × 2048 peak sgemm, no peer, Python as {@link SklearnPeer#PYTHONS}, every
     * example, every backend.
     */
    public static Options defaults(Path dataDir) {
      return new Options(dataDir, 128, 42, 2048, null, SklearnPeer.PYTHONS, 0, true);
    }

    public Options withBatchSize(int batchSize) {
      return new Options(dataDir, batchSize, seed, peakGemmSize, sklearnPeer, pythons, maxExamples,
          otherBackends);
    }

    public Options withSeed(long seed) {
      return new Options(dataDir, batchSize, seed, peakGemmSize, sklearnPeer, pythons, maxExamples,
          otherBackends);
    }

    public Options withPeakGemmSize(int peakGemmSize) {
      return new Options(dataDir, batchSize, seed, peakGemmSize, sklearnPeer, pythons, maxExamples,
          otherBackends);
    }

    public Options withSklearnPeer(Path sklearnPeer) {
      return new Options(dataDir, batchSize, seed, peakGemmSize, sklearnPeer, pythons, maxExamples,
          otherBackends);
    }

    public Options withPythons(List<String> pythons) {
      return new Options(dataDir, batchSize, seed, peakGemmSize, sklearnPeer, pythons, maxExamples,
          otherBackends);
    }

    public Options withMaxExamples(int maxExamples) {
      return new Options(dataDir, batchSize, seed, peakGemmSize, sklearnPeer, pythons, maxExamples,
          otherBackends);
    }

    public Options withOtherBackends(boolean otherBackends) {
      return new Options(dataDir, batchSize, seed, peakGemmSize, sklearnPeer, pythons, maxExamples,
          otherBackends);
    }
  }

  /** Receives progress: what is running and how many of all the training examples have been trained. */
  @FunctionalInterface
  public interface Progress {

    Progress NONE = (phase, done, total) -> { };

    /**
     * @param phase what runs now, e.g. {@code "mlp256 native pass 2/5"}
     * @param done training examples processed so far, over every run
     * @param total training examples all runs will process
     */
    void update(String phase, long done, long total);
  }

  /** The loaded data set: row-major pixels and labels. */
  private record Data(float[] trainX, int[] trainY, float[] testX, int[] testY, int dim, int numClasses) {
    int trainRows() {
      return trainY.length;
    }

    int testRows() {
      return testY.length;
    }

    /** The first {@code max} examples of each split (all of them when {@code max} is 0 or more than there are). */
    Data head(int max) {
      if (max == 0 || max >= Math.max(trainRows(), testRows())) {
        return this;
      }
      int train = Math.min(max, trainRows());
      int test = Math.min(max, testRows());
      return new Data(Arrays.copyOf(trainX, train * dim), Arrays.copyOf(trainY, train), Arrays.copyOf(testX,
          test * dim), Arrays.copyOf(testY, test), dim, numClasses);
    }
  }

  /**
   * One model to train: its result key, spec (or why it has none), number of passes and backend. Only the
   * runs on the default backend report accuracy under {@code one_pass}/{@code five_pass}; a run on another
   * backend reports its accuracy beside its throughput, as a check that the backends agree.
   */
  private record Run(String key, ModelSpec spec, String unavailable, int passes, BlasBackend backend,
      boolean primary) {}

  private final Options options;
  private final Progress progress;
  private long done;
  private long total;

  private LearnBenchmark(Options options, Progress progress) {
    this.options = options;
    this.progress = progress;
  }

  /**
   * Runs the whole benchmark.
   *
   * @throws IOException if the data set cannot be read (the message names the file)
   */
  public static Map<String, Object> run(Options options, Progress progress) throws IOException {
    return new LearnBenchmark(options, Objects.requireNonNull(progress, "progress")).run();
  }

  private Map<String, Object> run() throws IOException {
    long started = System.nanoTime();
    Data data = load(options.dataDir()).head(options.maxExamples());
    Blas blas = Blas.get();
    BlasBackend primary = blas.backend();
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("blas_backend", primary.label() + " (" + blas.description() + ")");

    List<Run> runs = new ArrayList<>();
    // Three passes: accuracy is read after the first, throughput over the two after it (steady state).
    runs.add(new Run("softmax", ModelSpec.parse(softmaxJson(data)), null, SOFTMAX_PASSES, primary, true));
    runs.add(mlpRun("mlp256", data, "", LONG_PASSES, primary, true));
    for (BlasBackend other : BlasBackend.values()) {
      if (other != primary && options.otherBackends()) {
        runs.add(mlpRun("mlp256", data, "", 1, other, false));
      }
    }
    runs.add(mlpRun("mlp256_dropout", data, ",\"dropout\":" + DROPOUT, 1, primary, true));
    runs.add(mlpRun("mlp256_batchnorm", data, ",\"batchNorm\":true", 1, primary, true));
    Run averaged = mlpRun("mlp256_averaged", data, "", 1, primary, true);
    runs.add(averaged.spec() == null ? averaged : new Run(averaged.key(),
        averaged.spec().withAveraging(new AveragingSpec(AVERAGING_DECAY)), null, 1, primary, true));
    for (Run run : runs) {
      if (run.unavailable() == null && Blas.isAvailable(run.backend())) {
        total += (long) run.passes() * data.trainRows();
      }
    }

    double peak = sgemmPeakGflops(options.peakGemmSize());
    results.put("sgemm_peak_gflops", peak);
    for (Run run : runs) {
      Map<String, Object> model = child(results, run.key());
      if (run.unavailable() != null) {
        model.put(UNAVAILABLE, run.unavailable());
        continue;
      }
      if (!Blas.isAvailable(run.backend())) {
        child(model, backendKey(run.backend())).put(UNAVAILABLE, Blas.unavailableReason(run.backend()));
        continue;
      }
      train(run, data, model, peak);
    }
    results.put("peers", peers(data));
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("data_dir", options.dataDir().toString());
    config.put("train_examples", data.trainRows());
    config.put("test_examples", data.testRows());
    config.put("input_dim", data.dim());
    config.put("classes", data.numClasses());
    config.put("batch_size", options.batchSize());
    config.put("seed", options.seed());
    config.put("learning_rate", LEARNING_RATE);
    config.put("sgemm_peak_size", options.peakGemmSize());
    config.put("blas", Blas.get().description());
    results.put("config", config);
    results.put("seconds", (System.nanoTime() - started) / 1e9);
    return results;
  }

  /**
   * Trains {@code run} for its passes, recording accuracy after the first and the fifth pass, and throughput over
   * every pass but the first (over the only one for single-pass runs). A run on the default backend also records
   * its learning curve, {@code curve}: test accuracy at the quarters of the first pass and the end of every pass,
   * against examples trained; evaluating is not timed.
   */
  private void train(Run run, Data data, Map<String, Object> model, double peakGflops) {
    OnlineLearner learner = OnlineLearner.create(run.spec(), Blas.forBackend(run.backend()));
    SplitMix64 orderRng = SplitMix64.seeded(options.seed());
    int batch = options.batchSize();
    int dim = data.dim();
    float[] x = new float[batch * dim];
    int[] y = new int[batch];
    String backend = backendKey(run.backend());
    long trainNanos = 0;
    long examples = 0;
    List<Map<String, Object>> curve = new ArrayList<>();
    int nextPoint = 1;
    for (int pass = 1; pass <= run.passes(); pass++) {
      String phase = run.key() + " " + backend + " pass " + pass + "/" + run.passes();
      int[] order = shuffledOrder(data.trainRows(), orderRng);
      for (int start = 0; start < order.length; start += batch) {
        int n = Math.min(batch, order.length - start);
        for (int i = 0; i < n; i++) {
          int row = order[start + i];
          System.arraycopy(data.trainX(), row * dim, x, i * dim, dim);
          y[i] = data.trainY()[row];
        }
        long began = System.nanoTime();
        learner.trainMinibatch(x, y, null, n);
        // A multi-pass run's first pass warms the JIT and caches: throughput is measured on the passes after it.
        if (run.passes() == 1 || pass > 1) {
          trainNanos += System.nanoTime() - began;
          examples += n;
        }
        done += n;
        progress.update(phase, done, total);
        if (run.primary() && pass == 1 && nextPoint < CURVE_POINTS_IN_FIRST_PASS
            && start + n >= (long) nextPoint * order.length / CURVE_POINTS_IN_FIRST_PASS) {
          curve.add(curvePoint(start + n, testAccuracy(learner, data)));
          nextPoint++;
        }
      }
      if (run.primary()) {
        double accuracy = testAccuracy(learner, data);
        curve.add(curvePoint((long) pass * order.length, accuracy));
        if (pass == 1 || pass == LONG_PASSES) {
          child(model, pass == 1 ? "one_pass" : "five_pass").put("test_accuracy", accuracy);
        }
      }
    }
    if (run.primary()) {
      model.put("curve", curve);
    }
    Map<String, Object> timing = child(model, backend);
    if (!run.primary()) {
      timing.put("one_pass_test_accuracy", testAccuracy(learner, data));
    }
    double examplesPerSecond = examples / (trainNanos / 1e9);
    timing.put("examples_per_s", examplesPerSecond);
    if (run.key().startsWith("mlp")) {
      double gflops = examplesPerSecond * mlpFlopsPerExample(dim, HIDDEN_UNITS, data.numClasses()) / 1e9;
      timing.put("gflops", gflops);
      timing.put("fraction_of_peak", gflops / peakGflops);
    }
  }

  private static Map<String, Object> curvePoint(long examples, double testAccuracy) {
    Map<String, Object> point = new LinkedHashMap<>();
    point.put("examples", examples);
    point.put("test_accuracy", testAccuracy);
    return point;
  }

  /** Multiply-adds (×2) of one MLP training step per example, dense layers only; see the class comment. */
  static double mlpFlopsPerExample(int inputs, int hidden, int classes) {
    double forward = 2.0 * ((double) inputs * hidden + (double) hidden * classes);
    return 2 * forward + 2.0 * hidden * classes;
  }

  private static double testAccuracy(OnlineLearner learner, Data data) {
    int correct = 0;
    for (int i = 0; i < data.testRows(); i++) {
      if (learner.predict(data.testX(), i * data.dim()) == data.testY()[i]) {
        correct++;
      }
    }
    return (double) correct / data.testRows();
  }

  /** {@link SplitMix64#permutation}, which the scikit-learn peer ports exactly. */
  static int[] shuffledOrder(int n, SplitMix64 rng) {
    return rng.permutation(n);
  }

  /** {@code Σ i·order[i]} of the first pass's order, which the peer prints to show it used the same order. */
  static long orderChecksum(int n, long seed) {
    int[] order = shuffledOrder(n, SplitMix64.seeded(seed));
    long sum = 0;
    for (int i = 0; i < n; i++) {
      sum += (long) i * order[i];
    }
    return sum;
  }

  /** Best GFLOP/s of a few {@code n × n} sgemm calls on the default backend, after two warm-up calls. */
  static double sgemmPeakGflops(int n) {
    Blas blas = Blas.get();
    SplitMix64 rng = SplitMix64.seeded(1);
    float[] a = new float[n * n];
    float[] b = new float[n * n];
    float[] c = new float[n * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = rng.nextSymmetric(1f);
      b[i] = rng.nextSymmetric(1f);
    }
    double flops = 2.0 * n * n * n;
    long best = Long.MAX_VALUE;
    // Repeat until both enough calls and enough time have passed, so small sizes are timed reliably.
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    for (int call = 0; call < 7 || System.nanoTime() < deadline; call++) {
      long began = System.nanoTime();
      blas.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
      long elapsed = System.nanoTime() - began;
      if (call >= 2) {
        best = Math.min(best, elapsed);
      }
    }
    return flops / best;
  }

  private Data load(Path dir) throws IOException {
    IdxReader.Images trainImages = IdxReader.readImages(find(dir, TRAIN_IMAGES));
    int[] trainLabels = IdxReader.readLabels(find(dir, TRAIN_LABELS));
    IdxReader.Images testImages = IdxReader.readImages(find(dir, TEST_IMAGES));
    int[] testLabels = IdxReader.readLabels(find(dir, TEST_LABELS));
    if (trainImages.count() != trainLabels.length || testImages.count() != testLabels.length) {
      throw new IOException(dir + ": image and label counts differ: training " + trainImages.count() + " images, "
          + trainLabels.length + " labels; test " + testImages.count() + " images, " + testLabels.length + " labels");
    }
    if (trainImages.pixelsPerImage() != testImages.pixelsPerImage()) {
      throw new IOException(dir + ": training images have " + trainImages.pixelsPerImage()
          + " pixels, test images " + testImages.pixelsPerImage());
    }
    int maxLabel = 1;
    for (int label : trainLabels) {
      maxLabel = Math.max(maxLabel, label);
    }
    for (int label : testLabels) {
      maxLabel = Math.max(maxLabel, label);
    }
    return new Data(trainImages.pixels(), trainLabels, testImages.pixels(), testLabels, trainImages.pixelsPerImage(),
        maxLabel + 1);
  }

  /** {@code name.gz} if present, else {@code name}. */
  private static Path find(Path dir, String name) throws IOException {
    for (Path candidate : new Path[] {dir.resolve(name + ".gz"), dir.resolve(name)}) {
      if (Files.isReadable(candidate)) {
        return candidate;
      }
    }
    throw new IOException(dir + ": neither " + name + ".gz nor " + name + " is a readable file"
        + " (install Debian's dataset-fashion-mnist, or give the directory of an MNIST-format data set)");
  }

  private String softmaxJson(Data data) {
    return "{\"algorithm\":\"" + ModelSpec.SOFTMAX_REGRESSION + "\",\"inputDim\":" + data.dim() + ",\"numClasses\":"
        + data.numClasses() + ",\"batchSize\":" + options.batchSize() + ",\"optimizer\":{\"type\":\"adam\","
        + "\"learningRate\":" + LEARNING_RATE + "},\"seed\":" + options.seed() + "}";
  }

  /**
   * The benchmarked MLP: one hidden layer of {@link #HIDDEN_UNITS} ReLU units, Adam at {@link #LEARNING_RATE};
   * {@code layerExtras} adds keys to the layer.
   */
  static String mlpJson(int dim, int classes, int batchSize, long seed, String layerExtras) {
    return "{\"algorithm\":\"mlp\",\"inputDim\":" + dim + ",\"numClasses\":" + classes
        + ",\"layers\":[{\"units\":" + HIDDEN_UNITS + ",\"activation\":\"relu\"" + layerExtras + "}]"
        + ",\"batchSize\":" + batchSize + ",\"optimizer\":{\"type\":\"adam\",\"learningRate\":"
        + LEARNING_RATE + "},\"seed\":" + seed + "}";
  }

  /** An MLP run with one hidden layer of {@link #HIDDEN_UNITS} ReLU units; {@code layerExtras} adds keys to it. */
  private Run mlpRun(String key, Data data, String layerExtras, int passes, BlasBackend backend, boolean primary) {
    String json = mlpJson(data.dim(), data.numClasses(), options.batchSize(), options.seed(), layerExtras);
    try {
      return new Run(key, ModelSpec.parse(json), null, passes, backend, primary);
    } catch (IllegalArgumentException e) {
      return new Run(key, null, "this build cannot create the MLP spec " + json + ": " + e.getMessage(), passes,
          backend, primary);
    }
  }

  static String backendKey(BlasBackend backend) {
    return backend.name().toLowerCase(Locale.ROOT);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> child(Map<String, Object> parent, String key) {
    return (Map<String, Object>) parent.computeIfAbsent(key, k -> new LinkedHashMap<String, Object>());
  }

  /** scikit-learn's figures, or why there are none. */
  private Map<String, Object> peers(Data data) {
    if (options.sklearnPeer() == null) {
      return new LinkedHashMap<>(Map.of(UNAVAILABLE, "no scikit-learn peer script given"));
    }
    if (options.maxExamples() > 0) {
      return new LinkedHashMap<>(Map.of(UNAVAILABLE, "the peer reads the whole data set, not the first "
          + options.maxExamples() + " examples"));
    }
    String python = SklearnPeer.findPython(options.pythons()).orElse(null);
    if (python == null) {
      return new LinkedHashMap<>(Map.of(UNAVAILABLE, SklearnPeer.noPythonReason(options.pythons())));
    }
    progress.update("scikit-learn peer (" + python + ")", done, total);
    Map<String, Object> peers = SklearnPeer.run(python, options.sklearnPeer(), List.of("--data-dir",
        options.dataDir().toString(), "--batch-size", Integer.toString(options.batchSize()), "--seed",
        Long.toString(options.seed()), "--learning-rate", Double.toString(LEARNING_RATE)));
    if (!peers.containsKey(UNAVAILABLE)) {
      long expected = orderChecksum(data.trainRows(), options.seed());
      Object checksum = peers.get("order_checksum");
      peers.put("same_order", checksum instanceof Number number && number.longValue() == expected);
    }
    return peers;
  }
}
