package dev.chorus.jobs.train;

import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --spec} seeds the control topic: each task the command line names ({@code --allowed-tasks}, and the tasks
 * given a spec of their own) whose key {@code task/default} holds no record gets its spec there as a LIVE record of
 * variant {@code default}, source {@code job}, so that {@code chorus specs list} and {@code chorus leaderboard} show
 * what the job trains. Both ways of starting the train job seed before it is built: {@code chorus train} and
 * {@code flink run … TrainJob} (its {@code main}, which also runs where the Flink Kubernetes operator starts it).
 *
 * <p>A key that holds a record is left as it is, whatever the record says: a retirement and a tombstone stay, since
 * seeding never revives a variant someone retired. A key whose only records are no VariantSpecRecord (kcat typing into
 * the wrong topic) counts as absent: the job refuses those, so they change nothing. Seeding twice writes nothing.
 */
public final class SpecSeeding {

    /** What {@link VariantSpecRecord#getSource()} says of a seeded record. */
    public static final String SOURCE = "job";

    private static final Logger LOG = LoggerFactory.getLogger(SpecSeeding.class);

    private SpecSeeding() {}

    /**
     * Seeds {@code settings}' control topic; returns the tasks seeded. A missing topic is not seeded (a record sent to
     * it would create it with the broker's defaults, not compacted): a warning says so, and the job trains
     * {@code --spec} as variant {@code default} all the same.
     *
     * @throws IllegalStateException when the topic cannot be read or written
     */
    public static Set<String> seed(TrainSettings settings) {
        Set<String> named = new TreeSet<>(settings.taskBound().allowed());
        named.addAll(settings.specs().configuredTasks());
        if (named.isEmpty()) {
            return Set.of();
        }
        String topic = settings.specsTopic().name();
        List<ConsumerRecord<byte[], byte[]>> control;
        try {
            if (!TopicReader.exists(settings.bootstrapServers(), settings.kafkaProperties(), topic)) {
                LOG.warn("control topic {} does not exist: --spec is not seeded there (create the topics as the "
                        + "README says); the job trains it as variant default of {} all the same", topic, named);
                return Set.of();
            }
            control = TopicReader.readAllRecords(settings.bootstrapServers(), settings.kafkaProperties(), topic);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot seed control topic " + topic + " with --spec: " + e.getMessage(), e);
        }
        Set<String> absent = absent(named, control, settings.specsTopic().codec());
        if (absent.isEmpty()) {
            return absent;
        }
        try (ExampleProducer producer = new ExampleProducer(settings.bootstrapServers(), settings.kafkaProperties())) {
            for (String task : absent) {
                VariantSpecRecord record = VariantSpecRecord.newBuilder().setTask(task)
                        .setVariant(JobSettings.DEFAULT_VARIANT).setStatus(VariantStatus.LIVE)
                        .setSpec(settings.specs().jsonFor(task)).setUpdatedAt(System.currentTimeMillis())
                        .setSource(SOURCE).build();
                producer.sendRaw(topic, Variants.topicKey(task, JobSettings.DEFAULT_VARIANT),
                        settings.specsTopic().codec().encode(record)).get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot seed control topic " + topic + " with --spec: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while seeding control topic " + topic, e);
        }
        return absent;
    }

    /**
     * The tasks of {@code named} whose {@code task/default} key holds no record among {@code control} (a control
     * topic's records): neither a VariantSpecRecord nor a tombstone.
     */
    static Set<String> absent(Set<String> named, List<ConsumerRecord<byte[], byte[]>> control,
            RecordCodec<VariantSpecRecord> codec) {
        Set<String> present = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : control) {
            if (r.value() == null) {
                if (r.key() != null) {
                    present.add(new String(r.key(), StandardCharsets.UTF_8));
                }
                continue;
            }
            try {
                VariantSpecRecord record = codec.decode(r.value());
                present.add(Variants.topicKey(record.getTask(), record.getVariant()));
            } catch (RuntimeException | StackOverflowError unreadable) {
                // Refused by the job, as undecodable or (anything else a codec throws) unexpected: it changes no key.
            }
        }
        Set<String> absent = new TreeSet<>();
        for (String task : named) {
            if (!present.contains(Variants.topicKey(task, JobSettings.DEFAULT_VARIANT))) {
                absent.add(task);
            }
        }
        return absent;
    }
}
