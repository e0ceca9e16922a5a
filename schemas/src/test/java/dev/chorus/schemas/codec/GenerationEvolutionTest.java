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
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantStanding;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/**
 * ModelSnapshot gained {@code generation} and Champion {@code generations} (optional, default null), which tie a
 * champion record to the restart it answers: records of the second schemas still read, with none, in both wire
 * formats, and readers of the second schemas read the new records, leaving the generations out.
 */
class GenerationEvolutionTest {

    @Test
    void snapshotsOfTheSecondSchemaReadWithoutAGeneration() throws Exception {
        Schema second = history("ModelSnapshot-2.avsc");
        GenericRecord old = new GenericData.Record(second);
        old.put("task", "t");
        old.put("variant", "a");
        old.put("version", 0L);
        old.put("algorithm", "logistic-regression");
        old.put("spec", "{}");
        old.put("parametersFormat", 1);
        old.put("parameters", ByteBuffer.wrap(new byte[] {1, 2}));
        old.put("examplesSeen", 0L);
        old.put("metrics", Map.of());
        old.put("createdAt", 5L);
        old.put("provenance", Map.of());

        ModelSnapshot read = readOld(ModelSnapshot.class, old);

        assertThat(read.getVersion()).isZero();
        assertThat(read.getGeneration()).isNull();
        String json = "{\"task\":\"t\",\"variant\":\"a\",\"version\":0,\"algorithm\":\"logistic-regression\","
                + "\"spec\":\"{}\",\"parametersFormat\":1,\"parameters\":\"AQI=\",\"examplesSeen\":0,\"createdAt\":5}";
        assertThat(readOldJson(ModelSnapshot.class, json).getGeneration()).isNull();
    }

    @Test
    void aReaderOfTheSecondSchemaReadsASnapshotWithAGeneration() throws Exception {
        Schema second = history("ModelSnapshot-2.avsc");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(second, ModelSnapshot.getClassSchema())
                .getType()).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        ModelSnapshot fresh = ModelSnapshot.newBuilder().setTask("t").setVariant("a").setVersion(0)
                .setAlgorithm("logistic-regression").setSpec("{}").setParametersFormat(1)
                .setParameters(ByteBuffer.wrap(new byte[] {7})).setExamplesSeen(0).setCreatedAt(2).setGeneration(41L)
                .build();

        GenericRecord read = readAsOld(second, fresh);

        assertThat(read.getSchema().getField("generation")).isNull();
        assertThat(read.get("version")).isEqualTo(0L);
        assertThat(jsonRoundTrip(fresh).getGeneration()).isEqualTo(41L);
    }

    @Test
    void championRecordsOfTheSecondSchemaReadWithoutGenerations() throws Exception {
        Schema second = history("Champion-2.avsc");
        GenericRecord old = oldChampion(second);

        Champion read = readOld(Champion.class, old);

        assertThat(read.getVariant()).isEqualTo("b");
        assertThat(read.getGenerations()).isNull();
        String json = OLD_CHAMPION_JSON + "}";
        assertThat(readOldJson(Champion.class, json).getGenerations()).isNull();
    }

    @Test
    void aReaderOfTheSecondSchemaReadsAChampionRecordWithGenerations() throws Exception {
        Schema second = history("Champion-2.avsc");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(second, Champion.getClassSchema()).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        Champion current = Champion.newBuilder().setTask("t").setVariant("b").setModelVersion(12L).setSince(1L)
                .setStandings(List.of(VariantStanding.newBuilder().setVariant("b").setStatus(StandingStatus.CHAMPION)
                        .setLabelledExamples(3L).setLossMean(0.5).setLossStandardError(0.1).setModelVersion(12L)
                        .build()))
                .setUpdatedAt(2L).setGenerations(Map.of("a", 41L, "b", 7L)).build();

        GenericRecord read = readAsOld(second, current);

        assertThat(read.getSchema().getField("generations")).isNull();
        assertThat(read.get("variant").toString()).isEqualTo("b");
        assertThat(jsonRoundTrip(current).getGenerations()).isEqualTo(Map.of("a", 41L, "b", 7L));
    }
}
