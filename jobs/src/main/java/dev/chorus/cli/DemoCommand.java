package dev.chorus.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.chorus.core.blas.Blas;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.runtime.EmbeddedKafkaBroker;
import dev.chorus.runtime.ExampleProducer;
import dev.chorus.runtime.FashionMnist;
import dev.chorus.runtime.LabeledDataset;
import dev.chorus.runtime.LocalFlinkCluster;
import dev.chorus.runtime.TopicReader;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
import picocli.CommandLine.Option;

/**
 * {@code chorus demo}: a real Kafka broker (KRaft, in-process) and a Flink MiniCluster, Fashion-MNIST streamed
 * into the examples topic, the train job learning online, and a summary read back from the output topics.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the train job end to end on an embedded Kafka broker and Flink MiniCluster.")
public final class DemoCommand implements Callable<Integer> {

    static final String TASK = "fashion-mnist";
    /** How many of the last predictions (in stream order) the headline accuracy is measured on. */
    static final int ACCURACY_WINDOW = 2000;

    /** Softmax regression on standardized pixels, Adam: the demo's model. */
    static final String DEMO_SPEC = """
            {"algorithm":"softmax-regression","inputDim":784,"numClasses":10,"batchSize":64,
             "optimizer":{"type":"adam","learningRate":0.002},"l2":0.0,"standardize":true,"seed":42}""";

    @Option(names = "--summary-json", paramLabel = "FILE", description = "Also write the summary as JSON to FILE.")
    Path summaryJson;

    @Option(names = "--limit", paramLabel = "N", description = "Stream only the first N examples of the dataset.")
    int limit;

    @Option(names = "--web-ui-port", defaultValue = "0",
            description = "Port of the Flink web UI; 0 takes the first free one from 8081 (default).")
    int webUiPort;

    @Option(names = "--dataset", paramLabel = "shipped|debian|DIR", defaultValue = "auto",
            description = "Fashion-MNIST to stream: 'shipped' (the 10,000-image test split in the repo), 'debian' "
                    + "(the 60,000-image training set of Debian's dataset-fashion-mnist package), or a directory "
                    + "of IDX files. Default: debian when that package is installed, else shipped.")
    String dataset;

    private final PrintStream out = System.out;

    private final AtomicBoolean stopping = new AtomicBoolean();

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
        LabeledDataset data = FashionMnist.forDemo(dataset, limit);
        out.printf("Chorus demo: %,d examples from %s%n", data.size(), data.name());
        Blas.get(); // chooses the backend now, so that its log line comes before the progress bars

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
                LocalFlinkCluster flink = startBoth(broker)) {
            Thread cleanup = new Thread(() -> {
                stopping.set(true);
                closeQuietly(flink);
                closeQuietly(broker);
            }, "chorus-demo-shutdown");
            Runtime.getRuntime().addShutdownHook(cleanup);

            TrainSettings settings = settings(broker.bootstrapServers());
            createTopics(broker, settings);
            out.printf("Kafka (KRaft) at %s; Flink web UI at %s%n", broker.bootstrapServers(), flink.webUi());

            int malformed = produce(broker.bootstrapServers(), settings, data);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            TrainJob.build(env, settings);
            JobID job = flink.submit(env, "chorus-train (demo)");

            PredictionTally tally = new PredictionTally(data.size(), ACCURACY_WINDOW);
            Thread follower = new Thread(() -> TopicReader.follow(settings.bootstrapServers(), Map.of(),
                    settings.predictionsTopic().name(), tally::accept, () -> stopping.get() || tally.complete()),
                    "chorus-demo-predictions");
            follower.setDaemon(true);
            follower.start();
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("Training").setInitialMax(data.size())
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

            Summary summary = summarize(settings, data, tally, malformed, broker.bootstrapServers(),
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

    private LocalFlinkCluster startBoth(EmbeddedKafkaBroker broker) throws Exception {
        broker.start();
        return LocalFlinkCluster.start(2, webUiPort);
    }

    static TrainSettings settings(String bootstrapServers) {
        return new TrainSettings()
                .bootstrapServers(bootstrapServers)
                .groupId("chorus-demo")
                .specs(TaskSpecs.ofDefault(DEMO_SPEC))
                .checkpointIntervalMs(1000)
                .snapshotEveryBatches(20)
                .snapshotIntervalMs(5000)
                .batchTimeoutMs(2000)
                .bounded(true);
    }

    private static void createTopics(EmbeddedKafkaBroker broker, TrainSettings s) {
        broker.createTopics(List.of(
                new NewTopic(s.examplesTopic().name(), 2, (short) 1),
                new NewTopic(s.predictionsTopic().name(), 2, (short) 1),
                new NewTopic(s.modelsTopic().name(), 1, (short) 1).configs(Map.of("cleanup.policy", "compact")),
                new NewTopic(s.deadLetterTopic().name(), 1, (short) 1)));
    }

    /** Streams the dataset plus three malformed records (to show the dead-letter path); returns how many were malformed. */
    private int produce(String bootstrapServers, TrainSettings settings, LabeledDataset data) throws Exception {
        Topic<Example> topic = settings.examplesTopic();
        RecordCodec<Example> codec = topic.codec();
        try (ExampleProducer producer = new ExampleProducer(bootstrapServers, Map.of());
                ProgressBar bar = new ProgressBarBuilder().setTaskName("Producing").setInitialMax(data.size())
                        .setStyle(ProgressBarStyle.ASCII).setUnit(" ex", 1).showSpeed().setMaxRenderedLength(110)
                        .build()) {
            producer.send(topic, data, TASK, "fmnist", 1_700_000_000_000L, bar::stepTo);
            Example wrongLabel = ExampleProducer.example(data, 0, TASK, "bad-label", 0);
            wrongLabel.setLabel(42);
            float[] nan = new float[data.dim()];
            nan[7] = Float.NaN;
            Example nanFeature = ExampleProducer.example(data, 0, TASK, "bad-nan", 0);
            nanFeature.setFeatures(Float32.pack(nan));
            producer.sendRaw(topic.name(), "bad-bytes", "not an example".getBytes(StandardCharsets.UTF_8));
            producer.sendRaw(topic.name(), "bad-label", codec.encode(wrongLabel));
            producer.sendRaw(topic.name(), "bad-nan", codec.encode(nanFeature));
            producer.flush();
        }
        return 3;
    }

    private static Summary summarize(TrainSettings s, LabeledDataset data, PredictionTally tally, int malformed,
            String bootstrap, double seconds) {
        RecordCodec<ModelSnapshot> models = s.modelsTopic().codec();
        RecordCodec<DeadLetter> deadLetters = s.deadLetterTopic().codec();
        List<ModelSnapshot> snapshots = TopicReader.readAll(bootstrap, Map.of(), s.modelsTopic().name(), models::decode);
        List<DeadLetter> letters = TopicReader.readAll(bootstrap, Map.of(), s.deadLetterTopic().name(),
                deadLetters::decode);
        long version = snapshots.stream().mapToLong(ModelSnapshot::getVersion).max().orElse(-1);
        return new Summary(data.size(), tally.count(), letters.size(), malformed, version, snapshots.size(),
                tally.accuracyOfLast(ACCURACY_WINDOW), Blas.get().backend().name(), data.name(), bootstrap,
                List.of(s.examplesTopic().name(), s.predictionsTopic().name(), s.modelsTopic().name(),
                        s.deadLetterTopic().name()),
                letters.stream().map(DeadLetter::getReason).toList(), seconds);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Shutting down on Ctrl-C: nothing useful to do with a second failure.
        }
    }

    /** Counts predictions as they become visible and keeps the prequential accuracy, in stream order. */
    static final class PredictionTally {
        private final RecordCodec<Prediction> codec = WireFormat.AVRO.codec(Prediction.class);
        private final byte[] correct;
        private final boolean[] seen;
        private final int[] recent;
        private final AtomicLong count = new AtomicLong();
        private int recentNext;
        private int recentFilled;
        private int recentCorrect;
        private volatile Throwable failure;

        PredictionTally(int size, int window) {
            correct = new byte[size];
            seen = new boolean[size];
            recent = new int[window];
        }

        synchronized void accept(byte[] value) {
            Prediction p = codec.decode(value);
            int row = Integer.parseInt(p.getId().substring(p.getId().lastIndexOf('-') + 1));
            if (seen[row]) {
                return;
            }
            seen[row] = true;
            int ok = p.getPredictedClass() != null && p.getPredictedClass().equals(p.getLabel()) ? 1 : 0;
            correct[row] = (byte) ok;
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

    record Summary(int examples, long predictions, int deadLetters, int malformedSent, long modelVersion,
            int snapshots, double accuracyLast2000, String blasBackend, String dataset, String bootstrapServers,
            List<String> topics, List<String> deadLetterReasons, double seconds) {

        void print(PrintStream out) {
            out.println();
            out.println("Chorus demo summary");
            out.printf("  examples            %,d  (%s)%n", examples, dataset);
            out.printf("  predictions         %,d%n", predictions);
            out.printf("  dead letters        %,d  (of %d malformed records sent)%n", deadLetters, malformedSent);
            deadLetterReasons.forEach(r -> out.printf("                        - %s%n", r));
            out.printf("  model version       %d  (%d snapshots published)%n", modelVersion, snapshots);
            out.printf("  accuracy, last %d  %.4f  (prequential: each example predicted before training on it)%n",
                    ACCURACY_WINDOW, accuracyLast2000);
            out.printf("  BLAS backend        %s%n", blasBackend);
            out.printf("  topics              %s%n", String.join(", ", topics));
            out.printf("  bootstrap servers   %s  (stopped with the demo)%n", bootstrapServers);
            out.printf("  wall time           %.1f s%n", seconds);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("examples", examples);
            m.put("predictions", predictions);
            m.put("deadLetters", deadLetters);
            m.put("modelVersion", modelVersion);
            m.put("accuracyLast2000", accuracyLast2000);
            m.put("snapshots", snapshots);
            m.put("malformedSent", malformedSent);
            m.put("blasBackend", blasBackend);
            m.put("dataset", dataset);
            m.put("bootstrapServers", bootstrapServers);
            m.put("topics", topics);
            m.put("deadLetterReasons", deadLetterReasons);
            m.put("seconds", seconds);
            return m;
        }
    }
}
