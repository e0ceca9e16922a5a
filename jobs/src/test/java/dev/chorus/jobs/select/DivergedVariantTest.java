package dev.chorus.jobs.select;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.select.SearchRun;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.TrainerHarness;
import dev.chorus.jobs.train.VariantExample;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.SearchState;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;

/**
 * A variant whose model diverged, through the trainer and the selection as the train job connects them (the
 * trainer's main output, its labelled predictions, into the selection): its predictions are not finite, so the
 * predictions topic never gets them, but the selection does, and scores each as the worst loss. Were they withheld
 * from the selection too, its search's examples would never complete: the search would stay at rung 0 for good,
 * and the healthy variant's losses would wait there to be evicted unpaired.
 */
class DivergedVariantTest {

    static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":8,"
            + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.05},\"standardize\":false,\"seed\":3}";
    /** Two variants, a rung of 16 examples. */
    static final String SEARCH = SPEC.substring(0, SPEC.length() - 1) + ",\"search\":{\"method\":"
            + "\"successive-halving\",\"variants\":2,\"budgetExamples\":16,"
            + "\"space\":{\"optimizer.learningRate\":{\"logUniform\":[0.01,0.1]}}}}";
    static final String WARM = SPEC.substring(0, SPEC.length() - 1) + ",\"warmStart\":{\"from\":\"variant:default\"}}";
    static final LabeledDataset DATA = SyntheticBlobs.generate(200, 4, 3, 11);
    /** More examples than the selection's buffer of 100 ids ({@link ChampionSelectionFunctionTest#SETTINGS}). */
    static final int EXAMPLES = 160;

    /** Weights whose products with any of the examples' features overflow float32: every prediction is NaN. */
    static byte[] diverged() {
        OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(SPEC));
        Arrays.fill(learner.model().network().parameters().get(0).value().data(), Float.MAX_VALUE);
        return learner.toBytes();
    }

    /** The trainer's main output for search hp's variants s0 (healthy) and s1 (diverged) over the examples. */
    static List<Prediction> trained() throws Exception {
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.ofDefault(SPEC)).snapshotEveryBatches(100)
                .snapshotIntervalMs(0).batchTimeoutMs(0);
        try (var trainer = new TrainerHarness(settings)) {
            trainer.open();
            trainer.processBroadcastElement(new SpecChange("t", "hp-s0", SPEC), 0);
            trainer.processBroadcastElement(new SpecChange("t", "hp-s1", WARM, diverged()), 0);
            for (int i = 0; i < EXAMPLES; i++) {
                for (String v : List.of("hp-s0", "hp-s1")) {
                    trainer.processElement(new VariantExample(v, new Sourced<>(
                            ExampleProducer.example(DATA, i, "t", "x", 0), 0, i), null), i);
                }
            }
            return trainer.extractOutputValues();
        }
    }

    @Test
    void aVariantWhoseModelDivergedLosesItsRungAtOnceAndNothingWaitsUnpaired() throws Exception {
        List<Prediction> predicted = trained();
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new SelectionHarness(metrics.environment())) {
            h.open();
            h.setProcessingTime(0);
            h.processBroadcastElement(new SpecChange("t", "hp", SEARCH), 0);
            for (Prediction p : predicted) {
                if (p.getLabel() != null || p.getTarget() != null) { // as ChampionSelection keeps them
                    h.processElement(p, 0);
                }
            }
            h.setProcessingTime(1000);

            var backend = h.getOperator().getKeyedStateBackend();
            backend.setCurrentKey("t");
            SearchRun run = backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                    SearchRungs.RUNS).get("hp");
            assertThat(run.unpaired()).as("the search's examples evicted before both variants reported them")
                    .isZero();
            Champion latest = h.latest();
            assertThat(latest.getSearches()).singleElement().satisfies(s -> {
                assertThat(s.getState()).as("search hp, rung %d", s.getRung()).isEqualTo(SearchState.FINISHED);
                assertThat(s.getLive()).containsExactly("hp-s0");
            });
            List<VariantSpecRecord> decided = h.getSideOutput(ChampionSelectionFunction.SPEC_DECISIONS).stream()
                    .map(StreamRecord::getValue).toList();
            assertThat(decided).as("rung 0, decided on its 16 examples").singleElement().satisfies(d -> {
                assertThat(d.getVariant()).isEqualTo("hp-s1");
                assertThat(d.getReason()).startsWith("search hp rung 0 of 1 over 16 examples: mean prequential loss "
                        + "hp-s0 ").endsWith(", hp-s1 34.5388 (retired)");
            });
            assertThat(latest.getVariant()).isEqualTo("hp-s0");
            assertThat(latest.getStandings()).filteredOn(s -> s.getVariant().equals("hp-s1")).singleElement()
                    .satisfies(s -> {
                        assertThat(s.getStatus()).isEqualTo(StandingStatus.RETIRED);
                        assertThat(s.getLossMean()).isEqualTo(SelectionLosses.WORST_LOG_LOSS);
                        assertThat(s.getAccuracy()).as("no NaN prediction is correct").isZero();
                    });
            String unpaired = "flink_taskmanager_job_task_operator_selectionUnpaired";
            assertThat(metrics.find(unpaired, Map.of())).singleElement()
                    .satisfies(r -> assertThat(r.value()).as(unpaired).isZero());
        }
        assertThat(predicted).filteredOn(p -> p.getVariant().equals("hp-s1"))
                .as("the diverged variant's predictions, none of them finite").hasSize(EXAMPLES)
                .allSatisfy(p -> assertThat(ExampleTensors.nonFiniteReason(p)).isNotNull());
    }
}
