package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.EvolutionRoundTrips.history;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.oldChampion;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.readOld;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.Champion;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/**
 * Two schemas were on main for a while before the history kept them: the first Champion (its standings' status enum
 * named VariantStatus, as the control topic's is; today's StandingStatus names it as an alias) and the
 * VariantSpecRecord with initialModel before reason. Records they wrote read again.
 */
class BriefSchemasEvolutionTest {

    @Test
    void theFingerprintsAreThoseTheBriefSchemasWrote() throws Exception {
        assertThat(Long.toHexString(SchemaNormalization.parsingFingerprint64(history("Champion-0.avsc"))))
                .isEqualTo("e32d288da8d75d56");
        assertThat(Long.toHexString(SchemaNormalization.parsingFingerprint64(history("VariantSpecRecord-2.avsc"))))
                .isEqualTo("988e8e6757c839f1");
    }

    @Test
    void aChampionOfTheFirstSchemaReadsWithItsStandings() throws Exception {
        Schema first = history("Champion-0.avsc");
        Schema standing = first.getField("standings").schema().getElementType();
        GenericRecord s = new GenericData.Record(standing);
        for (Schema.Field f : standing.getFields()) {
            Schema type = f.schema();
            s.put(f.name(), switch (type.getType()) {
                case STRING -> "b";
                case LONG -> 3L;
                case INT -> 3;
                case DOUBLE -> 0.5;
                case ENUM -> new GenericData.EnumSymbol(type, "CHALLENGER");
                default -> null;
            });
        }
        GenericRecord old = oldChampion(first);
        old.put("standings", List.of(s));

        Champion read = readOld(Champion.class, old);

        assertThat(read.getVariant()).isEqualTo("b");
        assertThat(read.getStandings()).singleElement()
                .satisfies(r -> assertThat(r.getStatus()).isEqualTo(StandingStatus.CHALLENGER));
    }

    @Test
    void aControlRecordWithAnInitialModelAndNoReasonReads() throws Exception {
        Schema second = history("VariantSpecRecord-2.avsc");
        GenericRecord old = new GenericData.Record(second);
        old.put("task", "iris");
        old.put("variant", "warm");
        old.put("status", new GenericData.EnumSymbol(second.getField("status").schema(), "LIVE"));
        old.put("spec", "{}");
        old.put("updatedAt", 1L);
        old.put("source", "cli");
        old.put("initialModel", ByteBuffer.wrap(new byte[] {1, 2, 3}));

        VariantSpecRecord read = readOld(VariantSpecRecord.class, old);

        assertThat(read.getStatus()).isEqualTo(VariantStatus.LIVE);
        assertThat(read.getInitialModel()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(read.getReason()).isNull();
    }
}
