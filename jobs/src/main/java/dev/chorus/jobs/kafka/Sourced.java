package dev.chorus.jobs.kafka;

import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * A decoded record with the Kafka partition and offset it was read from, so that operators downstream of the
 * decoder can name where an input came from in log lines and dead letters. A Flink POJO with an explicit type
 * ({@link #typeOf}), so Flink serialises it without Kryo.
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

    /** The Flink type of {@code Sourced<T>} whose value has type {@code valueType}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <T> TypeInformation<Sourced<T>> typeOf(TypeInformation<T> valueType) {
        return (TypeInformation) Types.POJO(Sourced.class,
                Map.of("value", valueType, "partition", Types.INT, "offset", Types.LONG));
    }

    @Override
    public String toString() {
        return "Sourced{" + partition + "@" + offset + ": " + value + "}";
    }
}
