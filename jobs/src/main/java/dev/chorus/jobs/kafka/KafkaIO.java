package dev.chorus.jobs.kafka;

import dev.chorus.jobs.JobSettings;
import dev.chorus.schemas.DeadLetter;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.types.Either;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;

/** Kafka sources and sinks of Chorus jobs, built the same way for every job from its {@link JobSettings}. */
public final class KafkaIO {
    /**
     * The exactly-once sinks' {@code transaction.timeout.ms}: below the brokers' {@code transaction.max.timeout.ms}
     * (15 min by default). A transaction opens after one checkpoint and commits when the next one that completes does;
     * a broker aborts it once it is older than this, and its output is then lost, so the job refuses checkpoint settings
     * that let it live longer ({@link dev.chorus.jobs.JobEnvironment#checkpointsCommitInTime}).
     */
    public static final Duration TRANSACTION_TIMEOUT = Duration.ofMinutes(10);
    /** The producer setting a user may raise {@link #TRANSACTION_TIMEOUT} with, up to the brokers' maximum. */
    public static final String TRANSACTION_TIMEOUT_KEY = "transaction.timeout.ms";


    /**
     * Largest record the sinks write: a model snapshot carries the whole model state (parameters, optimizer
     * moments), about 12 bytes per parameter, so 16 MiB holds models of over a million parameters. Kafka's default
     * of 1 MiB would refuse an MLP of 200,000 parameters.
     */
    public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;

    private KafkaIO() {}

    /**
     * The exactly-once sinks' transaction timeout: {@value #TRANSACTION_TIMEOUT_KEY} among the job's Kafka properties
     * (a {@code --kafka-config} file, {@code -X}) when set, so that a cluster whose brokers allow longer transactions
     * ({@code transaction.max.timeout.ms}) can ride out longer outages; else {@link #TRANSACTION_TIMEOUT}.
     *
     * @throws IllegalArgumentException when the setting is not a positive whole number of milliseconds
     */
    public static Duration transactionTimeout(JobSettings<?> settings) {
        String value = settings.kafkaProperties().get(TRANSACTION_TIMEOUT_KEY);
        if (value == null) {
            return TRANSACTION_TIMEOUT;
        }
        long ms;
        try {
            ms = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            ms = -1;
        }
        if (ms <= 0) {
            throw new IllegalArgumentException("Kafka property " + TRANSACTION_TIMEOUT_KEY + ": expected a positive "
                    + "whole number of milliseconds (at most the brokers' transaction.max.timeout.ms), got '" + value
                    + "'");
        }
        return Duration.ofMillis(ms);
    }

    /**
     * Reads {@code topic} as raw records, from the group's committed offsets (else the earliest), and up to the
     * end offsets as of the start when the job is bounded; only committed records, see {@link ConsumerProperties}.
     */
    @SuppressWarnings("deprecation") // the connector's API still takes Kafka's OffsetResetStrategy
    public static KafkaSource<KafkaRecord> source(JobSettings<?> settings, String topic, String groupSuffix) {
        return build(settings, builder(settings, groupSuffix,
                OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST)).setTopics(topic));
    }

    /** As {@link #source}, bounded at {@code end} (a bounded job's, {@link BoundedEnd#of}) where it is not null. */
    @SuppressWarnings("deprecation") // as source
    public static KafkaSource<KafkaRecord> source(JobSettings<?> settings, String topic, String groupSuffix,
            BoundedEnd end) {
        if (end == null) {
            return source(settings, topic, groupSuffix);
        }
        return builder(settings, groupSuffix, OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setTopics(topic).setBounded(OffsetsInitializer.offsets(end.stop())).build();
    }

    /**
     * Reads a compacted topic that holds state (the models a serve job serves, the champions it follows) whole: from
     * its earliest offset on a fresh start, also when the group has offsets committed by an earlier job (a job
     * started without a savepoint has none of that state, and a model that stopped changing would never come again),
     * and after a restore from the checkpointed offsets; committed records only; bounded as {@link #source}. It still
     * commits its offsets to the group at each completed checkpoint.
     */
    public static KafkaSource<KafkaRecord> stateSource(JobSettings<?> settings, String topic, String groupSuffix) {
        return build(settings, builder(settings, groupSuffix, OffsetsInitializer.earliest()).setTopics(topic));
    }

    /**
     * Reads a compacted control topic whole: from its earliest offset on a fresh start (after a restore, from the
     * checkpointed offsets); committed records only; bounded as {@link #source}. It commits its offsets to the job's
     * consumer group at each completed checkpoint, as the examples source does (the same group ACL), though it never
     * starts from them: they tell the operator's tools which control records the job has read ({@code chorus specs
     * list} shows the later ones as pending). Unbounded, the topic is subscribed
     * as a pattern: a missing one is no error (the job has none of its records) and is picked up once created, at the
     * next partition discovery. Bounded, it must exist: a pattern matching no topic would never end the source.
     */
    public static KafkaSource<KafkaRecord> sourceFromStart(JobSettings<?> settings, String topic) {
        return sourceFromStart(settings, topic, null);
    }

    /**
     * {@link #sourceFromStart(JobSettings, String)} that, bounded, stops at {@code boundedStop} (the offset past the
     * last record to read, per partition) rather than at the end offsets its enumerator finds when the job starts;
     * null for those.
     */
    public static KafkaSource<KafkaRecord> sourceFromStart(JobSettings<?> settings, String topic,
            Map<TopicPartition, Long> boundedStop) {
        KafkaSourceBuilder<KafkaRecord> builder = builder(settings, "", OffsetsInitializer.earliest());
        if (!settings.bounded()) {
            return builder.setTopicPattern(Pattern.compile(Pattern.quote(topic))).build();
        }
        builder.setTopics(topic);
        return boundedStop == null ? build(settings, builder)
                : builder.setBounded(OffsetsInitializer.offsets(boundedStop)).build();
    }

    private static KafkaSourceBuilder<KafkaRecord> builder(JobSettings<?> settings, String groupSuffix,
            OffsetsInitializer start) {
        return KafkaSource.<KafkaRecord>builder()
                .setBootstrapServers(settings.bootstrapServers())
                .setGroupId(settings.groupId() + groupSuffix)
                .setStartingOffsets(start)
                .setDeserializer(new KafkaRecordDeserializer())
                .setProperties(ConsumerProperties.readCommitted(settings.kafkaProperties()));
    }

    private static KafkaSource<KafkaRecord> build(JobSettings<?> settings, KafkaSourceBuilder<KafkaRecord> builder) {
        if (settings.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    /** Writes records to {@code topic} keyed by {@code key}, exactly once (transactions) unless configured otherwise. */
    public static <T extends SpecificRecord> KafkaSink<T> sink(JobSettings<?> settings, Topic<T> topic,
            SerializableFunction<T, String> key, String name) {
        return sink(settings, topic, key, name, Map.of());
    }

    /**
     * {@link #sink(JobSettings, Topic, SerializableFunction, String)} with producer settings the job prefers to
     * Kafka's defaults; the settings' own Kafka properties still win over them.
     */
    public static <T extends SpecificRecord> KafkaSink<T> sink(JobSettings<?> settings, Topic<T> topic,
            SerializableFunction<T, String> key, String name, Map<String, String> producerDefaults) {
        return sink(settings, new TopicSerializer<>(topic, key), name, producerDefaults, settings.exactlyOnce());
    }

    /**
     * {@link #sink(JobSettings, Topic, SerializableFunction, String)} that writes at least once (no transactions, each
     * record visible once sent) whatever the job's delivery.
     */
    public static <T extends SpecificRecord> KafkaSink<T> sinkAtLeastOnce(JobSettings<?> settings, Topic<T> topic,
            SerializableFunction<T, String> key, String name) {
        return sink(settings, new TopicSerializer<>(topic, key), name, Map.of(), false);
    }

    /**
     * {@link #sink(JobSettings, Topic, SerializableFunction, String)} for a compacted topic whose keys can be
     * deleted: {@code Left(key)} writes a tombstone for {@code key} ({@link TopicSerializer.WithTombstones}).
     */
    public static <T extends SpecificRecord> KafkaSink<Either<String, T>> sinkWithTombstones(
            JobSettings<?> settings, Topic<T> topic, SerializableFunction<T, String> key, String name) {
        return sink(settings, new TopicSerializer.WithTombstones<>(topic, key), name, Map.of(), settings.exactlyOnce());
    }

    private static <T> KafkaSink<T> sink(JobSettings<?> settings, KafkaRecordSerializationSchema<T> serializer,
            String name, Map<String, String> producerDefaults, boolean exactlyOnce) {
        Properties producer = new Properties();
        producer.putAll(producerDefaults);
        producer.putAll(properties(settings));
        return KafkaSink.<T>builder()
                .setBootstrapServers(settings.bootstrapServers())
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(exactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix(settings.groupId() + "-" + name)
                // Below the broker's transaction.max.timeout.ms (15 min by default), above the time a checkpoint may
                // take to commit it (JobEnvironment.checkpointsCommitInTime); the user's setting when given.
                .setProperty(TRANSACTION_TIMEOUT_KEY, String.valueOf(transactionTimeout(settings).toMillis()))
                .setProperty("max.request.size", String.valueOf(MAX_RECORD_BYTES))
                .build();
    }

    /** The dead-letter sink: keyed by where the rejected record was read ({@link #deadLetterKey}). */
    public static KafkaSink<DeadLetter> deadLetterSink(JobSettings<?> settings) {
        return sink(settings, settings.deadLetterTopic(), KafkaIO::deadLetterKey, "dead-letters");
    }

    /**
     * The train job's dead-letter sink: {@code Left} dead letters to the dead-letter topic, {@code Right} ones to
     * {@code second} (the spec refusals topic), keyed as {@link #deadLetterSink(JobSettings)} keys them, in one
     * producer's transactions.
     */
    public static KafkaSink<Either<DeadLetter, DeadLetter>> deadLetterSink(JobSettings<?> settings,
            Topic<DeadLetter> second) {
        return sink(settings, new TopicSerializer.TwoTopics<>(settings.deadLetterTopic(), second, KafkaIO::deadLetterKey),
                "dead-letters", Map.of(), settings.exactlyOnce());
    }

    /**
     * A dead letter's Kafka key: where the rejected record was read, {@code topic-partition@offset}, a few dozen bytes.
     * Not the record's own key, which the dead letter holds already (up to {@code --dead-letter-max-original-bytes} of
     * it): as text, a key of bytes that are no UTF-8 grows threefold (each becomes U+FFFD), and a 4 MiB one took the
     * dead letter past the sinks' {@link #MAX_RECORD_BYTES}, which fails the sink and restarts the job on it forever.
     */
    static String deadLetterKey(DeadLetter d) {
        return d.getTopic() + "-" + d.getPartition() + "@" + d.getOffset();
    }

    private static Properties properties(JobSettings<?> settings) {
        Properties props = new Properties();
        props.putAll(settings.kafkaProperties());
        return props;
    }
}
