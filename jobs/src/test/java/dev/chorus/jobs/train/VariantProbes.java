package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Makes "after a control change took effect" exact in a running train job: sends an unlabeled probe (predicted at
 * once) to each partition of the examples topic (2 partitions, so each router instance) until, for each partition, a
 * probe's committed predictions show the change. The sinks are exactly once: a probe's prediction by variant
 * {@code default} is committed in the same checkpoint as whatever the router emitted for it to other variants.
 */
final class VariantProbes {
    private static final Example TEMPLATE = ExampleProducer.example(SyntheticBlobs.generate(1, 8, 3, 1), 0, "", "", 0);

    private VariantProbes() {}

    static void await(EmbeddedKafkaBroker kafka, KafkaProducer<byte[], byte[]> producer, TrainSettings settings,
            String task, String prefix, String variant, boolean live) throws Exception {
        await(kafka, producer, settings, Example.newBuilder(TEMPLATE).setTask(task).build(), prefix, variant, live);
    }

    /** As above, with probes like {@code template} (its task, its features), unlabeled. */
    static void await(EmbeddedKafkaBroker kafka, KafkaProducer<byte[], byte[]> producer, TrainSettings settings,
            Example template, String prefix, String variant, boolean live) throws Exception {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        var codec = settings.examplesTopic().codec();
        boolean[] seen = new boolean[2];
        for (int round = 0; Instant.now().isBefore(deadline); round++) {
            for (int partition = 0; partition < 2; partition++) {
                Example probe = Example.newBuilder(template).setLabel(null)
                        .setId(prefix + partition + "-" + round).build();
                producer.send(new ProducerRecord<>(settings.examplesTopic().name(), partition,
                        probe.getId().getBytes(StandardCharsets.UTF_8), codec.encode(probe))).get();
            }
            Thread.sleep(300);
            Map<String, List<String>> variantsById = JobTestSupport.read(kafka, settings.predictionsTopic()).stream()
                    .filter(p -> p.getId().startsWith(prefix)).collect(Collectors.groupingBy(Prediction::getId,
                            Collectors.mapping(Prediction::getVariant, Collectors.toList())));
            for (int partition = 0; partition < 2; partition++) {
                String onPartition = prefix + partition + "-";
                seen[partition] = variantsById.entrySet().stream().anyMatch(e -> e.getKey().startsWith(onPartition)
                        && e.getValue().contains("default") && e.getValue().contains(variant) == live);
            }
            if (seen[0] && seen[1]) {
                return;
            }
        }
        assertThat(seen).as("a probe on each partition %s variant %s", live ? "with" : "without", variant)
                .containsOnly(true);
    }

    static KafkaProducer<byte[], byte[]> producer(EmbeddedKafkaBroker kafka) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
