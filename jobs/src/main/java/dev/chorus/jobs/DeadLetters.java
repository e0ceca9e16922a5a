package dev.chorus.jobs;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.codec.UnicodeText;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds dead letters: what was rejected, where it came from, and why. A dead letter keeps at most
 * {@code maxOriginalBytes} of the rejected value (and of its key), with the value's whole length and SHA-256, and at
 * most {@link #MAX_REASON_CHARS} of its reason and {@link #MAX_FIELD_CHARS} of its field (both may quote what the
 * producer wrote: a control record's spec, a JSON field's name): a record over the dead-letter topic's limit would
 * otherwise fail the transactional sink and restart the job on the same record forever.
 */
public final class DeadLetters {
    /** The most of a reason a dead letter keeps; past it, how many characters there were. */
    public static final int MAX_REASON_CHARS = 16_384;
    /** The most of a field's name (a path into the record) a dead letter keeps. */
    public static final int MAX_FIELD_CHARS = 1_024;

    private DeadLetters() {}

    /** A record rejected as read: its first bytes, length, hash and coordinates. {@code field} may be null. */
    public static DeadLetter of(KafkaRecord record, String field, String reason, long now, int maxOriginalBytes) {
        return build(record.value == null ? new byte[0] : record.value, record.key, maxOriginalBytes)
                .setTopic(record.topic)
                .setPartition(record.partition)
                .setOffset(record.offset)
                .setReason(bounded(reason, MAX_REASON_CHARS))
                .setField(bounded(field, MAX_FIELD_CHARS))
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
                .setReason(bounded(reason, MAX_REASON_CHARS))
                .setField(bounded(field, MAX_FIELD_CHARS))
                .setTime(now)
                .build();
    }

    /** {@code text} whole if it has at most {@code max} characters, else its first ones and how many it had. */
    static String bounded(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        return text.substring(0, UnicodeText.cut(text, max)) + "... (" + text.length() + " characters)";
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
