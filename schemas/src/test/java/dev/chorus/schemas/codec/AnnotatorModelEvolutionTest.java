package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.EvolutionRoundTrips.history;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.AnnotatorModel;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * AnnotatorModel gained {@code variant} (default "default") when tasks got variants: records written before read as
 * variant default's, and a reader of the first schema still reads a record of the current one (minus the variant).
 */
class AnnotatorModelEvolutionTest {

    @Test
    void recordsOfTheFirstSchemaReadAsVariantDefault() throws Exception {
        Schema first = history("AnnotatorModel-1.avsc");
        GenericRecord old = new GenericData.Record(first);
        old.put("task", "t");
        old.put("annotator", "a1");
        old.put("version", 3L);
        old.put("numClasses", 2);
        old.put("confusion", ByteBuffer.wrap(new byte[16]));
        old.put("reliability", 0.75);
        old.put("labelsSeen", 12L);
        old.put("updatedAt", 5L);
        ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), first).encode(old);
        byte[] avro = new byte[encoded.remaining()];
        encoded.get(avro);

        AnnotatorModel read = WireFormat.AVRO.codec(AnnotatorModel.class).decode(avro);

        assertThat(read.getVariant()).isEqualTo("default");
        assertThat(read.getAnnotator()).isEqualTo("a1");
        assertThat(read.getLabelsSeen()).isEqualTo(12L);
    }

    @Test
    void aReaderOfTheFirstSchemaReadsTheCurrentRecords() throws Exception {
        AnnotatorModel current = AnnotatorModel.newBuilder().setTask("t").setVariant("slow").setAnnotator("a1")
                .setVersion(4).setNumClasses(2).setConfusion(ByteBuffer.wrap(new byte[16])).setReliability(0.5)
                .setLabelsSeen(3).setUpdatedAt(9).build();
        byte[] avro = WireFormat.AVRO.codec(AnnotatorModel.class).encode(current);

        BinaryMessageDecoder<GenericRecord> oldReader = new BinaryMessageDecoder<>(GenericData.get(), history("AnnotatorModel-1.avsc"));
        oldReader.addSchema(AnnotatorModel.getClassSchema());
        GenericRecord read = oldReader.decode(avro);

        assertThat(read.getSchema().getField("variant")).isNull();
        assertThat(read.get("version")).isEqualTo(4L);
        assertThat(read.get("annotator").toString()).isEqualTo("a1");
    }
}
