package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.DeadLetters;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.ChampionEvidence;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.SearchState;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.WireFormat;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/** The consensus and control records are Chorus records like the others: decoded from their topics, printed as one line. */
class RecordLinesTest {

    @Test
    void anAvroConsensusRecordIsRecognisedByItsFingerprintAndPrintsAsOneLine() {
        Consensus consensus = Consensus.newBuilder().setTask("sentiment").setItem("review-17")
                .setPosterior(List.of(0.0213, 0.9701, 0.0086)).setMostLikely(1).setLabels(3)
                .setAnnotators(List.of("a3", "a9", "a14")).setVersion(57).setUpdatedAt(1_700_000_123_456L).build();
        byte[] avro = WireFormat.AVRO.codec(Consensus.class).encode(consensus);

        RecordDecoder.Decoded decoded = new RecordDecoder().decode(avro, null);

        assertThat(decoded.kind()).isEqualTo(RecordKind.CONSENSUS);
        assertThat(RecordLines.line(decoded.record()))
                .isEqualTo("consensus sentiment/review-17 v57 class=1 p=0.9701 labels=3 "
                        + "updatedAt=2023-11-14T22:15:23.456Z");
        assertThat(RecordKind.ofTopic("chorus.consensus")).contains(RecordKind.CONSENSUS);
    }

    @Test
    void anAvroChampionRecordIsRecognisedByItsFingerprintAndPrintsAsOneLine() {
        Champion champion = Champion.newBuilder().setTask("fashion").setVariant("wide").setModelVersion(40)
                .setSince(1_700_000_000_000L).setPreviousVariant("default")
                .setEvidence(ChampionEvidence.newBuilder().setTest("t").setPairedExamples(400).setMeanDifference(0.031)
                        .setLowerBound(0.0125).setAlpha(0.0025).setMargin(0.005).build())
                .setStandings(List.of()).setUpdatedAt(1_700_000_123_456L).build();
        RecordDecoder.Decoded decoded = new RecordDecoder().decode(WireFormat.AVRO.codec(Champion.class)
                .encode(champion), null);

        assertThat(decoded.kind()).isEqualTo(RecordKind.CHAMPION);
        assertThat(RecordLines.line(decoded.record())).isEqualTo("champion fashion: wide v40 "
                + "since=2023-11-14T22:13:20Z previous=default paired=400 meanDiff=0.031 lower=0.0125 variants=0 "
                + "updatedAt=2023-11-14T22:15:23.456Z");
        assertThat(RecordKind.ofTopic("chorus.champions")).contains(RecordKind.CHAMPION);
    }

    @Test
    void aChampionRecordsLineSaysWhereEachOfTheTasksSearchesStands() {
        Champion champion = Champion.newBuilder().setTask("iris").setVariant("hp-s1").setModelVersion(12)
                .setSince(1_700_000_000_000L).setStandings(List.of()).setUpdatedAt(1_700_000_123_456L)
                .setSearches(List.of(
                        SearchStanding.newBuilder().setSearch("hp").setState(SearchState.RUNNING).setRung(1)
                                .setRungs(2).setLive(List.of("hp-s0", "hp-s1")).build(),
                        SearchStanding.newBuilder().setSearch("lr").setState(SearchState.STOPPED).setRung(0)
                                .setRungs(2).setLive(List.of("lr-s0", "lr-s2"))
                                .setStoppedReason("variant lr-s1 was retired outside the search at rung 0").build(),
                        SearchStanding.newBuilder().setSearch("wd").setState(SearchState.FINISHED).setRung(2)
                                .setRungs(2).setLive(List.of("wd-s3")).build()))
                .build();

        assertThat(RecordLines.line(champion)).isEqualTo("champion iris: hp-s1 v12 since=2023-11-14T22:13:20Z "
                + "variants=0 updatedAt=2023-11-14T22:15:23.456Z [search hp: rung 1 of 2, live hp-s0 hp-s1] "
                + "[search lr: STOPPED at rung 0 of 2 (variant lr-s1 was retired outside the search at rung 0), "
                + "live lr-s0 lr-s2] [search wd: finished after 2 rungs, live wd-s3]");
    }

    @Test
    void aControlRecordIsRecognisedByItsFingerprintAndPrintsAsOneLine() {
        VariantSpecRecord spec = VariantSpecRecord.newBuilder().setTask("iris").setVariant("fast")
                .setStatus(VariantStatus.RETIRED).setSpec(null).setUpdatedAt(1_700_000_123_456L).setSource("cli").build();
        byte[] avro = WireFormat.AVRO.codec(VariantSpecRecord.class).encode(spec);

        RecordDecoder.Decoded decoded = new RecordDecoder().decode(avro, null);

        assertThat(decoded.kind()).isEqualTo(RecordKind.SPEC);
        assertThat(RecordLines.line(decoded.record()))
                .isEqualTo("spec iris/fast RETIRED source=cli updatedAt=2023-11-14T22:15:23.456Z");
        assertThat(RecordKind.ofTopic("chorus.specs")).contains(RecordKind.SPEC);
        assertThat(RecordKind.ofTopic("chorus.specs.refusals")).as("the control topic's dead letters")
                .contains(RecordKind.DEAD_LETTER);
    }

    @Test
    void aDeadLetterWhoseRecordLostItsKafkaCoordinatesSaysSoRatherThanMinusOne() {
        // Examples that waited for a model in the state of a serve job from before session 15 kept no partition and
        // offset.
        DeadLetter waited = DeadLetters.ofExample("chorus.examples", "e1", -1, -1, new byte[] {1, 2, 3}, "task",
                "no model for task 'other'", 1_700_000_123_456L, 65_536);
        assertThat(RecordLines.line(waited)).isEqualTo("dead-letter from chorus.examples (partition and offset "
                + "unknown) field=task reason=\"no model for task 'other'\" original=3 bytes "
                + "time=2023-11-14T22:15:23.456Z");
    }

    /** Whoever writes a topic chooses its records' text: a line of chorus tail carries no terminal escape of it. */
    @Test
    void aRecordsTerminalEscapesArePrintedAsTheirCodes() {
        String id = "x\u001B]0;pwned\u0007\u001B[2J";
        Example example = Example.newBuilder().setId(id).setTask("t\u001B[31m").setAnnotator("a\u202E")
                .setFeatures(Float32.pack(new float[] {1})).setEventTime(0L).build();
        Prediction prediction = Prediction.newBuilder().setId(id).setTask("t").setVariant("v\u009B2J")
                .setModelVersion(1).setPredictedClass(0).setProbabilities(Float32.pack(new float[] {1}))
                .setEventTime(0).setProducedAt(0).build();
        VariantSpecRecord spec = VariantSpecRecord.newBuilder().setTask("t").setVariant("v")
                .setStatus(VariantStatus.LIVE).setSpec("{\"seed\":\"\u001B]52;c;cHduZWQ=\u0007\"}").setUpdatedAt(0L).setSource("cli").build();
        Consensus consensus = Consensus.newBuilder().setTask("t").setItem("i\u2028\u001Bc").setPosterior(List.of(1.0))
                .setMostLikely(0).setLabels(1).setAnnotators(List.of()).setVersion(1).setUpdatedAt(0L).build();
        DeadLetter deadLetter = DeadLetters.ofExample("chorus.examples", "e1", 0, 5, new byte[] {1}, "id",
                "field 'id': \u001B[2J", 0L, 65_536);

        for (SpecificRecord record : List.<SpecificRecord>of(example, prediction, spec, consensus, deadLetter)) {
            assertThat(RecordLines.line(record)).as(record.getClass().getSimpleName())
                    .doesNotContain("\u001B", "\u0007", "\u009B", "\u202E", "\u2028");
        }
        assertThat(RecordLines.line(example)).startsWith("example t\\u001B[31m id=x\\u001B]0;pwned\\u0007\\u001B[2J ")
                .contains(" annotator=a\\u202E ");
        assertThat(RecordLines.line(prediction)).startsWith("prediction t/v\\u009B2J v1 id=x\\u001B]0;pwned");
        assertThat(RecordLines.line(spec)).endsWith(" spec={\"seed\":\"\\u001B]52;c;cHduZWQ=\\u0007\"}");
        assertThat(RecordLines.line(consensus)).startsWith("consensus t/i\\u2028\\u001Bc v1 ");
        assertThat(RecordLines.line(deadLetter)).contains(" reason=\"field 'id': \\u001B[2J\" ");
    }
}
