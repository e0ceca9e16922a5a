package dev.chorus.jobs.select;

import static dev.chorus.jobs.select.ChampionSelectionFunctionTest.prediction;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.SearchState;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * A search's rungs in the selection operator: decided on the examples every live variant of the search predicted,
 * published as RETIRED control records with their evidence and as RETIRED standings that say why, across a restore.
 */
class SearchRungsTest {

    static final String BASE = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":2,\"seed\":7";
    /** 4 variants, 6 examples: rungs of 2 and 4 examples. */
    static final String SEARCH = BASE + ",\"search\":{\"method\":\"successive-halving\",\"variants\":4,"
            + "\"budgetExamples\":6,\"space\":{\"optimizer.learningRate\":{\"logUniform\":[0.001,1.0]}}}}";
    /** Each variant's probability of the true class: s0 best, s3 worst. */
    static final Map<String, Float> P = Map.of("hp-s0", 0.9f, "hp-s1", 0.7f, "hp-s2", 0.3f, "hp-s3", 0.1f);
    static final List<String> ORDER = List.of("hp-s2", "hp-s0", "hp-s3", "hp-s1");

    @Test
    void aRungRetiresTheWorseHalfWithItsEvidenceOnTheControlTopicAndInTheStandings() throws Exception {
        OperatorSubtaskState midRung;
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            declareSearch(h);
            predict(h, "e0");
            h.processElement(prediction("t", "e1", "hp-s0", 0.9f, 1), 0);
            midRung = h.snapshot(1, 1);
        }
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.initializeState(midRung);
            h.open();
            h.setProcessingTime(5000);
            for (String v : List.of("hp-s3", "hp-s1")) {
                h.processElement(prediction("t", "e1", v, P.get(v), 1), 0);
            }
            assertThat(decisions(h)).as("e1 still waits for hp-s2").isEmpty();
            h.processElement(prediction("t", "e1", "hp-s2", 0.3f, 1), 0);

            List<VariantSpecRecord> retired = decisions(h);
            assertThat(retired).extracting(VariantSpecRecord::getVariant).containsExactly("hp-s2", "hp-s3");
            String evidence = "search hp rung 0 of 2 over 2 examples: mean prequential loss hp-s0 0.105361 (kept), "
                    + "hp-s1 0.356675 (kept), hp-s2 1.20397 (retired), hp-s3 2.30259 (retired)";
            assertThat(retired).allSatisfy(r -> {
                assertThat(r.getTask()).isEqualTo("t");
                assertThat(r.getStatus()).isEqualTo(VariantStatus.RETIRED);
                assertThat(r.getSpec()).isNull();
                assertThat(r.getSource()).isEqualTo("search");
                assertThat(r.getUpdatedAt()).isEqualTo(5000);
                assertThat(r.getReason()).isEqualTo(evidence);
            });
            Champion latest = h.extractOutputValues().get(h.extractOutputValues().size() - 1);
            assertThat(latest.getStandings()).filteredOn(s -> s.getStatus() == StandingStatus.RETIRED)
                    .extracting(VariantStanding::getVariant, VariantStanding::getRetiredReason)
                    .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("hp-s2", evidence),
                            org.assertj.core.groups.Tuple.tuple("hp-s3", evidence));
            assertThat(latest.getStandings()).filteredOn(s -> s.getStatus() != StandingStatus.RETIRED)
                    .extracting(VariantStanding::getRetiredReason).containsOnlyNulls();

            // The retirements come back through the control topic: nothing more is decided or written for them.
            h.processBroadcastElement(new SpecChange("t", "hp-s2", null), 0);
            h.processBroadcastElement(new SpecChange("t", "hp-s3", null), 0);
            predict(h, "e2");
            assertThat(decisions(h)).hasSize(2);
        }
    }

    /**
     * Spec decisions written at least once: a rung decided after the checkpoint a restored job resumes from is on the
     * control topic already. The restored run adopts it as its rung's decision (the trainers have retired those
     * variants) and decides the next rung itself; a retirement without the search's evidence still stops the search.
     */
    @Test
    void aRungDecidedAfterTheCheckpointARestoredJobResumesFromIsAdoptedAsItsDecision() throws Exception {
        OperatorSubtaskState midRung;
        List<VariantSpecRecord> leaked;
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            declareSearch(h);
            predict(h, "e0");
            midRung = h.snapshot(1, 1);
            predict(h, "e1");
            leaked = decisions(h);
        }
        assertThat(leaked).extracting(VariantSpecRecord::getVariant).containsExactly("hp-s2", "hp-s3");
        String rung0 = leaked.get(0).getReason();

        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.initializeState(midRung);
            h.open();
            for (VariantSpecRecord r : leaked) {
                SpecChange retired = new SpecChange("t", r.getVariant(), null);
                retired.evidence = r.getReason();
                h.processBroadcastElement(retired, 0);
            }
            for (int e = 1; e < 6; e++) {
                for (String v : List.of("hp-s0", "hp-s1")) {
                    h.processElement(prediction("t", "e" + e, v, P.get(v), 1), 0);
                }
            }

            assertThat(decisions(h)).as("rung 1, decided on e2..e5; rung 0 not again").singleElement()
                    .satisfies(r -> {
                        assertThat(r.getVariant()).isEqualTo("hp-s1");
                        assertThat(r.getReason()).startsWith("search hp rung 1 of 2 over 4 examples:");
                    });
            Champion latest = h.extractOutputValues().get(h.extractOutputValues().size() - 1);
            assertThat(latest.getSearches()).singleElement().satisfies(s -> {
                assertThat(s.getState()).isEqualTo(SearchState.FINISHED);
                assertThat(s.getDecisions()).hasSize(2).first().isEqualTo(rung0);
                assertThat(s.getLive()).containsExactly("hp-s0");
            });
        }

        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.initializeState(midRung);
            h.open();
            h.processBroadcastElement(new SpecChange("t", "hp-s2", null), 0);
            predict(h, "e1");
            Champion latest = h.extractOutputValues().get(h.extractOutputValues().size() - 1);
            assertThat(latest.getSearches()).singleElement().satisfies(s -> {
                assertThat(s.getState()).as("retired from outside").isEqualTo(SearchState.STOPPED);
                assertThat(s.getStoppedReason()).isEqualTo("variant hp-s2 was retired outside the search at rung 0");
            });
            assertThat(decisions(h)).isEmpty();
        }
    }

    @Test
    void aRandomSearchAndATaskWithoutASearchRetireNothing() throws Exception {
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            String random = SEARCH.replace("successive-halving", "random");
            h.processBroadcastElement(new SpecChange("t", "hp", random), 0);
            for (int i = 0; i < 8; i++) {
                predict(h, "e" + i);
                h.processElement(prediction("u", "e" + i, "other-s0", 0.9f, 1), 0);
                h.processElement(prediction("u", "e" + i, "other-s1", 0.1f, 1), 0);
            }
            assertThat(decisions(h)).isEmpty();
        }
    }

    static void declareSearch(KeyedBroadcastOperatorTestHarness<String, Prediction, SpecChange, Champion> h)
            throws Exception {
        h.processBroadcastElement(new SpecChange("t", "hp", SEARCH), 0);
        VariantSpec search = VariantSpec.parse(SEARCH, 16);
        search.variants().forEach(d -> {
            try {
                h.processBroadcastElement(new SpecChange("t", "hp-" + d.name(), d.spec().toJson()), 0);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static void predict(KeyedBroadcastOperatorTestHarness<String, Prediction, SpecChange, Champion> h, String id)
            throws Exception {
        for (String v : ORDER) {
            h.processElement(prediction("t", id, v, P.get(v), 1), 0);
        }
    }

    static List<VariantSpecRecord> decisions(KeyedBroadcastOperatorTestHarness<String, ?, ?, ?> h) {
        var out = h.getSideOutput(ChampionSelectionFunction.SPEC_DECISIONS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }
}
