/**
 * Wire codecs for the Chorus records: one {@link dev.chorus.schemas.codec.RecordCodec} per record type and
 * {@link dev.chorus.schemas.codec.WireFormat}, obtained with {@code WireFormat.codec(Example.class)}.
 *
 * <ul>
 *   <li>{@link dev.chorus.schemas.codec.WireFormat#AVRO AVRO} (the default): Avro single-object encoding,
 *       {@code C3 01}, the writer schema's 8-byte CRC-64-AVRO fingerprint, then the Avro binary body. The
 *       fingerprint lets a reader that knows older writer schemas resolve them into the current class, so
 *       schemas evolve without a schema registry.</li>
 *   <li>{@link dev.chorus.schemas.codec.WireFormat#JSON JSON}: one compact JSON object per record, mapped
 *       generically from the Avro schema, so any Kafka client (kcat, a shell) can write and read the topics;
 *       packed float32 fields are plain number arrays. See {@link dev.chorus.schemas.codec.PlainJsonCodec}.</li>
 * </ul>
 *
 * <p>Bytes that cannot be decoded raise {@link dev.chorus.schemas.codec.RecordDecodingException}, whose
 * message names the field, the expected and the actual value, fit for the dead-letter topic.
 */
package dev.chorus.schemas.codec;
