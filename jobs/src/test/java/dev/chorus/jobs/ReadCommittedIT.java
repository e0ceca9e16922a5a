package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Exactly once on the input side: a transactional producer writes examples (and a model snapshot), aborts, then
 * writes and commits different ones. The train job trains only on the committed examples, and the serve job
 * answers only committed examples, with the committed snapshot, although the aborted one carries the same version.
 * A user's explicit {@code isolation.level=read_uncommitted} is honoured: the train job then trains on both.
 */
class ReadCommittedIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":7}""";
    static final LabeledDataset DATA = SyntheticBlobs.generate(400, 8, 3, 11);
    static final int ABORTED = 160;
    static final int COMMITTED = 240;

    @Test
    void trainJobTrainsOnlyOnCommittedExamples() throws Exception {
        TrainSettings settings = trainOnAbortedThenCommittedExamples("rc-train", Map.of());

        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        ModelSnapshot last = JobTestSupport.read(KAFKA.broker(), settings.modelsTopic()).stream()
                .max(Comparator.comparingLong(ModelSnapshot::getVersion)).orElseThrow();
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(countWithPrefix(predictions, "aborted-")).as("predictions of aborted examples").isZero();
            soft.assertThat(last.getExamplesSeen()).as("examples the final model was trained on")
                    .isEqualTo(COMMITTED);
        });
        assertThat(predictions).hasSize(COMMITTED);
        assertThat(predictions.stream().map(Prediction::getId).collect(Collectors.toSet()))
                .isEqualTo(ids("committed", ABORTED, COMMITTED));
        assertThat(JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic())).isEmpty();
    }

    @Test
    void anExplicitReadUncommittedIsHonouredAndTrainsOnAbortedExamplesToo() throws Exception {
        TrainSettings settings = trainOnAbortedThenCommittedExamples("rc-uncommitted",
                Map.of("isolation.level", "read_uncommitted"));

        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        assertThat(countWithPrefix(predictions, "aborted-")).as("predictions of aborted examples").isEqualTo(ABORTED);
        assertThat(predictions).hasSize(ABORTED + COMMITTED);
    }

    @Test
    void serveJobSwapsInOnlyTheCommittedSnapshotAndAnswersOnlyCommittedExamples() throws Exception {
        ServeSettings settings = topics(new ServeSettings(), "rc-serve")
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("rc-serve")
                .checkpointIntervalMs(300)
                .bounded(true)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        // Same version, different parameters: only the committed one may answer.
        ModelSnapshot aborted = snapshot(5, 1);
        ModelSnapshot committed = snapshot(5, 5);

        try (KafkaProducer<byte[], byte[]> producer = transactionalProducer("rc-serve-writer")) {
            producer.initTransactions();
            producer.beginTransaction();
            sendSnapshot(producer, settings, aborted);
            sendExamples(producer, settings, "aborted", 0, ABORTED);
            producer.abortTransaction();
            producer.beginTransaction();
            sendSnapshot(producer, settings, committed);
            sendExamples(producer, settings, "committed", ABORTED, COMMITTED);
            producer.commitTransaction();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(env, settings);
        env.execute("read-committed-serve");

        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        Predictor committedModel = SavedModels.read(committed.getParameters().array());
        float[] expected = new float[3];
        long committedAnswers = 0;
        for (Prediction p : predictions) {
            if (p.getId().startsWith("committed-") && p.getModelVersion() == 5L) {
                int row = Integer.parseInt(p.getId().substring("committed-".length()));
                committedModel.predictProba(DATA.features(), row * DATA.dim(), expected);
                float[] actual = Float32.unpack(p.getProbabilities());
                boolean same = true;
                for (int k = 0; k < 3; k++) {
                    same &= Math.abs(actual[k] - expected[k]) <= 1e-6f;
                }
                committedAnswers += same ? 1 : 0;
            }
        }
        long answeredByCommitted = committedAnswers;
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(answeredByCommitted).as("committed examples answered with the committed snapshot's "
                    + "version and probabilities").isEqualTo(COMMITTED);
            soft.assertThat(countWithPrefix(predictions, "aborted-")).as("predictions of aborted examples").isZero();
        });
        assertThat(predictions).hasSize(COMMITTED);
        assertThat(predictions.stream().map(Prediction::getId).collect(Collectors.toSet()))
                .isEqualTo(ids("committed", ABORTED, COMMITTED));
        assertThat(JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic())).isEmpty();
    }

    /**
     * Aborts examples {@code aborted-0..159} and commits {@code committed-160..399} on fresh {@code prefix.*} topics,
     * then runs the bounded train job with {@code kafkaProperties}; returns its settings.
     */
    private static TrainSettings trainOnAbortedThenCommittedExamples(String prefix, Map<String, String> kafkaProperties)
            throws Exception {
        TrainSettings settings = topics(new TrainSettings(), prefix)
                .annotatorsTopic(new Topic<>(prefix + ".annotators", AnnotatorModel.class, WireFormat.AVRO))
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId(prefix)
                .kafkaProperties(kafkaProperties)
                .specs(TaskSpecs.ofDefault(SPEC))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(5)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .bounded(true)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);

        try (KafkaProducer<byte[], byte[]> producer = transactionalProducer(prefix + "-writer")) {
            producer.initTransactions();
            producer.beginTransaction();
            sendExamples(producer, settings, "aborted", 0, ABORTED);
            producer.abortTransaction();
            producer.beginTransaction();
            sendExamples(producer, settings, "committed", ABORTED, COMMITTED);
            producer.commitTransaction();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        env.execute(prefix);
        return settings;
    }

    /** {@code settings} with its own examples, predictions, models and dead-letter topics, named {@code prefix.*}. */
    private static <S extends JobSettings<S>> S topics(S settings, String prefix) {
        return settings
                .examplesTopic(new Topic<>(prefix + ".examples", Example.class, WireFormat.AVRO))
                .predictionsTopic(new Topic<>(prefix + ".predictions", Prediction.class, WireFormat.AVRO))
                .modelsTopic(new Topic<>(prefix + ".models", ModelSnapshot.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>(prefix + ".dead-letters", DeadLetter.class, WireFormat.AVRO));
    }

    private static KafkaProducer<byte[], byte[]> transactionalProducer(String transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Rows {@code from .. from + count} of {@link #DATA} as examples {@code <prefix>-<row>} of task {@code t}. */
    private static void sendExamples(KafkaProducer<byte[], byte[]> producer, JobSettings<?> settings, String prefix,
            int from, int count) {
        var codec = settings.examplesTopic().codec();
        for (int row = from; row < from + count; row++) {
            Example e = ExampleProducer.example(DATA, row, "t", prefix, 0);
            producer.send(new ProducerRecord<>(settings.examplesTopic().name(),
                    e.getId().getBytes(StandardCharsets.UTF_8), codec.encode(e)));
        }
        producer.flush();
    }

    private static void sendSnapshot(KafkaProducer<byte[], byte[]> producer, JobSettings<?> settings,
            ModelSnapshot snapshot) {
        producer.send(new ProducerRecord<>(settings.modelsTopic().name(),
                (snapshot.getTask() + "/" + snapshot.getVariant()).getBytes(StandardCharsets.UTF_8),
                settings.modelsTopic().codec().encode(snapshot)));
        producer.flush();
    }

    /** Task {@code t}'s model after {@code updates} minibatches of the first 16 rows, published as {@code version}. */
    private static ModelSnapshot snapshot(long version, int updates) {
        OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(SPEC));
        float[] weights = new float[16];
        Arrays.fill(weights, 1f);
        for (int i = 0; i < updates; i++) {
            learner.trainMinibatch(DATA.features(), DATA.labels(), weights, 16);
        }
        return ModelSnapshot.newBuilder().setTask("t").setVariant(JobSettings.DEFAULT_VARIANT).setVersion(version)
                .setAlgorithm("softmax-regression").setSpec(SPEC).setParametersFormat(OnlineLearner.FORMAT_VERSION)
                .setParameters(ByteBuffer.wrap(learner.toBytes())).setExamplesSeen(updates * 16L)
                .setMetrics(Map.of()).setCreatedAt(0).setProvenance(Map.of()).build();
    }

    private static long countWithPrefix(List<Prediction> predictions, String prefix) {
        return predictions.stream().filter(p -> p.getId().startsWith(prefix)).count();
    }

    private static Set<String> ids(String prefix, int from, int count) {
        return IntStream.range(from, from + count).mapToObj(row -> prefix + "-" + row).collect(Collectors.toSet());
    }
}
