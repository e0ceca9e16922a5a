package dev.chorus.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.cli.bench.e2e.SparseE2eTrack;
import dev.chorus.cli.data.PackageCatalogue;
import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.HashingSpec;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.features.SyntheticClicks;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.schemas.Example;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code chorus bench sparse}: issue 17's in-memory tracks, and its end-to-end track ({@link SparseE2eTrack}).
 *
 * <p><b>packages</b>: Debian's package catalogue ({@link PackageCatalogue}) in the order of seed {@value #SEED},
 * hashed into 2^{@value #BITS} dimensions; one pass of softmax regression with FTRL-Proximal and with AdaGrad in
 * minibatches (of {@value #BATCH_SIZE} by default), each example predicted before its minibatch trains
 * (prequential accuracy), then tested on the held-out last 10%; against scikit-learn's {@code FeatureHasher} and
 * {@code SGDClassifier(loss="log_loss").partial_fit} on the same examples, order, minibatches and hash
 * ({@code sklearn_sparse_peer.py}, which also checks that its hashing equals ours). Examples/s counts hashing,
 * predicting and training on both sides.
 *
 * <p><b>memory</b>: the heap an FTRL logistic model at 2^20 and 2^24 dimensions holds after training on synthetic
 * clicks, against its parameter count × the bytes per parameter {@link SparseLinearModel} states.
 *
 * <p><b>e2e</b>: the same packages in the same order through Kafka (a JSON and an Avro topic) into the train job,
 * against the raw consumer: a binary logistic regression with FTRL ({@code hashed_logistic}: is the package in the
 * most frequent section?) on its own topics, and on the section-labelled topics the hashed softmax with FTRL
 * ({@code hashed_softmax}) and a wide &amp; deep model ({@code wide_deep}), and on the binary topics the same wide
 * &amp; deep with one output ({@code wide_deep_binary}: the click model), all on the same fields; and the
 * Flink pass-through and source-only ceilings of each topic.
 */
public final class SparseBenchmark {

  public static final int BITS = 20;
  /** The packages track's default minibatch; the memory track's. */
  public static final int BATCH_SIZE = 32;
  public static final long SEED = 42;
  static final List<Integer> MEMORY_BITS = List.of(20, 24);
  /** Weight, gradient scratch and FTRL's z and n: 4 floats per parameter ({@link SparseLinearModel}). */
  static final int FTRL_BYTES_PER_PARAMETER = 16;
  static final String FTRL = "{\"type\":\"ftrl\",\"alpha\":0.3,\"beta\":0.001,\"l1\":0,\"l2\":0}";
  static final String ADAGRAD = "{\"type\":\"adagrad\",\"learningRate\":0.5}";
  /** The first examples whose hashed features the peer checks against its own hashing. */
  static final int HASH_CHECKED = 1000;
  static final int CURVE_POINTS = 50;
  static final int MEMORY_TRAINING_CLICKS = 10_000;

  /**
   * @param packages the Packages list (plain, gzip or LZ4)
   * @param limit use the first {@code limit} examples of the seeded order only (0: all)
   * @param minSectionPackages sections with fewer packages are dropped
   * @param batchSize examples per minibatch, for Chorus and scikit-learn alike
   * @param sklearnPeer {@code sklearn_sparse_peer.py}, or null to skip scikit-learn
   * @param tracks the tracks to run, some of {@link #TRACKS}
   * @param runs the e2e track's most runs of each line until it settles
   * @param e2eLines the e2e track's lines to run (empty: all)
   */
  public record Options(Path packages, int limit, int minSectionPackages, int batchSize, Path sklearnPeer,
      Set<String> tracks, int runs, Set<String> e2eLines) {
    public Options {
      tracks = Set.copyOf(tracks);
      if (tracks.isEmpty() || !TRACKS.containsAll(tracks)) {
        throw new IllegalArgumentException("bench sparse: expected tracks among " + TRACKS + ", got " + tracks);
      }
    }
  }

  /** The tracks, in the order they run; all but e2e run in memory. */
  public static final List<String> TRACKS = List.of("packages", "memory", "sampled_softmax", "e2e");

  /** The tracks that run in memory, {@code --no-e2e}'s. */
  public static final List<String> IN_MEMORY_TRACKS = TRACKS.subList(0, 3);

  /** The e2e track's lines, in the order they run. */
  public static final List<String> E2E_LINES = List.of("hashed_logistic", "hashed_softmax", "wide_deep",
      "wide_deep_binary");

  private SparseBenchmark() {}

  /**
   * The tracks the options ask for: {@code {"packages": {...}, "memory": {...}, "sampled_softmax": {...}, "e2e":
   * {...}}} ({@link SampledSoftmaxBenchmark} for the sampled softmax).
   */
  public static Map<String, Object> run(Options options, Consumer<String> log) throws Exception {
    Map<String, Object> results = new LinkedHashMap<>();
    if (options.tracks().contains("packages")) {
      results.put("packages", packages(options, log));
    }
    if (options.tracks().contains("memory")) {
      results.put("memory", memory(log));
    }
    if (options.tracks().contains("sampled_softmax")) {
      results.put("sampled_softmax", SampledSoftmaxBenchmark.run(log));
    }
    if (options.tracks().contains("e2e")) {
      results.put("e2e", e2e(options, log));
    }
    return results;
  }

  /** The e2e track on the packages of the packages track, in its order: every line's spec hashes their fields. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> e2e(Options options, Consumer<String> log) throws Exception {
    PackageCatalogue catalogue = PackageCatalogue.read(options.packages(), options.minSectionPackages());
    List<Example> examples = catalogue.examples(SEED, PackageCatalogue.TASK, System.currentTimeMillis());
    if (options.limit() > 0 && options.limit() < examples.size()) {
      examples = examples.subList(0, options.limit());
    }
    int classes = catalogue.sections().size();
    int positive = mostFrequentSection(catalogue);
    SparseE2eTrack.ExampleSet sections = new SparseE2eTrack.ExampleSet("raw_consume", examples);
    SparseE2eTrack.ExampleSet binary = new SparseE2eTrack.ExampleSet("raw_consume_binary",
        examples.stream().map(e -> Example.newBuilder(e).setLabel(e.getLabel() == positive ? 1 : 0).build())
            .toList());
    List<SparseE2eTrack.SparseLine> lines = List.of(
        new SparseE2eTrack.SparseLine("hashed_logistic", hashedLogistic(options.batchSize()),
            "train hashed logistic, FTRL, 2^" + BITS + " dims", binary),
        new SparseE2eTrack.SparseLine("hashed_softmax", hashedSoftmax(classes, options.batchSize(), FTRL),
            "train hashed softmax, FTRL, 2^" + BITS + " dims", sections),
        new SparseE2eTrack.SparseLine("wide_deep", wideDeep(classes, options.batchSize()),
            "train wide & deep, 2^" + BITS + " dims + embeddings", sections),
        new SparseE2eTrack.SparseLine("wide_deep_binary", wideDeep(2, options.batchSize()),
            "train wide & deep, one output, 2^" + BITS + " dims + embeddings", binary));
    lines = lines.stream().filter(l -> options.e2eLines().isEmpty() || options.e2eLines().contains(l.name()))
        .toList();
    Map<String, Object> results = SparseE2eTrack.run(lines, options.runs(), log);
    Map<String, Object> config = (Map<String, Object>) results.get("config");
    config.put("binary_label", "1 when the section is " + catalogue.sections().get(positive)
        + " (the catalogue's most frequent), else 0");
    config.put("file", options.packages().toString());
    config.put("classes", classes);
    config.put("bits", BITS);
    config.put("batch_size", options.batchSize());
    config.put("seed", SEED);
    return results;
  }

  /** The index of the section with the most packages (the lowest index on a tie). */
  static int mostFrequentSection(PackageCatalogue catalogue) {
    int[] counts = new int[catalogue.sections().size()];
    catalogue.packages().forEach(p -> counts[catalogue.label(p)]++);
    int most = 0;
    for (int s = 1; s < counts.length; s++) {
      most = counts[s] > counts[most] ? s : most;
    }
    return most;
  }

  /** Binary logistic regression with FTRL on the packages' fields hashed into 2^{@value #BITS} dimensions. */
  static String hashedLogistic(int batchSize) throws IOException {
    return "{\"algorithm\":\"logistic-regression\",\"numClasses\":2,\"hashing\":" + hashing()
        + ",\"standardize\":false,\"batchSize\":" + batchSize + ",\"optimizer\":" + FTRL + "}";
  }

  /** Softmax regression on the packages' fields hashed into 2^{@value #BITS} dimensions. */
  static String hashedSoftmax(int classes, int batchSize, String optimizer) throws IOException {
    return "{\"algorithm\":\"softmax-regression\",\"numClasses\":" + classes + ",\"hashing\":" + hashing()
        + ",\"standardize\":false,\"batchSize\":" + batchSize + ",\"optimizer\":" + optimizer + "}";
  }

  /**
   * Wide &amp; deep on the packages: the hashed softmax's wide part (FTRL), and a 64-unit ReLU layer over a 16-wide
   * mean embedding of each field, trained by Adam; with 2 classes, one logistic output.
   */
  static String wideDeep(int classes, int batchSize) throws IOException {
    return "{\"algorithm\":\"wide-deep\",\"numClasses\":" + classes + ",\"hashing\":" + hashing()
        + ",\"embeddings\":{\"dim\":16,\"buckets\":100000,\"combiner\":\"mean\",\"fields\":"
        + new ObjectMapper().writeValueAsString(PackageCatalogue.FIELDS) + "},\"layers\":[{\"units\":64,"
        + "\"activation\":\"relu\",\"init\":\"he-normal\"}],\"standardize\":false,\"batchSize\":" + batchSize
        + ",\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"wideOptimizer\":" + FTRL
        + ",\"seed\":" + SEED + "}";
  }

  private static String hashing() throws IOException {
    return "{\"bits\":" + BITS + ",\"fields\":" + new ObjectMapper().writeValueAsString(PackageCatalogue.FIELDS)
        + "}";
  }

  static Map<String, Object> packages(Options options, Consumer<String> log) throws IOException {
    PackageCatalogue catalogue = PackageCatalogue.read(options.packages(), options.minSectionPackages());
    List<PackageCatalogue.DebianPackage> order = catalogue.shuffled(SEED);
    if (options.limit() > 0 && options.limit() < order.size()) {
      order = order.subList(0, options.limit());
    }
    List<Map<String, Object>> fields = order.stream().map(PackageCatalogue.DebianPackage::fields).toList();
    int[] labels = order.stream().mapToInt(catalogue::label).toArray();
    int train = PackageCatalogue.heldOutFrom(order.size());
    int classes = catalogue.sections().size();
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("file", options.packages().toString());
    config.put("stanzas", catalogue.stanzas());
    config.put("examples", order.size());
    config.put("train_examples", train);
    config.put("held_out", order.size() - train);
    config.put("classes", classes);
    config.put("dropped_sections", catalogue.droppedSections());
    config.put("min_section_packages", options.minSectionPackages());
    config.put("bits", BITS);
    config.put("batch_size", options.batchSize());
    config.put("seed", SEED);
    config.put("fields", PackageCatalogue.FIELDS);
    log.accept(String.format("packages: %,d stanzas, %,d examples in %d sections (dropped %s), %,d held out",
        catalogue.stanzas(), order.size(), classes, catalogue.droppedSections(), order.size() - train));
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("config", config);
    for (Map.Entry<String, String> optimizer : List.of(Map.entry("chorus_ftrl", FTRL),
        Map.entry("chorus_adagrad", ADAGRAD))) {
      ModelSpec spec = ModelSpec.parse(hashedSoftmax(classes, options.batchSize(), optimizer.getValue()));
      Map<String, Object> figures = onePass(spec, fields, labels, train);
      log.accept(String.format("%s: held-out accuracy %.4f, prequential %.4f, %,.0f examples/s", optimizer.getKey(),
          figures.get("accuracy"), figures.get("prequential_accuracy"), figures.get("examples_per_s")));
      results.put(optimizer.getKey(), figures);
    }
    results.put("sklearn", sklearn(options, fields, labels, train, classes, log));
    return results;
  }

  /** One prequential pass over the first {@code train} examples, then the held-out accuracy on the rest. */
  static Map<String, Object> onePass(ModelSpec spec, List<Map<String, Object>> fields, int[] labels, int train) {
    SparseLinearModel model = SparseLinearModel.create(spec);
    FeatureHasher hasher = new FeatureHasher(spec.hashing());
    SparseBatch batch = new SparseBatch(spec.inputDim());
    int[] batchLabels = new int[spec.batchSize()];
    float[] p = new float[spec.numClasses()];
    int curveEvery = Math.max(1, train / CURVE_POINTS);
    List<Map<String, Object>> curve = new ArrayList<>();
    long correct = 0;
    long began = System.nanoTime();
    for (int i = 0; i < train; i++) {
      SparseVector x = hasher.hash(fields.get(i));
      model.predictProba(x, p);
      correct += argmax(p) == labels[i] ? 1 : 0;
      batchLabels[batch.rows()] = labels[i];
      batch.add(x.indices(), x.values());
      if (batch.rows() == batchLabels.length || i == train - 1) {
        model.trainMinibatch(batch, batchLabels, null);
        batch.clear();
      }
      if ((i + 1) % curveEvery == 0 || i == train - 1) {
        curve.add(Map.of("examples", i + 1, "accuracy", (double) correct / (i + 1)));
      }
    }
    double seconds = (System.nanoTime() - began) / 1e9;
    long heldOutCorrect = 0;
    for (int i = train; i < fields.size(); i++) {
      model.predictProba(hasher.hash(fields.get(i)), p);
      heldOutCorrect += argmax(p) == labels[i] ? 1 : 0;
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("accuracy", fields.size() > train ? (double) heldOutCorrect / (fields.size() - train) : null);
    figures.put("prequential_accuracy", (double) correct / train);
    figures.put("examples_per_s", train / seconds);
    figures.put("optimizer", spec.optimizer().type());
    figures.put("spec", spec.toJson());
    figures.put("curve", curve);
    return figures;
  }

  private static int argmax(float[] p) {
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      best = p[k] > p[best] ? k : best;
    }
    return best;
  }

  /** Writes the examples as JSON lines for the peer and runs it; its figures or the reason it did not run. */
  static Map<String, Object> sklearn(Options options, List<Map<String, Object>> fields, int[] labels, int train,
      int classes, Consumer<String> log) throws IOException {
    Path script = options.sklearnPeer();
    if (script == null) {
      return Map.of(SklearnPeer.UNAVAILABLE, "skipped (--no-peers, or sklearn_sparse_peer.py not found)");
    }
    var python = SklearnPeer.findPython(SklearnPeer.PYTHONS);
    if (python.isEmpty()) {
      return Map.of(SklearnPeer.UNAVAILABLE, SklearnPeer.noPythonReason(SklearnPeer.PYTHONS));
    }
    Path examples = Files.createTempFile("chorus-bench-sparse-", ".jsonl");
    try {
      ObjectMapper json = new ObjectMapper();
      FeatureHasher hasher = new FeatureHasher(new HashingSpec(BITS, PackageCatalogue.FIELDS, List.of()));
      try (BufferedWriter out = Files.newBufferedWriter(examples, StandardCharsets.UTF_8)) {
        for (int i = 0; i < fields.size(); i++) {
          Map<String, Object> line = new LinkedHashMap<>();
          line.put("fields", fields.get(i));
          line.put("label", labels[i]);
          if (i < HASH_CHECKED) {
            SparseVector x = hasher.hash(fields.get(i));
            line.put("hashed", Map.of("indices", x.indices(), "values", x.values()));
          }
          out.write(json.writeValueAsString(line));
          out.newLine();
        }
      }
      Map<String, Object> figures = SklearnPeer.run(python.get(), script, List.of("--examples", examples.toString(),
          "--bits", String.valueOf(BITS), "--classes", String.valueOf(classes), "--held-out-from",
          String.valueOf(train), "--batch-size", String.valueOf(options.batchSize()), "--fields",
          String.join(",", PackageCatalogue.FIELDS), "--curve-every", String.valueOf(Math.max(1,
              train / CURVE_POINTS))));
      log.accept(figures.containsKey(SklearnPeer.UNAVAILABLE) ? "sklearn: " + figures.get(SklearnPeer.UNAVAILABLE)
          : String.format("sklearn: held-out accuracy %s, prequential %s, %s examples/s", figures.get("accuracy"),
              figures.get("prequential_accuracy"), figures.get("examples_per_s")));
      return figures;
    } finally {
      Files.deleteIfExists(examples);
    }
  }

  /** Heap held by an FTRL logistic model per hashed dimension, against the stated bytes per parameter. */
  static Map<String, Object> memory(Consumer<String> log) {
    Map<String, Object> results = new LinkedHashMap<>();
    for (int bits : MEMORY_BITS) {
      HashingSpec hashing = new HashingSpec(bits, SyntheticClicks.FIELDS, List.of());
      ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"logistic-regression\",\"numClasses\":2,\"hashing\":{\"bits\":"
          + bits + "},\"standardize\":false,\"batchSize\":" + BATCH_SIZE + ",\"optimizer\":" + FTRL + "}");
      long before = HistoryBenchmark.heapAfterGc();
      SparseLinearModel model = trainedOnClicks(spec, hashing);
      long heap = HistoryBenchmark.heapAfterGc() - before;
      int savedBytes = model.toBytes().length;
      Reference.reachabilityFence(model);
      long parameters = (1L << bits) + 1;
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("parameters", parameters);
      figures.put("stated_bytes_per_parameter", FTRL_BYTES_PER_PARAMETER);
      figures.put("stated_bytes", parameters * FTRL_BYTES_PER_PARAMETER);
      figures.put("heap_bytes", heap);
      figures.put("heap_bytes_per_parameter", (double) heap / parameters);
      figures.put("saved_bytes_after_clicks", savedBytes);
      figures.put("training_clicks", MEMORY_TRAINING_CLICKS);
      log.accept(String.format("memory 2^%d: heap %,d bytes (%.2f per parameter; stated %d), saved %,d bytes",
          bits, heap, (double) heap / parameters, FTRL_BYTES_PER_PARAMETER, savedBytes));
      results.put("dims_2_" + bits, figures);
    }
    return results;
  }

  /** A model of {@code spec} after {@value #MEMORY_TRAINING_CLICKS} synthetic clicks, with its scratch in use. */
  private static SparseLinearModel trainedOnClicks(ModelSpec spec, HashingSpec hashing) {
    SparseLinearModel model = SparseLinearModel.create(spec);
    SyntheticClicks clicks = SyntheticClicks.seeded(SEED, hashing);
    SparseBatch batch = new SparseBatch(spec.inputDim());
    int[] labels = new int[BATCH_SIZE];
    for (int i = 0; i < MEMORY_TRAINING_CLICKS; i++) {
      SyntheticClicks.Click click = clicks.next();
      labels[batch.rows()] = click.label();
      batch.add(click.features().indices(), click.features().values());
      if (batch.rows() == BATCH_SIZE) {
        model.trainMinibatch(batch, labels, null);
        batch.clear();
      }
    }
    return model;
  }
}
