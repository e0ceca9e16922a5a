package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.cli.data.FashionMnist;
import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.core.annotators.LabelStream;
import dev.chorus.core.annotators.SimulatedAnnotator;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Learning from disagreeing annotators end to end, against a real Kafka broker and a Flink MiniCluster:
 * Fashion-MNIST images (the shipped test split) each labelled by three annotators of the seeded NOISY-LABELS
 * pool, each label its own example, through a Dawid–Skene task (an MLP-256, whose snapshots are larger than
 * Kafka's default record limit) that tracks at most 12 of the pool's 14 annotators. The annotators topic then holds a sane model of every tracked annotator (rows of its confusion
 * sum to 1, experts ranked above spammers, labels counted exactly), and the labels of the two annotators past
 * the bound are dead letters that say so.
 */
class AnnotatorsIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final int IMAGES = 4000;
    static final int MAX_ANNOTATORS = 12;
    static final String TASK = "fashion";
    /** An MLP of 203,530 parameters: its snapshots (about 2.5 MB with the Adam moments) exceed Kafka's 1 MiB default. */
    static final String SPEC = """
            {"algorithm":"mlp","inputDim":784,"numClasses":10,"layers":[{"units":256,"activation":"relu"}],
             "batchSize":64,"optimizer":{"type":"adam","learningRate":0.001},"standardize":true,"seed":42,
             "labelModel":{"method":"dawid-skene","maxAnnotators":12,"protectedLabels":0}}""";

    @Test
    void publishesASaneModelOfEveryAnnotatorAndDeadLettersThoseBeyondTheBound() throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("annotators-it")
                .specs(TaskSpecs.ofDefault(SPEC))
                .checkpointIntervalMs(500)
                .snapshotEveryBatches(20)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .bounded(true)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);

        LabeledDataset all = FashionMnist.shippedTestSplit();
        LabeledDataset data = new LabeledDataset(all.name(), Arrays.copyOf(all.features(), IMAGES * all.dim()),
                Arrays.copyOf(all.labels(), IMAGES), all.dim(), all.numClasses());
        AnnotatorPool pool = AnnotatorPool.fashionMnist(3);
        LabelStream stream = pool.label(data.labels(), new int[] {3}, 3);
        // Two partitions: the order in which the task first meets each annotator is the order of the stream only
        // per partition, so which annotators end up past the bound is read back from the dead letters.
        Map<String, Integer> labelsGiven = new HashMap<>();
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            for (int e = 0; e < stream.size(); e++) {
                int item = stream.items()[e];
                Example example = ExampleProducer.example(data, item, TASK, "image", 0);
                String annotator = pool.get(stream.annotators()[e]).id();
                example.setAnnotator(annotator);
                example.setLabel(stream.labels()[e]);
                example.setEventTime(e);
                producer.send(settings.examplesTopic(), example);
                labelsGiven.merge(annotator, 1, Integer::sum);
            }
            producer.flush();
        }
        assertThat(labelsGiven).as("the stream uses the whole pool").hasSize(pool.size());

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        env.execute("annotators-it");

        List<AnnotatorModel> records = JobTestSupport.read(KAFKA.broker(), settings.annotatorsTopic());
        List<DeadLetter> deadLetters = JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic());
        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        ModelSnapshot last = JobTestSupport.read(KAFKA.broker(), settings.modelsTopic()).stream()
                .max(Comparator.comparingLong(ModelSnapshot::getVersion)).orElseThrow();

        // Every label event is predicted, with the combined model's class probabilities.
        assertThat(predictions).hasSize(stream.size());
        assertThat(predictions).allSatisfy(p -> assertThat(Float32.count(p.getProbabilities())).isEqualTo(10));

        // Past the bound: every label of exactly the two annotators the task met last, each with its reason.
        Set<String> rejected = new HashSet<>();
        for (DeadLetter d : deadLetters) {
            assertThat(d.getField()).isEqualTo("annotator");
            assertThat(d.getReason()).startsWith("field 'annotator': expected one of the 12 annotators task \""
                    + TASK + "\" already tracks, as all its label model's slots (maxAnnotators=12) are held by "
                    + "annotators with at least protectedLabels=0 labels or of the open minibatch, got \"");
            assertThat(d.getTopic()).isEqualTo(settings.examplesTopic().name());
            assertThat(d.getOffset()).isGreaterThanOrEqualTo(0);
            Example original = settings.examplesTopic().codec().decode(bytes(d));
            rejected.add(original.getAnnotator());
        }
        assertThat(rejected).hasSize(pool.size() - MAX_ANNOTATORS);
        assertThat(deadLetters).hasSize(rejected.stream().mapToInt(labelsGiven::get).sum());

        Map<String, AnnotatorModel> latest = new HashMap<>();
        for (AnnotatorModel a : records) {
            AnnotatorModel before = latest.put(a.getAnnotator(), a);
            if (before != null) {
                assertThat(a.getVersion()).as("versions of %s strictly increase", a.getAnnotator())
                        .isGreaterThan(before.getVersion());
            }
        }
        assertThat(latest.keySet()).hasSize(MAX_ANNOTATORS).doesNotContainAnyElementsOf(rejected);
        long labelsSeen = 0;
        for (AnnotatorModel a : latest.values()) {
            assertThat(a.getTask()).isEqualTo(TASK);
            assertThat(a.getVersion()).as("published with the last snapshot").isEqualTo(last.getVersion());
            assertThat(a.getLabelsSeen()).as("labels of %s", a.getAnnotator())
                    .isEqualTo((long) labelsGiven.get(a.getAnnotator()));
            float[] confusion = Float32.unpack(a.getConfusion());
            assertThat(confusion).hasSize(100);
            for (int row = 0; row < 10; row++) {
                double sum = 0;
                for (int c = 0; c < 10; c++) {
                    assertThat(confusion[row * 10 + c]).isBetween(0f, 1f);
                    sum += confusion[row * 10 + c];
                }
                assertThat(sum).as("%s row %d sums to 1", a.getAnnotator(), row).isCloseTo(1.0, within(1e-4));
            }
            labelsSeen += a.getLabelsSeen();
        }
        assertThat(labelsSeen + deadLetters.size()).as("every label counted once").isEqualTo(stream.size());
        assertThat(last.getExamplesSeen()).isEqualTo(labelsSeen);
        assertThat(last.getParameters().remaining()).as("a snapshot over Kafka's default 1 MiB")
                .isGreaterThan(1 << 20);

        Map<String, String> kinds = pool.annotators().stream()
                .collect(Collectors.toMap(SimulatedAnnotator::id, SimulatedAnnotator::kind));
        double worstExpert = latest.values().stream().filter(a -> kinds.get(a.getAnnotator()).equals("expert"))
                .mapToDouble(AnnotatorModel::getReliability).min().orElseThrow();
        double bestSpammer = latest.values().stream().filter(a -> kinds.get(a.getAnnotator()).equals("spammer"))
                .mapToDouble(AnnotatorModel::getReliability).max().orElseThrow();
        assertThat(worstExpert).as("experts rank above spammers").isGreaterThan(bestSpammer);
    }

    private static byte[] bytes(DeadLetter d) {
        byte[] b = new byte[d.getOriginal().remaining()];
        d.getOriginal().duplicate().get(b);
        return b;
    }
}
