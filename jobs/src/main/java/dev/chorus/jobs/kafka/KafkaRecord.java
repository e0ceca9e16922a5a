package dev.chorus.jobs.kafka;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Kafka record exactly as read, with its coordinates, so that a record that cannot be decoded can go to the
 * dead-letter topic byte for byte and say where it came from. A Flink POJO: public fields and a no-argument
 * constructor, so Flink serialises it without Kryo.
 */
public final class KafkaRecord {
    public String topic;
    public int partition;
    public long offset;
    public long timestamp;
    public byte[] key;
    public byte[] value;

    public KafkaRecord() {}

    public KafkaRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
    }

    /** The same coordinates and timestamp without the key and value bytes (null). */
    public KafkaRecord withoutBytes() {
        return new KafkaRecord(topic, partition, offset, timestamp, null, null);
    }

    /** Where the record came from, for log lines and dead-letter reasons: {@code topic-partition@offset}. */
    public String coordinates() {
        return topic + "-" + partition + "@" + offset;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof KafkaRecord r)) return false;
        return partition == r.partition && offset == r.offset && timestamp == r.timestamp
                && Objects.equals(topic, r.topic) && Arrays.equals(key, r.key) && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset);
    }

    @Override
    public String toString() {
        return "KafkaRecord{" + coordinates() + ", " + (value == null ? 0 : value.length) + " bytes}";
    }
}
