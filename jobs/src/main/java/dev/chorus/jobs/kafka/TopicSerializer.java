package dev.chorus.jobs.kafka;

import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
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
}
