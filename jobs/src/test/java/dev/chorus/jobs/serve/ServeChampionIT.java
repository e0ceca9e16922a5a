package dev.chorus.jobs.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code serve --variant champion} against a real broker and a MiniCluster, exactly once: models of variants a and
 * b, champion a, then champion b, a newer b, a champion whose model comes later, and a champion record that does not
 * decode; every example is predicted once, by the variant and version serving when it was answered.
 */
class ServeChampionIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final ServeSettings SETTINGS = new ServeSettings().groupId("serve-champion-it")
            .variant(ServeSettings.CHAMPION).checkpointIntervalMs(300).parallelism(2);

    @Test
    void followsTheChampionWithoutLosingOrDoublingAPrediction() throws Exception {
        ServeSettings settings = SETTINGS.bootstrapServers(KAFKA.broker().bootstrapServers());
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(env, settings);
        JobClient job = env.executeAsync("serve-champion-it");

        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            model(producer, "a", 3);
            model(producer, "b", 5);
            champion(producer, "a");
            send(producer, "before", 40);
            assertThat(await(p -> p.getId().startsWith("before-"), 40))
                    .extracting(Prediction::getVariant, Prediction::getModelVersion).containsOnly(tuple("a", 3L));

            champion(producer, "b");
            int probes = probeUntil(producer, "swap", "b", 5);
            send(producer, "after", 40);
            assertThat(await(p -> p.getId().startsWith("after-"), 40))
                    .extracting(Prediction::getVariant, Prediction::getModelVersion).containsOnly(tuple("b", 5L));

            // A newer snapshot of the champion is served as it arrives; one of a challenger changes nothing.
            model(producer, "a", 9);
            model(producer, "b", 7);
            probes += probeUntil(producer, "newer", "b", 7);

            // A champion with no model yet: b keeps answering until c's first snapshot arrives.
            champion(producer, "c");
            send(producer, "wanted", 20);
            assertThat(await(p -> p.getId().startsWith("wanted-"), 20))
                    .extracting(Prediction::getVariant, Prediction::getModelVersion).containsOnly(tuple("b", 7L));
            model(producer, "c", 2);
            probes += probeUntil(producer, "arrived", "c", 2);

            // A champion record that does not decode is a dead letter and changes nothing.
            producer.sendRaw(settings.championsTopic().name(), "t", "{not a champion".getBytes(StandardCharsets.UTF_8));
            producer.flush();
            DeadLetter rejected = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.deadLetterTopic(),
                    d -> d.getTopic().equals(settings.championsTopic().name()), 1).get(0);
            assertThat(rejected.getReason()).startsWith("undecodable champion record, serving unchanged: ");
            send(producer, "last", 20);
            assertThat(await(p -> p.getId().startsWith("last-"), 20))
                    .extracting(Prediction::getVariant, Prediction::getModelVersion).containsOnly(tuple("c", 2L));
            JobTestSupport.cancel(job);

            List<Prediction> all = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
            int expected = 40 + 40 + 20 + 20 + probes;
            Map<String, Long> counts = all.stream().collect(Collectors.groupingBy(Prediction::getId,
                    Collectors.counting()));
            assertThat(counts).as("every example predicted exactly once").hasSize(expected)
                    .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
        }
    }

    private static org.assertj.core.groups.Tuple tuple(Object... values) {
        return org.assertj.core.groups.Tuple.tuple(values);
    }

    private static void model(ExampleProducer producer, String variant, long version) {
        ModelSnapshot snapshot = ServeFunctionTest.snapshot("t", version);
        snapshot.setVariant(variant);
        RecordCodec<ModelSnapshot> codec = SETTINGS.modelsTopic().codec();
        producer.sendRaw(SETTINGS.modelsTopic().name(), "t/" + variant, codec.encode(snapshot));
        producer.flush();
    }

    private static void champion(ExampleProducer producer, String variant) {
        Champion champion = Champion.newBuilder().setTask("t").setVariant(variant).setModelVersion(0L).setSince(0L)
                .setStandings(List.of()).setUpdatedAt(0L).build();
        producer.sendRaw(SETTINGS.championsTopic().name(), "t", SETTINGS.championsTopic().codec().encode(champion));
        producer.flush();
    }

    private static void send(ExampleProducer producer, String prefix, int count) {
        send(producer, prefix, 0, count);
    }

    private static void send(ExampleProducer producer, String prefix, int from, int count) {
        var data = ServeFunctionTest.DATA;
        var codec = SETTINGS.examplesTopic().codec();
        for (int row = from; row < from + count; row++) {
            var example = ExampleProducer.example(data, row % data.size(), "t", prefix, 0);
            example.setId(prefix + "-" + row);
            producer.sendRaw(SETTINGS.examplesTopic().name(), example.getId(), codec.encode(example));
        }
        producer.flush();
    }

    /** Sends one probe at a time until {@code variant} at {@code version} answers one; returns how many were sent. */
    private static int probeUntil(ExampleProducer producer, String prefix, String variant, long version)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        for (int probe = 0; Instant.now().isBefore(deadline); probe++) {
            send(producer, prefix, probe, 1);
            String id = prefix + "-" + probe;
            Prediction answer = await(p -> p.getId().equals(id), 1).get(0);
            if (answer.getVariant().equals(variant) && answer.getModelVersion() == version) {
                return probe + 1;
            }
        }
        throw new AssertionError(variant + " version " + version + " never answered within " + JobTestSupport.PATIENCE);
    }

    private static List<Prediction> await(Predicate<Prediction> which, int n) throws InterruptedException {
        List<Prediction> matching = JobTestSupport.awaitCommitted(KAFKA.broker(), SETTINGS.predictionsTopic(), which, n);
        assertThat(matching).hasSize(n);
        return matching;
    }
}
