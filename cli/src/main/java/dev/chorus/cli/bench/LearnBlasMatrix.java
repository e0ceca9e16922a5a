package dev.chorus.cli.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.core.blas.Blas;
import dev.chorus.core.blas.BlasBackend;
import dev.chorus.core.blas.NativeBlasLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench learn --blas-matrix}: the learn benchmark's native lines once per native BLAS library (the bundled
 * OpenBLAS and the system's {@code libblas.so.3}, {@link NativeBlasLibrary}) and per kernel choice (the environment as
 * it is, and without {@value #CORETYPE} so that OpenBLAS picks the kernels for the CPU itself), side by side.
 *
 * <p>Both the library and its kernels are fixed once per JVM, when OpenBLAS loads, so each combination runs in a child
 * JVM with this JVM's java, class path and module flags; the child writes {@link LearnBenchmark}'s results (no other
 * backend, no scikit-learn) to a JSON file. The merged result keys each row by library and kernels, e.g.
 * {@code rows."bundled SKYLAKEX"}, labelled with what the child's BLAS probe reported: library path, OpenBLAS version
 * and kernels. A library that cannot load in a child is reported as {@code {"absent": reason}} and the run goes on.
 */
public final class LearnBlasMatrix {

  /** The environment variable that overrides OpenBLAS's choice of kernels. */
  static final String CORETYPE = "OPENBLAS_CORETYPE";
  /** A row's key for a library that could not be loaded; its value says why. */
  static final String ABSENT = "absent";
  /** How long one child may run: a full-size child takes well under a minute on a quiet machine. */
  private static final long CHILD_TIMEOUT_MINUTES = 60;

  private static final ObjectMapper JSON = new ObjectMapper();
  /** The probe's description, e.g. {@code … over bundled OpenBLAS 0.3.31 (/path), kernels SKYLAKEX with …}. */
  private static final Pattern LIBRARY = Pattern.compile(" over (?:bundled OpenBLAS (\\S+)|system \\S+) \\(([^)]*)\\)");
  private static final Pattern KERNELS = Pattern.compile(", kernels (\\w+)");
  /** The version in the file name of a Debian-style OpenBLAS, e.g. {@code libopenblasp-r0.3.21.so}. */
  private static final Pattern VERSION_IN_PATH = Pattern.compile("libopenblas\\w*-r(\\d+(?:\\.\\d+)+)\\.so");
  private static final String UNKNOWN = "unknown";

  private LearnBlasMatrix() {}

  /** An environment a child runs in: how the output names it, and its variables. */
  record Environment(String label, Map<String, String> variables) {
    Environment {
      variables = Map.copyOf(variables);
    }
  }

  /** One child's results: the library it was asked to load, the environment it ran in, what it wrote. */
  record Child(NativeBlasLibrary library, Environment environment, Map<String, Object> results) {}

  /**
   * {@code environment} as it is and, when it sets {@value #CORETYPE}, {@code environment} without it; just the first
   * when it does not set it, as both would be the same.
   */
  static List<Environment> environments(Map<String, String> environment) {
    String coreType = environment.get(CORETYPE);
    if (coreType == null || coreType.isEmpty()) {
      return List.of(new Environment("as it is (no " + CORETYPE + ")", environment));
    }
    Map<String, String> unset = new HashMap<>(environment);
    unset.remove(CORETYPE);
    return List.of(new Environment("as it is (" + CORETYPE + "=" + coreType + ")", environment),
        new Environment(CORETYPE + " unset", unset));
  }

  /**
   * Runs every combination of library and environment in a child JVM, one after the other, and merges their results.
   * Of {@code options}, the data set, batch size, seed, sgemm size and example limit are used.
   *
   * @param environment the environment as it is (the children's variables are taken from it)
   * @param log receives a line as each child starts
   * @throws IllegalStateException if a child JVM fails or does not finish within an hour
   */
  public static Map<String, Object> run(LearnBenchmark.Options options, Map<String, String> environment,
      Consumer<String> log) throws IOException, InterruptedException {
    List<Environment> environments = environments(environment);
    List<Child> children = new ArrayList<>();
    for (NativeBlasLibrary library : NativeBlasLibrary.values()) {
      Object absent = null;
      for (Environment variant : environments) {
        // A library that did not load in one environment will not in the other: no need for another JVM.
        Map<String, Object> results = absent != null ? Map.of(ABSENT, absent) : runChild(library, variant, options,
            log);
        absent = results.get(ABSENT);
        children.add(new Child(library, variant, results));
      }
    }
    Map<String, Object> merged = merge(environments, children);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("data_dir", options.dataDir().toString());
    config.put("batch_size", options.batchSize());
    config.put("seed", options.seed());
    config.put("sgemm_peak_size", options.peakGemmSize());
    config.put("max_examples", options.maxExamples());
    merged.put("config", config);
    return merged;
  }

  /** The children's results as rows keyed by library and kernels, labelled from their probes; see the class comment. */
  static Map<String, Object> merge(List<Environment> environments, List<Child> children) {
    Map<String, Object> merged = new LinkedHashMap<>();
    merged.put("environments", environments.stream().map(Environment::label).toList());
    if (environments.size() == 1) {
      merged.put("note", "The environment has no " + CORETYPE + ": as it is and with " + CORETYPE + " unset are the "
          + "same environment, so each library ran once.");
    }
    List<String> keys = new ArrayList<>();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Child child : children) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("library", child.library().key());
      row.put("environment", child.environment().label());
      Object absent = child.results().get(ABSENT);
      if (absent != null) {
        row.put(ABSENT, absent);
        keys.add(child.library().key() + " " + ABSENT);
      } else {
        String blas = String.valueOf(at(child.results(), "config", "blas"));
        Matcher library = LIBRARY.matcher(blas);
        boolean found = library.find();
        String path = found ? library.group(2) : UNKNOWN;
        // The bundled library's version is in the description; a system OpenBLAS's only in its file name.
        String version = found && library.group(1) != null ? library.group(1) : versionInPath(path);
        Matcher kernels = KERNELS.matcher(blas);
        String core = kernels.find() ? kernels.group(1) : UNKNOWN;
        row.put("library_path", path);
        row.put("openblas_version", version);
        row.put("kernels", core);
        row.put("blas", blas);
        row.put("learn", child.results());
        keys.add(child.library().key() + " " + core);
      }
      rows.add(row);
    }
    Map<String, Object> keyed = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      String key = keys.get(i);
      // Two environments that end in the same kernels (or both absent): each row then also names its environment.
      boolean repeated = keys.indexOf(key) != keys.lastIndexOf(key);
      keyed.put(repeated ? key + " (" + rows.get(i).get("environment") + ")" : key, rows.get(i));
    }
    merged.put("rows", keyed);
    return merged;
  }

  private static String versionInPath(String paths) {
    Matcher version = VERSION_IN_PATH.matcher(paths);
    return version.find() ? version.group(1) : UNKNOWN;
  }

  /** The merged results as a Markdown table, a row per child, for the terminal and docs/BENCHMARKS.md. */
  @SuppressWarnings("unchecked")
  public static String table(Map<String, Object> merged) {
    StringBuilder table = new StringBuilder();
    Object note = merged.get("note");
    if (note != null) {
      table.append(note).append("\n\n");
    }
    table.append("| library | environment | OpenBLAS | kernels | library path | sgemm peak GFLOP/s | softmax ex/s "
        + "| MLP-256 ex/s | MLP-256 GFLOP/s (of peak) | dropout ex/s | batch norm ex/s | MLP-256 accuracy, 1 pass |\n");
    table.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Object value : ((Map<String, Object>) merged.get("rows")).values()) {
      Map<String, Object> row = (Map<String, Object>) value;
      table.append("| ").append(row.get("library")).append(" | ").append(row.get("environment")).append(" | ");
      if (row.containsKey(ABSENT)) {
        table.append(ABSENT).append(": ").append(row.get(ABSENT)).append(" |").append(" |".repeat(9)).append('\n');
        continue;
      }
      Map<String, Object> learn = (Map<String, Object>) row.get("learn");
      List<String> cells = List.of(String.valueOf(row.get("openblas_version")), String.valueOf(row.get("kernels")),
          String.valueOf(row.get("library_path")), format("%.1f", at(learn, "sgemm_peak_gflops")),
          format("%,.0f", at(learn, "softmax", "native", "examples_per_s")),
          format("%,.0f", at(learn, "mlp256", "native", "examples_per_s")),
          format("%.1f", at(learn, "mlp256", "native", "gflops"))
              + format(" (%.0f%%)", percent(at(learn, "mlp256", "native", "fraction_of_peak"))),
          format("%,.0f", at(learn, "mlp256_dropout", "native", "examples_per_s")),
          format("%,.0f", at(learn, "mlp256_batchnorm", "native", "examples_per_s")),
          format("%.4f", at(learn, "mlp256", "one_pass", "test_accuracy")));
      table.append(String.join(" | ", cells)).append(" |\n");
    }
    return table.toString();
  }

  private static Object percent(Object fraction) {
    return fraction instanceof Number number ? number.doubleValue() * 100 : null;
  }

  /** {@code value} formatted, or empty when the child did not report it (e.g. a model it could not run). */
  private static String format(String format, Object value) {
    return value instanceof Number number ? String.format(Locale.ROOT, format, number.doubleValue()) : "";
  }

  @SuppressWarnings("unchecked")
  private static Object at(Map<String, Object> map, String... path) {
    Object node = map;
    for (String key : path) {
      if (!(node instanceof Map)) {
        return null;
      }
      node = ((Map<String, Object>) node).get(key);
    }
    return node;
  }

  /** Runs {@link #main} in a child JVM on {@code library}'s native BLAS, in {@code environment}; returns its JSON. */
  private static Map<String, Object> runChild(NativeBlasLibrary library, Environment environment,
      LearnBenchmark.Options options, Consumer<String> log) throws IOException, InterruptedException {
    String what = library.key() + " OpenBLAS, environment " + environment.label();
    Path out = Files.createTempFile("chorus-learn-" + library.key(), ".json");
    try {
      List<String> command = ChildJvm.command(Map.of(Blas.BACKEND_PROPERTY, BlasBackend.NATIVE.key(),
          NativeBlasLibrary.PROPERTY, library.key()), LearnBlasMatrix.class, List.of(out.toString(),
          options.dataDir().toString(), String.valueOf(options.batchSize()), String.valueOf(options.seed()),
          String.valueOf(options.peakGemmSize()), String.valueOf(options.maxExamples())));
      log.accept("bench learn --blas-matrix: " + what + ", in a child JVM");
      ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
      builder.environment().clear();
      builder.environment().putAll(environment.variables());
      Process child = builder.start();
      if (!child.waitFor(CHILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        child.destroyForcibly();
        throw new IllegalStateException(what + ": the child JVM did not finish within " + CHILD_TIMEOUT_MINUTES
            + " minutes");
      }
      if (child.exitValue() != 0) {
        throw new IllegalStateException(what + ": the child JVM exited with " + child.exitValue()
            + " (its error is above, its log in the log directory)");
      }
      return JSON.readValue(out.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /**
   * The child JVM's entry point (internal): {@code OUT_JSON DATA_DIR BATCH_SIZE SEED SGEMM_SIZE MAX_EXAMPLES}. Runs
   * the learn benchmark on native BLAS only, or writes {@code {"absent": reason}} when native BLAS cannot load here.
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 6) {
      throw new IllegalArgumentException("expected OUT_JSON DATA_DIR BATCH_SIZE SEED SGEMM_SIZE MAX_EXAMPLES, got "
          + List.of(args));
    }
    Map<String, Object> results;
    if (!Blas.isAvailable(BlasBackend.NATIVE)) {
      results = Map.of(ABSENT, Blas.unavailableReason(BlasBackend.NATIVE));
    } else {
      LearnBenchmark.Options options = LearnBenchmark.Options.defaults(Path.of(args[1]))
          .withBatchSize(Integer.parseInt(args[2])).withSeed(Long.parseLong(args[3]))
          .withPeakGemmSize(Integer.parseInt(args[4])).withMaxExamples(Integer.parseInt(args[5]))
          .withOtherBackends(false);
      results = LearnBenchmark.run(options, LearnBenchmark.Progress.NONE);
    }
    JSON.writeValue(Path.of(args[0]).toFile(), results);
  }
}
