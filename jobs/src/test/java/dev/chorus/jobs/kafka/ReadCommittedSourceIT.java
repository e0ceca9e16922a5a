package dev.chorus.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.runtime.ExampleProducer;
import dev.chorus.runtime.LabeledDataset;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The jobs' Kafka sources read {@code read_committed}: records of an aborted transaction never reach a job. That is
 * what keeps a failover exactly-once downstream: the serve job must not hot-swap a model snapshot whose transaction
 * the train job's failover aborted (a version that, committed, never existed), and the train job must not learn
 * from examples an upstream transactional producer took back.
 */
class ReadCommittedSourceIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(1, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.02},"standardize":true,"seed":5}""";

    @Test
    void examplesOfAnAbortedTransactionNeverReachTheJob() throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("read-committed-it")
                .specs(TaskSpecs.ofDefault(SPEC))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(1)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .bounded(true)
                .parallelism(1);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 1);
        LabeledDataset data = SyntheticBlobs.generate(48, 4, 3, 9);
        RecordCodec<Example> codec = settings.examplesTopic().codec();

        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "read-committed-it-upstream");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int row = 0; row < 16; row++) {
                Example e = ExampleProducer.example(data, row, "blobs", "aborted", 0);
                producer.send(new ProducerRecord<>(settings.examplesTopic().name(),
                        e.getId().getBytes(StandardCharsets.UTF_8), codec.encode(e)));
            }
            producer.flush();
            producer.abortTransaction();
        }
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            for (int row = 16; row < 48; row++) {
                Example e = ExampleProducer.example(data, row, "blobs", "kept", 0);
                producer.sendRaw(settings.examplesTopic().name(), e.getId(), codec.encode(e));
            }
            producer.flush();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        env.execute("read-committed-it");

        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        assertThat(predictions).extracting(Prediction::getId).as("only the committed examples")
                .hasSize(32).allSatisfy(id -> assertThat(id).startsWith("kept-"));
        List<ModelSnapshot> snapshots = JobTestSupport.read(KAFKA.broker(), settings.modelsTopic());
        assertThat(snapshots).extracting(ModelSnapshot::getExamplesSeen).as("trained on the committed examples only")
                .containsExactly(16L, 32L);
    }
}
