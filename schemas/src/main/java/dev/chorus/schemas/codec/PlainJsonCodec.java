package dev.chorus.schemas.codec;

import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.chorus.schemas.Float32;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.CoderResult;
import java.nio.charset.CharsetDecoder;
import java.nio.CharBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Plain one-line JSON that a person can type into kcat or read with jq, derived from the record's Avro
 * schema (one generic mapping, nothing written per record type). An {@code Example} looks like this:
 *
 * <pre>{@code
 * {"id":"a1","task":"fashion","features":[0.0,0.5,1.0],"indices":null,"label":3,"target":null,
 *  "annotator":"ann-7","eventTime":1700000000000,"weight":1.0,"fields":null}
 * }</pre>
 *
 * <p>and decoding needs no more than {@code {"id":"a1","task":"fashion","features":[0,0.5,1],"label":3,
 * "eventTime":1700000000000}}: absent fields take their schema defaults.
 *
 * <p>The mapping:
 * <ul>
 *   <li>records and maps are JSON objects; field names are the schema's; arrays are JSON arrays;</li>
 *   <li>a union {@code ["null", X]} is JSON null or a plain X value (no type wrapper); other unions are
 *       written as the plain value of the branch the datum matches and read by trying the branches in schema
 *       order, so the first branch that accepts the JSON value wins;</li>
 *   <li>bytes marked {@code "chorus.encoding": "float32-le"} are arrays of numbers; other bytes and fixed are
 *       base64 strings (RFC 4648, with padding);</li>
 *   <li>int and long accept whole numbers, also written as {@code 3.0}, but not {@code 3.5} nor strings;
 *       float and double accept any number, the tokens {@code NaN}, {@code Infinity}, {@code -Infinity},
 *       and those three as strings. Non-finite values are written as those strings so that the output stays
 *       strict JSON and still round-trips; judging them is for validation, not for the codec. A float given
 *       beyond float range becomes an infinity for the same reason;</li>
 *   <li>an absent field takes its schema default, and is an error when it has none; JSON null is only
 *       accepted where the schema allows null;</li>
 *   <li>unknown fields are ignored, so that producers may add fields before consumers know them; a field
 *       given twice is an error.</li>
 * </ul>
 *
 * <p>Output is compact UTF-8 with every schema field present, nulls included. Not thread-safe (see
 * {@link RecordCodec}).
 *
 * @param <T> the generated record class
 */
public final class PlainJsonCodec<T extends SpecificRecord> implements RecordCodec<T> {

    private static final long serialVersionUID = 1L;

    private static final String ENCODING_PROPERTY = "chorus.encoding";
    private static final String FLOAT32_LE = "float32-le";
    private static final int EXCERPT_CHARS = 40;
    /** Enough UTF-8 bytes for {@link #EXCERPT_CHARS} characters of any script. */
    private static final int EXCERPT_BYTES = 4 * EXCERPT_CHARS;

    private final Class<T> type;

    private transient SpecificData model;
    private transient Schema schema;
    private transient JsonMapper mapper;
    private transient ByteArrayOutputStream output;
    private transient CharsetDecoder utf8;

    /** @param type the generated record class whose schema drives the mapping */
    public PlainJsonCodec(Class<T> type) {
        this.type = Objects.requireNonNull(type, "type");
    }

    @Override
    public byte[] encode(T record) {
        initialise();
        output.reset();
        try (JsonGenerator generator = mapper.createGenerator(output, JsonEncoding.UTF8)) {
            write(schema, record, "", generator);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + type.getSimpleName() + " as JSON", e);
        }
        return output.toByteArray();
    }

    @Override
    public T decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        initialise();
        // Jackson skips a UTF-8 byte order mark; RFC 8259 forbids sending one, so it says the producer is wrong.
        if (bytes.length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF) {
            throw new RecordDecodingException(null, "expected JSON text without a byte order mark, got EF BB BF "
                    + "(a UTF-8 byte order mark) at byte 0");
        }
        // A writer on the other format (chorus specs put without --format json, say) would otherwise read as bad UTF-8.
        if (bytes.length >= 2 && bytes[0] == (byte) 0xC3 && bytes[1] == 0x01) {
            throw new RecordDecodingException(null, "not valid JSON: expected a JSON object, got C3 01 at byte 0, the "
                    + "marker of Avro single-object encoding (this looks like Avro: is the topic's wire format avro?)");
        }
        requireNoZeroByte(bytes);
        JsonNode root;
        try (JsonParser parser = mapper.createParser(bytes)) {
            root = mapper.readTree(parser);
            if (root == null || root.isMissingNode()) {
                throw new RecordDecodingException(null, "empty input: expected a JSON object ("
                        + schema.getName() + ")");
            }
            if (!root.isObject()) {
                throw new RecordDecodingException(null, "expected a JSON object (" + schema.getName()
                        + ") at top level, got " + describe(root) + "; input: " + excerpt(bytes));
            }
            trailingContent(parser, bytes);
        } catch (JsonProcessingException e) {
            throw new RecordDecodingException(null, "not valid JSON: " + parseProblem(e)
                    + "; input: " + excerpt(bytes), e);
        } catch (IOException e) {
            // Reading a byte array does no I/O: whatever the parser throws is about these bytes.
            throw new RecordDecodingException(null, "not valid JSON: " + UnicodeText.escaped(e.getMessage())
                    + "; input: " + excerpt(bytes), e);
        }
        requireStrictUtf8(bytes);
        @SuppressWarnings("unchecked")
        T record = (T) readRecord(schema, root, "");
        return record;
    }

    @Override
    public WireFormat format() {
        return WireFormat.JSON;
    }

    @Override
    public Class<T> recordType() {
        return type;
    }

    private void initialise() {
        if (mapper == null) {
            model = SpecificData.getForClass(type);
            schema = model.getSchema(type);
            mapper = JsonMapper.builder()
                    .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
                    .build();
            output = new ByteArrayOutputStream();
            utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
        }
    }

    /**
     * UTF-8 JSON text never holds a raw 00 byte (JSON allows no control character outside its escapes), while Jackson
     * takes leading 00 bytes for UTF-16 or UTF-32 and reads such text, or fails with an IOException that is no parse
     * error. Refused before parsing, so that the codec reads UTF-8 alone, as it claims.
     */
    private static void requireNoZeroByte(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new RecordDecodingException(null, "not valid JSON: expected UTF-8 JSON text, got byte 00 at "
                        + "offset " + i + "; input: " + excerpt(bytes));
            }
        }
    }

    /**
     * Jackson refuses bytes that are no UTF-8 at all but reads overlong forms ({@code C0 80} as U+0000) and CESU-8
     * (a surrogate pair written as two three-byte sequences) as the characters they would mean; the Avro codec, and
     * UTF-8 itself, refuse them. Input that has only ASCII is UTF-8; the JDK's decoder judges the rest.
     */
    private void requireStrictUtf8(byte[] bytes) {
        int i = 0;
        while (i < bytes.length && bytes[i] >= 0) {
            i++;
        }
        if (i == bytes.length) {
            return;
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CoderResult result = utf8.reset().decode(in, CharBuffer.allocate(bytes.length), true);
        if (result.isError()) {
            int at = in.position();
            StringBuilder got = new StringBuilder();
            for (int b = at; b < Math.min(bytes.length, at + Math.max(result.length(), 1)); b++) {
                got.append(b == at ? "" : " ").append(String.format("%02X", bytes[b] & 0xFF));
            }
            throw new RecordDecodingException(null, "not valid JSON: expected UTF-8 text, got invalid UTF-8 " + got
                    + " at byte " + at + "; input: " + excerpt(bytes));
        }
    }

    private static void trailingContent(JsonParser parser, byte[] bytes) throws IOException {
        JsonToken next;
        try {
            next = parser.nextToken();
        } catch (JsonProcessingException e) {
            throw new RecordDecodingException(null, "trailing content after the JSON object: "
                    + parseProblem(e) + "; input: " + excerpt(bytes), e);
        }
        if (next != null) {
            throw new RecordDecodingException(null, "trailing content after the JSON object: " + next
                    + at(parser.currentTokenLocation()) + "; input: " + excerpt(bytes));
        }
    }

    // ---- decoding: JSON tree to Avro datum, driven by the schema ----

    private Object readRecord(Schema recordSchema, JsonNode json, String prefix) {
        IndexedRecord record = (IndexedRecord) model.newRecord(null, recordSchema);
        for (Schema.Field field : recordSchema.getFields()) {
            String path = prefix.isEmpty() ? field.name() : prefix + "." + field.name();
            JsonNode value = json.get(field.name());
            record.put(field.pos(), value != null ? read(field.schema(), field.schema(), value, path)
                    : defaultValue(field, path));
        }
        return record;
    }

    private Object defaultValue(Schema.Field field, String path) {
        if (!field.hasDefaultValue()) {
            throw new RecordDecodingException(path, "field '" + path + "': missing, expected "
                    + expected(field.schema()) + " (the schema gives no default)");
        }
        // Copied because the model caches one default instance per field.
        return model.deepCopy(field.schema(), model.getDefaultValue(field));
    }

    /**
     * @param declared the schema named in error messages: the whole union when {@code schema} is the non-null
     *     branch of {@code ["null", X]}, so that messages say "expected X or null"
     */
    private Object read(Schema schema, Schema declared, JsonNode json, String path) {
        switch (schema.getType()) {
            case UNION:
                return readUnion(schema, json, path);
            case NULL:
                if (json.isNull()) {
                    return null;
                }
                break;
            case BOOLEAN:
                if (json.isBoolean()) {
                    return json.booleanValue();
                }
                break;
            case INT:
                if (json.isIntegralNumber() && json.canConvertToInt()) {
                    return json.intValue();
                }
                if (json.isFloatingPointNumber() && isWhole(json.doubleValue(), Integer.MIN_VALUE,
                        Integer.MAX_VALUE)) {
                    return (int) json.doubleValue();
                }
                break;
            case LONG:
                if (json.isIntegralNumber() && json.canConvertToLong()) {
                    return json.longValue();
                }
                // 2^63 is exactly representable as a double; Long.MAX_VALUE is not.
                if (json.isFloatingPointNumber() && isWhole(json.doubleValue(), -0x1p63, Math.nextDown(0x1p63))) {
                    return (long) json.doubleValue();
                }
                break;
            case FLOAT:
                return (float) readReal(json, path, declared);
            case DOUBLE:
                return readReal(json, path, declared);
            case STRING:
                if (json.isTextual()) {
                    return text(json.textValue(), path);
                }
                break;
            case ENUM:
                if (json.isTextual() && schema.hasEnumSymbol(json.textValue())) {
                    return model.createEnum(json.textValue(), schema);
                }
                break;
            case BYTES:
                return isFloat32(schema) ? readFloat32(json, path, declared)
                        : ByteBuffer.wrap(readBase64(json, path, declared));
            case FIXED:
                byte[] fixed = readBase64(json, path, declared);
                if (fixed.length != schema.getFixedSize()) {
                    throw new RecordDecodingException(path, "field '" + path + "': expected "
                            + expected(declared) + ", got " + fixed.length + " bytes");
                }
                return model.createFixed(null, fixed, schema);
            case ARRAY:
                if (json.isArray()) {
                    List<Object> elements = new ArrayList<>(json.size());
                    for (int i = 0; i < json.size(); i++) {
                        elements.add(read(schema.getElementType(), schema.getElementType(), json.get(i),
                                path + "[" + i + "]"));
                    }
                    return elements;
                }
                break;
            case MAP:
                if (json.isObject()) {
                    Map<String, Object> entries = new LinkedHashMap<>();
                    for (Map.Entry<String, JsonNode> entry : json.properties()) {
                        entries.put(text(entry.getKey(), path), read(schema.getValueType(), schema.getValueType(),
                                entry.getValue(), path + "." + pathKey(entry.getKey())));
                    }
                    return entries;
                }
                break;
            case RECORD:
                if (json.isObject()) {
                    return readRecord(schema, json, path);
                }
                break;
            default:
                throw new IllegalStateException("unsupported Avro type " + schema.getType() + " at " + path);
        }
        throw mismatch(path, declared, json);
    }

    private Object readUnion(Schema union, JsonNode json, String path) {
        Schema nonNull = nullableBranch(union);
        if (nonNull != null) {
            return json.isNull() ? null : read(nonNull, union, json, path);
        }
        // Branches whose read could only fail are skipped: a named field's string would otherwise fail as a
        // number first, with an exception and its message, on every record. Only when no branch reads it are they
        // all tried, for the error and its suppressed causes.
        for (Schema branch : union.getTypes()) {
            if (mayRead(branch, json)) {
                try {
                    return read(branch, branch, json, path);
                } catch (RecordDecodingException e) {
                    break;
                }
            }
        }
        List<RecordDecodingException> rejections = new ArrayList<>();
        for (Schema branch : union.getTypes()) {
            try {
                return read(branch, branch, json, path);
            } catch (RecordDecodingException e) {
                rejections.add(e);
            }
        }
        RecordDecodingException mismatch = mismatch(path, union, json);
        rejections.forEach(mismatch::addSuppressed);
        throw mismatch;
    }

    /** False when {@link #read} of {@code json} as {@code schema} certainly throws, as its type does not fit. */
    private static boolean mayRead(Schema schema, JsonNode json) {
        return switch (schema.getType()) {
            case NULL -> json.isNull();
            case BOOLEAN -> json.isBoolean();
            case INT, LONG -> json.isNumber();
            case FLOAT, DOUBLE -> json.isNumber() || json.isTextual() && switch (json.textValue()) {
                case "NaN", "Infinity", "-Infinity" -> true;
                default -> false;
            };
            case STRING, ENUM, FIXED -> json.isTextual();
            case BYTES -> json.isTextual() || json.isArray();
            case ARRAY -> json.isArray();
            case MAP, RECORD -> json.isObject();
            default -> true;
        };
    }

    private static double readReal(JsonNode json, String path, Schema declared) {
        if (json.isNumber()) {
            return json.doubleValue();
        }
        if (json.isTextual()) {
            switch (json.textValue()) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
        }
        throw mismatch(path, declared, json);
    }

    private static ByteBuffer readFloat32(JsonNode json, String path, Schema declared) {
        if (!json.isArray()) {
            throw mismatch(path, declared, json);
        }
        ByteBuffer packed = ByteBuffer.allocate(json.size() * Float32.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Schema element = Schema.create(Schema.Type.FLOAT);
        for (int i = 0; i < json.size(); i++) {
            packed.putFloat(i * Float32.BYTES, (float) readReal(json.get(i), path + "[" + i + "]", element));
        }
        return packed;
    }

    private static byte[] readBase64(JsonNode json, String path, Schema declared) {
        if (json.isTextual()) {
            try {
                return Base64.getDecoder().decode(json.textValue());
            } catch (IllegalArgumentException e) {
                throw new RecordDecodingException(path, "field '" + path + "': expected " + expected(declared)
                        + ", got " + describe(json) + " (" + e.getMessage() + ")", e);
            }
        }
        throw mismatch(path, declared, json);
    }

    /** {@code value}, unless it holds an unpaired surrogate ({@link UnicodeText}). */
    private static String text(String value, String path) {
        int at = UnicodeText.firstUnpairedSurrogate(value);
        if (at >= 0) {
            throw new RecordDecodingException(path, "field '" + path + "': " + UnicodeText.problem(value, at));
        }
        return value;
    }

    private static boolean isWhole(double value, double min, double max) {
        return value == Math.rint(value) && value >= min && value <= max;
    }

    // ---- encoding: Avro datum to JSON, driven by the schema ----

    private void write(Schema schema, Object datum, String path, JsonGenerator out) throws IOException {
        if (datum == null && schema.getType() != Schema.Type.NULL && schema.getType() != Schema.Type.UNION) {
            throw new NullPointerException("null value for non-nullable " + expected(schema) + " field '"
                    + path + "' of " + type.getSimpleName());
        }
        switch (schema.getType()) {
            case UNION:
                write(schema.getTypes().get(model.resolveUnion(schema, datum)), datum, path, out);
                break;
            case NULL:
                out.writeNull();
                break;
            case BOOLEAN:
                out.writeBoolean((Boolean) datum);
                break;
            case INT:
                out.writeNumber((Integer) datum);
                break;
            case LONG:
                out.writeNumber((Long) datum);
                break;
            case FLOAT:
                out.writeNumber((Float) datum);
                break;
            case DOUBLE:
                out.writeNumber((Double) datum);
                break;
            case STRING:
            case ENUM:
                out.writeString(datum.toString());
                break;
            case BYTES:
                if (isFloat32(schema)) {
                    writeFloat32((ByteBuffer) datum, path, out);
                } else {
                    writeBase64((ByteBuffer) datum, out);
                }
                break;
            case FIXED:
                out.writeBinary(Base64Variants.MIME_NO_LINEFEEDS, ((GenericFixed) datum).bytes(), 0,
                        schema.getFixedSize());
                break;
            case ARRAY:
                out.writeStartArray();
                int i = 0;
                for (Object element : (Collection<?>) datum) {
                    write(schema.getElementType(), element, path + "[" + i++ + "]", out);
                }
                out.writeEndArray();
                break;
            case MAP:
                out.writeStartObject();
                for (Map.Entry<?, ?> entry : ((Map<?, ?>) datum).entrySet()) {
                    String key = entry.getKey().toString();
                    out.writeFieldName(key);
                    write(schema.getValueType(), entry.getValue(), path + "." + key, out);
                }
                out.writeEndObject();
                break;
            case RECORD:
                out.writeStartObject();
                for (Schema.Field field : schema.getFields()) {
                    out.writeFieldName(field.name());
                    write(field.schema(), model.getField(datum, field.name(), field.pos()),
                            path.isEmpty() ? field.name() : path + "." + field.name(), out);
                }
                out.writeEndObject();
                break;
            default:
                throw new IllegalStateException("unsupported Avro type " + schema.getType() + " at " + path);
        }
    }

    private void writeFloat32(ByteBuffer packed, String path, JsonGenerator out) throws IOException {
        float[] values;
        try {
            values = Float32.unpack(packed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field '" + path + "' of " + type.getSimpleName() + ": "
                    + e.getMessage(), e);
        }
        out.writeStartArray();
        for (float value : values) {
            out.writeNumber(value);
        }
        out.writeEndArray();
    }

    private static void writeBase64(ByteBuffer bytes, JsonGenerator out) throws IOException {
        if (bytes.hasArray()) {
            out.writeBinary(Base64Variants.MIME_NO_LINEFEEDS, bytes.array(), bytes.arrayOffset() + bytes.position(),
                    bytes.remaining());
        } else {
            byte[] copy = new byte[bytes.remaining()];
            bytes.duplicate().get(copy);
            out.writeBinary(Base64Variants.MIME_NO_LINEFEEDS, copy, 0, copy.length);
        }
    }

    // ---- schema and message helpers ----

    private static boolean isFloat32(Schema bytesSchema) {
        return FLOAT32_LE.equals(bytesSchema.getProp(ENCODING_PROPERTY));
    }

    /** The X of a two-branch union {@code ["null", X]} or {@code [X, "null"]}, else null. */
    private static Schema nullableBranch(Schema union) {
        List<Schema> branches = union.getTypes();
        if (branches.size() != 2) {
            return null;
        }
        if (branches.get(0).getType() == Schema.Type.NULL) {
            return branches.get(1);
        }
        return branches.get(1).getType() == Schema.Type.NULL ? branches.get(0) : null;
    }

    private static RecordDecodingException mismatch(String path, Schema declared, JsonNode actual) {
        return new RecordDecodingException(path, "field '" + path + "': expected " + expected(declared)
                + ", got " + describe(actual));
    }

    private static String expected(Schema schema) {
        switch (schema.getType()) {
            case UNION:
                Schema nonNull = nullableBranch(schema);
                return nonNull != null ? expected(nonNull) + " or null"
                        : schema.getTypes().stream().map(PlainJsonCodec::expected)
                                .collect(Collectors.joining(" or "));
            case BYTES:
                return isFloat32(schema) ? "array of numbers (float32)" : "base64 string";
            case FIXED:
                return "base64 string of " + schema.getFixedSize() + " bytes";
            case ENUM:
                return "one of " + schema.getEnumSymbols();
            case ARRAY:
                return "array of " + expected(schema.getElementType());
            case MAP:
                return "object of " + expected(schema.getValueType());
            case RECORD:
                return "object (" + schema.getName() + ")";
            default:
                return schema.getType().getName();
        }
    }

    private static String describe(JsonNode json) {
        switch (json.getNodeType()) {
            case STRING:
                return "string " + UnicodeText.quoted(json.textValue(), EXCERPT_CHARS);
            case NUMBER:
                return "number " + json.asText();
            case BOOLEAN:
                return "boolean " + json.asText();
            case NULL:
                return "null";
            case ARRAY:
                return "array of " + json.size() + " elements";
            case OBJECT:
                return "object";
            default:
                return json.getNodeType().name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A map's key in a field's path: as it is, or quoted ({@link UnicodeText#quoted}) when it holds a quote, a
     * backslash or a character a reason must not carry raw (a terminal escape, a bidi control).
     */
    private static String pathKey(String key) {
        String quoted = UnicodeText.quoted(key, Integer.MAX_VALUE);
        return quoted.length() == key.length() + 2 ? key : quoted;
    }

    /**
     * The first characters of the input, JSON-escaped and quoted, for messages; control and format characters JSON
     * leaves raw (C1 controls, bidi) as {@link UnicodeText#escaped} writes them.
     */
    private static String excerpt(byte[] bytes) {
        int length = Math.min(bytes.length, EXCERPT_BYTES);
        String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
        boolean truncated = length < bytes.length || text.length() > EXCERPT_CHARS;
        if (text.length() > EXCERPT_CHARS) {
            text = text.substring(0, UnicodeText.cut(text, EXCERPT_CHARS));
        }
        return '"' + UnicodeText.escaped(new String(JsonStringEncoder.getInstance().quoteAsString(text))) + '"'
                + (truncated ? "..." : "");
    }

    /** The parser's message, which may quote the input (an unexpected token, a duplicated field's name), escaped. */
    private static String parseProblem(JsonProcessingException e) {
        return UnicodeText.escaped(e.getOriginalMessage()) + at(e.getLocation());
    }

    private static String at(JsonLocation location) {
        return location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }
}
