package dev.chorus.jobs.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.select.ChampionRace;
import dev.chorus.core.select.PairedComparison;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.ModelGenerations;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.StandingStatus;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/** The selection operator: exact pairing, a change record with its evidence, standings, dead letters, restore. */
class ChampionSelectionFunctionTest {

    static final SelectionSettings SETTINGS =
            new SelectionSettings(new PairedComparison.Settings(20, 0.01, 0.005, 100), 100, 1000);

    static KeyedBroadcastOperatorTestHarness<String, Prediction, SpecChange, Champion> harness() throws Exception {
        return new KeyedBroadcastOperatorTestHarness<>(
                new CoBroadcastWithKeyedOperator<>(new ChampionSelectionFunction(SETTINGS),
                        List.of(VariantSpecs.DESCRIPTOR, ModelGenerations.DESCRIPTOR)),
                Prediction::getTask, Types.STRING, 1, 1, 0);
    }

    /** Variant {@code variant}'s prediction of example {@code id} (true class 0) giving the true class {@code p}. */
    static Prediction prediction(String task, String id, String variant, float p, long version) {
        return Prediction.newBuilder().setId(id).setTask(task).setVariant(variant).setModelVersion(version)
                .setPredictedClass(p >= 0.5f ? 0 : 1).setProbabilities(Float32.pack(new float[] {p, 1 - p}))
                .setLabel(0).setEventTime(0L).setProducedAt(0L).build();
    }

    /** Where a test's predictions go: one harness or another. */
    interface Input {
        void add(Prediction p) throws Exception;
    }

    /** Pairs {@code from} until {@code to}: default gives the true class 0.4, b 0.8; b is better by ln 2 each time. */
    static void pairs(Input in, int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            in.add(prediction("t", "e" + i, "default", 0.4f, i));
            in.add(prediction("t", "e" + i, "b", 0.8f, 100 + i));
        }
    }

    static void pairs(KeyedBroadcastOperatorTestHarness<String, Prediction, SpecChange, Champion> h, int from, int to)
            throws Exception {
        pairs(p -> h.processElement(p, 0), from, to);
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
    void theEndOfABoundedInputPublishesTheStandingsTheIntervalHasNotYet() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            pairs(h, 0, 5);
            h.setProcessingTime(1000);
            pairs(h, 5, 8);
            // A bounded run ends here: Flink drops pending processing-time timers and sends the last watermark.
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            h.processBroadcastWatermark(new Watermark(Long.MAX_VALUE));
            List<Champion> out = h.extractOutputValues();
            assertThat(out).as("the standings at 1000, then those of every prediction at the end of the input")
                    .extracting(c -> c.getStandings().get(0).getLabelledExamples()).containsExactly(5L, 8L);
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

    @Test
    void retiringTheChampionOnTheControlTopicPublishesItsSuccessorAndIgnoresItsLaterPredictions() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            pairs(h, 0, 10);
            h.processElement(prediction("other", "o1", "default", 0.9f, 1), 0);
            h.setProcessingTime(1000);
            assertThat(h.extractOutputValues()).as("first standings of t and of other").hasSize(2);

            h.processBroadcastElement(new SpecChange("t", "default", null), 0);
            List<Champion> out = h.extractOutputValues();
            assertThat(out).as("the retirement of t's champion is published at once, other's untouched").hasSize(3);
            Champion change = out.get(2);
            assertThat(change.getTask()).isEqualTo("t");
            assertThat(change.getVariant()).isEqualTo("b");
            assertThat(change.getPreviousVariant()).isEqualTo("default");
            assertThat(change.getEvidence()).as("a retirement is no comparison's win").isNull();
            assertThat(change.getStandings()).extracting(VariantStanding::getVariant, VariantStanding::getStatus)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("b", StandingStatus.CHAMPION),
                            org.assertj.core.groups.Tuple.tuple("default", StandingStatus.RETIRED));

            pairs(h, 10, 40);
            h.setProcessingTime(2000);
            out = h.extractOutputValues();
            assertThat(out.get(out.size() - 1).getVariant()).as("the retired default never wins back").isEqualTo("b");
            assertThat(out.get(out.size() - 1).getStandings().get(1).getLabelledExamples())
                    .as("default's later predictions are ignored").isEqualTo(10);
        }
    }

    @Test
    void retiringAChallengerPublishesTheStandingsAtOnceUnderTheSameChampion() throws Exception {
        try (var h = harness()) {
            retireChallengerB(h);
            List<Champion> out = h.extractOutputValues();
            assertThat(out).hasSize(2);
            Champion standings = out.get(1);
            assertThat(standings.getVariant()).isEqualTo("default");
            assertThat(standings.getSince()).as("no change of champion").isEqualTo(1000);
            assertThat(standings.getUpdatedAt()).isEqualTo(1500);
            assertThat(standings.getStandings()).extracting(VariantStanding::getVariant, VariantStanding::getStatus)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("default", StandingStatus.CHAMPION),
                            org.assertj.core.groups.Tuple.tuple("b", StandingStatus.RETIRED));
        }
    }

    @Test
    void aRetirementReadAgainPublishesNothingNew() throws Exception {
        // A search's retirement is applied in the race when the rung decides, and comes back from the control topic
        // as a RETIRED record: the second must not republish the same standings.
        try (var h = harness()) {
            retireChallengerB(h);
            h.setProcessingTime(2000);
            h.processBroadcastElement(new SpecChange("t", "b", null), 0);
            assertThat(h.extractOutputValues()).as("the standings, then b's retirement, once").hasSize(2);
        }
    }

    /** Ten pairs of default and b, standings published at 1000, then b retired on the control topic at 1500. */
    private static void retireChallengerB(KeyedBroadcastOperatorTestHarness<String, Prediction, SpecChange, Champion> h)
            throws Exception {
        h.open();
        h.setProcessingTime(0);
        pairs(h, 0, 10);
        h.setProcessingTime(1000);
        h.setProcessingTime(1500);
        h.processBroadcastElement(new SpecChange("t", "b", null), 0);
    }

    @Test
    void aVariantRetiredBeforeItsFirstPredictionNeverJoinsTheRace() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            h.processBroadcastElement(new SpecChange("t", "b", null), 0);
            pairs(h, 0, 30);
            h.setProcessingTime(1000);
            List<Champion> out = h.extractOutputValues();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).getStandings()).extracting(VariantStanding::getVariant).containsExactly("default");
        }
    }

    @Test
    void aHundredForksRetiredOnTheControlTopicLeaveTheRecordBoundedAndAForgottenOnesLatePredictionsOut()
            throws Exception {
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            int id = 0;
            for (int n = 1; n <= 100; n++) {
                for (int i = 0; i < 3; i++, id++) {
                    h.processElement(prediction("t", "e" + id, "default", 0.8f, id), 0);
                    h.processElement(prediction("t", "e" + id, "default-f" + n, 0.4f, i), 0);
                }
                h.setProcessingTime(1000L * n);
                h.processBroadcastElement(new SpecChange("t", "default-f" + n, null), 0);
            }
            List<Champion> out = h.extractOutputValues();
            Champion last = out.get(out.size() - 1);
            assertThat(last.getVariant()).isEqualTo("default");
            assertThat(last.getStandings()).as("the champion and the 16 retired last")
                    .hasSize(1 + ChampionRace.MAX_RETIRED)
                    .extracting(VariantStanding::getVariant).contains("default-f100", "default-f85")
                    .doesNotContain("default-f1", "default-f84");

            // default-f1's predictions still on their way: the control topic says it is retired, so it does not
            // come back into the race, though the race has forgotten it.
            h.processElement(prediction("t", "late", "default", 0.8f, id), 0);
            h.processElement(prediction("t", "late", "default-f1", 0.99f, 3), 0);
            h.setProcessingTime(1_000_000);
            out = h.extractOutputValues();
            assertThat(out.get(out.size() - 1).getStandings()).extracting(VariantStanding::getVariant)
                    .as("default-f1 not back as a challenger").doesNotContain("default-f1")
                    .hasSize(1 + ChampionRace.MAX_RETIRED);
        }
    }

    /** The keyed state of the operator before it took the control topic's broadcast: the race, nothing else. */
    static final class KeyedOnlySelection extends KeyedProcessFunction<String, Prediction, Champion> {
        private transient ValueState<ChampionRace> race;

        @Override
        public void open(OpenContext openContext) {
            race = getRuntimeContext().getState(ChampionSelectionFunction.RACE);
        }

        @Override
        public void processElement(Prediction p, Context ctx, Collector<Champion> out) throws Exception {
            ChampionRace r = race.value() == null ? new ChampionRace(SETTINGS.test(), SETTINGS.maxPending()) : race.value();
            r.record(p.getId(), p.getVariant(), p.getLabel() == 0 ? -Math.log(Float32.unpack(p.getProbabilities())[0])
                    : 0, true, p.getModelVersion());
            race.update(r);
        }
    }

    @Test
    void aSnapshotOfTheKeyedOnlyOperatorRestoresItsRaceIntoTheBroadcastOne() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var old = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new KeyedOnlySelection()),
                Prediction::getTask, Types.STRING, 1, 1, 0)) {
            old.open();
            pairs(p -> old.processElement(p, 0), 0, 15);
            checkpoint = old.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(checkpoint);
            h.open();
            pairs(h, 15, 21);
            List<Champion> out = h.extractOutputValues();
            // b's first example pairs too (default's loss on it, complete before b was known, is kept for it), so
            // the 20th pair is example 19, and 15 of the 20 were paired before the restore.
            assertThat(out).as("b wins at the first look, across the restore").hasSize(1);
            assertThat(out.get(0).getEvidence().getPairedExamples()).isEqualTo(20);
        }
    }

    @Test
    void aPlantedJumpInOneVariantsLossSetsItsLastDriftAtOnceAndNothingForTheOther() throws Exception {
        String watched = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":2,"
                + "\"drift\":{\"detector\":\"page-hinkley\"}}";
        try (var h = harness()) {
            h.open();
            h.setProcessingTime(0);
            h.processBroadcastElement(new SpecChange("t", "default", watched), 0);
            h.processBroadcastElement(new SpecChange("t", "b", watched), 0);
            java.util.SplittableRandom random = new java.util.SplittableRandom(7);
            for (int i = 0; i < 4000; i++) {
                h.setProcessingTime(100_000 + i);
                boolean defaultRight = random.nextDouble() < 0.8;
                boolean bRight = random.nextDouble() < (i < 3000 ? 0.8 : 0.2);
                h.processElement(prediction("t", "e" + i, "default", defaultRight ? 0.7f : 0.3f, i), 0);
                h.processElement(prediction("t", "e" + i, "b", bRight ? 0.7f : 0.3f, i), 0);
            }
            List<Champion> drifted = h.extractOutputValues().stream().filter(c -> c.getStandings().stream()
                    .anyMatch(st -> st.getLastDriftAt() != null)).toList();
            assertThat(drifted).as("published at once on detection, not with the next timer").isNotEmpty();
            Champion first = drifted.get(0);
            assertThat(first.getUpdatedAt()).as("after the jump at 3000").isBetween(103_000L, 103_400L);
            assertThat(first.getStandings()).filteredOn(st -> st.getVariant().equals("b")).singleElement()
                    .satisfies(st -> assertThat(st.getLastDriftAt()).isEqualTo(first.getUpdatedAt()));
            assertThat(h.extractOutputValues()).flatExtracting(Champion::getStandings)
                    .filteredOn(st -> st.getVariant().equals("default"))
                    .as("default's loss never changed").allSatisfy(st -> assertThat(st.getLastDriftAt()).isNull());
        }
    }
}
