package dev.chorus.jobs.select;

import static dev.chorus.jobs.select.ChampionSelectionFunctionTest.prediction;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantStanding;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The selection operator's metrics as Flink's Prometheus reporter names them (docs/OPERATIONS.md, Metrics): per task
 * and variant the standing's {@code prequentialLoss}, {@code labelledExamples} and {@code driftEvents}, which follow
 * the champion record's standings; {@code championChanges} and {@code selectionIgnored} on the operator. Variant
 * {@code default} is watched by ADWIN, the job's other detector, through the operator as the job runs it.
 */
class SelectionMetricsTest {
    private static final String PREFIX = "flink_taskmanager_job_task_operator_";
    private static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":2,\"seed\":5";
    private static final String WATCHED = SPEC + ",\"drift\":{\"detector\":\"adwin\",\"reaction\":\"none\"}}";

    @Test
    void perVariantGaugesFollowTheStandingsAndTheOperatorCountsChangesAndIgnoredPredictions() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new SelectionHarness(metrics.environment())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "default", WATCHED), 0);
            h.processBroadcastElement(new SpecChange("t", "b", SPEC + "}"), 0);
            // default right 80% of the time, then, from example 3,000, 20%; b right 90% throughout.
            SplittableRandom random = new SplittableRandom(3);
            for (int i = 0; i < 4000; i++) {
                h.setProcessingTime(100_000 + i);
                double right = i < 3000 ? 0.8 : 0.2;
                h.processElement(prediction("t", "e" + i, "default", random.nextDouble() < right ? 0.7f : 0.3f, i), 0);
                h.processElement(prediction("t", "e" + i, "b", random.nextDouble() < 0.9 ? 0.7f : 0.3f, i), 0);
            }
            h.setProcessingTime(200_000);

            Champion latest = h.latest();
            assertThat(latest.getVariant()).as("b beat default").isEqualTo("b");
            for (VariantStanding s : latest.getStandings()) {
                Map<String, String> labels = Map.of("task", "t", "variant", s.getVariant());
                assertThat(gauge(metrics, "task_variant_labelledExamples", labels)).as(s.getVariant())
                        .isEqualTo(s.getLabelledExamples());
                assertThat(gauge(metrics, "task_variant_prequentialLoss", labels)).as(s.getVariant())
                        .isCloseTo(s.getLossMean(), org.assertj.core.data.Offset.offset(1e-9));
            }
            assertThat(latest.getStandings()).filteredOn(s -> s.getVariant().equals("default")).singleElement()
                    .satisfies(s -> assertThat(s.getLastDriftAt()).as("ADWIN saw default's jump").isNotNull());
            assertThat(gauge(metrics, "task_variant_driftEvents", Map.of("task", "t", "variant", "default")))
                    .isGreaterThanOrEqualTo(1);
            assertThat(gauge(metrics, "task_variant_driftEvents", Map.of("task", "t", "variant", "b")))
                    .as("b is watched by no detector").isZero();
            assertThat(gauge(metrics, "championChanges", Map.of())).isEqualTo(1);

            h.processBroadcastElement(new SpecChange("t", "b", null), 0);
            h.processElement(prediction("t", "late", "b", 0.7f, 4000), 0);
            assertThat(h.latest().getVariant()).as("b retired: default succeeds").isEqualTo("default");
            assertThat(gauge(metrics, "championChanges", Map.of())).isEqualTo(2);
            assertThat(gauge(metrics, "selectionIgnored", Map.of())).as("b's prediction after its retirement")
                    .isEqualTo(1);
        }
    }

    /**
     * The retirement of a task's last live variant goes out (the record names it, RETIRED: serving goes on with it),
     * and the variant that comes next is a change from it: champion since it came, after the retired one, no
     * evidence, counted in {@code championChanges}; the standings after it keep that.
     */
    @Test
    void theLastLiveVariantsRetirementIsPublishedAndTheNextVariantIsAChangeFromIt() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new SelectionHarness(metrics.environment())) {
            h.open();
            h.setProcessingTime(0);
            for (int i = 0; i < 10; i++) {
                h.processElement(prediction("t", "e" + i, "a", 0.6f, i), 0);
            }
            h.setProcessingTime(1000);
            assertThat(h.latest().getVariant()).isEqualTo("a");

            h.setProcessingTime(2000);
            h.processBroadcastElement(new SpecChange("t", "a", null), 0);
            Champion retired = h.latest();
            assertThat(retired.getUpdatedAt()).as("published at the retirement").isEqualTo(2000);
            assertThat(retired.getVariant()).as("still what serving answers with").isEqualTo("a");
            assertThat(retired.getStandings()).extracting(VariantStanding::getVariant, VariantStanding::getStatus)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("a", StandingStatus.RETIRED));

            h.setProcessingTime(3000);
            h.processElement(prediction("t", "e10", "b", 0.6f, 0), 0);
            Champion b = h.latest();
            assertThat(b.getVariant()).isEqualTo("b");
            assertThat(b.getSince()).as("champion since it came").isEqualTo(3000);
            assertThat(b.getPreviousVariant()).isEqualTo("a");
            assertThat(b.getEvidence()).isNull();
            assertThat(gauge(metrics, "championChanges", Map.of())).isEqualTo(1);

            h.processElement(prediction("t", "e11", "b", 0.6f, 1), 0);
            h.setProcessingTime(20_000);
            assertThat(h.latest().getStandings().get(0).getLabelledExamples()).isEqualTo(2);
            assertThat(h.latest()).extracting(Champion::getSince, Champion::getPreviousVariant)
                    .containsExactly(3000L, "a");
        }
    }

    /**
     * Flink cannot unregister a gauge, so a task registers standing gauges for at most
     * {@link ChampionSelectionFunction#MAX_GAUGED_VARIANTS_PER_TASK} live variants; a variant the race forgot
     * ({@link dev.chorus.core.select.ChampionRace#MAX_RETIRED}) reports a NaN loss and its last count.
     */
    @Test
    void standingGaugesAreBoundedPerTaskAndAForgottenVariantsLossIsNaN() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        int variants = ChampionSelectionFunction.MAX_GAUGED_VARIANTS_PER_TASK + 6;
        try (var h = new SelectionHarness(metrics.environment())) {
            h.open();
            for (int v = 0; v < variants; v++) {
                h.processElement(prediction("t", "e0", "v" + v, 0.6f, 1), 0);
            }
            h.setProcessingTime(100_000);
            assertThat(h.latest().getStandings()).hasSize(variants);
            assertThat(metrics.find(PREFIX + "task_variant_labelledExamples", Map.of("task", "t")))
                    .as("gauged variants").hasSize(ChampionSelectionFunction.MAX_GAUGED_VARIANTS_PER_TASK);
            Map<String, String> first = Map.of("task", "t", "variant", "v1");
            assertThat(gauge(metrics, "task_variant_labelledExamples", first)).isEqualTo(1);

            for (int v = 1; v <= dev.chorus.core.select.ChampionRace.MAX_RETIRED + 1; v++) {
                h.processBroadcastElement(new SpecChange("t", "v" + v, null), 0);
            }
            h.setProcessingTime(200_000);
            assertThat(h.latest().getStandings()).extracting(VariantStanding::getVariant).doesNotContain("v1");
            assertThat(gauge(metrics, "task_variant_prequentialLoss", first)).as("v1 forgotten").isNaN();
            assertThat(gauge(metrics, "task_variant_labelledExamples", first)).isEqualTo(1);
        }
    }

    private static double gauge(RegisteredMetrics metrics, String name, Map<String, String> labels) {
        return metrics.find(PREFIX + name, labels).stream().filter(r -> r.name().equals(PREFIX + name))
                .findFirst().orElseThrow(() -> new AssertionError(PREFIX + name + " " + labels + " not registered"))
                .value();
    }
}
