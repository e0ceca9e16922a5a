package dev.chorus.jobs.kafka;

import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes a labeled dataset to an examples topic as {@link Example} records in the topic's wire format, keyed
 * by example id, with an idempotent producer. Example ids are {@code <prefix>-<row>} and event times count up
 * from {@code startTime} one millisecond per row, so consumers can restore stream order. A record the broker or the
 * client refuses (too large, not authorised, timed out) is not let go: the first such failure is thrown by the
 * {@link #flush} after it, and by the next send, naming the topic and the example.
 */
public final class ExampleProducer implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private Topic<Example> codecTopic;
    private RecordCodec<Example> codec;
    /** The first send that failed since the last flush that reported one. */
    private final AtomicReference<IllegalStateException> failed = new AtomicReference<>();

    public ExampleProducer(String bootstrapServers, Map<String, String> kafkaProperties) {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        // Up to the topics' max.message.bytes: a control record may carry a warm start's whole model.
        props.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(KafkaIO.MAX_RECORD_BYTES));
        producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The example for row {@code row} of {@code data}. */
    public static Example example(LabeledDataset data, int row, String task, String idPrefix, long startTime) {
        return Example.newBuilder()
                .setId(idPrefix + "-" + row)
                .setTask(task)
                .setFeatures(Float32.pack(data.features(), row * data.dim(), data.dim()))
                .setLabel(data.labels()[row])
                .setEventTime(startTime + row)
                .build();
    }

    /** Sends every row of {@code data}, reporting progress (rows sent) to {@code progress}, then flushes. */
    public void send(Topic<Example> topic, LabeledDataset data, String task, String idPrefix, long startTime,
            LongConsumer progress) {
        RecordCodec<Example> codec = topic.codec();
        for (int row = 0; row < data.size(); row++) {
            Example e = example(data, row, task, idPrefix, startTime);
            send(topic.name(), e.getId(), codec.encode(e));
            progress.accept(row + 1);
        }
        flush();
    }

    /** Sends one example in the topic's wire format, keyed by its id. Not thread-safe. */
    public void send(Topic<Example> topic, Example example) {
        if (!topic.equals(codecTopic)) {
            codec = topic.codec();
            codecTopic = topic;
        }
        send(topic.name(), example.getId(), codec.encode(example));
    }

    private void send(String topic, String id, byte[] value) {
        throwIfFailed();
        producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), value), (metadata, e) -> {
            if (e != null) {
                failed.compareAndSet(null, new IllegalStateException("example " + id + " was not written to topic "
                        + topic + ": " + e, e));
            }
        });
    }

    private void throwIfFailed() {
        IllegalStateException e = failed.getAndSet(null);
        if (e != null) {
            throw e;
        }
    }

    /** Sends raw bytes as they are (used to show what happens to malformed records). */
    public Future<RecordMetadata> sendRaw(String topic, String key, byte[] value) {
        return producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
    }

    /**
     * Waits until every example sent has been written or has failed.
     *
     * @throws IllegalStateException for the first example that failed since the last one reported
     */
    public void flush() {
        producer.flush();
        throwIfFailed();
    }

    @Override
    public void close() {
        producer.close();
    }
}
