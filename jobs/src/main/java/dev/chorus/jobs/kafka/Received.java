package dev.chorus.jobs.kafka;

/**
 * A decoded record with the Kafka record it was decoded from, for an operator past the decoder that may still
 * reject it: its dead letter then carries the record's key, bytes and coordinates, as the decoder's would. Decoded
 * examples cross the network to the router as {@link SerializerTypeInfo#RECEIVED_EXAMPLE}.
 */
public record Received<T>(T value, KafkaRecord record) {

    /** The decoded record with only where it was read from, for the operators that never reject it whole. */
    public Sourced<T> sourced() {
        return new Sourced<>(value, record.partition, record.offset);
    }

    @Override
    public String toString() {
        return "Received{" + record + ": " + value + "}";
    }
}
