package dev.chorus.jobs.select;

import static dev.chorus.jobs.select.ChampionSelectionFunctionTest.prediction;
import static dev.chorus.jobs.select.SearchRungsTest.ORDER;
import static dev.chorus.jobs.select.SearchRungsTest.P;
import static dev.chorus.jobs.select.SearchRungsTest.SEARCH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.VariantSpec;
import dev.chorus.embedded.CapturingAppender;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.SearchState;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

/**
 * Where each search stands, in every champion record of its task: rung k of n, finished, or stopped with the reason;
 * a stopped search is logged at WARN and counted {@code searchesAbandoned}, once.
 */
class SearchStandingsTest {
    private static final String ABANDONED = "flink_taskmanager_job_task_operator_searchesAbandoned";

    @Test
    void aRunningSearchStandsAtItsRungAndAFinishedOneSaysSo() throws Exception {
        try (var h = new SelectionHarness(new RegisteredMetrics().environment())) {
            h.open();
            declareSearch(h);
            predict(h, "e0", ORDER);
            assertThat(h.latest().getSearches()).containsExactly(standing(SearchState.RUNNING, 0,
                    List.of("hp-s0", "hp-s1", "hp-s2", "hp-s3"), null));

            predict(h, "e1", ORDER);
            assertThat(h.latest().getSearches()).usingRecursiveFieldByFieldElementComparatorIgnoringFields("decisions")
                    .containsExactly(standing(SearchState.RUNNING, 1, List.of("hp-s0", "hp-s1"), null));
            assertThat(h.latest().getSearches().get(0).getDecisions()).as("rung 0, with its evidence").singleElement()
                    .asString().startsWith("search hp rung 0 of 2 over 2 examples: mean prequential loss hp-s0 ")
                    .contains("(retired)");

            h.processBroadcastElement(new SpecChange("t", "hp-s2", null), 0);
            h.processBroadcastElement(new SpecChange("t", "hp-s3", null), 0);
            for (int i = 2; i < 6; i++) {
                predict(h, "e" + i, List.of("hp-s1", "hp-s0"));
            }
            assertThat(h.latest().getSearches()).usingRecursiveFieldByFieldElementComparatorIgnoringFields("decisions")
                    .containsExactly(standing(SearchState.FINISHED, 2, List.of("hp-s0"), null));
            assertThat(h.latest().getSearches().get(0).getDecisions()).hasSize(2).last().asString()
                    .startsWith("search hp rung 1 of 2 over ").contains("hp-s0", "(kept)", "hp-s1", "(retired)");
        }
    }

    @Test
    void aVariantRetiredOutsideTheSearchStopsItWithTheReasonInTheStandingsAndCountedOnce() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        CapturingAppender logs = CapturingAppender.attach();
        try (var h = new SelectionHarness(metrics.environment())) {
            h.open();
            declareSearch(h);
            predict(h, "e0", ORDER);

            h.processBroadcastElement(new SpecChange("t", "hp-s1", null), 0);

            assertThat(h.latest().getSearches()).containsExactly(standing(SearchState.STOPPED, 0,
                    List.of("hp-s0", "hp-s1", "hp-s2", "hp-s3"),
                    "variant hp-s1 was retired outside the search at rung 0"));
            assertThat(abandoned(metrics)).isEqualTo(1);

            h.processBroadcastElement(new SpecChange("t", "hp-s2", null), 0);
            predict(h, "e1", List.of("hp-s0", "hp-s3"));
            assertThat(abandoned(metrics)).as("one stopped search").isEqualTo(1);
            assertThat(h.latest().getSearches()).singleElement()
                    .satisfies(s -> assertThat(s.getState()).isEqualTo(SearchState.STOPPED));
            assertThat(warnings(logs)).singleElement().asString()
                    .contains("Search hp of task t stopped deciding at rung 0 of 2: variant hp-s1 was retired outside")
                    .contains("retire hp and put it again with --revive");
        } finally {
            logs.detach();
        }
    }

    /**
     * A rung an earlier attempt decided after the checkpoint this one restored, read back on the control topic: its
     * retirements are adopted (counted {@code searchRetirementsAdopted}, logged at INFO), the search stands at its
     * next rung with that decision, and nothing is abandoned.
     */
    @Test
    void aRungsRetirementsReadBackWithItsEvidenceAreAdoptedAndCounted() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        CapturingAppender logs = CapturingAppender.attach();
        String evidence = "search hp rung 0 of 2 over 2 examples: mean prequential loss hp-s0 0.1 (kept), hp-s1 0.3 "
                + "(kept), hp-s2 1.2 (retired), hp-s3 2.3 (retired)";
        try (var h = new SelectionHarness(metrics.environment())) {
            h.open();
            declareSearch(h);
            predict(h, "e0", ORDER);
            for (String v : List.of("hp-s2", "hp-s3")) {
                SpecChange retired = new SpecChange("t", v, null);
                retired.evidence = evidence;
                h.processBroadcastElement(retired, 0);
            }
            predict(h, "e1", List.of("hp-s1", "hp-s0"));

            assertThat(h.latest().getSearches()).usingRecursiveFieldByFieldElementComparatorIgnoringFields("decisions")
                    .containsExactly(standing(SearchState.RUNNING, 1, List.of("hp-s0", "hp-s1"), null));
            assertThat(h.latest().getSearches().get(0).getDecisions()).containsExactly(evidence);
            assertThat(metrics.find("flink_taskmanager_job_task_operator_searchRetirementsAdopted", Map.of()).get(0)
                    .value()).isEqualTo(2);
            assertThat(abandoned(metrics)).isZero();
            assertThat(warnings(logs)).isEmpty();
            assertThat(logs.at(Level.INFO)).filteredOn(l -> l.startsWith(SearchRungs.class.getName()))
                    .hasSize(2).allSatisfy(l -> assertThat(l).contains("Search hp of task t adopts the retirement of "));
        } finally {
            logs.detach();
        }
    }

    @Test
    void aRunResumedFromRetirementsNoRungMakesStopsWithTheReasonAndIsCountedOnce() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        CapturingAppender logs = CapturingAppender.attach();
        try (var h = new SelectionHarness(metrics.environment())) {
            h.open();
            declareSearch(h);
            // A job started again without its state: the control topic has a retirement no rung makes.
            h.processBroadcastElement(new SpecChange("t", "hp-s1", null), 0);

            for (int i = 0; i < 3; i++) {
                predict(h, "e" + i, List.of("hp-s2", "hp-s0", "hp-s3"));
            }

            assertThat(h.latest().getSearches()).containsExactly(standing(SearchState.STOPPED, 0,
                    List.of("hp-s0", "hp-s1", "hp-s2", "hp-s3"),
                    "variants [hp-s1] were retired before this run of the search, not as its rungs retire"));
            assertThat(abandoned(metrics)).isEqualTo(1);
            assertThat(warnings(logs)).singleElement().asString().contains("variants [hp-s1] were retired before");
        } finally {
            logs.detach();
        }
    }

    /**
     * A random search retires nobody, so its rungs write no control record; each rung's decision is published all
     * the same, with its evidence, in the search's standing.
     */
    @Test
    void aRandomSearchsRungsArePublishedWithTheirEvidenceThoughTheyRetireNobody() throws Exception {
        String random = SEARCH.replace("successive-halving", "random");
        try (var h = new SelectionHarness(new RegisteredMetrics().environment())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "hp", random), 0);
            for (var d : VariantSpec.parse(random, 16).variants()) {
                h.processBroadcastElement(new SpecChange("t", "hp-" + d.name(), d.spec().toJson()), 0);
            }
            for (int i = 0; i < 6; i++) {
                predict(h, "e" + i, ORDER);
            }

            SearchStanding standing = h.latest().getSearches().get(0);
            assertThat(standing.getState()).isEqualTo(SearchState.FINISHED);
            assertThat(standing.getLive()).containsExactly("hp-s0", "hp-s1", "hp-s2", "hp-s3");
            assertThat(standing.getDecisions()).hasSize(2);
            assertThat(standing.getDecisions().get(0)).isEqualTo("search hp rung 0 of 2 over 2 examples: mean "
                    + "prequential loss hp-s0 0.105361 (kept), hp-s1 0.356675 (kept), hp-s2 1.20397 (kept), hp-s3 "
                    + "2.30259 (kept)");
            assertThat(standing.getDecisions().get(1)).startsWith("search hp rung 1 of 2 over 4 examples: ");
            var out = h.getSideOutput(ChampionSelectionFunction.SPEC_DECISIONS);
            assertThat(out == null ? List.of() : List.copyOf(out)).as("no control record").isEmpty();
        }
    }

    /** The WARN lines of the selection's searches. */
    private static List<String> warnings(CapturingAppender logs) {
        return logs.at(Level.WARN).stream().filter(l -> l.startsWith(SearchRungs.class.getName())).toList();
    }

    private static SearchStanding standing(SearchState state, int rung, List<String> live, String reason) {
        return SearchStanding.newBuilder().setSearch("hp").setState(state).setRung(rung).setRungs(2).setLive(live)
                .setStoppedReason(reason).build();
    }

    private static double abandoned(RegisteredMetrics metrics) {
        return metrics.find(ABANDONED, Map.of()).get(0).value();
    }

    private static void declareSearch(SelectionHarness h) throws Exception {
        h.processBroadcastElement(new SpecChange("t", "hp", SEARCH), 0);
        for (var d : VariantSpec.parse(SEARCH, 16).variants()) {
            h.processBroadcastElement(new SpecChange("t", "hp-" + d.name(), d.spec().toJson()), 0);
        }
    }

    private static void predict(SelectionHarness h, String id, List<String> variants) throws Exception {
        for (String v : variants) {
            h.processElement(prediction("t", id, v, P.get(v), 1), 0);
        }
        // Past the standings interval: changed standings go out.
        h.setProcessingTime(h.getProcessingTime() + ChampionSelectionFunctionTest.SETTINGS.standingsIntervalMs());
    }
}
