package dev.chorus.cli;

import dev.chorus.cli.bench.SparseBenchmark;
import dev.chorus.cli.data.CsvReader;
import dev.chorus.cli.data.ExampleLabeling;
import dev.chorus.cli.data.FieldsJsonReader;
import dev.chorus.cli.data.IdxReader;
import dev.chorus.cli.data.LibSvmReader;
import dev.chorus.cli.data.PackageCatalogue;
import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.core.io.Dataset;
import dev.chorus.core.io.DenseDataset;
import dev.chorus.core.io.SparseDataset;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code chorus produce FILE}: streams a labeled dataset (IDX, CSV or LibSVM, gzip or not) into the examples
 * topic as {@link Example} records in the topic's wire format, paced, limited or looped, with a progress bar;
 * {@code chorus produce --packages} streams Debian's package catalogue ({@link PackageCatalogue}) as
 * {@code bench sparse} reads it.
 * Example ids are {@code <id-prefix>-<row>}: the same row is the same item, also when the dataset repeats.
 * Event times count up one millisecond per example sent from the start time, so consumers can restore order.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Stream a labeled dataset into the examples topic as Example records.",
                "FILE is IDX images (labels from --labels), CSV (label in --label-column), LibSVM, or JSON lines of "
                        + "named-field examples for hashed tasks, gzip or not; with --packages, apt's Packages list."})
final class ProduceCommand implements Callable<Integer> {

    /** Sends not yet acknowledged at most; beyond, the oldest is awaited (and its failure reported). */
    private static final int MAX_IN_FLIGHT = 10_000;

    /** The dataset file formats {@code produce} reads. */
    enum InputFormat { IDX, CSV, LIBSVM, JSONL }

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
            description = "The dataset (with --packages, optional: the Packages list).")
    Path file;

    @Option(names = "--packages", description = {"Send Debian's package catalogue, the task of bench sparse: each "
            + "package as named fields (name, description, depends, maintainer) labeled with its section's index, in "
            + "the order of --seed, as task 'packages' (ids packages-<name>). FILE, if given, is the Packages list "
            + "(plain, gzip or LZ4), else the largest *_Packages* file under --lists-dir."})
    boolean packages;

    @Option(names = "--lists-dir", paramLabel = "DIR",
            description = "With --packages: where apt keeps its lists (default: /var/lib/apt/lists).")
    Path listsDir = PackageCatalogue.APT_LISTS;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "" + SparseBenchmark.SEED,
            description = "With --packages: seeds the packages' order (default: ${DEFAULT-VALUE}, bench sparse's).")
    long seed;

    @Option(names = "--input-format", paramLabel = "idx|csv|libsvm|jsonl",
            description = "Format of FILE (default: from its name: *idx3-ubyte*, *.idx; *.csv, *.tsv; *.svm, "
                    + "*.libsvm, *.svmlight; *.jsonl, *.ndjson; each optionally .gz). jsonl: one "
                    + "{\"id\":..,\"task\":..,\"fields\":{..},\"label\":..} per line.")
    InputFormat inputFormat;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "IDX: the labels file (default: FILE with images-idx3 replaced by labels-idx1).")
    Path labels;

    @Option(names = "--label-column", paramLabel = "N|NAME", defaultValue = "0",
            description = "CSV: the label's column, 0-based (negative counts from the end) or its header name "
                    + "(default: ${DEFAULT-VALUE}).")
    String labelColumn;

    @Option(names = "--header", description = "CSV: the first line names the columns.")
    boolean header;

    @Option(names = "--delimiter", paramLabel = "CHAR",
            description = "CSV: the field delimiter, one character or 'tab' (default: tab for *.tsv, else ',').")
    String delimiter;

    @Option(names = "--zero-based", description = "LibSVM: feature indices start at 0, not 1.")
    boolean zeroBased;

    @Option(names = "--dim", paramLabel = "N", defaultValue = "0",
            description = "LibSVM: the number of features (default: the largest index in FILE).")
    int dim;

    @Option(names = "--annotators", paramLabel = "fashion-mnist|corruption:P",
            description = {"Label each item with simulated annotators instead of the dataset's label: 'fashion-mnist' "
                    + "is the pool of shared/NOISY-LABELS.md (experts, competent, pair-confusers, spammers, "
                    + "adversaries; 1, 3 or 5 labels per item), 'corruption:P' one annotator who replaces the label "
                    + "by another class with probability P. Each labeling is its own example with the item's id and "
                    + "the annotator's id; an item's labels arrive far apart, in a seeded order."})
    String annotators;

    @Option(names = "--labels-per-item", split = ",", paramLabel = "N[,N...]",
            description = "With --annotators fashion-mnist: how many labels an item gets, drawn from these (default: 1,3,5).")
    int[] labelsPerItem = AnnotatorPool.DEFAULT_LABELS_PER_ITEM;

    @Option(names = "--annotator-seed", defaultValue = "0",
            description = "Seeds the simulated annotators and their order (default: ${DEFAULT-VALUE}).")
    long annotatorSeed;

    @Option(names = "--regression",
            description = "Labels are real-valued targets (Example.target), not class indices (Example.label).")
    boolean regression;

    @Option(names = "--examples-topic", defaultValue = ChorusTopic.DefaultNames.EXAMPLES,
            description = "Default: ${DEFAULT-VALUE}.")
    String examplesTopic;

    @Option(names = "--format", paramLabel = "avro|json", defaultValue = "avro", converter = WireFormatConverter.class,
            description = "Wire format of the examples topic (default: ${DEFAULT-VALUE}).")
    WireFormat format;

    @Option(names = "--task", description = "Task of the examples (default: FILE's name up to its first dot); "
            + "jsonl: of the lines that name none.")
    String task;

    @Option(names = "--id-prefix", description = "Example ids are <id-prefix>-<row> (default: the task).")
    String idPrefix;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "0",
            description = "Examples per second; 0 sends as fast as Kafka takes them (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Send at most N examples in all; 0: no limit (default: ${DEFAULT-VALUE}).")
    long limit;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "1",
            description = "Stream the dataset N times; 0 loops until Ctrl-C or --limit (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--progress", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Show a progress bar on stderr (default); --no-progress hides it.")
    boolean progress;

    private final AtomicBoolean stopping = new AtomicBoolean();

    @Override
    public Integer call() throws Exception {
        InputFormat input = checkArguments();
        kafka.requireReachable(examplesTopic);
        String taskName = task != null ? task
                : packages ? PackageCatalogue.TASK : file.getFileName().toString().split("\\.", 2)[0];
        Source data = packages
                ? examples(PackageCatalogue.read(file, PackageCatalogue.DEFAULT_MIN_SECTION_PACKAGES)
                        .examples(seed, taskName, System.currentTimeMillis()), file.toString())
                : input == InputFormat.JSONL
                ? examples(FieldsJsonReader.read(file, taskName, System.currentTimeMillis()), file.toString())
                : dataset(read(input), taskName);
        if (data.size() == 0) {
            throw new IllegalStateException(data.source() + ": no examples to send");
        }

        PrintWriter out = spec.commandLine().getOut();
        Topic<Example> topic = new Topic<>(examplesTopic, Example.class, format);
        long total = repeat == 0 ? limit : (long) data.size() * repeat;
        if (limit > 0) {
            total = Math.min(total, limit);
        }
        CountDownLatch done = new CountDownLatch(1);
        Thread shutdown = new Thread(() -> {
            stopping.set(true);
            try {
                done.await(10, TimeUnit.SECONDS); // lets the loop flush what it sent
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "chorus-produce-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        long started = System.nanoTime();
        long sent;
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers, kafka.kafkaProperties);
                ProgressBar bar = progress ? progressBar(total) : null) {
            sent = stream(data, topic, producer, bar);
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(shutdown);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook waited for the loop above to finish.
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        out.printf(Locale.ROOT, "sent %,d examples (task %s) from %s to %s (%s) at %s in %.1f s (%,.0f/s)%s%n", sent,
                taskName, data.source(), examplesTopic, format, kafka.bootstrapServers, seconds, sent / seconds,
                stopping.get() ? ", stopped by Ctrl-C" : "");
        out.flush();
        return 0;
    }

    /** What produce streams: per pass, {@link #size} positions, each one or more examples sent at an event time. */
    private interface Source {
        String source();

        int size();

        void emit(int position, long eventTime, Consumer<Example> send);
    }

    /** A dataset's rows, with the dataset's labels or simulated annotators' ({@link #labeling}). */
    private Source dataset(Dataset data, String taskName) {
        String prefix = idPrefix != null ? idPrefix : taskName;
        ExampleLabeling labeling = labeling(data);
        double[] trueLabels = regression ? data.labels() : toDoubles(data.classLabels());
        return new Source() {
            @Override
            public String source() {
                return data.source();
            }

            @Override
            public int size() {
                return data.rows() == 0 ? 0 : labeling.size(data.rows());
            }

            @Override
            public void emit(int position, long eventTime, Consumer<Example> send) {
                int row = labeling.row(position);
                Example unlabeled = features(data, row).setId(prefix + "-" + row).setTask(taskName)
                        .setEventTime(eventTime).build();
                labeling.label(position, unlabeled, trueLabels[row], send);
            }
        };
    }

    /** Examples as read ({@link FieldsJsonReader}, {@link PackageCatalogue#examples}), each sent as it is. */
    private static Source examples(List<Example> examples, String source) {
        return new Source() {
            @Override
            public String source() {
                return source;
            }

            @Override
            public int size() {
                return examples.size();
            }

            @Override
            public void emit(int position, long eventTime, Consumer<Example> send) {
                send.accept(examples.get(position));
            }
        };
    }

    private long stream(Source data, Topic<Example> topic, ExampleProducer producer, ProgressBar bar)
            throws InterruptedException {
        RecordCodec<Example> codec = topic.codec();
        ArrayDeque<Future<RecordMetadata>> inFlight = new ArrayDeque<>();
        RatePacer pacer = new RatePacer(rate);
        long startTime = System.currentTimeMillis();
        long[] sent = {0};
        for (int pass = 0; repeat == 0 || pass < repeat; pass++) {
            for (int position = 0; position < data.size(); position++) {
                if ((limit > 0 && sent[0] >= limit) || stopping.get()) {
                    return finish(producer, inFlight, sent[0]);
                }
                pacer.awaitTurn(sent[0]);
                data.emit(position, startTime + sent[0], example -> {
                    inFlight.add(producer.sendRaw(topic.name(), example.getId(), codec.encode(example)));
                    sent[0]++;
                });
                while (inFlight.size() > MAX_IN_FLIGHT || (!inFlight.isEmpty() && inFlight.peek().isDone())) {
                    check(inFlight.poll());
                }
                if (bar != null) {
                    bar.stepTo(sent[0]);
                }
            }
        }
        return finish(producer, inFlight, sent[0]);
    }

    private long finish(ExampleProducer producer, ArrayDeque<Future<RecordMetadata>> inFlight, long sent)
            throws InterruptedException {
        producer.flush();
        while (!inFlight.isEmpty()) {
            check(inFlight.poll());
        }
        return sent;
    }

    private void check(Future<RecordMetadata> send) throws InterruptedException {
        try {
            send.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("sending to " + examplesTopic + " failed: " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    /** An example builder with row {@code row}'s features, dense or sparse as the dataset stores them. */
    private static Example.Builder features(Dataset data, int row) {
        Example.Builder example = Example.newBuilder();
        if (data instanceof SparseDataset s) {
            int from = s.rowStart()[row];
            int to = s.rowStart()[row + 1];
            List<Integer> indices = new ArrayList<>(to - from);
            for (int p = from; p < to; p++) {
                indices.add(s.indices()[p]);
            }
            return example.setFeatures(Float32.pack(s.values(), from, to - from)).setIndices(indices);
        }
        DenseDataset d = (DenseDataset) data;
        return example.setFeatures(Float32.pack(d.features(), row * d.dim(), d.dim()));
    }

    /**
     * Checks what can be checked before touching Kafka or reading the data; returns FILE's format, null with
     * --packages (whose FILE it finds when none is given).
     */
    private InputFormat checkArguments() throws IOException {
        if (rate < 0 || limit < 0 || repeat < 0 || dim < 0) {
            throw usage("--rate, --limit, --repeat and --dim take values >= 0");
        }
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (packages) {
            for (String option : List.of("--input-format", "--labels", "--header", "--label-column", "--delimiter",
                    "--zero-based", "--dim", "--annotators", "--labels-per-item", "--annotator-seed", "--regression",
                    "--id-prefix")) {
                if (parsed.hasMatchedOption(option)) {
                    throw usage(option + " does not apply to --packages");
                }
            }
            file = file != null ? file : PackageCatalogue.defaultFile(listsDir).orElseThrow(() -> usage(
                    "--packages: no *_Packages* file under " + listsDir + " (run apt-get update, or give FILE)"));
        } else if (file == null) {
            throw usage("Missing required parameter: 'FILE' (or --packages)");
        }
        if (!Files.isRegularFile(file)) {
            throw usage("FILE " + file + ": no such file");
        }
        if (packages) {
            return null;
        }
        for (String option : List.of("--lists-dir", "--seed")) {
            if (parsed.hasMatchedOption(option)) {
                throw usage(option + " applies only with --packages");
            }
        }
        InputFormat input = formatOf(file);
        rejectUnless(input == InputFormat.IDX, parsed, "--labels");
        rejectUnless(input == InputFormat.CSV, parsed, "--header", "--label-column", "--delimiter");
        rejectUnless(input == InputFormat.LIBSVM, parsed, "--zero-based", "--dim");
        rejectUnless(input != InputFormat.JSONL, parsed, "--annotators", "--labels-per-item", "--annotator-seed",
                "--regression", "--id-prefix");
        return input;
    }

    private void rejectUnless(boolean applies, CommandLine.ParseResult parsed, String... options) {
        for (String option : options) {
            if (!applies && parsed.hasMatchedOption(option)) {
                throw usage(option + " does not apply to " + formatOf(file).name().toLowerCase(Locale.ROOT) + " input");
            }
        }
    }

    private InputFormat formatOf(Path path) {
        if (inputFormat != null) {
            return inputFormat;
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT).replaceFirst("\\.gz$", "");
        if (name.contains("idx3") || name.endsWith(".idx")) {
            return InputFormat.IDX;
        } else if (name.endsWith(".csv") || name.endsWith(".tsv")) {
            return InputFormat.CSV;
        } else if (name.endsWith(".svm") || name.endsWith(".libsvm") || name.endsWith(".svmlight")) {
            return InputFormat.LIBSVM;
        } else if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return InputFormat.JSONL;
        }
        throw usage("cannot tell the format of " + path + " from its name: give --input-format idx|csv|libsvm|jsonl");
    }

    private Dataset read(InputFormat input) throws IOException {
        switch (input) {
            case IDX:
                Path labelsFile = labels != null ? labels : defaultLabels();
                IdxReader.Images images = IdxReader.readImages(file);
                int[] classes = IdxReader.readLabels(labelsFile);
                if (images.count() != classes.length) {
                    throw new IOException(labelsFile + ": expected one label per image of " + file + " ("
                            + images.count() + "), got " + classes.length);
                }
                return new DenseDataset(file.toString(), images.count(), images.pixelsPerImage(), images.pixels(),
                        toDoubles(classes));
            case CSV:
                CsvReader csv = CsvReader.defaults().withHeader(header).withDelimiter(delimiter());
                csv = labelColumn.matches("-?\\d+") ? csv.withLabelColumn(Integer.parseInt(labelColumn))
                        : csv.withLabelColumn(labelColumn);
                return csv.read(file);
            case LIBSVM:
                LibSvmReader libsvm = LibSvmReader.defaults().withZeroBasedIndices(zeroBased);
                return (dim > 0 ? libsvm.withDim(dim) : libsvm).read(file);
            default:
                throw new IllegalStateException("unhandled input format " + input);
        }
    }

    private Path defaultLabels() {
        String name = file.getFileName().toString();
        String labelsName = name.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1");
        Path derived = file.resolveSibling(labelsName);
        if (labelsName.equals(name) || !Files.isRegularFile(derived)) {
            throw usage("IDX images " + file + " need their labels: give --labels FILE"
                    + (labelsName.equals(name) ? "" : " (" + derived + " does not exist)"));
        }
        return derived;
    }

    private char delimiter() {
        if (delimiter == null) {
            return file.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.tsv(\\.gz)?") ? '\t' : ',';
        }
        if (delimiter.equalsIgnoreCase("tab") || delimiter.equals("\\t")) {
            return '\t';
        }
        if (delimiter.length() != 1) {
            throw usage("--delimiter: expected one character or 'tab', got '" + delimiter + "'");
        }
        return delimiter.charAt(0);
    }

    private ProgressBar progressBar(long total) {
        return new ProgressBarBuilder().setTaskName("Producing").setInitialMax(total > 0 ? total : -1)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" ex", 1).showSpeed().setMaxRenderedLength(110).build();
    }

    private static double[] toDoubles(int[] values) {
        double[] doubles = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            doubles[i] = values[i];
        }
        return doubles;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** {@code --format}: the names {@link WireFormat#parse} takes, with its message for others. */
    static final class WireFormatConverter implements CommandLine.ITypeConverter<WireFormat> {
        @Override
        public WireFormat convert(String value) {
            try {
                return WireFormat.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** The dataset's own labels, or simulated annotators' labels of its classes with {@code --annotators}. */
    private ExampleLabeling labeling(Dataset data) {
        if (annotators == null) {
            return ExampleLabeling.datasetLabels(regression);
        }
        if (regression) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--annotators labels classes: it cannot be combined with --regression");
        }
        int[] classes = data.classLabels();
        AnnotatorPool pool;
        if (annotators.equals("fashion-mnist")) {
            pool = AnnotatorPool.fashionMnist(annotatorSeed);
        } else if (annotators.startsWith("corruption:")) {
            double p;
            try {
                p = Double.parseDouble(annotators.substring("corruption:".length()));
            } catch (NumberFormatException e) {
                p = Double.NaN;
            }
            if (!(p >= 0 && p <= 1)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--annotators: expected corruption:P with "
                        + "P in [0, 1], got '" + annotators + "'");
            }
            pool = AnnotatorPool.corruption(AnnotatorPool.FASHION_MNIST_CLASSES, p);
        } else {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--annotators: expected fashion-mnist or corruption:P, got '" + annotators + "'");
        }
        for (int c : classes) {
            if (c < 0 || c >= pool.numClasses()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--annotators " + annotators
                        + ": expected class labels in [0, " + pool.numClasses() + "), got " + c);
            }
        }
        int[] perItem = annotators.startsWith("corruption:") ? new int[] {1} : labelsPerItem;
        return ExampleLabeling.simulatedAnnotators(pool, pool.label(classes, perItem, annotatorSeed));
    }
}
