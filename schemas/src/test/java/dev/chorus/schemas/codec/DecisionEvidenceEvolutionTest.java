package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.EvolutionRoundTrips.history;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.readOld;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.readOldJson;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.Champion;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/**
 * VariantSpecRecord gained {@code reason} and VariantStanding {@code retiredReason} (optional, default null), the
 * evidence of the train job's own decisions: control and champion records written before still read, in both wire
 * formats.
 */
class DecisionEvidenceEvolutionTest {

    @Test
    void controlRecordsOfTheFirstSchemaReadWithoutAReason() throws Exception {
        Schema first = history("VariantSpecRecord-1.avsc");
        GenericRecord old = new GenericData.Record(first);
        old.put("task", "iris");
        old.put("variant", "fast");
        old.put("status", new GenericData.EnumSymbol(first.getField("status").schema(), "RETIRED"));
        old.put("spec", null);
        old.put("updatedAt", 1L);
        old.put("source", "cli");

        VariantSpecRecord read = readOld(VariantSpecRecord.class, old);

        assertThat(read.getStatus()).isEqualTo(VariantStatus.RETIRED);
        assertThat(read.getReason()).isNull();
        String json = "{\"task\":\"iris\",\"variant\":\"fast\",\"status\":\"RETIRED\",\"spec\":null,"
                + "\"updatedAt\":1,\"source\":\"kcat\"}";
        assertThat(readOldJson(VariantSpecRecord.class, json).getReason()).isNull();
    }

    @Test
    void championRecordsOfTheFirstSchemaReadWithoutARetiredReason() throws Exception {
        Schema first = history("Champion-1.avsc");
        Schema standing = first.getField("standings").schema().getElementType();
        GenericRecord s = new GenericData.Record(standing);
        s.put("variant", "hp-s2");
        s.put("status", new GenericData.EnumSymbol(standing.getField("status").schema(), "RETIRED"));
        s.put("labelledExamples", 64L);
        s.put("lossMean", 1.2);
        s.put("lossStandardError", 0.1);
        s.put("modelVersion", 4L);
        GenericRecord old = new GenericData.Record(first);
        old.put("task", "t");
        old.put("variant", "hp-s0");
        old.put("modelVersion", 4L);
        old.put("since", 1L);
        old.put("standings", List.of(s));
        old.put("updatedAt", 2L);

        Champion read = readOld(Champion.class, old);

        assertThat(read.getStandings()).singleElement().satisfies(st -> {
            assertThat(st.getVariant()).isEqualTo("hp-s2");
            assertThat(st.getRetiredReason()).isNull();
        });
    }
}
