package dev.chorus.jobs.kafka;

import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.types.Either;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes records to a {@link Topic} in its wire format, keyed by a function of the record (for compacted
 * topics the key is what compaction keeps the latest value of, e.g. {@code task/variant}).
 */
public final class TopicSerializer<T extends SpecificRecord> implements KafkaRecordSerializationSchema<T> {
    private static final long serialVersionUID = 1L;

    private final Topic<T> topic;
    private final SerializableFunction<T, String> key;
    private transient RecordCodec<T> codec;

    public TopicSerializer(Topic<T> topic, SerializableFunction<T, String> key) {
        this.topic = topic;
        this.key = key;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        codec = topic.codec();
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T record, KafkaSinkContext context, Long timestamp) {
        if (codec == null) {
            codec = topic.codec();
        }
        byte[] k = key == null ? null : key.apply(record).getBytes(StandardCharsets.UTF_8);
        // Chorus records carry their own times (eventTime, producedAt, createdAt). The Flink element timestamp
        // is not one: records emitted from timers carry the timer's time, Long.MAX_VALUE at the end of a bounded
        // input, which brokers reject. So the producer stamps the Kafka timestamp at send time.
        return new ProducerRecord<>(topic.name(), null, null, k, codec.encode(record));
    }

    /**
     * Writes records, and tombstones that delete a key of a compacted topic: {@code Right(record)} as
     * {@link TopicSerializer} does, {@code Left(key)} as a null value for {@code key}. One stream carries both so
     * that a key's tombstone and its later records reach the topic through one sink, in order.
     */
    public static final class WithTombstones<T extends SpecificRecord>
            implements KafkaRecordSerializationSchema<Either<String, T>> {
        private static final long serialVersionUID = 1L;

        private final TopicSerializer<T> records;

        public WithTombstones(Topic<T> topic, SerializableFunction<T, String> key) {
            this.records = new TopicSerializer<>(topic, key);
        }

        @Override
        public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext)
                throws Exception {
            records.open(context, sinkContext);
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Either<String, T> element, KafkaSinkContext context,
                Long timestamp) {
            if (element.isRight()) {
                return records.serialize(element.right(), context, timestamp);
            }
            return new ProducerRecord<byte[], byte[]>(records.topic.name(), null, (Long) null,
                    element.left().getBytes(StandardCharsets.UTF_8), null);
        }
    }

    /**
     * Writes each record to one of two topics, keyed alike, each in its own wire format: {@code Left(record)} to
     * {@code left}, {@code Right(record)} to {@code right}. A record meant for both comes twice, once on each side, and
     * so reaches both topics in one transaction.
     */
    public static final class TwoTopics<T extends SpecificRecord> implements KafkaRecordSerializationSchema<Either<T, T>> {
        private static final long serialVersionUID = 1L;

        private final TopicSerializer<T> left;
        private final TopicSerializer<T> right;

        public TwoTopics(Topic<T> left, Topic<T> right, SerializableFunction<T, String> key) {
            this.left = new TopicSerializer<>(left, key);
            this.right = new TopicSerializer<>(right, key);
        }

        @Override
        public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext)
                throws Exception {
            left.open(context, sinkContext);
            right.open(context, sinkContext);
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Either<T, T> element, KafkaSinkContext context,
                Long timestamp) {
            return element.isLeft() ? left.serialize(element.left(), context, timestamp)
                    : right.serialize(element.right(), context, timestamp);
        }
    }
}
