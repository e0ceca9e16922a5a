package dev.chorus.schemas.codec;

import java.util.Locale;
import org.apache.avro.specific.SpecificRecord;

/** How record values are written on a Kafka topic; every topic's format is a setting. */
public enum WireFormat {

    /** Avro single-object encoding: the default, compact, evolves without a schema registry. */
    AVRO {
        @Override
        public <T extends SpecificRecord> RecordCodec<T> codec(Class<T> type) {
            return new AvroSingleObjectCodec<>(type, SchemaHistory.olderWriterSchemas(type));
        }
    },

    /** One-line JSON objects that any Kafka client (kcat, a shell) can type and read. */
    JSON {
        @Override
        public <T extends SpecificRecord> RecordCodec<T> codec(Class<T> type) {
            return new PlainJsonCodec<>(type);
        }
    };

    /**
     * A new codec for {@code type} in this format. For Avro, this reader knows the current schema and the earlier
     * ones of {@link SchemaHistory}; build an {@link AvroSingleObjectCodec} directly to give it others.
     */
    public abstract <T extends SpecificRecord> RecordCodec<T> codec(Class<T> type);

    /**
     * The format named {@code name}, case-insensitively: {@code avro} or {@code json}.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static WireFormat parse(String name) {
        if (name != null) {
            for (WireFormat format : values()) {
                if (format.name().equalsIgnoreCase(name.trim())) {
                    return format;
                }
            }
        }
        throw new IllegalArgumentException("unknown wire format "
                + (name == null ? "null" : "'" + name + "'") + ": expected one of avro, json");
    }

    /** The lower-case name that {@link #parse(String)} accepts. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
