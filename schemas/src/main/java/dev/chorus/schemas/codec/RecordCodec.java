package dev.chorus.schemas.codec;

import java.io.Serializable;

/**
 * Turns one record type into the bytes of a Kafka record value and back, in one {@link WireFormat}.
 *
 * <p>Codecs are {@link Serializable} because Flink functions hold them; the heavy parts (Avro readers and
 * writers, Jackson factories, buffers) are transient and built on first use after deserialisation.
 *
 * <p>Instances are <b>not thread-safe</b>: they reuse buffers between calls. Use one instance per thread,
 * which in Flink is one per subtask (each subtask deserialises its own copy of the function).
 *
 * @param <T> the record type
 */
public interface RecordCodec<T> extends Serializable {

    /**
     * Encodes {@code record}.
     *
     * @return a new array that the caller owns
     * @throws RuntimeException (typically {@link NullPointerException} or
     *     {@link org.apache.avro.AvroRuntimeException}) if the record does not satisfy its own schema, such as a
     *     null required field: a bug in the producing code, not bad input
     */
    byte[] encode(T record);

    /**
     * Decodes one record from exactly {@code bytes}.
     *
     * @throws RecordDecodingException if the bytes are not a valid record of this type in this format
     */
    T decode(byte[] bytes);

    /** The wire format this codec reads and writes. */
    WireFormat format();

    /** The record class this codec produces, e.g. for a Flink {@code TypeInformation}. */
    Class<T> recordType();
}
