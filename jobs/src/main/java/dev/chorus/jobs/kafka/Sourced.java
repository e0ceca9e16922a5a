package dev.chorus.jobs.kafka;

/**
 * A decoded record with the Kafka partition and offset it was read from, so that operators downstream of the
 * decoder can name where an input came from in log lines and dead letters. Decoded examples cross the network as
 * {@link SerializerTypeInfo#SOURCED_EXAMPLE}.
 */
public final class Sourced<T> {
    public T value;
    public int partition;
    public long offset;

    public Sourced() {}

    public Sourced(T value, int partition, long offset) {
        this.value = value;
        this.partition = partition;
        this.offset = offset;
    }

    @Override
    public String toString() {
        return "Sourced{" + partition + "@" + offset + ": " + value + "}";
    }
}
