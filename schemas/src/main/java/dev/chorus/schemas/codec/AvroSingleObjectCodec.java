package dev.chorus.schemas.codec;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding, as the Avro specification defines it: the marker {@code C3 01}, the 8-byte
 * little-endian CRC-64-AVRO fingerprint of the writer schema's parsing canonical form, then the Avro binary
 * body. The body is read and written by Avro's own datum readers and writers, through Avro's buffered
 * {@link BinaryDecoder} over the record's bytes and a buffered {@link BinaryEncoder}, with the generated classes'
 * custom coders for writing: the same bytes as Avro's {@code BinaryMessageEncoder} and
 * {@code BinaryMessageDecoder}, which go through streams one byte at a time: a synchronised
 * {@code ByteArrayInputStream.read()} per byte showed in the decoding thread's profile (docs/BENCHMARKS.md,
 * "Profiles behind design choices").
 *
 * <p>Records are always written with the current (generated) schema. They are read with schema resolution
 * from any writer schema this codec knows: the current one and the older ones given to the constructor, so a
 * job that was upgraded first still reads what not-yet-upgraded producers write. Fields added since take
 * their schema defaults.
 *
 * <p>Not thread-safe (see {@link RecordCodec}).
 *
 * @param <T> the generated record class
 */
public final class AvroSingleObjectCodec<T extends SpecificRecord> implements RecordCodec<T> {

    private static final long serialVersionUID = 1L;

    private static final int MARKER_LENGTH = 2;
    private static final int HEADER_LENGTH = MARKER_LENGTH + Long.BYTES;
    /** Eight bytes of a string at a time, for its ASCII check: none has its high bit set. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    private final Class<T> type;
    /** As JSON text, so that the codec serialises the same way whatever the Avro version. */
    private final List<String> olderWriterSchemas;

    private transient DatumWriter<T> writer;
    private transient BinaryEncoder encoder;
    private transient ByteArrayOutputStream output;
    private transient byte[] header;
    private transient Map<Long, Schema> writerSchemas;
    private transient Map<Long, DatumReader<T>> readers;
    private transient BinaryDecoder decoder;
    /** Scratch of {@link #checkLengths}: the path of the field being checked, a string's bytes, a UTF-8 decoder. */
    private transient StringBuilder path;
    private transient byte[] text;
    private transient CharsetDecoder utf8;
    private transient String knownSchemas;

    /**
     * @param type the generated record class; its schema is the writer schema and the reader schema
     * @param olderWriterSchemas earlier versions of the same record's schema, so that bytes written with them
     *     can still be read
     * @throws IllegalArgumentException if the current schema cannot read data written with one of them
     */
    public AvroSingleObjectCodec(Class<T> type, Schema... olderWriterSchemas) {
        this.type = Objects.requireNonNull(type, "type");
        Schema current = SpecificData.get().getSchema(type);
        List<String> older = new ArrayList<>(olderWriterSchemas.length);
        for (Schema writer : olderWriterSchemas) {
            SchemaPairCompatibility compatibility =
                    SchemaCompatibility.checkReaderWriterCompatibility(current, writer);
            if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new IllegalArgumentException("the current " + current.getFullName()
                        + " schema cannot read data written with writer schema " + fingerprint(writer) + ": "
                        + compatibility.getDescription());
            }
            older.add(writer.toString());
        }
        this.olderWriterSchemas = List.copyOf(older);
    }

    @Override
    public byte[] encode(T record) {
        if (writer == null) {
            // A model of our own, so that turning on the generated custom coders changes no one else's.
            SpecificData model = new SpecificData(type.getClassLoader());
            model.setCustomCoders(true);
            Schema current = model.getSchema(type);
            @SuppressWarnings("unchecked")
            DatumWriter<T> datumWriter = (DatumWriter<T>) model.createDatumWriter(current);
            writer = datumWriter;
            header = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN).put((byte) 0xC3).put((byte) 0x01)
                    .putLong(SchemaNormalization.parsingFingerprint64(current)).array();
            output = new ByteArrayOutputStream();
        }
        // Encoding straight into our reused stream: the only copy is the returned array.
        output.reset();
        output.write(header, 0, HEADER_LENGTH);
        encoder = EncoderFactory.get().binaryEncoder(output, encoder);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
        }
        return output.toByteArray();
    }

    @Override
    public T decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        initialiseDecoding();
        if (bytes.length < HEADER_LENGTH || bytes[0] != (byte) 0xC3 || bytes[1] != 0x01) {
            throw new RecordDecodingException(null, badHeader(bytes));
        }
        long fingerprint = fingerprintOf(bytes);
        Schema writerSchema = writerSchemas.get(fingerprint);
        if (writerSchema == null) {
            throw new RecordDecodingException(null, String.format(
                    "unknown schema fingerprint %s: writer schema not known to this reader (known: %s)",
                    hex(fingerprint), knownSchemas));
        }
        T record;
        try {
            checkLengths(bytes, writerSchema);
            decoder = DecoderFactory.get().binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, decoder);
            record = readers.get(fingerprint).read(null, decoder);
        } catch (AvroRuntimeException | IOException | IndexOutOfBoundsException | UnsupportedOperationException e) {
            // An EOFException (bare from the length check, wrapped in AvroRuntimeException by Avro) means the
            // body ends early. The others are corrupt bodies: negative lengths, union or enum indexes out of
            // range, lengths beyond Avro's SystemLimitException limits (reported as UnsupportedOperationException).
            String problem = hasCause(e, EOFException.class)
                    ? "truncated Avro " + type.getSimpleName() + " record: the input ends inside the record body"
                    : "malformed Avro " + type.getSimpleName() + " record: " + describe(e);
            throw new RecordDecodingException(null, problem + " (" + bytes.length + " bytes in all)", e);
        }
        int unread = unread(decoder);
        if (unread > 0) {
            throw new RecordDecodingException(null, String.format(
                    "trailing bytes after Avro %s record: %d of %d bytes left unread",
                    type.getSimpleName(), unread, bytes.length));
        }
        return record;
    }

    @Override
    public WireFormat format() {
        return WireFormat.AVRO;
    }

    @Override
    public Class<T> recordType() {
        return type;
    }

    private void initialiseDecoding() {
        if (readers == null) {
            SpecificData model = SpecificData.getForClass(type);
            Schema current = model.getSchema(type);
            writerSchemas = new HashMap<>();
            readers = new HashMap<>();
            List<String> known = new ArrayList<>();
            List<Schema> writers = new ArrayList<>(List.of(current));
            for (String json : olderWriterSchemas) {
                // One parser per schema: a parser refuses a second definition of the same record name.
                writers.add(new Schema.Parser().parse(json));
            }
            for (Schema writerSchema : writers) {
                long fingerprint = SchemaNormalization.parsingFingerprint64(writerSchema);
                writerSchemas.put(fingerprint, writerSchema);
                @SuppressWarnings("unchecked")
                DatumReader<T> reader = (DatumReader<T>) model.createDatumReader(writerSchema, current);
                readers.put(fingerprint, reader);
                known.add(writerSchema.getName() + (writerSchema == current ? " (current)" : "") + " fingerprint "
                        + hex(fingerprint));
            }
            knownSchemas = String.join(", ", known);
        }
    }

    /** Bytes of the input that {@code decoder} has not consumed. */
    private static int unread(BinaryDecoder decoder) {
        try {
            return decoder.inputStream().available();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Walks the body with the writer schema without building anything, checking each length against the bytes
     * left before anything is read or allocated (Avro allocates a string, bytes or array at the length the body
     * declares: a corrupt length would cost up to 2 GB, and an OutOfMemoryError would restart the job on the same
     * record forever), union and enum indexes against the schema, and strings as UTF-8 (Avro's reader would
     * replace bad bytes silently). Problems name the field path. It runs on every record a job reads, so it
     * allocates nothing on the way: the path is one builder, cut back after each field and element and made a
     * string only for an error, and strings are read into one scratch buffer.
     */
    private void checkLengths(byte[] bytes, Schema writerSchema) throws IOException {
        decoder = DecoderFactory.get().binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, decoder);
        if (path == null) {
            path = new StringBuilder();
            text = new byte[64];
            utf8 = StandardCharsets.UTF_8.newDecoder();
        }
        path.setLength(0);
        walk(writerSchema, bytes.length);
    }

    private void walk(Schema schema, int total) throws IOException {
        int mark = path.length();
        switch (schema.getType()) {
            case RECORD -> {
                for (Schema.Field field : schema.getFields()) {
                    (mark == 0 ? path : path.append('.')).append(field.name());
                    walk(field.schema(), total);
                    path.setLength(mark);
                }
            }
            case UNION -> walk(schema.getTypes().get(index(decoder.readIndex(), schema.getTypes().size(),
                    "union branch index")), total);
            case ENUM -> index(decoder.readEnum(), schema.getEnumSymbols().size(), "enum symbol index");
            case STRING -> checkUtf8(readText(length(decoder.readLong(), total)));
            case BYTES -> decoder.skipFixed(length(decoder.readLong(), total));
            case FIXED -> decoder.skipFixed(length(schema.getFixedSize(), total));
            case ARRAY -> {
                long i = 0;
                for (long n = decoder.readArrayStart(); n != 0; n = decoder.arrayNext()) {
                    for (long end = i + elements(n, schema.getElementType(), total); i < end; i++) {
                        path.append('[').append(i).append(']');
                        walk(schema.getElementType(), total);
                        path.setLength(mark);
                    }
                }
            }
            case MAP -> {
                for (long n = decoder.readMapStart(); n != 0; n = decoder.mapNext()) {
                    for (long k = elements(n, schema.getValueType(), total); k > 0; k--) {
                        int length = length(decoder.readLong(), total, ".<key>");
                        checkUtf8(readText(length));
                        path.append(".<value>");
                        walk(schema.getValueType(), total);
                        path.setLength(mark);
                    }
                }
            }
            case INT -> decoder.readInt();
            case LONG -> decoder.readLong();
            case FLOAT -> decoder.readFloat();
            case DOUBLE -> decoder.readDouble();
            case BOOLEAN -> decoder.readBoolean();
            case NULL -> decoder.readNull();
            default -> throw new IllegalStateException("unsupported Avro type " + schema.getType() + " at " + path);
        }
    }

    /** Reads the next {@code length} bytes into {@link #text}, grown as needed; returns {@code length}. */
    private int readText(int length) throws IOException {
        if (text.length < length) {
            text = new byte[Math.max(length, 2 * text.length)];
        }
        decoder.readFixed(text, 0, length);
        return length;
    }

    private int index(int index, int size, String what) {
        if (index < 0 || index >= size) {
            throw new RecordDecodingException(path.toString(), "malformed Avro " + type.getSimpleName()
                    + " record: field '" + path + "': expected a " + what + " in [0, " + size + "), got " + index);
        }
        return index;
    }

    private int length(long length, int total) {
        return length(length, total, "");
    }

    /** {@code length} if the bytes left hold it; else an error naming the path with {@code suffix} appended. */
    private int length(long length, int total, String suffix) {
        int left = unread(decoder);
        if (length < 0 || length > left) {
            String field = path + suffix;
            throw new RecordDecodingException(field, (length < 0 ? "malformed" : "truncated") + " Avro "
                    + type.getSimpleName() + " record: field '" + field + "': expected a length in [0, " + left
                    + "] (the bytes left of " + total + "), got " + length);
        }
        return (int) length;
    }

    /** Elements of an array or map block: each takes at least one byte, except nulls, which cannot be bounded so. */
    private long elements(long count, Schema element, int total) {
        return element.getType() == Schema.Type.NULL ? count : length(count, total);
    }

    /** Checks the first {@code length} bytes of {@link #text}: ASCII is UTF-8; the JDK's decoder judges the rest. */
    private void checkUtf8(int length) {
        int i = 0;
        while (i + Long.BYTES <= length && ((long) LONGS.get(text, i) & HIGH_BITS) == 0) {
            i += Long.BYTES;
        }
        for (; i < length; i++) {
            if (text[i] < 0) {
                try {
                    utf8.decode(ByteBuffer.wrap(text, 0, length));
                } catch (CharacterCodingException e) {
                    throw new RecordDecodingException(path.toString(), "malformed Avro " + type.getSimpleName()
                            + " record: field '" + path + "': expected UTF-8 text, got invalid UTF-8 in " + length
                            + " bytes", e);
                }
                return;
            }
        }
    }

    private static long fingerprintOf(byte[] singleObject) {
        return ByteBuffer.wrap(singleObject, MARKER_LENGTH, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static String badHeader(byte[] bytes) {
        if (bytes.length >= MARKER_LENGTH && bytes[0] == (byte) 0xC3 && bytes[1] == 0x01) {
            return "truncated Avro single-object header: expected " + HEADER_LENGTH
                    + " bytes (marker C3 01 and an 8-byte schema fingerprint), got " + bytes.length;
        }
        StringBuilder message = new StringBuilder("not Avro single-object encoding: expected header C3 01, got ");
        if (bytes.length == 0) {
            message.append("empty input");
        } else {
            for (int i = 0; i < Math.min(MARKER_LENGTH, bytes.length); i++) {
                message.append(i == 0 ? "" : " ").append(String.format("%02X", bytes[i]));
            }
            if (bytes.length < MARKER_LENGTH) {
                message.append(" (1 byte in all)");
            }
            if (bytes[0] == '{') {
                message.append(" (this looks like JSON: is the topic's wire format json?)");
            }
        }
        return message.toString();
    }

    private static String fingerprint(Schema schema) {
        return hex(SchemaNormalization.parsingFingerprint64(schema));
    }

    private static String hex(long fingerprint) {
        return String.format("0x%016x", fingerprint);
    }

    private static String describe(Throwable e) {
        StringBuilder description = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            description.append(description.length() == 0 ? "" : ": ")
                    .append(t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName());
        }
        return description.toString();
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
