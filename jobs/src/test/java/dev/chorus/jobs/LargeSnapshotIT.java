package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 17's must-show, on a real broker and MiniCluster: a hashed FTRL task at 2^22 dimensions whose snapshots
 * are over 16 MiB (more than one Kafka record holds) is trained, its snapshots go to the models topic as chunks and a
 * manifest, and the serve job answers with a version only once all of it arrived: every answer is, bit for bit,
 * model-core's model of the version it names. Checkpoints go to files, as in a deployment: the trainer's state and the
 * serve job's broadcast state are far over the 5 MiB a checkpoint held by the JobManager allows.
 */
class LargeSnapshotIT {

    static final Path CHECKPOINTS = temporaryDirectory();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(3, checkpointsToFiles());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TASK = "wide";
    static final int BATCH = 16;

    @Test
    void aSnapshotOverSixteenMebibytesReachesTheServeJobInChunksAndIsSwappedInWhole() throws Exception {
        TrainSettings train = new TrainSettings()
                .examplesTopic(new Topic<>("large.train-examples", Example.class, WireFormat.AVRO))
                .predictionsTopic(new Topic<>("large.train-predictions", Prediction.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>("large.train-dead-letters", DeadLetter.class, WireFormat.AVRO))
                .specs(TaskSpecs.of(null, Map.of(TASK, WideExamples.SPEC)))
                .bootstrapServers(KAFKA.broker().bootstrapServers()).groupId("large-train")
                .checkpointIntervalMs(500).snapshotEveryBatches(1).snapshotIntervalMs(0).batchTimeoutMs(0)
                .parallelism(1);
        ServeSettings serve = new ServeSettings()
                .examplesTopic(new Topic<>("large.serve-examples", Example.class, WireFormat.AVRO))
                .predictionsTopic(new Topic<>("large.serve-predictions", Prediction.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>("large.serve-dead-letters", DeadLetter.class, WireFormat.AVRO))
                .bootstrapServers(KAFKA.broker().bootstrapServers()).groupId("large-serve")
                .checkpointIntervalMs(500).parallelism(1);
        JobTestSupport.createTopics(KAFKA.broker(), train, 1);
        JobTestSupport.createTopics(KAFKA.broker(), serve, 1);
        List<Example> examples = WideExamples.stream(TASK, 0, 2 * BATCH);
        SparseLinearModel first = ClickExamples.reference(WideExamples.SPEC, examples.subList(0, BATCH), false).model();
        SparseLinearModel second = ClickExamples.reference(WideExamples.SPEC, examples, false).model();
        FeatureHasher hasher = new FeatureHasher(first.spec().hashing());

        StreamExecutionEnvironment serveEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(serveEnv, serve);
        JobClient serveJob = serveEnv.executeAsync("large-snapshot-serve");
        StreamExecutionEnvironment trainEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(trainEnv, train);
        JobClient trainJob = trainEnv.executeAsync("large-snapshot-train");
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            // Probes wait for a first model; they are answered only by a whole version 1.
            probe(producer, serve, examples, "waiting", 0, 4);
            examples.subList(0, BATCH).forEach(e -> producer.send(train.examplesTopic(), e));
            producer.flush();
            List<Prediction> waited = await(serve, "waiting-", 4);
            assertThat(waited).extracting(Prediction::getModelVersion).containsOnly(1L);
            waited.forEach(p -> assertAnsweredBy(p, first, hasher, examples));

            // Version 2 goes out while version 1 serves: each answer is one whole version, never a mix.
            examples.subList(BATCH, 2 * BATCH).forEach(e -> producer.send(train.examplesTopic(), e));
            producer.flush();
            Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
            long version = 1;
            for (int probe = 0; version == 1 && Instant.now().isBefore(deadline); probe++) {
                probe(producer, serve, examples, "swap", probe, 1);
                Prediction answer = await(serve, "swap-" + probe + "-", 1).get(0);
                version = answer.getModelVersion();
                assertAnsweredBy(answer, version == 1 ? first : second, hasher, examples);
            }
            assertThat(version).as("the version answering within %s", JobTestSupport.PATIENCE).isEqualTo(2L);
        } finally {
            stop(trainJob);
            stop(serveJob);
        }

        List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAllRecords(KAFKA.broker().bootstrapServers(),
                Map.of(), train.modelsTopic().name());
        List<ModelSnapshot> parts = records.stream().map(r -> train.modelsTopic().codec().decode(r.value())).toList();
        int chunks = (second.toBytes().length + SnapshotChunks.MAX_CHUNK_BYTES - 1) / SnapshotChunks.MAX_CHUNK_BYTES;
        assertThat(second.toBytes().length).isGreaterThan(16 << 20);
        List<ModelSnapshot> ofSecond = parts.stream().filter(p -> p.getVersion() == 2L).toList();
        assertThat(ofSecond).extracting(ModelSnapshot::getChunk).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(0, chunks).mapToObj(k -> k == chunks ? null : k).toList());
        assertThat(records.stream().filter(r -> train.modelsTopic().codec().decode(r.value()).getVersion() == 2L)
                .map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList()).last().isEqualTo(TASK + "/default");
        assertThat(JobTestSupport.read(KAFKA.broker(), serve.deadLetterTopic())).isEmpty();
    }

    /** Sends examples {@code from .. from + count} of {@code examples} to the serve job as {@code prefix-i-row}. */
    private static void probe(ExampleProducer producer, ServeSettings serve, List<Example> examples, String prefix,
            int from, int count) {
        for (int i = from; i < from + count; i++) {
            int row = i % examples.size();
            Example probe = Example.newBuilder(examples.get(row)).setId(prefix + "-" + i + "-" + row).build();
            producer.send(serve.examplesTopic(), probe);
        }
        producer.flush();
    }

    private static List<Prediction> await(ServeSettings serve, String prefix, int n) throws InterruptedException {
        return JobTestSupport.awaitCommitted(KAFKA.broker(), serve.predictionsTopic(),
                p -> p.getId().startsWith(prefix), n);
    }

    private static void assertAnsweredBy(Prediction p, SparseLinearModel model, FeatureHasher hasher,
            List<Example> examples) {
        int row = Integer.parseInt(p.getId().substring(p.getId().lastIndexOf('-') + 1));
        float[] expected = new float[2];
        model.predictProba(hasher.hash(examples.get(row).getFields()), expected);
        assertThat(Float32.unpack(p.getProbabilities())).as("%s, version %d", p.getId(), p.getModelVersion())
                .containsExactly(expected);
    }

    /** Cancels a job still running; one that failed already is left as it is, so the test reports its own failure. */
    private static void stop(JobClient job) throws Exception {
        if (!job.getJobStatus().get().isGloballyTerminalState()) {
            JobTestSupport.cancel(job);
        }
    }

    private static Configuration checkpointsToFiles() {
        Configuration conf = JobTestSupport.failFast();
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, CHECKPOINTS.toUri().toString());
        return conf;
    }

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("large-snapshot-checkpoints");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
