package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Makes "after a control change took effect" exact in a running train job: sends an unlabeled probe (predicted at
 * once) to each partition of the examples topic (2 partitions, so each router instance) until, for each partition, a
 * probe's committed predictions show the change. The sinks are exactly once: a probe's prediction by variant
 * {@code default} is committed in the same checkpoint as whatever the router emitted for it to other variants, but
 * not in the same transaction: each instance of the predictions sink commits its own when the checkpoint completes,
 * and the broker writes the commit markers after that. So a probe with default's prediction and the variant's shows
 * the variant live at once, while one with default's prediction alone shows it gone only once every transaction open
 * when default's was seen has its markers: the topic settled after that, and the probe read again.
 */
final class VariantProbes {
    private static final Example TEMPLATE = ExampleProducer.example(SyntheticBlobs.generate(1, 8, 3, 1), 0, "", "", 0);
    /** How long a round waits for the predictions topic to settle before it sends probes again. */
    private static final Duration SETTLE = Duration.ofSeconds(10);

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
            Map<String, List<String>> variantsById = variantsById(
                    JobTestSupport.read(kafka, settings.predictionsTopic()), prefix);
            if (!live && shows(variantsById, prefix, variant, false, new boolean[2])) {
                // Default's predictions of these probes are committed, so their checkpoint's other transactions are
                // written, committed or about to be: once the topic has settled, a read shows all of them.
                Set<String> predictedByDefault = variantsById.entrySet().stream()
                        .filter(e -> e.getValue().contains("default")).map(Map.Entry::getKey)
                        .collect(Collectors.toSet());
                if (!TopicReader.awaitSettled(kafka.bootstrapServers(), Map.of(), settings.predictionsTopic().name(),
                        SETTLE)) {
                    continue;
                }
                variantsById = variantsById(JobTestSupport.readNow(kafka, settings.predictionsTopic()), prefix);
                variantsById.keySet().retainAll(predictedByDefault);
            }
            if (shows(variantsById, prefix, variant, live, seen)) {
                return;
            }
        }
        assertThat(seen).as("a probe on each partition %s variant %s", live ? "with" : "without", variant)
                .containsOnly(true);
    }

    /** The variants that predicted each probe of {@code prefix}, by probe id. */
    private static Map<String, List<String>> variantsById(List<Prediction> predictions, String prefix) {
        return predictions.stream().filter(p -> p.getId().startsWith(prefix)).collect(Collectors.groupingBy(
                Prediction::getId, Collectors.mapping(Prediction::getVariant, Collectors.toList())));
    }

    /**
     * Whether, on each partition, a probe predicted by default was predicted by {@code variant} ({@code live}) or not;
     * notes in {@code seen} which partition has one.
     */
    private static boolean shows(Map<String, List<String>> variantsById, String prefix, String variant, boolean live,
            boolean[] seen) {
        for (int partition = 0; partition < 2; partition++) {
            String onPartition = prefix + partition + "-";
            seen[partition] = variantsById.entrySet().stream().anyMatch(e -> e.getKey().startsWith(onPartition)
                    && e.getValue().contains("default") && e.getValue().contains(variant) == live);
        }
        return seen[0] && seen[1];
    }

    static KafkaProducer<byte[], byte[]> producer(EmbeddedKafkaBroker kafka) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
