package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.VariantControlIT.control;
import static dev.chorus.jobs.train.VariantControlIT.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A train job started without a savepoint on topics that already hold examples and control records: it reads both
 * from their start, and its router holds the examples until it has the control topic as it was at the start, so
 * every example goes to exactly the variants the control topic has live, from the first one on. Before, the examples
 * source often won the race: the first examples went to {@code default} alone, and to a variant the topic retires.
 */
class ControlTopicFirstIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    /** A whole number of minibatches (16), each predicted when it closes. */
    static final int EXAMPLES = 608;

    @Test
    void everyExampleAlreadyOnTheTopicGoesToTheVariantsTheControlTopicHasLive() throws Exception {
        TrainSettings settings = VariantControlIT.settings(KAFKA.broker(), "control-first-it");
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker());
                ExampleProducer examples = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            control(producer, settings, "blobs/a/fast",
                    spec("blobs/a", "fast", VariantStatus.LIVE, VariantControlIT.FAST));
            control(producer, settings, "blobs/a/gone",
                    spec("blobs/a", "gone", VariantStatus.LIVE, VariantControlIT.FAST.replace("\"seed\":7", "\"seed\":8")));
            for (int i = 0; i < 30; i++) {
                // A control topic's worth of history: the job judges all of it before its first example.
                control(producer, settings, "blobs/a/v" + i,
                        spec("blobs/a", "v" + i, VariantStatus.LIVE, VariantControlIT.SPEC.replace("\"seed\":7",
                                "\"seed\":" + (100 + i))));
                control(producer, settings, "blobs/a/v" + i, null);
            }
            control(producer, settings, "blobs/a/gone", spec("blobs/a", "gone", VariantStatus.RETIRED, null));
            VariantControlIT.send(examples, settings, "first", 0, EXAMPLES);
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("control-first-it");
        try {
            List<Prediction> predicted = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                    p -> p.getId().startsWith("first-"), 2 * EXAMPLES);
            Map<String, Set<String>> variantsById = predicted.stream().collect(Collectors.groupingBy(
                    Prediction::getId, Collectors.mapping(Prediction::getVariant, Collectors.toSet())));
            assertThat(variantsById).hasSize(EXAMPLES);
            assertThat(variantsById.entrySet()).as("each example, by the variants live on the control topic")
                    .allSatisfy(e -> assertThat(e.getValue()).as(e.getKey()).containsExactlyInAnyOrder("default",
                            "fast"));
            assertThat(predicted).as("each once").hasSize(2 * EXAMPLES);
        } finally {
            JobTestSupport.cancel(job);
        }
    }
}
