package dev.chorus.jobs.kafka;

/**
 * A decoded record with the Kafka partition and offset it was read from, so that operators downstream of the
 * decoder can name where an input came from in log lines and dead letters. Decoded examples cross the network as
 * {@link SerializerTypeInfo#SOURCED_EXAMPLE}.
 */
public record Sourced<T>(T value, int partition, long offset) {

    @Override
    public String toString() {
        return "Sourced{" + partition + "@" + offset + ": " + value + "}";
    }
}
