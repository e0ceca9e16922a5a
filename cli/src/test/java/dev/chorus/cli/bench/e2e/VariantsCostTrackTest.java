package dev.chorus.cli.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cost-of-variants ratio is a quotient of two slopes, and a slope the noise made non-positive measures nothing. */
class VariantsCostTrackTest {

    @Test
    void theRatioIsTheExtraSlopeOverTheLoneSlope() {
        Map<String, Object> figures = VariantsCostTrack.ratio(30e-6, 100e-6, 200e-6);

        assertThat((double) figures.get("extra_variant_cpu_ratio")).isCloseTo(0.3, within(1e-12));
        assertThat((double) figures.get("extra_variant_cpu_ratio_to_lone_average")).isCloseTo(0.15, within(1e-12));
        assertThat(figures.get("target_extra_variant_at_most_1_2x_met")).isEqualTo(true);
        assertThat(figures).doesNotContainKey("extra_variant_cpu_ratio_unmeasured");
        assertThat((boolean) VariantsCostTrack.ratio(150e-6, 100e-6, 200e-6)
                .get("target_extra_variant_at_most_1_2x_met")).isFalse();
    }

    @Test
    void aNegativeLoneSlopeLeavesTheRatioAndTheVerdictUnmeasuredInsteadOfMet() {
        Map<String, Object> figures = VariantsCostTrack.ratio(30e-6, -6.78e-6, 200e-6);

        assertThat(figures.get("extra_variant_cpu_ratio")).isNull();
        assertThat(figures.get("target_extra_variant_at_most_1_2x_met")).isNull();
        assertThat((double) figures.get("lone_variant_cpu_us_per_example")).isCloseTo(-6.78, within(1e-9));
        assertThat((String) figures.get("extra_variant_cpu_ratio_unmeasured"))
                .contains("lone variant's slope is -6.78");
    }

    @Test
    void aNegativeExtraSlopeIsUnmeasuredToo() {
        Map<String, Object> figures = VariantsCostTrack.ratio(-2e-6, 100e-6, 200e-6);

        assertThat(figures.get("extra_variant_cpu_ratio")).isNull();
        assertThat(figures.get("extra_variant_cpu_ratio_to_lone_average")).isNull();
        assertThat((String) figures.get("extra_variant_cpu_ratio_unmeasured"))
                .contains("extra variant's slope is -2.00");
    }
}
