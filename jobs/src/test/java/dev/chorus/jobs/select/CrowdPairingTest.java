package dev.chorus.jobs.select;

import static dev.chorus.jobs.select.ChampionSelectionFunctionTest.prediction;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Crowd labels: each labelling of an item is its own example with the item's id and its annotator (README, Labels
 * from many annotators), so the selection pairs the variants' losses on the same labelling, the race and the
 * searches' rungs alike, whatever order the variants' minibatches arrive in.
 */
class CrowdPairingTest {

    private static final List<String> ANNOTATORS = List.of("a1", "a2", "a3");
    /** Items per minibatch: each variant predicts its minibatch of 10 items × 3 labellings at once. */
    private static final int BATCH_ITEMS = 10;

    @Test
    void threeAnnotatorsOfAnItemGiveThreePairsAndNoneUnpaired() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        int items = 200; // more than the harness's 100 pending ids, as a long stream has
        try (var h = new SelectionHarness(metrics.environment())) {
            h.open();
            // Both variants known before the crowd's items (b the champion, seen first), so a's losses wait for b's
            // from the first item on. b's loss on start completed it alone, and a's first pairs with it.
            h.processElement(prediction("t", "start", "b", 0.7f, 0), 0);
            h.processElement(prediction("t", "start", "a", 0.7f, 0), 0);
            for (int first = 0; first < items; first += BATCH_ITEMS) {
                minibatch(h, "t", "a", first);
                minibatch(h, "t", "b", first);
            }
            assertThat(h.race("t").pairs("a")).as("a against the champion b, one pair per labelling, and start")
                    .isEqualTo(3L * items + 1);
            assertThat(h.race("t").pending()).isZero();
            assertThat(metrics.find("flink_taskmanager_job_task_operator_selectionUnpaired", Map.of()))
                    .singleElement().satisfies(m -> assertThat(m.value()).isZero());
        }
    }

    @Test
    void aSearchsRungCountsEveryLabellingAsAnExample() throws Exception {
        String search = SearchRungsTest.BASE + ",\"search\":{\"method\":\"successive-halving\",\"variants\":2,"
                + "\"budgetExamples\":30,\"space\":{\"optimizer.learningRate\":{\"logUniform\":[0.001,1.0]}}}}";
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "hp", search), 0);
            for (var d : VariantSpec.parse(search, 16).variants()) {
                h.processBroadcastElement(new SpecChange("t", "hp-" + d.name(), d.spec().toJson()), 0);
            }
            minibatch(h::processElement, "t", "hp-s0", 0);
            minibatch(h::processElement, "t", "hp-s1", 0);

            List<VariantSpecRecord> retired = SearchRungsTest.decisions(h);
            assertThat(retired).as("the rung's 30 examples are the 10 items' 30 labellings").singleElement()
                    .satisfies(r -> assertThat(r.getReason()).startsWith("search hp rung 0 of 1 over 30 examples:"));
        }
    }

    interface Sink {
        void add(Prediction p, long timestamp) throws Exception;
    }

    private static void minibatch(SelectionHarness h, String task, String variant, int firstItem) throws Exception {
        minibatch(h::processElement, task, variant, firstItem);
    }

    /** {@code variant}'s predictions of items {@code firstItem} on, each labelled by every annotator, all alike. */
    private static void minibatch(Sink out, String task, String variant, int firstItem) throws Exception {
        for (int item = firstItem; item < firstItem + BATCH_ITEMS; item++) {
            for (String annotator : ANNOTATORS) {
                Prediction p = prediction(task, "item-" + item, variant, 0.7f, item);
                p.setAnnotator(annotator);
                out.add(p, 0);
            }
        }
    }
}
