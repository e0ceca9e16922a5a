package dev.chorus.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.chorus.cli.bench.CrowdBenchmark;
import dev.chorus.cli.bench.LabelOnlyTrack;
import dev.chorus.cli.bench.LatencyBenchmark;
import dev.chorus.cli.bench.LearnBenchmark;
import dev.chorus.cli.bench.LearnBlasMatrix;
import dev.chorus.cli.bench.Plots;
import dev.chorus.cli.bench.SelectBenchmark;
import dev.chorus.cli.bench.SparseBenchmark;
import dev.chorus.cli.data.PackageCatalogue;
import dev.chorus.cli.bench.e2e.E2eBenchmark;
import dev.chorus.cli.bench.e2e.E2eReport;
import dev.chorus.cli.bench.e2e.SparseCheckpointLine;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code chorus bench}: benchmarks that need the whole machine; their figures go to docs/BENCHMARKS.md. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks: figures printed, written as JSON with --json and as PNG charts with --plots.",
        subcommands = {BenchCommand.Learn.class, BenchCommand.Crowd.class, BenchCommand.Latency.class,
            BenchCommand.Soak.class, BenchCommand.History.class, BenchCommand.E2e.class, BenchCommand.Select.class,
            BenchCommand.Sparse.class})
public final class BenchCommand {

    /**
     * What to tell whoever reads a benchmark's BLAS figures when {@code OPENBLAS_CORETYPE} in {@code environment}
     * overrides OpenBLAS's choice of kernels for this CPU, else nothing.
     */
    static Optional<String> forcedCoreTypeNote(Map<String, String> environment) {
        String coreType = environment.get("OPENBLAS_CORETYPE");
        if (coreType == null || coreType.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("Note: OPENBLAS_CORETYPE=" + coreType + " overrides OpenBLAS's choice of kernels for this "
                + "CPU, so the native BLAS figures are for " + coreType + "'s kernels; unset it to measure what OpenBLAS "
                + "picks (docs/OPERATIONS.md, \"Scale\").");
    }

    private static void noteForcedCoreType() {
        forcedCoreTypeNote(System.getenv()).ifPresent(System.err::println);
    }

    /** The options {@code build} makes; what it refuses (IllegalArgumentException) is a usage error of {@code spec}. */
    private static <T> T usageChecked(CommandSpec spec, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Prints each line a benchmark logs to {@code out} as it comes. */
    private static Consumer<String> lineByLine(PrintWriter out) {
        return line -> {
            out.println(line);
            out.flush();
        };
    }

    @Command(name = "learn", mixinStandardHelpOptions = true,
            description = {"Trains in memory, without Kafka, on Fashion-MNIST (one pass = 60,000 examples in minibatches "
                    + "of 128, tested on the 10,000 clean test images): softmax regression and MLP-256 (plain, dropout, "
                    + "batch norm, averaged weights), accuracy and examples/s per BLAS backend, this machine's sgemm peak, and "
                    + "scikit-learn's SGDClassifier and MLPClassifier partial_fit on the same data when python3-sklearn "
                    + "is installed."})
    static final class Learn implements Callable<Integer> {
        @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist",
                description = "Directory of the Fashion-MNIST IDX files (Debian package dataset-fashion-mnist; "
                        + "default: ${DEFAULT-VALUE}).")
        Path data;

        @Option(names = "--batch-size", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
        int batchSize;

        @Mixin
        SklearnPeers peers;

        @Option(names = "--max-examples", paramLabel = "N", defaultValue = "0",
                description = "Train and test on the first N examples of each split only (default: all); "
                        + "scikit-learn is then skipped.")
        int maxExamples;

        @Option(names = "--sgemm-size", paramLabel = "N", defaultValue = "2048",
                description = "n of the n × n sgemm that measures the peak (default: ${DEFAULT-VALUE}).")
        int sgemmSize;

        @Option(names = "--blas-matrix",
                description = "Run the native lines once per native BLAS library (the bundled OpenBLAS, the system's "
                        + "libblas.so.3) and per kernel choice (OPENBLAS_CORETYPE as the environment has it, and unset), "
                        + "each in a child JVM, and print them side by side; no other backend, no scikit-learn.")
        boolean blasMatrix;

        @Mixin
        BenchFigures figures;

        @Option(names = "--plots", paramLabel = "DIR",
                description = "Write PNG charts into DIR (made if missing): learn-curves.png, test accuracy against passes "
                        + "per model.")
        Path plots;

        @Override
        public Integer call() throws Exception {
            LearnBenchmark.Options options = LearnBenchmark.Options.defaults(data).withBatchSize(batchSize)
                    .withMaxExamples(maxExamples).withPeakGemmSize(sgemmSize);
            if (blasMatrix) {
                Map<String, Object> results = LearnBlasMatrix.run(options, System.getenv(), System.out::println);
                System.out.println();
                System.out.print(LearnBlasMatrix.table(results));
                figures.writeJson(results);
                return 0;
            }
            noteForcedCoreType();
            Path peer = peers.script("sklearn_peer.py");
            if (peer != null) {
                options = options.withSklearnPeer(peer);
            }
            Map<String, Object> results;
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("bench learn").setInitialMax(1)
                    .setStyle(ProgressBarStyle.ASCII).setUnit(" ex", 1).showSpeed().setMaxRenderedLength(120).build()) {
                results = LearnBenchmark.run(options, (phase, done, total) -> {
                    bar.maxHint(total);
                    bar.stepTo(done);
                    bar.setExtraMessage(" " + phase);
                });
            }
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(results));
            figures.write(results, plots, Plots::learn);
            return 0;
        }
    }

    @Command(name = "latency", mixinStandardHelpOptions = true,
            description = {"Latency from an example produced to its prediction consumed, through the serve job on an "
                    + "embedded broker and MiniCluster, at-least-once and exactly-once, while the model is swapped "
                    + "every second. Also counts lost and duplicated predictions and model-version regressions."})
    static final class Latency implements Callable<Integer> {
        @Option(names = "--rate", split = ",", description = "Examples/s to measure at (default: 1000,10000).")
        List<Integer> rates = List.of(1000, 10000);

        @Option(names = "--seconds", defaultValue = "10", description = "Length of each measured run (default: ${DEFAULT-VALUE}).")
        int seconds;

        @Mixin
        BenchFigures figures;

        @Option(names = "--plots", paramLabel = "DIR",
                description = "Write PNG charts into DIR (made if missing): latency-percentiles.png, p50/p95/p99/max per "
                        + "delivery mode and rate.")
        Path plots;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> results = new LatencyBenchmark(rates, Duration.ofSeconds(seconds), System.out::println).run();
            figures.write(results, plots, Plots::latency);
            return 0;
        }
    }

    @Command(name = "soak", mixinStandardHelpOptions = true,
            description = {"Trains and serves at a steady rate for N minutes on an embedded broker and MiniCluster; "
                    + "samples heap after GC, checkpointed state size and checkpoint duration each minute, and fits "
                    + "their trend after the first third of the run."})
    static final class Soak implements Callable<Integer> {
        @Option(names = "--minutes", defaultValue = "10", description = "Default: ${DEFAULT-VALUE}.")
        int minutes;

        @Option(names = "--rate", defaultValue = "2000", description = "Examples/s (default: ${DEFAULT-VALUE}).")
        int rate;

        @Option(names = "--sample-seconds", defaultValue = "60", description = "Sampling interval (default: ${DEFAULT-VALUE}).")
        int sampleSeconds;

        @Mixin
        BenchFigures figures;

        @Option(names = "--plots", paramLabel = "DIR",
                description = "Write PNG charts into DIR (made if missing): soak-over-time.png, heap, state and checkpoint "
                        + "duration per minute.")
        Path plots;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> results = new dev.chorus.cli.bench.SoakBenchmark(minutes, rate,
                    Duration.ofSeconds(sampleSeconds), System.out::println).run();
            System.out.printf("heap trend %.3f MB/min, state trend %.1f bytes/min (from minute %s)%n",
                    results.get("heap_trend_mb_per_min"), results.get("state_trend_bytes_per_min"),
                    results.get("trend_from_minute"));
            figures.write(results, plots, Plots::soak);
            return 0;
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = {"Floods a label model's per-item label history with unique item ids (twice its bound, so "
                    + "that it is full and evicting) and prints the heap it retains after GC and the bytes a "
                    + "checkpoint writes for it, in all and per item."})
    static final class History implements Callable<Integer> {
        /** Labels per item, as in bench soak. */
        static final int LABELS_PER_ITEM = 3;

        @Option(names = "--history-items", paramLabel = "N",
                defaultValue = "" + dev.chorus.core.model.LabelModelSpec.DEFAULT_HISTORY_ITEMS,
                description = "The history's item bound, historyItems (default: the spec default, ${DEFAULT-VALUE}).")
        int items;

        @Mixin
        BenchFigures figures;

        @Option(names = "--plots", paramLabel = "DIR",
                description = "Write PNG charts into DIR (made if missing): history-bytes-per-item.png, heap and checkpoint "
                        + "bytes per item.")
        Path plots;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> results = dev.chorus.cli.bench.HistoryBenchmark.run(items,
                    dev.chorus.core.model.LabelModelSpec.DEFAULT_MAX_LABELS_PER_ITEM, LABELS_PER_ITEM);
            System.out.printf("history of %,d items (%d labels each, %,d unique items labelled): heap %,.1f MB "
                    + "(%.0f bytes/item), checkpoint %,.1f MB (%.0f bytes/item)%n", results.get("items_held"),
                    LABELS_PER_ITEM, results.get("unique_items_labelled"), (long) results.get("heap_bytes") / 1048576.0,
                    results.get("heap_bytes_per_item"), (long) results.get("checkpoint_bytes") / 1048576.0,
                    results.get("checkpoint_bytes_per_item"));
            figures.write(results, plots, Plots::history);
            return 0;
        }
    }

    @Command(name = "e2e", mixinStandardHelpOptions = true,
            description = {"End-to-end throughput on an embedded broker and MiniCluster: fills one examples topic "
                    + "(2 partitions) with N Fashion-MNIST examples labeled by the simulated annotators, then measures "
                    + "a plain consumer reading it (the ceiling), the train job (softmax, MLP-256, MLP-256 with "
                    + "Dawid-Skene; parallelism 1 and 2; at-least-once, bounded), the serve job, softmax and MLP-256 "
                    + "on pure-Java BLAS in a child JVM, checkpoint durations and sizes, and scikit-learn's "
                    + "SGDClassifier in memory; examples/s and the ratio to the ceiling per line.",
                "Lines: softmax.p1, softmax.p2, softmax_2tasks.p2, mlp256.p1, mlp256.p2, mlp256_2tasks.p2, "
                    + "mlp256_dawid_skene.p1, serve.p1 (needs a softmax line), softmax_java.p1, mlp256_java.p1, "
                    + "checkpoint.softmax, checkpoint.mlp256, peers.sklearn_sgd_log. With one task, parallelism 2 "
                    + "reads and decodes in parallel but trains in one subtask; the 2tasks lines fill a second topic "
                    + "whose examples alternate between two tasks that train in different subtasks."})
    static final class E2e implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--examples", paramLabel = "N", defaultValue = "" + E2eBenchmark.DEFAULT_EXAMPLES,
                description = "Examples in the topic, the dataset repeated as needed (default: ${DEFAULT-VALUE}).")
        int examples;

        @Option(names = "--lines", split = ",", paramLabel = "LINE",
                description = "Run only these lines (default: all); the raw consumer always runs.")
        List<String> lines = List.of();

        @Mixin
        SklearnPeers peers;

        @Option(names = "--progress", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Show a progress bar while filling the topic (default); --no-progress hides it.")
        boolean progress;

        @Option(names = "--runs", paramLabel = "N", defaultValue = "" + E2eBenchmark.DEFAULT_RUNS,
                description = "Run each line at least 3 times and until two runs in a row agree within 5%%, at most N "
                        + "times, and report the median run after the first (default: ${DEFAULT-VALUE}); 1 runs each "
                        + "line once.")
        int runs;

        @Mixin
        BenchFigures figures;

        @Option(names = "--plots", paramLabel = "DIR",
                description = "Write PNG charts into DIR (made if missing): e2e-ratio-to-raw.png, each line's rate over the "
                        + "raw-consume ceiling, with the targets.")
        Path plots;

        @Override
        public Integer call() throws Exception {
            E2eBenchmark.Options options = usageChecked(spec, () -> new E2eBenchmark.Options(examples,
                    Set.copyOf(lines), peers.script("sklearn_peer.py"), progress, runs));
            noteForcedCoreType();
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Object> results = new E2eBenchmark(options, lineByLine(out)).run();
            out.println();
            out.print(E2eReport.table(results));
            out.flush();
            figures.write(results, plots, Plots::e2e);
            return 0;
        }
    }

    @Command(name = "crowd", mixinStandardHelpOptions = true,
            description = {"The noisy-label protocol (docs/BENCHMARKS.md) in memory on Fashion-MNIST: simulated "
                    + "annotators, 3 labels per item, every label model and an oracle on clean labels, for softmax "
                    + "regression and MLP-256; clean test accuracy, confusion-estimation error and Spearman correlation "
                    + "of reliability with true accuracy, mean and std over the seeds; plus the one-label corruption track, "
                    + "the swap, copycat and long-tail scenarios, and the label-only track (1,000 annotators, 20-50 labels "
                    + "each: streamed consensus vs batch Dawid-Skene MAP-EM with its prior, ML EM and majority vote)."})
    static final class Crowd implements Callable<Integer> {
        @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist",
                description = "Directory of the Fashion-MNIST IDX files (default: ${DEFAULT-VALUE}).")
        Path data;

        @Option(names = "--seeds", split = ",", description = "Seeds (default: 0,1,2,3,4).")
        List<Long> seeds = List.of(0L, 1L, 2L, 3L, 4L);

        @Option(names = "--averaging", paramLabel = "DECAY",
                description = "Every model (each method's, naive's, the oracle's) predicts from averaged weights: "
                        + "its spec gets \"averaging\": {\"decay\": DECAY}, 0 < DECAY < 1 (default: none).")
        Double averaging;

        @Mixin
        BenchFigures figures;

        @Option(names = "--plots", paramLabel = "DIR",
                description = "Write PNG charts into DIR (made if missing): per model, crowd-<model>-curves.png (accuracy "
                        + "while training, per method), crowd-<model>-confusions-<method>.png (true and estimated "
                        + "confusions of three annotators) and crowd-<model>-corruption.png.")
        Path plots;

        @Override
        public Integer call() throws Exception {
            noteForcedCoreType();
            Map<String, Object> results = new java.util.LinkedHashMap<>();
            for (int hidden : new int[] {0, LearnBenchmark.HIDDEN_UNITS}) {
                CrowdBenchmark.Options defaults = CrowdBenchmark.Options.defaults(data);
                CrowdBenchmark.Options options = new CrowdBenchmark.Options(data, hidden, defaults.passes(),
                        defaults.batchSize(), seeds, defaults.methods(), defaults.trainItems(), defaults.corruption(),
                        averaging);
                Map<String, Object> run = CrowdBenchmark.run(options, (phase, done, total) -> { });
                run.forEach((key, value) -> results.merge(key, value, (a, b) -> a));
                System.out.printf("%s done%n", hidden == 0 ? "softmax" : "mlp" + hidden);
            }
            if (averaging != null) {
                results.put("averaging_decay", averaging);
            }
            results.put("label_only", LabelOnlyTrack.run(LabelOnlyTrack.Options.protocol(
                    CrowdBenchmark.Options.defaults(data).batchSize(), seeds)));
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(results));
            figures.write(results, plots, Plots::crowd);
            return 0;
        }
    }

    @Command(name = "select", mixinStandardHelpOptions = true,
            description = {"Live model management in process on Fashion-MNIST, one pass over the seeded training "
                    + "stream, the test split touched only for the reported test accuracies. Search (issue 16's space, "
                    + "then with batchSize): 8 MLP variants by successive halving (budget a third of the stream) "
                    + "against the same 8 trained to the end and the default MLP-256, with the training CPU of each. "
                    + "Drift (that MLP, and it with a decaying rate): an abrupt change at the midpoint (half the "
                    + "classes' labels rotated) and a gradual one (features inverted for a share growing to all), with "
                    + "the detector and reaction chosen on a validation stream against none; false alarms on the "
                    + "stationary stream. Variants: examples/s and CPU per example and variant of the train job "
                    + "(embedded broker and MiniCluster, parallelism 2) with 1, 4 and 16 softmax variants of one task."})
    static final class Select implements Callable<Integer> {
        @Option(names = "--tracks", split = ",", paramLabel = "TRACK[,TRACK...]",
                defaultValue = "search,drift,variants", description = "Tracks to run (default: ${DEFAULT-VALUE}).")
        List<String> tracks;

        @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist",
                description = "Directory of the Fashion-MNIST IDX files (default: ${DEFAULT-VALUE}).")
        Path data;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
                description = "Stream the first N training examples only (at least 100; default: all 60,000).")
        int limit;

        @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
        long seed;

        @Option(names = "--batch-size", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
        int batchSize;

        @Option(names = "--search-budget", paramLabel = "N", defaultValue = "0",
                description = "The searches' budgetExamples (default: a third of the stream).")
        long searchBudget;

        @Option(names = "--cpu-repeats", paramLabel = "N", defaultValue = "3",
                description = "Time each search track's three races (the search, the 8 to the end, the default) N"
                        + " times, interleaved, and divide the medians (default: ${DEFAULT-VALUE}).")
        int cpuRepeats;

        @Mixin
        BenchFigures figures;

        @Option(names = "--plots", paramLabel = "DIR",
                description = "Write PNG charts into DIR (made if missing): select-drift.png and, for the decayed "
                        + "learner, select-drift-decayed.png: served accuracy per 1,000 examples, with and without.")
        Path plots;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            SelectBenchmark.Options options = usageChecked(spec,
                    () -> new SelectBenchmark.Options(data, seed, limit, batchSize, Set.copyOf(tracks),
                            searchBudget, cpuRepeats));
            noteForcedCoreType();
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Object> results = SelectBenchmark.run(options, lineByLine(out));
            figures.write(results, plots, Plots::select);
            return 0;
        }
    }

    @Command(name = "sparse", mixinStandardHelpOptions = true,
            description = {"Sparse, hashed learning in memory. packages: Debian's package catalogue, a package's "
                    + "Section predicted from its name, short description, dependencies and maintainer, hashed into "
                    + "2^20 dimensions, one pass in a seeded order (prequential accuracy), then the held-out last 10%%; "
                    + "softmax regression with FTRL and with AdaGrad against scikit-learn's FeatureHasher + "
                    + "SGDClassifier.partial_fit on the same order, features and hash size. memory: the heap of an "
                    + "FTRL logistic model at 2^20 and 2^24 dimensions against its parameters x bytes per parameter. "
                    + "sampled_softmax: a synthetic stream of many classes, the cost of a sampled-softmax step at 10^3 "
                    + "and 10^6 classes, and its held-out accuracy against a full softmax at 10^3 and 10^4 classes. "
                    + "e2e: the same packages through an embedded Kafka broker (a JSON and an Avro topic) into the "
                    + "train job on a MiniCluster, hashed logistic and softmax and wide & deep, against a raw consumer's "
                    + "rate and a Flink job's that decodes and writes a constant prediction."})
    static final class Sparse implements Callable<Integer> {
        @Option(names = "--packages", paramLabel = "FILE",
                description = "The Packages list, plain, gzip or LZ4 (default: the largest *_Packages* file under "
                        + "/var/lib/apt/lists, there after apt-get update).")
        Path packages;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
                description = "Use only the first N packages of the seeded order (default: all).")
        int limit;

        @Option(names = "--min-section-packages", paramLabel = "N",
                defaultValue = "" + PackageCatalogue.DEFAULT_MIN_SECTION_PACKAGES,
                description = "Drop sections with fewer packages (default: ${DEFAULT-VALUE}).")
        int minSectionPackages;

        @Option(names = "--batch-size", paramLabel = "N", defaultValue = "" + SparseBenchmark.BATCH_SIZE,
                description = "Examples per minibatch, for Chorus and scikit-learn alike (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Mixin
        SklearnPeers peers;

        @Option(names = "--tracks", split = ",", paramLabel = "TRACK[,TRACK...]",
                description = "Tracks to run, some of packages, memory, sampled_softmax, e2e (default: all).")
        List<String> tracks;

        @Option(names = "--no-e2e", description = "Run the in-memory tracks (packages, memory, sampled_softmax) only.")
        boolean noE2e;

        @Option(names = "--e2e-only", description = "Run the e2e track only.")
        boolean e2eOnly;

        @Option(names = "--runs", paramLabel = "N", defaultValue = "" + E2eBenchmark.DEFAULT_RUNS,
                description = "e2e: the most runs of each line until its rate settles, as bench e2e "
                        + "(default: ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--lines", split = ",", paramLabel = "LINE",
                description = "e2e: run only these lines (hashed_logistic, hashed_softmax, wide_deep, wide_deep_binary; "
                        + "default: all); the raw consumer and Flink ceilings of their topics always run. --checkpoints: "
                        + "the task, hashed_logistic (default) or wide_deep.")
        List<String> lines = List.of();

        @Option(names = "--checkpoints", description = "Run only the checkpoint track: the train job with one "
                + "hashed FTRL logistic task on an embedded broker and MiniCluster, checkpoint size and duration per "
                + "dimension and state backend (several minutes).")
        boolean checkpoints;

        @Option(names = "--checkpoint-bits", paramLabel = "B", split = ",", defaultValue = "20,24",
                description = "Checkpoint track: hashed dimensions 2^B (default: ${DEFAULT-VALUE}).")
        List<Integer> checkpointBits;

        @Option(names = "--checkpoint-rows", paramLabel = "N", defaultValue = "" + SparseCheckpointLine.ROWS,
                description = "Checkpoint track: distinct hashed rows the clicks touch first (default: ${DEFAULT-VALUE}).")
        int checkpointRows;

        @Option(names = "--checkpoint-count", paramLabel = "N", defaultValue = "" + SparseCheckpointLine.CHECKPOINTS,
                description = "Checkpoint track: checkpoints measured each (default: ${DEFAULT-VALUE}).")
        int checkpointCount;

        @Option(names = "--checkpoint-backends", paramLabel = "B", split = ",",
                defaultValue = "hashmap,rocksdb,rocksdb-rows", description = "Checkpoint track: hashmap (full), "
                + "rocksdb (incremental), rocksdb-rows (incremental, --hashed-state rows); default all three.")
        List<String> checkpointBackends;

        @Option(names = "--checkpoint-trickle", paramLabel = "N", defaultValue = "" + SparseCheckpointLine.TRICKLE_PER_S,
                description = "Checkpoint track: clicks a second while checkpoints are measured (default: "
                        + "${DEFAULT-VALUE}).")
        int checkpointTrickle;

        @Mixin
        BenchFigures figures;

        @Option(names = "--plots", paramLabel = "DIR",
                description = "Write PNG charts into DIR (made if missing): sparse-packages-curves.png, prequential "
                        + "accuracy against examples per learner, and sparse-memory.png, heap against stated bytes.")
        Path plots;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            if (checkpoints) {
                SparseCheckpointLine.Options options = usageChecked(spec, () -> new SparseCheckpointLine.Options(
                        checkpointBits, checkpointRows, checkpointCount,
                        checkpointBackends.stream().map(SparseCheckpointLine.Backend::of).toList(),
                        checkpointTrickle, SparseCheckpointLine.Task.of(lines)));
                Map<String, Object> results = SparseCheckpointLine.run(options, lineByLine(out));
                figures.writeJson(results);
                return 0;
            }
            if ((noE2e ? 1 : 0) + (e2eOnly ? 1 : 0) + (tracks != null ? 1 : 0) > 1) {
                throw new ParameterException(spec.commandLine(), "--tracks, --no-e2e and --e2e-only exclude each other");
            }
            List<String> chosen = tracks != null ? tracks : noE2e ? SparseBenchmark.IN_MEMORY_TRACKS
                    : e2eOnly ? List.of("e2e") : SparseBenchmark.TRACKS;
            Path file = packages != null || !(chosen.contains("packages") || chosen.contains("e2e")) ? packages
                    : PackageCatalogue.defaultFile(PackageCatalogue.APT_LISTS).orElseThrow(() -> new ParameterException(
                            spec.commandLine(), "no *_Packages* file under " + PackageCatalogue.APT_LISTS
                                    + " (run apt-get update, or give --packages FILE)"));
            if (runs < 1) {
                throw new ParameterException(spec.commandLine(), "--runs: expected a value >= 1, got " + runs);
            }
            if (!SparseBenchmark.E2E_LINES.containsAll(lines)) {
                throw new ParameterException(spec.commandLine(), "--lines: expected some of "
                        + SparseBenchmark.E2E_LINES + ", got " + lines);
            }
            Path peer = peers.script("sklearn_sparse_peer.py");
            SparseBenchmark.Options options = usageChecked(spec, () -> new SparseBenchmark.Options(file, limit,
                    minSectionPackages, batchSize, peer, Set.copyOf(chosen), runs, Set.copyOf(lines)));
            Map<String, Object> results = SparseBenchmark.run(options, lineByLine(out));
            figures.write(results, plots, Plots::sparse);
            return 0;
        }
    }
}
