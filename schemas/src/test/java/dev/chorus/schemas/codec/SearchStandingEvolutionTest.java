package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.EvolutionRoundTrips.OLD_CHAMPION_JSON;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.history;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.jsonRoundTrip;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.oldChampion;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.readAsOld;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.readOld;
import static dev.chorus.schemas.codec.EvolutionRoundTrips.readOldJson;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.Champion;
import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.SearchState;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/**
 * Champion gained {@code searches} (optional, default null), where each search of the task stands: records of the
 * third schema still read, with none, in both wire formats, and readers of the third schema read the new records,
 * leaving the searches out.
 */
class SearchStandingEvolutionTest {

    @Test
    void championRecordsOfTheThirdSchemaReadWithoutSearches() throws Exception {
        Schema third = history("Champion-3.avsc");
        GenericRecord old = oldChampion(third);
        old.put("generations", Map.of("b", 3L));

        Champion read = readOld(Champion.class, old);

        assertThat(read.getGenerations()).isEqualTo(Map.of("b", 3L));
        assertThat(read.getSearches()).isNull();
        String json = OLD_CHAMPION_JSON + ",\"generations\":{\"b\":3}}";
        assertThat(readOldJson(Champion.class, json).getSearches()).isNull();
    }

    @Test
    void aReaderOfTheThirdSchemaReadsAChampionRecordWithSearches() throws Exception {
        Schema third = history("Champion-3.avsc");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(third, Champion.getClassSchema()).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        SearchStanding stopped = SearchStanding.newBuilder().setSearch("hp").setState(SearchState.STOPPED).setRung(1)
                .setRungs(3).setLive(List.of("hp-s0", "hp-s2")).setStoppedReason("variant hp-s2 was retired outside "
                        + "the search at rung 1").build();
        Champion current = Champion.newBuilder().setTask("t").setVariant("b").setModelVersion(12L).setSince(1L)
                .setStandings(List.of()).setUpdatedAt(2L).setGenerations(Map.of()).setSearches(List.of(stopped))
                .build();

        GenericRecord read = readAsOld(third, current);

        assertThat(read.getSchema().getField("searches")).isNull();
        assertThat(read.get("variant").toString()).isEqualTo("b");
        assertThat(jsonRoundTrip(current).getSearches()).containsExactly(stopped);
    }
}
