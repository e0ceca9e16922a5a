package dev.chorus.cli;

import dev.chorus.cli.data.ExampleLabeling;
import dev.chorus.cli.data.FieldsJsonReader;
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
import picocli.CommandLine.Spec;

/**
 * {@code chorus produce FILE}: streams a labeled dataset (IDX, CSV or LibSVM, gzip or not) into the examples
 * topic as {@link Example} records in the topic's wire format, paced, limited or looped, with a progress bar;
 * {@code chorus produce --package-catalogue} streams Debian's package catalogue ({@link PackageCatalogue}) as
 * {@code bench sparse} reads it.
 * Example ids are {@code <id-prefix>-<row>}: the same row is the same item, also when the dataset repeats.
 * Event times count up one millisecond per example sent from the start time, so consumers can restore order.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Stream a labeled dataset into the examples topic as Example records.",
                "FILE is IDX images (labels from --labels), CSV (label in --label-column), LibSVM, or JSON lines of "
                        + "named-field examples for hashed tasks, gzip or not; with --package-catalogue, apt's Packages list."})
final class ProduceCommand implements Callable<Integer> {

    /** Sends not yet acknowledged at most; beyond, the oldest is awaited (and its failure reported). */
    private static final int MAX_IN_FLIGHT = 10_000;

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Mixin
    DatasetFile data;

    @Mixin
    PackageCatalogueOptions catalogue;

    @Option(names = "--annotators", paramLabel = "fashion-mnist|corruption:P",
            description = {"Label each item with simulated annotators instead of the dataset's label: 'fashion-mnist' "
                    + "is chorus demo's pool of 14 (docs/BENCHMARKS.md: experts, competent, pair-confusers, spammers, "
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

    @Option(names = "--skip", paramLabel = "N", defaultValue = "0",
            description = "Start the first pass at its example N (the dataset's row N; with --annotators, its label "
                    + "event N): with --limit, a dataset sent in parts (default: ${DEFAULT-VALUE}).")
    long skip;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "1",
            description = "Stream the dataset N times; 0 loops until Ctrl-C or --limit (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--progress", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Show a progress bar on stderr (default); --no-progress hides it.")
    boolean progress;

    private final AtomicBoolean stopping = new AtomicBoolean();

    @Override
    public Integer call() throws Exception {
        DatasetFile.InputFormat input = checkArguments();
        Path file = data.file;
        kafka.requireReachable(examplesTopic);
        String taskName = task != null ? task
                : catalogue.packages ? PackageCatalogue.TASK : file.getFileName().toString().split("\\.", 2)[0];
        Source source = catalogue.packages
                ? examples(catalogue.examples(file, taskName, System.currentTimeMillis()), file.toString())
                : input == DatasetFile.InputFormat.JSONL
                ? examples(FieldsJsonReader.read(file, taskName, System.currentTimeMillis()), file.toString())
                : dataset(data.read(input), taskName);
        if (source.size() == 0) {
            throw new IllegalStateException(source.source() + ": no examples to send");
        }
        if (skip >= source.size()) {
            throw usage("--skip: expected N below the " + source.size() + " examples a pass of " + source.source()
                    + " sends, got " + skip);
        }

        PrintWriter out = spec.commandLine().getOut();
        Topic<Example> topic = new Topic<>(examplesTopic, Example.class, format);
        long total = repeat == 0 ? limit : (long) source.size() * repeat - skip;
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
            sent = stream(source, topic, producer, bar);
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
                taskName, source.source(), examplesTopic, format, kafka.bootstrapServers, seconds, sent / seconds,
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
            for (int position = pass == 0 ? (int) skip : 0; position < data.size(); position++) {
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

    /** Checks what can be checked before touching Kafka or reading the data; returns FILE's format. */
    private DatasetFile.InputFormat checkArguments() throws IOException {
        if (rate < 0 || limit < 0 || repeat < 0 || skip < 0) {
            throw usage("--rate, --limit, --repeat and --skip take values >= 0");
        }
        if (catalogue.check(data, List.of("--input-format", "--labels", "--header", "--label-column", "--delimiter",
                "--zero-based", "--dim", "--annotators", "--labels-per-item", "--annotator-seed", "--regression",
                "--id-prefix"))) {
            return null;
        }
        if (data.file == null) {
            throw usage("Missing required parameter: 'FILE' (or --package-catalogue)");
        }
        DatasetFile.InputFormat input = data.check();
        data.rejectUnless(input != DatasetFile.InputFormat.JSONL, "--annotators", "--labels-per-item",
                "--annotator-seed", "--regression", "--id-prefix");
        return input;
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
