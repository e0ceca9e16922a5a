package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Variants managed through the control topic while the train job runs (parallelism 2, examples on 2 partitions):
 * an invalid record and one whose model is too large to build are dead letters, a second variant is added and
 * trains on every example from then on, and is retired: no more predictions from it, and its state is gone (revived, it starts from model version 0).
 *
 * <p>"From then on" is made exact with probes ({@link VariantProbes}).
 */
class VariantControlIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TASK = "blobs/a";
    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":7}""";
    static final String FAST = SPEC.replace("0.05", "0.2");
    static final String HUGE = SPEC.replace("\"softmax-regression\"", "\"mlp\"")
            .replace("\"numClasses\":3,", "\"numClasses\":3,\"layers\":[{\"units\":300000000}],");
    static final LabeledDataset DATA = SyntheticBlobs.generate(1000, 8, 3, 5);

    @Test
    void aVariantAddedAndRetiredWhileTheJobRuns() throws Exception {
        TrainSettings settings = settings("variant-control-it");
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("variant-control-it");
        try (KafkaProducer<byte[], byte[]> producer = producer();
                ExampleProducer examples = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            send(examples, settings, "before-", 0, 160);
            assertThat(awaitPredictions(settings, "before-", 160)).extracting(Prediction::getVariant)
                    .containsOnly("default");

            control(producer, settings, TASK + "/fast", spec(TASK, "fast", VariantStatus.LIVE, "{\"algorithm\":"));
            // A spec no TaskManager could build (its first layer alone is 2.4 billion weights): built, it would fail
            // the job on its first example, and every restart after; refused, it changes nothing.
            control(producer, settings, TASK + "/huge", spec(TASK, "huge", VariantStatus.LIVE, HUGE));
            control(producer, settings, TASK + "/fast", spec(TASK, "fast", VariantStatus.LIVE, FAST));
            VariantProbes.await(KAFKA.broker(), producer, settings, TASK, "add-", "fast", true);

            send(examples, settings, "during-", 160, 320);
            List<Prediction> during = awaitPredictions(settings, "during-", 2 * 320);
            assertThat(during.stream().collect(Collectors.groupingBy(Prediction::getVariant, Collectors.counting())))
                    .as("every example after the add, predicted once by each variant")
                    .isEqualTo(Map.of("default", 320L, "fast", 320L));
            assertThat(during.stream().map(p -> p.getVariant() + "/" + p.getId()).distinct()).hasSize(640);
            List<ModelSnapshot> fastModels = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.modelsTopic(),
                    m -> m.getVariant().equals("fast"), 2);
            assertThat(fastModels).extracting(ModelSnapshot::getVersion).containsExactly(10L, 20L);
            assertThat(fastModels).extracting(ModelSnapshot::getExamplesSeen).containsExactly(160L, 320L);
            assertThat(fastModels.get(1).getSpec()).contains("0.2");

            List<DeadLetter> dead = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.deadLetterTopic(),
                    d -> d.getTopic().equals(settings.specsTopic().name()), 2);
            assertThat(dead).extracting(DeadLetter::getField).containsOnly("spec");
            assertThat(dead).extracting(DeadLetter::getReason).as("in either order: the topic has two partitions")
                    .anySatisfy(r -> assertThat(r).startsWith("field 'spec': expected a model spec the train job can "
                            + "train, got \"{\\u0022algorithm\\u0022:\"").contains("not valid JSON"))
                    .contains("field 'spec': expected a model of at most --max-model-parameters=100,000,000 "
                            + "parameters, got 3,600,000,003 (mlp: inputDim 8, numClasses 3, hidden layers [300000000])");
            assertThat(during).extracting(Prediction::getVariant).doesNotContain("huge");

            control(producer, settings, TASK + "/fast", null);
            VariantProbes.await(KAFKA.broker(), producer, settings, TASK, "retire-", "fast", false);
            send(examples, settings, "after-", 480, 160);
            assertThat(awaitPredictions(settings, "after-", 160)).extracting(Prediction::getVariant)
                    .containsOnly("default");

            // Retired, it comes back only if asked: a spec without "revive":true is a dead letter.
            control(producer, settings, TASK + "/fast", spec(TASK, "fast", VariantStatus.LIVE, FAST));
            assertThat(JobTestSupport.awaitCommitted(KAFKA.broker(), settings.deadLetterTopic(),
                    d -> d.getTopic().equals(settings.specsTopic().name()), 3)).anySatisfy(d -> {
                        assertThat(d.getField()).isEqualTo("spec");
                        assertThat(d.getReason()).startsWith("field 'spec': expected \"revive\":true to make retired "
                                + "variant \"blobs/a/fast\" live again");
                    });
            control(producer, settings, TASK + "/fast", spec(TASK, "fast", VariantStatus.LIVE,
                    VariantSpecs.revived(FAST)));
            VariantProbes.await(KAFKA.broker(), producer, settings, TASK, "revive-", "fast", true);
            assertThat(JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic()))
                    .filteredOn(p -> p.getId().startsWith("revive-") && p.getVariant().equals("fast"))
                    .as("the retired variant's state was cleared: revived, it starts afresh")
                    .extracting(Prediction::getModelVersion).containsOnly(0L);
            assertThat(JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic()))
                    .filteredOn(p -> p.getVariant().equals("fast"))
                    .extracting(Prediction::getId).noneMatch(id -> id.startsWith("after-"));
        } finally {
            JobTestSupport.cancel(job);
        }
    }

    static TrainSettings settings(String group) {
        return settings(KAFKA.broker(), group);
    }

    /** A train job of {@link #SPEC} on {@code kafka} at parallelism 2, snapshotting every 10 minibatches. */
    static TrainSettings settings(EmbeddedKafkaBroker kafka, String group) {
        return new TrainSettings()
                .bootstrapServers(kafka.bootstrapServers())
                .groupId(group)
                .specs(TaskSpecs.ofDefault(SPEC))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(10)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .parallelism(2);
    }

    static void send(ExampleProducer examples, TrainSettings settings, String prefix, int from, int count) {
        for (int row = from; row < from + count; row++) {
            Example e = ExampleProducer.example(DATA, row, TASK, prefix, 0);
            examples.send(settings.examplesTopic(), e);
        }
        examples.flush();
    }

    static List<Prediction> awaitPredictions(TrainSettings settings, String prefix, int n) throws Exception {
        return JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                p -> p.getId().startsWith(prefix), n);
    }

    static VariantSpecRecord spec(String task, String variant, VariantStatus status, String spec) {
        return VariantSpecRecord.newBuilder().setTask(task).setVariant(variant).setStatus(status).setSpec(spec)
                .setUpdatedAt(System.currentTimeMillis()).setSource("test").build();
    }

    /** Writes a control record, or a tombstone when {@code value} is null, and returns its offset. */
    static long control(KafkaProducer<byte[], byte[]> producer, TrainSettings settings, String key,
            VariantSpecRecord value) throws Exception {
        return producer.send(new ProducerRecord<>(settings.specsTopic().name(), bytes(key),
                value == null ? null : settings.specsTopic().codec().encode(value))).get().offset();
    }

    static KafkaProducer<byte[], byte[]> producer() {
        return VariantProbes.producer(KAFKA.broker());
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
