package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 16: a task added through the control topic while the train job runs trains at its own input shape. The job
 * runs with {@code --spec} of 8 inputs ({@link VariantControlIT#SPEC}); the topic then gives task {@code iris} a
 * {@code default} of 4 inputs. Iris's examples train and are predicted by it, its snapshots go out, and an iris
 * example of another shape (5 inputs, or {@code --spec}'s 8) is a dead letter naming the field, the expected and the
 * actual value, with the record's own key and bytes.
 */
class TaskAddedThroughControlTopicIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String IRIS_SPEC = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.1},"seed":3}""";
    static final LabeledDataset IRIS = SyntheticBlobs.generate(400, 4, 3, 11);

    @Test
    void aTaskWhoseDefaultSpecTheTopicAddsTrainsAtItsOwnShape() throws Exception {
        TrainSettings settings = VariantControlIT.settings(KAFKA.broker(), "task-added-it");
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("task-added-it");
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker());
                ExampleProducer examples = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            VariantControlIT.control(producer, settings, "iris/default",
                    VariantControlIT.spec("iris", "default", VariantStatus.LIVE, IRIS_SPEC));
            VariantProbes.await(KAFKA.broker(), producer, settings, ExampleProducer.example(IRIS, 0, "iris", "", 0),
                    "probe-", "default", true);

            for (int row = 0; row < 160; row++) {
                examples.send(settings.examplesTopic(), ExampleProducer.example(IRIS, row, "iris", "iris", 0));
            }
            var codec = settings.examplesTopic().codec();
            Example fiveInputs = iris("iris-five", 5);
            Example jobsShape = iris("iris-eight", 8);
            examples.sendRaw(settings.examplesTopic().name(), "key-five", codec.encode(fiveInputs));
            examples.sendRaw(settings.examplesTopic().name(), "key-eight", codec.encode(jobsShape));
            examples.flush();

            List<Prediction> predicted = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                    p -> p.getId().startsWith("iris-"), 160);
            assertThat(predicted).hasSize(160).allSatisfy(p -> {
                assertThat(p.getTask()).isEqualTo("iris");
                assertThat(p.getVariant()).isEqualTo("default");
            });
            // Made with the predictions of the minibatches that made them, but committed by the models' own sink, in
            // a transaction of its own: seeing the 160th prediction does not make version 20 visible yet. (The topic
            // has tombstones: a default the topic gives another spec than --spec's restarts at version 0.)
            JobTestSupport.awaitCommittedValues(KAFKA.broker(), settings.modelsTopic(),
                    m -> m.getTask().equals("iris") && m.getVersion() == 20L, 1);
            var models = settings.modelsTopic().codec();
            List<ModelSnapshot> iris = TopicReader.readAll(KAFKA.broker().bootstrapServers(), Map.of(),
                    settings.modelsTopic().name(), v -> v == null ? null : models.decode(v)).stream()
                    .filter(m -> m != null && m.getTask().equals("iris")).toList();
            assertThat(iris).extracting(ModelSnapshot::getVersion).as("160 examples in minibatches of 8, a snapshot "
                    + "every 10").contains(10L, 20L);
            assertThat(iris).allSatisfy(m -> {
                assertThat(m.getVariant()).isEqualTo("default");
                assertThat(TaskSpecs.parse(m.getSpec()).inputDim()).isEqualTo(4);
            });

            List<DeadLetter> dead = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.deadLetterTopic(),
                    d -> d.getKey() != null && (key(d).equals("key-five") || key(d).equals("iris-eight")), 2);
            assertThat(dead).hasSize(2).allSatisfy(d -> assertThat(d.getField()).isEqualTo("features"));
            assertThat(dead).filteredOn(d -> key(d).equals("key-five")).singleElement().satisfies(d -> {
                assertThat(d.getReason()).isEqualTo("field 'features': expected 4 float32 values, got 5");
                assertThat(JobTestSupport.bytes(d.getOriginal())).isEqualTo(codec.encode(fiveInputs));
                assertThat(d.getOffset()).isGreaterThanOrEqualTo(0L);
            });
            // An example that fits --spec reaches the router without its record's bytes (most do, and carrying them
            // costs the job's rate): one the topic's spec then rejects is encoded again, keyed by its id.
            assertThat(dead).filteredOn(d -> key(d).equals("iris-eight")).singleElement().satisfies(d -> {
                assertThat(d.getReason()).isEqualTo("field 'features': expected 4 float32 values, got 8");
                assertThat(JobTestSupport.bytes(d.getOriginal())).isEqualTo(codec.encode(jobsShape));
            });
        } finally {
            JobTestSupport.cancel(job);
        }
    }

    static Example iris(String id, int inputs) {
        return Example.newBuilder().setId(id).setTask("iris").setFeatures(Float32.pack(new float[inputs]))
                .setLabel(0).setEventTime(0).build();
    }

    static String key(DeadLetter d) {
        return StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString();
    }
}
