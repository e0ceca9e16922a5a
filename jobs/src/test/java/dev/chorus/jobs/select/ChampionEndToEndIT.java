package dev.chorus.jobs.select;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.PairedComparison;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeJobOptions;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The train job with two variants of one task and {@code serve --variant champion} on the same broker, exactly once:
 * variant {@code default} barely moves (learning rate 1e-6) and is the first champion; variant {@code good}, put on the
 * control topic once the serve job answers with default, learns the blobs. While training examples stream in,
 * examples to serve flow throughout; {@code good} becomes champion on the champions topic, the
 * serve job swaps to it, and every example sent to the serve job is answered exactly once, those after the swap by
 * {@code good} at versions of its own snapshots.
 */
class ChampionEndToEndIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(4, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
            + "\"batchSize\":8,\"optimizer\":{\"type\":\"adam\",\"learningRate\":%s},\"seed\":7}";
    private static final int TRAINING_EXAMPLES = 3000;
    /** Training examples sent before the serve job has answered: fewer than the paired test's first look. */
    private static final int BEFORE_FIRST_LOOK = (int) PairedComparison.Settings.DEFAULT_MIN_EXAMPLES / 2;
    /** Served after the swap was seen, all of which the champion must answer. */
    private static final int AFTER = 40;

    @Test
    void theBetterVariantBecomesChampionAndServingSwapsToItWithoutLosingOrDoublingAPrediction() throws Exception {
        String bootstrap = KAFKA.broker().bootstrapServers();
        TrainSettings train = TrainJobOptions.parse(new String[] {"--bootstrap-servers", bootstrap,
            "--group-id", "champion-e2e-train", "--spec", String.format(SPEC, "0.000001"),
            "--checkpoint-interval-ms", "300", "--parallelism", "2", "--standings-interval-ms", "200",
            "--snapshot-every-batches", "5"});
        ServeSettings serve = ServeJobOptions.parse(new String[] {"--bootstrap-servers", bootstrap,
            "--group-id", "champion-e2e-serve", "--variant", "champion", "--examples-topic", "to-serve",
            "--predictions-topic", "served", "--checkpoint-interval-ms", "300", "--parallelism", "2"});
        JobTestSupport.createTopics(KAFKA.broker(), train, 2);
        // One partition: the serve job answers in the order examples were sent, so "after the swap" is well defined.
        JobTestSupport.createTopics(KAFKA.broker(), serve, 1);

        StreamExecutionEnvironment trainEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(trainEnv, train);
        JobClient trainJob = trainEnv.executeAsync("champion-e2e-train");
        StreamExecutionEnvironment serveEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(serveEnv, serve);
        JobClient serveJob = serveEnv.executeAsync("champion-e2e-serve");

        LabeledDataset data = SyntheticBlobs.generate(TRAINING_EXAMPLES, 4, 3, 11);
        List<Example> training = new ArrayList<>();
        for (int row = 0; row < TRAINING_EXAMPLES; row++) {
            training.add(ExampleProducer.example(data, row, "t", "train", 0));
        }
        // First, with default alone, fewer examples than the paired test's first look needs, until the serve job has
        // answered with the first champion, default: "before the swap" is then never empty, whatever the machine's
        // load. Only then is good put on the control topic: had it been live from the start, its first predictions
        // could reach selection before default's, and a champion record naming good go out before default took over
        // (the race's first champion is default only if it predicts first). Then the rest, slowly (a pause after
        // each), so that the stream still flows when selection decides; standings go out every 200 ms and snapshots
        // every 40 examples.
        JobTestSupport.produceSlowly(KAFKA.broker(), train.examplesTopic(), training.subList(0, BEFORE_FIRST_LOOK), 1);

        int sent = 0;
        try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of())) {
            sent = sendUntilAnsweredBy(producer, serve, data, sent, "default");
            VariantSpecRecord good = VariantSpecRecord.newBuilder().setTask("t").setVariant("good")
                    .setStatus(VariantStatus.LIVE).setSpec(String.format(SPEC, "0.05")).setUpdatedAt(0L)
                    .setSource("test").build();
            producer.sendRaw(train.specsTopic().name(), "t/good", train.specsTopic().codec().encode(good));
            producer.flush();
            CompletableFuture<Void> trainingSent = CompletableFuture.runAsync(() -> JobTestSupport.produceSlowly(
                    KAFKA.broker(), train.examplesTopic(), training.subList(BEFORE_FIRST_LOOK, TRAINING_EXAMPLES), 1));
            sent = sendUntilAnsweredBy(producer, serve, data, sent, "good");
            int swapSeenAt = sent;
            sent = send(producer, serve, data, sent, AFTER);
            int total = sent;
            JobTestSupport.awaitCommitted(KAFKA.broker(), serve.predictionsTopic(), p -> true, total);
            trainingSent.join();
            JobTestSupport.cancel(serveJob);
            JobTestSupport.cancel(trainJob);

            List<Prediction> served = JobTestSupport.read(KAFKA.broker(), serve.predictionsTopic());
            Map<String, Long> counts = served.stream().collect(Collectors.groupingBy(Prediction::getId,
                    Collectors.counting()));
            assertThat(counts).as("every example sent to the serve job answered exactly once").hasSize(total)
                    .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));

            List<Prediction> inOrder = served.stream().sorted(Comparator.comparingInt(ChampionEndToEndIT::sequence))
                    .toList();
            int swap = 0;
            while (!inOrder.get(swap).getVariant().equals("good")) {
                swap++;
            }
            assertThat(inOrder.subList(0, swap)).as("before the swap, the first champion: default")
                    .isNotEmpty().extracting(Prediction::getVariant).containsOnly("default");
            List<Prediction> after = inOrder.subList(swap, total);
            assertThat(after).as("from the swap on, the champion").extracting(Prediction::getVariant)
                    .containsOnly("good");
            assertThat(after.size()).isGreaterThanOrEqualTo(AFTER);
            assertThat(sequence(after.get(0))).isLessThan(swapSeenAt);
            Set<Long> goodVersions = JobTestSupport.read(KAFKA.broker(), train.modelsTopic()).stream()
                    .filter(s -> s.getVariant().equals("good")).map(ModelSnapshot::getVersion)
                    .collect(Collectors.toSet());
            assertThat(after).as("answered by versions good published").extracting(Prediction::getModelVersion)
                    .allSatisfy(v -> assertThat(goodVersions).contains(v))
                    .isSortedAccordingTo(Comparator.naturalOrder());

            List<Champion> changes = JobTestSupport.read(KAFKA.broker(), train.championsTopic()).stream()
                    .filter(c -> c.getEvidence() != null).toList();
            assertThat(changes).as("champion changes").isNotEmpty();
            assertThat(changes.get(changes.size() - 1)).satisfies(c -> {
                assertThat(c.getVariant()).isEqualTo("good");
                assertThat(c.getPreviousVariant()).isEqualTo("default");
                assertThat(c.getEvidence().getLowerBound()).isGreaterThan(c.getEvidence().getMargin());
            });
        }
    }

    /** Sends examples to serve, five at a time, until {@code variant} has answered one; the next n. */
    private static int sendUntilAnsweredBy(ExampleProducer producer, ServeSettings serve, LabeledDataset data,
            int from, String variant) throws InterruptedException {
        int sent = from;
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE.multipliedBy(2));
        while (!answeredBy(serve, variant) && Instant.now().isBefore(deadline)) {
            sent = send(producer, serve, data, sent, 5);
            Thread.sleep(50); // examples to serve keep flowing while the job trains and selects
        }
        assertThat(answeredBy(serve, variant)).as("the serve job answered with variant %s within %s", variant,
                JobTestSupport.PATIENCE.multipliedBy(2)).isTrue();
        return sent;
    }

    private static boolean answeredBy(ServeSettings serve, String variant) {
        return JobTestSupport.read(KAFKA.broker(), serve.predictionsTopic()).stream()
                .anyMatch(p -> p.getVariant().equals(variant));
    }

    /** Sends {@code count} unlabelled examples to serve, ids {@code serve-<n>} from {@code from}; the next n. */
    private static int send(ExampleProducer producer, ServeSettings serve, LabeledDataset data, int from, int count) {
        var codec = serve.examplesTopic().codec();
        for (int n = from; n < from + count; n++) {
            Example example = ExampleProducer.example(data, n % data.size(), "t", "serve", 0);
            example.setId("serve-" + n);
            example.setLabel(null);
            producer.sendRaw(serve.examplesTopic().name(), example.getId(), codec.encode(example));
        }
        producer.flush();
        return from + count;
    }

    private static int sequence(Prediction prediction) {
        return Integer.parseInt(prediction.getId().substring("serve-".length()));
    }
}
