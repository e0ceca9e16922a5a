package dev.chorus.jobs;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Builds dead letters: what was rejected, where it came from, and why. */
public final class DeadLetters {
    private DeadLetters() {}

    /** A record rejected as read: its exact bytes and coordinates. {@code field} may be null. */
    public static DeadLetter of(KafkaRecord record, String field, String reason, long now) {
        return DeadLetter.newBuilder()
                .setOriginal(ByteBuffer.wrap(record.value == null ? new byte[0] : record.value))
                .setKey(record.key == null ? null : ByteBuffer.wrap(record.key))
                .setTopic(record.topic)
                .setPartition(record.partition)
                .setOffset(record.offset)
                .setReason(reason)
                .setField(field)
                .setTime(now)
                .build();
    }

    /**
     * An example rejected after decoding, when its Kafka coordinates are no longer known: {@code encoded} is the
     * example in its topic's wire format, partition and offset are -1, and the key is the example id.
     */
    public static DeadLetter ofExample(String topic, String id, byte[] encoded, String field, String reason, long now) {
        return DeadLetter.newBuilder()
                .setOriginal(ByteBuffer.wrap(encoded))
                .setKey(ByteBuffer.wrap(id.getBytes(StandardCharsets.UTF_8)))
                .setTopic(topic)
                .setPartition(-1)
                .setOffset(-1)
                .setReason(reason)
                .setField(field)
                .setTime(now)
                .build();
    }
}
