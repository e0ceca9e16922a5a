package dev.chorus.cli;

import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.RecordDecodingException;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;

/**
 * Decodes a Chorus record whatever its wire format and type: bytes starting with the Avro single-object marker
 * {@code C3 01} are Avro, and their schema fingerprint says which Chorus record they are; anything else
 * is read as JSON, of the expected type or, when none is expected, of the one type whose schema it fits.
 * Not thread-safe (it keeps one codec per type and format).
 */
public final class RecordDecoder {

    private static final int AVRO_HEADER = 10;

    private final Map<RecordKind, RecordCodec<? extends SpecificRecord>> avro = new EnumMap<>(RecordKind.class);
    private final Map<RecordKind, RecordCodec<? extends SpecificRecord>> json = new EnumMap<>(RecordKind.class);

    /** A decoded record and what it was on the wire; {@code fingerprint} is empty for JSON. */
    public record Decoded(RecordKind kind, WireFormat format, OptionalLong fingerprint, SpecificRecord record) {}

    /** Whether {@code bytes} start like Avro single-object encoding. */
    static boolean isAvro(byte[] bytes) {
        return bytes.length >= 2 && bytes[0] == (byte) 0xC3 && bytes[1] == 0x01;
    }

    /**
     * Decodes {@code bytes}, which must be a {@code expected} record when that is not null.
     *
     * @throws RecordDecodingException saying why the bytes are no (such) Chorus record
     */
    public Decoded decode(byte[] bytes, RecordKind expected) {
        return isAvro(bytes) ? decodeAvro(bytes, expected) : decodeJson(bytes, expected);
    }

    /** The record as one line of plain JSON (the {@link WireFormat#JSON} encoding). */
    String toJson(Decoded decoded) {
        return new String(encodeJson(decoded.kind(), decoded.record()), StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private <T extends SpecificRecord> byte[] encodeJson(RecordKind kind, SpecificRecord record) {
        return ((RecordCodec<T>) codec(json, kind, WireFormat.JSON)).encode((T) record);
    }

    private Decoded decodeAvro(byte[] bytes, RecordKind expected) {
        if (bytes.length < AVRO_HEADER) {
            throw new RecordDecodingException(null, "truncated Avro single-object header: expected " + AVRO_HEADER
                    + " bytes (marker C3 01 and an 8-byte schema fingerprint), got " + bytes.length);
        }
        long fingerprint = ByteBuffer.wrap(bytes, 2, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
        RecordKind kind = RecordKind.ofFingerprint(fingerprint).orElseThrow(() -> new RecordDecodingException(null,
                "Avro single-object record with schema fingerprint " + RecordKind.hex(fingerprint)
                        + ", which is none of the Chorus record schemas (" + RecordKind.describeAll() + ")"));
        if (expected != null && kind != expected) {
            throw new RecordDecodingException(null, "expected " + article(expected) + " record, got an Avro "
                    + kind.type().getSimpleName() + " (schema fingerprint " + RecordKind.hex(fingerprint) + ")");
        }
        return new Decoded(kind, WireFormat.AVRO, OptionalLong.of(fingerprint),
                codec(avro, kind, WireFormat.AVRO).decode(bytes));
    }

    private Decoded decodeJson(byte[] bytes, RecordKind expected) {
        if (expected != null) {
            return new Decoded(expected, WireFormat.JSON, OptionalLong.empty(),
                    codec(json, expected, WireFormat.JSON).decode(bytes));
        }
        if (!looksLikeJson(bytes)) {
            throw new RecordDecodingException(null, "not a Chorus record: expected Avro single-object encoding "
                    + "(header C3 01) or a JSON object, got " + firstBytes(bytes));
        }
        List<Decoded> fits = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (RecordKind kind : RecordKind.values()) {
            try {
                fits.add(new Decoded(kind, WireFormat.JSON, OptionalLong.empty(),
                        codec(json, kind, WireFormat.JSON).decode(bytes)));
            } catch (RecordDecodingException e) {
                problems.add(kind.label() + ": " + e.getMessage());
            }
        }
        if (fits.size() == 1) {
            return fits.get(0);
        }
        if (fits.isEmpty()) {
            throw new RecordDecodingException(null, "JSON that fits no Chorus record type ("
                    + String.join("; ", problems) + ")");
        }
        throw new RecordDecodingException(null, "JSON that fits several record types ("
                + fits.stream().map(d -> d.kind().label()).collect(Collectors.joining(", "))
                + "): give --type");
    }

    private static RecordCodec<? extends SpecificRecord> codec(
            Map<RecordKind, RecordCodec<? extends SpecificRecord>> cache, RecordKind kind, WireFormat format) {
        return cache.computeIfAbsent(kind, k -> format.codec(k.type()));
    }

    private static boolean looksLikeJson(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b == '{';
            }
        }
        return false;
    }

    private static String firstBytes(byte[] bytes) {
        if (bytes.length == 0) {
            return "empty input";
        }
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(4, bytes.length); i++) {
            hex.append(i == 0 ? "" : " ").append(String.format("%02X", bytes[i]));
        }
        return hex + (bytes.length > 4 ? " ..." : "") + " (" + bytes.length + " bytes)";
    }

    private static String article(RecordKind kind) {
        String name = kind.type().getSimpleName();
        return ("AEIOU".indexOf(name.charAt(0)) >= 0 ? "an " : "a ") + name;
    }
}
