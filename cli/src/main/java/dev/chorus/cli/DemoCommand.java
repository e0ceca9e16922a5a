package dev.chorus.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.chorus.cli.data.ExampleLabeling;
import dev.chorus.cli.data.FashionMnist;
import dev.chorus.cli.ui.Dashboard;
import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.core.annotators.SimulatedAnnotator;
import dev.chorus.core.blas.Blas;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.NewTopic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code chorus demo}: a real Kafka broker (KRaft, in-process) and a Flink MiniCluster, Fashion-MNIST streamed
 * into the examples topic, the train job learning online, and a summary read back from the output topics.
 * By default every image is labelled by three simulated annotators of the NOISY-LABELS pool (experts,
 * competent, pair-confusers, spammers, adversaries), each labelling its own example, and the task learns
 * through a Dawid–Skene label model; accuracy is measured against the true labels, which the simulator knows.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the train job end to end on an embedded Kafka broker and Flink MiniCluster.")
public final class DemoCommand implements Callable<Integer> {

    static final String TASK = "fashion-mnist";
    /** How many of the last predictions (in stream order) the headline accuracy is measured on. */
    static final int ACCURACY_WINDOW = 2000;
    /** How long the summary waits for the finished job's last commit markers before reading its topics. */
    private static final Duration SETTLE = Duration.ofSeconds(10);

    /** Softmax regression on standardized pixels, Adam: the demo's model; its pixels lie in [0, 1], as it declares. */
    static final String DEMO_SPEC = """
            {"algorithm":"softmax-regression","inputDim":784,"numClasses":10,"batchSize":64,
             "optimizer":{"type":"adam","learningRate":0.002},"l2":0.0,"standardize":true,"seed":42,
             "featureRange":{"min":0,"max":1}}""";
    /** Seeds the simulated annotators and the order of their labels. */
    static final long ANNOTATOR_SEED = 7;

    @Option(names = "--summary-json", paramLabel = "FILE", description = "Also write the summary as JSON to FILE.")
    Path summaryJson;

    @Option(names = "--limit", paramLabel = "N", description = "Stream only the first N images of the dataset.")
    Integer limit;

    @Option(names = "--web-ui-port", defaultValue = "0",
            description = "Port of the Flink web UI; 0 takes the first free one from 8081 (default).")
    int webUiPort;

    @Option(names = "--no-ui", description = "Do not start the dashboard (chorus ui) beside Flink's web UI.")
    boolean noUi;

    @Option(names = "--ui-port", defaultValue = "0",
            description = "Port of the dashboard; 0 takes the first free one from 8090 (default).")
    int uiPort;

    @Option(names = "--dataset", paramLabel = "shipped|debian|DIR", defaultValue = "auto",
            description = "Fashion-MNIST to stream: 'shipped' (the 10,000-image test split in the repo), 'debian' "
                    + "(the 60,000-image training set of Debian's dataset-fashion-mnist package), or a directory "
                    + "of IDX files. Default: debian when that package is installed, else shipped.")
    String dataset;

    @Option(names = "--labels-per-item", defaultValue = "3",
            description = "Simulated annotators labelling each image, each label its own example; 0 streams the "
                    + "dataset's own labels, one per image, without a label model (default: ${DEFAULT-VALUE}).")
    int labelsPerItem;

    @Option(names = "--label-model", defaultValue = "dawid-skene",
            description = "How the task learns from the annotators: naive, majority, soft, dawid-skene, doctor-net, "
                    + "weighted-doctor-net or weighted-doctor-net-paper (default: ${DEFAULT-VALUE}).")
    String labelModel;

    @Spec
    CommandSpec command;

    private final PrintStream out = System.out;

    private final AtomicBoolean stopping = new AtomicBoolean();

    /** The running dashboard, null without one. */
    private volatile Dashboard dashboard;

    @Override
    public Integer call() throws Exception {
        try {
            return run();
        } catch (Exception e) {
            if (stopping.get()) {
                System.err.println("chorus demo: interrupted; Kafka and Flink were shut down");
                return 130;
            }
            throw e;
        }
    }

    private int run() throws Exception {
        long started = System.nanoTime();
        checkArguments();
        LabeledDataset data;
        try {
            data = FashionMnist.forDemo(dataset, limit == null ? 0 : limit);
        } catch (IllegalArgumentException notThere) {
            throw new ParameterException(command.commandLine(), "--dataset: " + notThere.getMessage());
        }
        Labels labels = labels(data);
        out.printf("Chorus demo: %,d images from %s, %s%n", data.size(), data.name(), labels.describe());
        Blas.get(); // chooses the backend now, so that its log line comes before the progress bars

        // Resources close in reverse: the dashboard's readers stop before the broker they read from.
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
                LocalFlinkCluster flink = startBoth(broker);
                AutoCloseable ui = this::closeDashboard) {
            Thread cleanup = new Thread(() -> {
                stopping.set(true);
                closeDashboard();
                closeQuietly(flink);
                closeQuietly(broker);
            }, "chorus-demo-shutdown");
            Runtime.getRuntime().addShutdownHook(cleanup);

            TrainSettings settings = settings(broker.bootstrapServers(), labels.spec());
            createTopics(broker, settings);
            dashboard = noUi ? null : Dashboard.start(broker.bootstrapServers(), Map.of(),
                    new Dashboard.Topics(settings.modelsTopic().name(), settings.annotatorsTopic().name(),
                            settings.consensusTopic().name(), settings.deadLetterTopic().name()), "127.0.0.1",
                    uiPorts());
            out.printf("Kafka (KRaft) at %s; Flink web UI at %s%s%n", broker.bootstrapServers(), flink.webUi(),
                    dashboard == null ? "" : "; dashboard at " + dashboard.url());

            int malformed = produce(broker.bootstrapServers(), settings, data, labels);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            TrainJob.build(env, settings);
            JobID job = flink.submit(env, "chorus-train (demo)");

            PredictionTally tally = new PredictionTally(labels, data.labels(), ACCURACY_WINDOW);
            Thread follower = new Thread(() -> TopicReader.follow(settings.bootstrapServers(), Map.of(),
                    settings.predictionsTopic().name(), tally::accept, () -> stopping.get() || tally.complete()),
                    "chorus-demo-predictions");
            follower.setDaemon(true);
            follower.start();
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("Training").setInitialMax(labels.size())
                    .setStyle(ProgressBarStyle.ASCII).setUnit(" ex", 1).showSpeed().setUpdateIntervalMillis(250)
                    .setMaxRenderedLength(110).build()) {
                Thread jobWaiter = new Thread(() -> {
                    try {
                        flink.await(job);
                    } catch (Exception e) {
                        tally.fail(e);
                    }
                }, "chorus-demo-job");
                jobWaiter.setDaemon(true);
                jobWaiter.start();
                while (!tally.complete() && tally.failure() == null && !stopping.get()) {
                    tally.show(bar);
                    Thread.sleep(200); // progress refresh interval, not a wait for a condition
                }
                tally.show(bar);
                jobWaiter.join();
            }
            if (tally.failure() != null) {
                throw new IllegalStateException("the train job failed", tally.failure());
            }
            follower.join();

            DemoSummary summary = summarize(settings, data, labels, tally, malformed, broker.bootstrapServers(),
                    (System.nanoTime() - started) / 1e9);
            summary.print(out);
            if (summaryJson != null) {
                ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                json.writeValue(summaryJson.toFile(), summary.toMap());
                out.printf("Summary written to %s%n", summaryJson);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C arrived as the demo finished: the hook is already closing everything.
            }
        }
        return 0;
    }

    private void closeDashboard() {
        if (dashboard != null) {
            dashboard.close();
        }
    }

    /** The dashboard's port, or the first free one of 8090-8190, as Flink's web UI takes one from 8081. */
    private int[] uiPorts() {
        return uiPort > 0 ? new int[] {uiPort} : java.util.stream.IntStream.rangeClosed(8090, 8190).toArray();
    }

    private LocalFlinkCluster startBoth(EmbeddedKafkaBroker broker) throws Exception {
        broker.start();
        return LocalFlinkCluster.start(2, webUiPort);
    }

    /** Refuses, before anything starts, what the demo could only get wrong. */
    private void checkArguments() {
        int annotators = AnnotatorPool.fashionMnist(ANNOTATOR_SEED).size();
        if (labelsPerItem < 0 || labelsPerItem > annotators) {
            throw new ParameterException(command.commandLine(), "--labels-per-item: expected "
                    + (labelsPerItem < 0 ? "0 or more" : "at most " + annotators + " (the simulated annotators)")
                    + ", got " + labelsPerItem);
        }
        if (limit != null && limit < 1) {
            throw new ParameterException(command.commandLine(), "--limit: expected 1 or more images, got " + limit);
        }
        if (labelsPerItem > 0 && !dev.chorus.core.annotators.LabelModels.NAMES.contains(labelModel)) {
            throw new ParameterException(command.commandLine(), "--label-model: expected one of "
                    + dev.chorus.core.annotators.LabelModels.NAMES + ", got '" + labelModel + "'");
        }
    }

    /** The demo's spec: {@link #DEMO_SPEC}, through {@code labelModel} when annotators label the images. */
    static String spec(String labelModel) {
        return labelModel == null ? DEMO_SPEC
                : DEMO_SPEC.substring(0, DEMO_SPEC.lastIndexOf('}')) + ",\"labelModel\":\"" + labelModel + "\"}";
    }

    /** Which examples the demo streams: each image once with its own label, or labelled by simulated annotators. */
    private Labels labels(LabeledDataset data) {
        if (labelsPerItem == 0) {
            return new Labels(null, ExampleLabeling.datasetLabels(false), data.size(), 0, null);
        }
        AnnotatorPool pool = AnnotatorPool.fashionMnist(ANNOTATOR_SEED);
        ExampleLabeling labeling = ExampleLabeling.simulatedAnnotators(pool,
                pool.label(data.labels(), new int[] {labelsPerItem}, ANNOTATOR_SEED));
        return new Labels(pool, labeling, labeling.size(data.size()), labelsPerItem, labelModel);
    }

    /**
     * The examples streamed: {@code size} sends planned by {@code labeling}; {@code pool} is null when each image
     * carries its own label.
     */
    record Labels(AnnotatorPool pool, ExampleLabeling labeling, int size, int perItem, String labelModel) {
        String spec() {
            return DemoCommand.spec(labelModel);
        }

        String describe() {
            return pool == null ? "each with its own label"
                    : String.format("each labelled by %d of %d simulated annotators (%,d labels), learned through %s",
                            perItem, pool.size(), size, labelModel);
        }
    }

    static TrainSettings settings(String bootstrapServers) {
        return settings(bootstrapServers, DEMO_SPEC);
    }

    static TrainSettings settings(String bootstrapServers, String spec) {
        return new TrainSettings()
                .bootstrapServers(bootstrapServers)
                .groupId("chorus-demo")
                .specs(TaskSpecs.ofDefault(spec))
                .checkpointIntervalMs(1000)
                .snapshotEveryBatches(20)
                .snapshotIntervalMs(5000)
                .batchTimeoutMs(2000)
                .bounded(true);
    }

    private static void createTopics(EmbeddedKafkaBroker broker, TrainSettings s) {
        broker.createTopics(ChorusTopic.newTopics(s, 2));
    }

    /**
     * Streams the dataset plus four malformed records (to show the dead-letter path), one of them an image of 10⁶s that
     * would leave the model at chance for good were it trained on; returns how many were malformed.
     */
    private int produce(String bootstrapServers, TrainSettings settings, LabeledDataset data, Labels labels)
            throws Exception {
        Topic<Example> topic = settings.examplesTopic();
        RecordCodec<Example> codec = topic.codec();
        try (ExampleProducer producer = new ExampleProducer(bootstrapServers, Map.of());
                ProgressBar bar = new ProgressBarBuilder().setTaskName("Producing").setInitialMax(labels.size())
                        .setStyle(ProgressBarStyle.ASCII).setUnit(" ex", 1).showSpeed().setMaxRenderedLength(110)
                        .build()) {
            for (int position = 0; position < labels.size(); position++) {
                int row = labels.labeling().row(position);
                Example unlabeled = ExampleProducer.example(data, row, TASK, "fmnist", 1_700_000_000_000L);
                unlabeled.setLabel(null);
                unlabeled.setEventTime(1_700_000_000_000L + position);
                labels.labeling().label(position, unlabeled, data.labels()[row], e -> producer.send(topic, e));
                bar.stepTo(position + 1);
            }
            Example wrongLabel = ExampleProducer.example(data, 0, TASK, "bad-label", 0);
            wrongLabel.setLabel(42);
            float[] nan = new float[data.dim()];
            nan[7] = Float.NaN;
            Example nanFeature = ExampleProducer.example(data, 0, TASK, "bad-nan", 0);
            nanFeature.setFeatures(Float32.pack(nan));
            producer.sendRaw(topic.name(), "bad-bytes", "not an example".getBytes(StandardCharsets.UTF_8));
            producer.sendRaw(topic.name(), "bad-label", codec.encode(wrongLabel));
            producer.sendRaw(topic.name(), "bad-nan", codec.encode(nanFeature));
            float[] outside = new float[data.dim()];
            Arrays.fill(outside, 1e6f);
            Example outsideRange = ExampleProducer.example(data, 0, TASK, "bad-range", 0);
            outsideRange.setFeatures(Float32.pack(outside));
            producer.sendRaw(topic.name(), "bad-range", codec.encode(outsideRange));
            producer.flush();
        }
        return 4;
    }

    private static DemoSummary summarize(TrainSettings s, LabeledDataset data, Labels labels, PredictionTally tally,
            int malformed, String bootstrap, double seconds) {
        RecordCodec<DeadLetter> deadLetters = s.deadLetterTopic().codec();
        // The job has finished, but its last transactions' markers may still be on their way to the partitions.
        for (String topic : List.of(s.modelsTopic().name(), s.deadLetterTopic().name(), s.annotatorsTopic().name())) {
            TopicReader.awaitSettled(bootstrap, Map.of(), topic, SETTLE);
        }
        ModelsSeen models = ModelsSeen.of(LiveModels.read(bootstrap, Map.of(), s.modelsTopic().name(), null, null,
                LiveModels.Keep.SIZES));
        List<DeadLetter> letters = TopicReader.readAll(bootstrap, Map.of(), s.deadLetterTopic().name(),
                deadLetters::decode);
        return new DemoSummary(data.size(), labels.size(), labels.labelModel(), tally.count(), letters.size(), malformed,
                models.version(), models.records(), tally.accuracyOfLast(ACCURACY_WINDOW), annotatorRows(s, labels, bootstrap),
                Blas.get().backend().name(), data.name(), bootstrap,
                ChorusTopic.newTopics(s, 2).stream().map(NewTopic::name).toList(),
                letters.stream().map(DeadLetter::getReason).toList(), seconds);
    }

    /**
     * The newest model version on the models topic (-1: none) and how many model records it holds, read as compaction
     * leaves it ({@link LiveModels}): a reset's tombstone is skipped and ends the old model's records.
     */
    record ModelsSeen(long version, int records) {
        static ModelsSeen of(LiveModels live) {
            return new ModelsSeen(live.highestVersion(), live.records());
        }
    }

    /** The latest model of each simulated annotator on the annotators topic, beside what the simulator knows. */
    private static List<AnnotatorRow> annotatorRows(TrainSettings s, Labels labels, String bootstrap) {
        if (labels.pool() == null) {
            return List.of();
        }
        RecordCodec<AnnotatorModel> codec = s.annotatorsTopic().codec();
        Map<String, AnnotatorModel> latest = new HashMap<>();
        // The topic as compaction leaves it: an evicted annotator's tombstone deletes it, so it shows as not estimated.
        for (AnnotatorModel a : TopicReader.readLatest(bootstrap, Map.of(), s.annotatorsTopic().name(), codec::decode)
                .values()) {
            latest.merge(a.getAnnotator(), a, (x, y) -> y.getVersion() > x.getVersion() ? y : x);
        }
        List<AnnotatorRow> rows = new ArrayList<>();
        for (SimulatedAnnotator simulated : labels.pool().annotators()) {
            AnnotatorModel estimated = latest.get(simulated.id());
            rows.add(new AnnotatorRow(simulated.id(), simulated.kind(), simulated.accuracy(),
                    estimated == null ? Double.NaN : estimated.getReliability(),
                    estimated == null || estimated.getWeight() == null ? Double.NaN : estimated.getWeight(),
                    estimated == null ? 0 : estimated.getLabelsSeen()));
        }
        return rows;
    }

    /** One annotator: what the simulator knows and what the label model estimated. NaN: not estimated. */
    record AnnotatorRow(String id, String kind, double trueAccuracy, double reliability, double weight,
            long labelsSeen) {

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("kind", kind);
            m.put("trueAccuracy", trueAccuracy);
            m.put("reliability", Double.isNaN(reliability) ? null : reliability);
            m.put("weight", Double.isNaN(weight) ? null : weight);
            m.put("labelsSeen", labelsSeen);
            return m;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Shutting down on Ctrl-C: nothing useful to do with a second failure.
        }
    }

    /**
     * Counts predictions as they become visible and keeps the prequential accuracy against the true labels, in
     * stream order. A prediction is told apart by its example id (the image) and annotator: with simulated
     * annotators an image is predicted once per label.
     */
    static final class PredictionTally {
        private final RecordCodec<Prediction> codec = WireFormat.AVRO.codec(Prediction.class);
        private final Map<String, Integer> positions = new HashMap<>();
        private final int[] trueLabels;
        private final byte[] correct;
        private final boolean[] seen;
        private final int[] recent;
        private final AtomicLong count = new AtomicLong();
        private int recentNext;
        private int recentFilled;
        private int recentCorrect;
        private volatile Throwable failure;

        PredictionTally(Labels labels, int[] trueLabels, int window) {
            this.trueLabels = trueLabels;
            correct = new byte[labels.size()];
            seen = new boolean[labels.size()];
            recent = new int[window];
            Example probe = new Example();
            for (int position = 0; position < labels.size(); position++) {
                int row = labels.labeling().row(position);
                probe.setAnnotator(null);
                labels.labeling().label(position, probe, trueLabels[row], e -> { });
                positions.put(key(row, probe.getAnnotator()), position);
            }
        }

        private static String key(int row, String annotator) {
            return row + "/" + annotator;
        }

        synchronized void accept(byte[] value) {
            Prediction p = codec.decode(value);
            int row = Integer.parseInt(p.getId().substring(p.getId().lastIndexOf('-') + 1));
            Integer position = positions.get(key(row, p.getAnnotator()));
            if (position == null || seen[position]) {
                return;
            }
            seen[position] = true;
            int ok = p.getPredictedClass() != null && p.getPredictedClass() == trueLabels[row] ? 1 : 0;
            correct[position] = (byte) ok;
            if (recentFilled == recent.length) {
                recentCorrect -= recent[recentNext];
            } else {
                recentFilled++;
            }
            recent[recentNext] = ok;
            recentCorrect += ok;
            recentNext = (recentNext + 1) % recent.length;
            count.incrementAndGet();
        }

        long count() {
            return count.get();
        }

        boolean complete() {
            return count.get() >= correct.length;
        }

        synchronized double recentAccuracy() {
            return recentFilled == 0 ? 0 : (double) recentCorrect / recentFilled;
        }

        /** Accuracy over the last {@code n} examples of the stream (by row), counting only those predicted. */
        synchronized double accuracyOfLast(int n) {
            int hits = 0;
            int total = 0;
            for (int row = Math.max(0, correct.length - n); row < correct.length; row++) {
                if (seen[row]) {
                    hits += correct[row];
                    total++;
                }
            }
            return total == 0 ? 0 : (double) hits / total;
        }

        void show(ProgressBar bar) {
            bar.stepTo(count());
            bar.setExtraMessage(String.format(" acc(last %d) %.3f", ACCURACY_WINDOW, recentAccuracy()));
        }

        void fail(Throwable t) {
            failure = t;
        }

        Throwable failure() {
            return failure;
        }
    }
}
