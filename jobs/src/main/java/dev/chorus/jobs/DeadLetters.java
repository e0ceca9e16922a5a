package dev.chorus.jobs;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds dead letters: what was rejected, where it came from, and why. A dead letter keeps at most
 * {@code maxOriginalBytes} of the rejected value (and of its key), with the value's whole length and SHA-256: a
 * record over the dead-letter topic's limit would otherwise fail the transactional sink and restart the job on
 * the same record forever.
 */
public final class DeadLetters {
    private DeadLetters() {}

    /** A record rejected as read: its first bytes, length, hash and coordinates. {@code field} may be null. */
    public static DeadLetter of(KafkaRecord record, String field, String reason, long now, int maxOriginalBytes) {
        return build(record.value == null ? new byte[0] : record.value, record.key, maxOriginalBytes)
                .setTopic(record.topic)
                .setPartition(record.partition)
                .setOffset(record.offset)
                .setReason(reason)
                .setField(field)
                .setTime(now)
                .build();
    }

    /**
     * An example rejected after decoding, whose record's bytes are no longer at hand: {@code encoded} is the example
     * in its topic's wire format, the key is the example id, and partition and offset are those it was read from
     * (-1 where they are unknown).
     */
    public static DeadLetter ofExample(String topic, String id, int partition, long offset, byte[] encoded,
            String field, String reason, long now, int maxOriginalBytes) {
        return build(encoded, id.getBytes(StandardCharsets.UTF_8), maxOriginalBytes)
                .setTopic(topic)
                .setPartition(partition)
                .setOffset(offset)
                .setReason(reason)
                .setField(field)
                .setTime(now)
                .build();
    }

    private static DeadLetter.Builder build(byte[] value, byte[] key, int maxOriginalBytes) {
        return DeadLetter.newBuilder()
                .setOriginal(ByteBuffer.wrap(first(value, maxOriginalBytes)))
                .setOriginalLength(value.length)
                .setOriginalSha256(ByteBuffer.wrap(SnapshotChunks.sha256(ByteBuffer.wrap(value))))
                .setKey(key == null ? null : ByteBuffer.wrap(first(key, maxOriginalBytes)));
    }

    private static byte[] first(byte[] bytes, int max) {
        return bytes.length <= max ? bytes : Arrays.copyOf(bytes, max);
    }
}
