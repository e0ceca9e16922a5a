package dev.chorus.schemas.codec;

import static dev.chorus.schemas.codec.DecisionEvidenceEvolutionTest.history;
import static dev.chorus.schemas.codec.DecisionEvidenceEvolutionTest.toArray;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.Champion;
import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.SearchState;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
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
        GenericRecord old = new GenericData.Record(third);
        old.put("task", "t");
        old.put("variant", "b");
        old.put("modelVersion", 12L);
        old.put("since", 1L);
        old.put("standings", List.of());
        old.put("updatedAt", 2L);
        old.put("generations", Map.of("b", 3L));

        Champion read = WireFormat.AVRO.codec(Champion.class).decode(toArray(
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), third).encode(old)));

        assertThat(read.getGenerations()).isEqualTo(Map.of("b", 3L));
        assertThat(read.getSearches()).isNull();
        String json = "{\"task\":\"t\",\"variant\":\"b\",\"modelVersion\":12,\"since\":1,\"standings\":[],"
                + "\"updatedAt\":2,\"generations\":{\"b\":3}}";
        assertThat(WireFormat.JSON.codec(Champion.class).decode(json.getBytes(StandardCharsets.UTF_8))
                .getSearches()).isNull();
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
        BinaryMessageDecoder<GenericRecord> oldReader = new BinaryMessageDecoder<>(GenericData.get(), third);
        oldReader.addSchema(Champion.getClassSchema());

        GenericRecord read = oldReader.decode(WireFormat.AVRO.codec(Champion.class).encode(current));

        assertThat(read.getSchema().getField("searches")).isNull();
        assertThat(read.get("variant").toString()).isEqualTo("b");
        byte[] json = WireFormat.JSON.codec(Champion.class).encode(current);
        assertThat(WireFormat.JSON.codec(Champion.class).decode(json).getSearches()).containsExactly(stopped);
    }
}
