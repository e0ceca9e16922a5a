package dev.chorus.jobs.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.select.PairedComparison;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.StandingStatus;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The selection operator: exact pairing, a change record with its evidence, standings, dead letters, restore. */
class ChampionSelectionFunctionTest {

    static final SelectionSettings SETTINGS =
            new SelectionSettings(new PairedComparison.Settings(20, 0.01, 0.005, 100), 100, 1000);

    static KeyedOneInputStreamOperatorTestHarness<String, Prediction, Champion> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new ChampionSelectionFunction(SETTINGS)),
                Prediction::getTask, Types.STRING);
    }

    /** Variant {@code variant}'s prediction of example {@code id} (true class 0) giving the true class {@code p}. */
    static Prediction prediction(String task, String id, String variant, float p, long version) {
        return Prediction.newBuilder().setId(id).setTask(task).setVariant(variant).setModelVersion(version)
                .setPredictedClass(p >= 0.5f ? 0 : 1).setProbabilities(Float32.pack(new float[] {p, 1 - p}))
                .setLabel(0).setEventTime(0L).setProducedAt(0L).build();
    }

    /** Pairs {@code from} until {@code to}: default gives the true class 0.4, b 0.8; b is better by ln 2 each time. */
    static void pairs(KeyedOneInputStreamOperatorTestHarness<String, Prediction, Champion> h, int from, int to)
            throws Exception {
        for (int i = from; i < to; i++) {
            h.processElement(prediction("t", "e" + i, "default", 0.4f, i), 0);
            h.processElement(prediction("t", "e" + i, "b", 0.8f, 100 + i), 0);
        }
    }

    @Test
    void pairsExactlyAndPublishesTheChangeWithItsEvidence() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            // An id only b predicts: never paired, so never counted in the test.
            h.processElement(prediction("t", "lonely", "b", 0.99f, 1), 0);
            pairs(h, 0, 10);
            h.setProcessingTime(1000);
            List<Champion> out = h.extractOutputValues();
            assertThat(out).as("the first standings name the first champion").hasSize(1);
            Champion first = out.get(0);
            assertThat(first.getVariant()).isEqualTo("default");
            assertThat(first.getSince()).isEqualTo(1000);
            assertThat(first.getEvidence()).isNull();
            assertThat(first.getStandings()).extracting(VariantStanding::getVariant, VariantStanding::getStatus,
                    VariantStanding::getLabelledExamples)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("default", StandingStatus.CHAMPION, 10L),
                            org.assertj.core.groups.Tuple.tuple("b", StandingStatus.CHALLENGER, 11L));

            pairs(h, 10, 20);
            out = h.extractOutputValues();
            assertThat(out).as("the change goes out at the 20th pair, the first look").hasSize(2);
            Champion change = out.get(1);
            assertThat(change.getVariant()).isEqualTo("b");
            assertThat(change.getPreviousVariant()).isEqualTo("default");
            assertThat(change.getModelVersion()).isEqualTo(119);
            assertThat(change.getEvidence().getPairedExamples()).isEqualTo(20);
            assertThat(change.getEvidence().getMeanDifference())
                    .isCloseTo(Math.log(0.8f) - Math.log(0.4f), within(1e-12));
            assertThat(change.getEvidence().getLowerBound()).isEqualTo(change.getEvidence().getMeanDifference());
            assertThat(change.getEvidence().getAlpha()).isEqualTo(0.005);
            assertThat(change.getEvidence().getMargin()).isEqualTo(0.005);
            VariantStanding b = change.getStandings().get(0);
            assertThat(b.getVariant()).isEqualTo("b");
            assertThat(b.getStatus()).isEqualTo(StandingStatus.CHAMPION);
            assertThat(b.getAccuracy()).isEqualTo(1.0);
            assertThat(b.getAccuracyLow()).isCloseTo(21 / (21 + 1.959964 * 1.959964), within(1e-6)); // Wilson 95% of 21 of 21
            assertThat(change.getStandings().get(1).getAccuracy()).isEqualTo(0.0);
        }
    }

    @Test
    void aRestoredOperatorPairsAcrossTheCheckpointAndDecidesAsAnUninterruptedOne() throws Exception {
        List<Champion> uninterrupted;
        try (var h = harness()) {
            h.open();
            h.processElement(prediction("t", "lonely", "b", 0.99f, 1), 0);
            pairs(h, 0, 15);
            h.processElement(prediction("t", "e15", "default", 0.4f, 15), 0);
            h.processElement(prediction("t", "e15", "b", 0.8f, 115), 0);
            pairs(h, 16, 20);
            uninterrupted = h.extractOutputValues();
        }
        OperatorSubtaskState checkpoint;
        try (var h = harness()) {
            h.open();
            h.processElement(prediction("t", "lonely", "b", 0.99f, 1), 0);
            pairs(h, 0, 15);
            h.processElement(prediction("t", "e15", "default", 0.4f, 15), 0);
            checkpoint = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(checkpoint);
            h.open();
            h.processElement(prediction("t", "e15", "b", 0.8f, 115), 0);
            pairs(h, 16, 20);
            List<Champion> restored = h.extractOutputValues();
            assertThat(restored).hasSize(1);
            assertThat(uninterrupted).hasSize(1);
            assertThat(restored.get(0).getEvidence()).isEqualTo(uninterrupted.get(0).getEvidence());
            assertThat(restored.get(0).getStandings()).isEqualTo(uninterrupted.get(0).getStandings());
        }
    }

    @Test
    void aSingleVariantPublishesStandingsOnlyAtMostOncePerInterval() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 0; i < 500; i++) {
                h.processElement(prediction("solo", "e" + i, "default", 0.7f, i), 0);
                if (i % 100 == 99) {
                    h.setProcessingTime((i + 1) * 5);
                }
            }
            h.setProcessingTime(5000);
            h.setProcessingTime(10_000);
            List<Champion> out = h.extractOutputValues();
            assertThat(out).as("standings at 1000, 2000 and 3000's timer (fired at 5000), none once nothing changed")
                    .extracting(c -> c.getStandings().get(0).getLabelledExamples()).containsExactly(200L, 400L, 500L);
            assertThat(out).allSatisfy(c -> {
                assertThat(c.getVariant()).isEqualTo("default");
                assertThat(c.getPreviousVariant()).isNull();
            });
        }
    }

    @Test
    void aDivergedVariantScoresTheClippedWorstAndAnUnscorablePredictionIsLeftOut() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            Prediction beyond = prediction("t", "x", "default", 0.5f, 1);
            beyond.setLabel(5);
            h.processElement(beyond, 0);
            h.processElement(prediction("t", "y", "default", Float.NaN, 2), 0);
            h.setProcessingTime(1000);
            List<Champion> out = h.extractOutputValues();
            assertThat(out).hasSize(1);
            VariantStanding standing = out.get(0).getStandings().get(0);
            assertThat(standing.getLabelledExamples()).as("the label beyond the probabilities is not scored").isEqualTo(1);
            assertThat(standing.getLossMean()).isEqualTo(-Math.log(1e-15));
        }
    }
}
