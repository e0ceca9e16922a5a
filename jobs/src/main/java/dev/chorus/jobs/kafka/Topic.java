package dev.chorus.jobs.kafka;

import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.io.Serializable;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/**
 * A typed topic: its name, the record type it carries and the wire format of its values. Every Chorus topic
 * is one of these rather than a bare string, so producer and consumer cannot disagree about the encoding.
 */
public record Topic<T extends SpecificRecord>(String name, Class<T> type, WireFormat format) implements Serializable {

    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(format, "format");
        if (name.isBlank()) {
            throw new IllegalArgumentException("topic name for " + type.getSimpleName() + " must not be blank");
        }
    }

    /** A fresh codec for this topic's values (codecs are not thread-safe: one per user). */
    public RecordCodec<T> codec() {
        return format.codec(type);
    }
}
