package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How the train job starts, on a real broker and MiniCluster: {@code flink run … TrainJob --spec} (its {@code main})
 * seeds the control topic as {@code chorus train} does ({@link SpecSeeding}), and a bounded job reads the control
 * topic as it was when the job was built, so a record put while it starts is neither read nor waited for.
 */
class TrainJobStartIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":7}""";
    static final String LATE_SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":9}""";
    static final LabeledDataset DATA = SyntheticBlobs.generate(96, 8, 3, 5);

    @Test
    void mainSeedsSpecAsTheDefaultOfEachNamedTaskWhoseKeyHoldsNoRecordThenTrainsIt() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String[] args = {"--spec", SPEC, "--bootstrap-servers", kafka.bootstrapServers(), "--group-id", "main-it",
                "--allowed-tasks", "a,b,c", "--bounded", "--parallelism", "2", "--checkpoint-interval-ms", "300"};
            TrainSettings settings = TrainJobOptions.parse(args);
            JobTestSupport.createTopics(kafka, settings, 2);
            String control = settings.specsTopic().name();
            try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
                // b/default was retired by a tombstone: seeding never revives it. c/default holds only a value that
                // is no VariantSpecRecord, which the job refuses: it changes nothing, so c is seeded.
                producer.sendRaw(control, "b/default", null).get();
                producer.sendRaw(control, "c/default", "not json".getBytes(StandardCharsets.UTF_8)).get();
                send(producer, settings);
            }

            TrainJob.main(args);

            List<ConsumerRecord<byte[], byte[]>> records = controlRecords(kafka, control);
            assertThat(records).extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
                    .containsExactly("b/default", "c/default", "a/default", "c/default");
            var codec = settings.specsTopic().codec();
            for (ConsumerRecord<byte[], byte[]> seeded : records.subList(2, 4)) {
                VariantSpecRecord r = codec.decode(seeded.value());
                assertThat(r.getVariant()).isEqualTo("default");
                assertThat(r.getStatus()).isEqualTo(VariantStatus.LIVE);
                assertThat(r.getSpec()).isEqualTo(SPEC);
                assertThat(r.getSource()).isEqualTo(SpecSeeding.SOURCE);
            }
            List<Prediction> predictions = JobTestSupport.read(kafka, settings.predictionsTopic());
            assertThat(predictions).hasSize(DATA.size()).allSatisfy(p -> {
                assertThat(p.getTask()).isEqualTo("a");
                assertThat(p.getVariant()).isEqualTo("default");
            });

            TrainJob.main(args);
            assertThat(controlRecords(kafka, control)).as("started again, the job seeds nothing").hasSize(4);
        }
    }

    @Test
    void aBoundedJobReadsTheControlTopicAsItWasWhenBuilt() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = VariantControlIT.settings(kafka, "bounded-start-it").bounded(true);
            JobTestSupport.createTopics(kafka, settings, 2);
            String control = settings.specsTopic().name();
            var codec = settings.specsTopic().codec();
            try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
                producer.sendRaw(control, "a/early",
                        codec.encode(VariantControlIT.spec("a", "early", VariantStatus.LIVE, LATE_SPEC))).get();
                send(producer, settings);
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
                TrainJob.build(env, settings);
                // Put after the job was built, before it runs: past the end of its bounded read of the control topic.
                producer.sendRaw(control, "a/late",
                        codec.encode(VariantControlIT.spec("a", "late", VariantStatus.LIVE, LATE_SPEC))).get();
                env.execute("bounded-start-it");
            }

            List<Prediction> predictions = JobTestSupport.read(kafka, settings.predictionsTopic());
            assertThat(predictions).extracting(Prediction::getVariant)
                    .as("default and early train every example; late was put after the job was built")
                    .hasSize(2 * DATA.size()).containsOnly("default", "early");
        }
    }

    private static void send(ExampleProducer producer, TrainSettings settings) {
        for (int row = 0; row < DATA.size(); row++) {
            producer.send(settings.examplesTopic(), ExampleProducer.example(DATA, row, "a", "a", 0));
        }
        producer.flush();
    }

    private static List<ConsumerRecord<byte[], byte[]>> controlRecords(EmbeddedKafkaBroker kafka, String topic) {
        TopicReader.awaitSettled(kafka.bootstrapServers(), Map.of(), topic, java.time.Duration.ofSeconds(10));
        return TopicReader.readAllRecords(kafka.bootstrapServers(), Map.of(), topic);
    }
}
