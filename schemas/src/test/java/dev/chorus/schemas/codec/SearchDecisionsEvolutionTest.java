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
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/**
 * SearchStanding gained {@code decisions} (default empty), each decided rung with its evidence: champion records of
 * the fourth schema still read, their searches with no decisions, in both wire formats, and readers of the fourth
 * schema read the new records, leaving the decisions out.
 */
class SearchDecisionsEvolutionTest {

    @Test
    void championRecordsOfTheFourthSchemaReadTheirSearchesWithNoDecisions() throws Exception {
        Schema fourth = history("Champion-4.avsc");
        GenericRecord old = oldChampion(fourth);
        old.put("generations", Map.of());
        Schema standing = fourth.getField("searches").schema().getTypes().get(1).getElementType();
        GenericRecord search = new GenericData.Record(standing);
        search.put("search", "hp");
        search.put("state", new GenericData.EnumSymbol(standing.getField("state").schema(), "RUNNING"));
        search.put("rung", 1);
        search.put("rungs", 3);
        search.put("live", List.of("hp-s0", "hp-s1"));
        old.put("searches", List.of(search));

        Champion read = readOld(Champion.class, old);

        assertThat(read.getSearches()).singleElement().satisfies(s -> {
            assertThat(s.getLive()).containsExactly("hp-s0", "hp-s1");
            assertThat(s.getDecisions()).isEmpty();
        });
        String json = OLD_CHAMPION_JSON + ",\"generations\":{},\"searches\":[{\"search\":\"hp\",\"state\":\"RUNNING\","
                + "\"rung\":1,\"rungs\":3,\"live\":[\"hp-s0\",\"hp-s1\"],\"stoppedReason\":null}]}";
        assertThat(readOldJson(Champion.class, json).getSearches()).singleElement()
                .satisfies(s -> assertThat(s.getDecisions()).isEmpty());
    }

    @Test
    void aReaderOfTheFourthSchemaReadsAChampionRecordWithDecisions() throws Exception {
        Schema fourth = history("Champion-4.avsc");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(fourth, Champion.getClassSchema()).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        SearchStanding random = SearchStanding.newBuilder().setSearch("hp").setState(SearchState.RUNNING).setRung(1)
                .setRungs(3).setLive(List.of("hp-s0", "hp-s1")).setDecisions(List.of("search hp rung 0 of 3 over 2 "
                        + "examples: mean prequential loss hp-s0 0.100000 (kept), hp-s1 0.200000 (kept)")).build();
        Champion current = Champion.newBuilder().setTask("t").setVariant("b").setModelVersion(12L).setSince(1L)
                .setStandings(List.of()).setUpdatedAt(2L).setGenerations(Map.of()).setSearches(List.of(random))
                .build();

        GenericRecord read = readAsOld(fourth, current);

        @SuppressWarnings("unchecked")
        GenericRecord search = ((List<GenericRecord>) read.get("searches")).get(0);
        assertThat(search.getSchema().getField("decisions")).isNull();
        assertThat(search.get("search").toString()).isEqualTo("hp");
        assertThat(jsonRoundTrip(current).getSearches()).containsExactly(random);
    }
}
