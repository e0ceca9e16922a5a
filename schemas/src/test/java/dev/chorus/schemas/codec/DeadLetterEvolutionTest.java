package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.EvolutionRoundTrips.history;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.toArray;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * DeadLetter gained originalLength and originalSha256 (optional, default null): dead letters written before are
 * still read, in both wire formats, and a reader of the first schema still reads the new ones.
 */
class DeadLetterEvolutionTest {

    @Test
    void theCurrentReaderReadsDeadLettersOfTheFirstSchema() throws Exception {
        Schema first = history("DeadLetter-1.avsc");
        GenericRecord old = new GenericData.Record(first);
        old.put("original", ByteBuffer.wrap(new byte[] {1, 2, 3}));
        old.put("key", null);
        old.put("topic", "chorus.examples");
        old.put("partition", 0);
        old.put("offset", 7L);
        old.put("reason", "field 'label': expected a class index in [0, 3), got 7");
        old.put("field", "label");
        old.put("time", 1_700_000_000_000L);
        byte[] avro = toArray(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), first).encode(old));

        DeadLetter read = WireFormat.AVRO.codec(DeadLetter.class).decode(avro);

        assertThat(read.getOffset()).isEqualTo(7L);
        assertThat(read.getOriginal()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(read.getOriginalLength()).isNull();
        assertThat(read.getOriginalSha256()).isNull();

        String json = "{\"original\":\"AQID\",\"key\":null,\"topic\":\"chorus.examples\",\"partition\":0,"
                + "\"offset\":7,\"reason\":\"r\",\"field\":null,\"time\":1}";
        DeadLetter fromJson = WireFormat.JSON.codec(DeadLetter.class).decode(json.getBytes(StandardCharsets.UTF_8));
        assertThat(fromJson.getOriginalLength()).isNull();
        assertThat(fromJson.getOriginalSha256()).isNull();
    }

    /**
     * The schema's doc strings changed after dead letters were written with it (which ones hold an example encoded
     * again): a doc-only change keeps its parsing canonical form, so records of either read as the same writer schema.
     */
    @Test
    void theSchemaKeepsTheFingerprintOfTheDeadLettersWrittenWithOriginalLength() {
        assertThat(Long.toHexString(SchemaNormalization.parsingFingerprint64(DeadLetter.getClassSchema())))
                .isEqualTo("7424e1ab907e8620");
    }

    @Test
    void aReaderOfTheFirstSchemaReadsTheNewDeadLetters() throws Exception {
        Schema first = history("DeadLetter-1.avsc");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(first, DeadLetter.getClassSchema()).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        DeadLetter current = DeadLetter.newBuilder().setOriginal(ByteBuffer.wrap(new byte[] {9, 8}))
                .setTopic("chorus.examples").setPartition(1).setOffset(3).setReason("cut").setTime(2)
                .setOriginalLength(5_000_000).setOriginalSha256(ByteBuffer.wrap(new byte[32])).build();
        byte[] avro = WireFormat.AVRO.codec(DeadLetter.class).encode(current);

        // An old reader told the new writer schema, as a registry or an upgraded SchemaHistory would tell it.
        BinaryMessageDecoder<GenericRecord> oldReader = new BinaryMessageDecoder<>(GenericData.get(), first);
        oldReader.addSchema(DeadLetter.getClassSchema());
        GenericRecord read = oldReader.decode(avro);

        assertThat(read.getSchema().getFields()).hasSize(8);
        assertThat(read.get("offset")).isEqualTo(3L);
        assertThat(read.get("reason").toString()).isEqualTo("cut");

        // The JSON codec ignores fields it does not know, so an old JSON reader sees the same record.
        String json = new String(WireFormat.JSON.codec(DeadLetter.class).encode(current), StandardCharsets.UTF_8);
        assertThat(json).contains("\"originalLength\":5000000");
    }
}
