package dev.chorus.jobs.select;

import static dev.chorus.jobs.select.ChampionSelectionFunctionTest.prediction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.output.Scored;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.LargeOutputPredictions;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantStanding;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The losses the selection operator scores predictions by ({@link SelectionLosses}): a prediction that is not finite
 * is the worst and never correct, for the race and the drift detector alike; a large-softmax prediction is scored from
 * its top k classes ({@link dev.chorus.core.metrics.ClassificationMetrics#exampleTopKLogLoss}), so its task gets
 * standings and champions.
 */
class SelectionLossesTest {
    private static final String PREFIX = "flink_taskmanager_job_task_operator_";
    static final int CLASSES = 1000;
    static final String LARGE = LargeOutputExamples.spec(CLASSES);
    /** default's top 5, none of them the label, most of the mass on the first: 0.1 left for the 995 others. */
    static final float[] MISSED = {0.5f, 0.2f, 0.1f, 0.05f, 0.05f};
    /** b's top 5, the label first at 0.8. */
    static final float[] FOUND = {0.8f, 0.05f, 0.05f, 0.05f, 0.04f};

    /** Variant {@code variant}'s large-softmax prediction of example {@code i} (label {@code i}) with top {@code top}. */
    static Prediction topK(String variant, int i, boolean labelFirst, float[] top) {
        List<Scored> scored = new ArrayList<>();
        for (int k = 0; k < top.length; k++) {
            scored.add(new Scored(labelFirst ? i + k : i + 1 + k, top[k]));
        }
        return LargeOutputPredictions.prediction("e" + i, "t", i, null, 0, variant, i, scored, 0);
    }

    @Test
    void largeSoftmaxVariantsAreScoredFromTheirTopClassesAndTheBetterIsPromoted() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        int n = 40;
        try (var h = new SelectionHarness(metrics.environment(), TaskSpecs.ofDefault(LARGE))) {
            h.open();
            h.setProcessingTime(0);
            h.processBroadcastElement(new SpecChange("t", "b", LARGE), 0);
            for (int i = 0; i < n; i++) {
                h.processElement(topK("default", i, false, MISSED), 0);
                h.processElement(topK("b", i, true, FOUND), 0);
            }
            h.setProcessingTime(1000);

            assertThat(gauge(metrics, "selectionUnscored")).isZero();
            List<Champion> out = h.extractOutputValues();
            assertThat(out).as("the change, at the first look, then its standings").hasSize(2)
                    .allSatisfy(c -> assertThat(c.getVariant()).isEqualTo("b")).first().satisfies(change -> {
                        assertThat(change.getPreviousVariant()).isEqualTo("default");
                        assertThat(change.getEvidence().getPairedExamples()).isEqualTo(20);
                    });
            double top = 0;
            for (float p : MISSED) {
                top += p;
            }
            double missed = Math.log(995 / (1 - top));
            assertThat(missed).as("0.1 over 995 classes").isCloseTo(9.2053, within(1e-4));
            assertThat(h.latest().getStandings()).extracting(VariantStanding::getVariant,
                    VariantStanding::getLabelledExamples, VariantStanding::getAccuracy).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("b", (long) n, 1.0),
                    org.assertj.core.groups.Tuple.tuple("default", (long) n, 0.0));
            assertThat(h.latest().getStandings()).extracting(VariantStanding::getLossMean).satisfiesExactly(
                    b -> assertThat(b).isCloseTo(-Math.log(0.8f), within(1e-12)),
                    d -> assertThat(d).isCloseTo(missed, within(1e-12)));
        }
    }

    @Test
    void aLargeSoftmaxPredictionOfALabelBeyondItsSpecOrOfAVariantOfNoKnownSpecIsUnscored() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new SelectionHarness(metrics.environment())) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(topK("c", 1, true, FOUND), 0);
            assertThat(gauge(metrics, "selectionUnscored")).as("c's spec not on the broadcast yet").isEqualTo(1);

            h.processBroadcastElement(new SpecChange("t", "c", LARGE), 0);
            h.processElement(topK("c", 2, true, FOUND), 0);
            h.processElement(topK("c", CLASSES, true, FOUND), 0);
            assertThat(gauge(metrics, "selectionUnscored")).as("label 1000 of 1000 classes").isEqualTo(2);
            Prediction diverged = topK("c", 3, true, FOUND);
            diverged.setTopProbabilities(Float32.pack(new float[] {Float.NaN, 0, 0, 0, 0}));
            h.processElement(diverged, 0);

            h.setProcessingTime(1000);
            assertThat(h.latest().getStandings()).singleElement().satisfies(s -> {
                assertThat(s.getLabelledExamples()).isEqualTo(2);
                assertThat(s.getLossMean()).as("the found one and the worst")
                        .isCloseTo((-Math.log(0.8f) + SelectionLosses.WORST_LOG_LOSS) / 2, within(1e-12));
                assertThat(s.getAccuracy()).as("the diverged one is not correct").isEqualTo(0.5);
            });
        }
    }

    /**
     * A prediction that is not finite (a diverged model's) scores the worst loss, whatever its numbers say (an
     * infinite probability of the true class would clip to a perfect one), and is not correct, though a NaN row's arg
     * max is class 0, here the label; a regressor's is {@link SelectionLosses#WORST_SQUARED_ERROR}, which also bounds
     * a finite error.
     */
    @Test
    void aPredictionThatIsNotFiniteScoresTheWorstAndIsNeverCorrect() throws Exception {
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.setProcessingTime(0);
            Prediction nan = prediction("t", "x", "default", Float.NaN, 1);
            nan.setPredictedClass(0);
            h.processElement(nan, 0);
            Prediction infinite = prediction("t", "y", "default", 0.5f, 2);
            infinite.setProbabilities(Float32.pack(new float[] {Float.POSITIVE_INFINITY, 0f}));
            h.processElement(infinite, 0);
            for (double value : new double[] {Double.NaN, Double.NEGATIVE_INFINITY, 1e300, 3}) {
                h.processElement(regression("r", "z" + value, value, 1), 0);
            }
            h.setProcessingTime(1000);

            List<Champion> out = h.extractOutputValues();
            assertThat(out).hasSize(2);
            VariantStanding classifier = out.get(0).getStandings().get(0);
            assertThat(classifier.getLabelledExamples()).isEqualTo(2);
            assertThat(classifier.getLossMean()).isEqualTo(SelectionLosses.WORST_LOG_LOSS)
                    .isCloseTo(34.5388, within(1e-4));
            assertThat(classifier.getAccuracy()).isZero();
            VariantStanding regressor = out.get(1).getStandings().get(0);
            assertThat(regressor.getLabelledExamples()).isEqualTo(4);
            assertThat(regressor.getLossMean()).as("NaN, -inf and 1e300 at the bound, 2² once")
                    .isCloseTo((3 * SelectionLosses.WORST_SQUARED_ERROR + 4) / 4, within(1e62));
            assertThat(SelectionLosses.WORST_SQUARED_ERROR).isCloseTo(1.1579e77, within(1e73));
        }
    }

    /** The drift detector is fed the same: a variant right until its model diverges drifts then. */
    @Test
    void aVariantRightUntilItsModelDivergesDrifts() throws Exception {
        String watched = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":2,"
                + "\"drift\":{\"detector\":\"page-hinkley\",\"reaction\":\"none\"}}";
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "default", watched), 0);
            for (int i = 0; i < 2000; i++) {
                h.setProcessingTime(i);
                Prediction p = prediction("t", "e" + i, "default", i < 1000 ? 0.9f : Float.NaN, i);
                p.setPredictedClass(0); // a NaN row's arg max, as the trainer takes it: here the label
                h.processElement(p, 0);
            }
            h.setProcessingTime(10_000);
            VariantStanding standing = h.extractOutputValues().get(h.extractOutputValues().size() - 1)
                    .getStandings().get(0);
            assertThat(standing.getLastDriftAt()).as("drift detected after the divergence at 1000").isNotNull()
                    .isGreaterThanOrEqualTo(1000);
        }
    }

    /** Variant {@code variant}'s regression prediction {@code value} of example {@code id}, whose target is 1. */
    static Prediction regression(String task, String id, double value, long version) {
        return Prediction.newBuilder().setId(id).setTask(task).setVariant("default").setModelVersion(version)
                .setPredictedValue(value).setProbabilities(Float32.pack(new float[0])).setTarget(1.0)
                .setEventTime(0L).setProducedAt(0L).build();
    }

    private static double gauge(RegisteredMetrics metrics, String name) {
        return metrics.find(PREFIX + name, Map.of()).stream().findFirst()
                .orElseThrow(() -> new AssertionError(PREFIX + name + " not registered")).value();
    }
}
