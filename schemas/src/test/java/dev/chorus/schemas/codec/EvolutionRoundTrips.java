package dev.chorus.schemas.codec;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;

/**
 * The round trips a schema evolution test makes: a record of an older schema read by today's codecs, in both wire
 * formats, and today's record read by a reader of the older schema.
 */
final class EvolutionRoundTrips {

    /** {@link #oldChampion}'s record in JSON, without its closing brace (for the fields a later schema added). */
    static final String OLD_CHAMPION_JSON = "{\"task\":\"t\",\"variant\":\"b\",\"modelVersion\":12,\"since\":1,"
            + "\"standings\":[],\"updatedAt\":2";

    private EvolutionRoundTrips() {}

    /** The older schema {@code name} (e.g. {@code Champion-2.avsc}) from the schemas' history. */
    static Schema history(String name) throws Exception {
        try (InputStream avsc = EvolutionRoundTrips.class.getResourceAsStream("/dev/chorus/schemas/history/" + name)) {
            return new Schema.Parser().parse(avsc);
        }
    }

    /** The bytes left in {@code buffer}, which it leaves as it was. */
    static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    /** A Champion record of the older schema {@code old} with the fields every schema has: task t, variant b. */
    static GenericRecord oldChampion(Schema old) {
        GenericRecord champion = new GenericData.Record(old);
        champion.put("task", "t");
        champion.put("variant", "b");
        champion.put("modelVersion", 12L);
        champion.put("since", 1L);
        champion.put("standings", List.of());
        champion.put("updatedAt", 2L);
        return champion;
    }

    /** {@code old}, written in Avro single-object encoding with its own (older) schema, read by today's codec. */
    static <T extends SpecificRecord> T readOld(Class<T> type, GenericRecord old) throws Exception {
        return WireFormat.AVRO.codec(type).decode(toArray(
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), old.getSchema()).encode(old)));
    }

    /** A record of an older schema in JSON, {@code json}, read by today's JSON codec. */
    static <T extends SpecificRecord> T readOldJson(Class<T> type, String json) {
        return WireFormat.JSON.codec(type).decode(json.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code current}, written by today's Avro codec, read by a reader of the older schema {@code old}. */
    @SuppressWarnings("unchecked")
    static <T extends SpecificRecord> GenericRecord readAsOld(Schema old, T current) throws Exception {
        BinaryMessageDecoder<GenericRecord> oldReader = new BinaryMessageDecoder<>(GenericData.get(), old);
        oldReader.addSchema(current.getSchema());
        return oldReader.decode(WireFormat.AVRO.codec((Class<T>) current.getClass()).encode(current));
    }

    /** {@code current} through today's JSON codec and back. */
    @SuppressWarnings("unchecked")
    static <T extends SpecificRecord> T jsonRoundTrip(T current) {
        RecordCodec<T> json = WireFormat.JSON.codec((Class<T>) current.getClass());
        return json.decode(json.encode(current));
    }
}
