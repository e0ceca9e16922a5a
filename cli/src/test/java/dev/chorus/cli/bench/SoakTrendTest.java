package dev.chorus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The soak's trend estimators: least squares, and the median of pairwise slopes that one outlier cannot move. */
class SoakTrendTest {

    private static List<Map<String, Object>> samples(double... heap) {
        List<Map<String, Object>> samples = new ArrayList<>();
        for (int i = 0; i < heap.length; i++) {
            samples.add(Map.of("minute", (double) (i + 4), "heap", heap[i]));
        }
        return samples;
    }

    @Test
    void aLineHasItsSlopeUnderBothEstimators() {
        List<Map<String, Object>> line = samples(100, 102, 104, 106, 108);
        assertThat(SoakBenchmark.slope(line, "heap")).isCloseTo(2.0, within(1e-12));
        assertThat(SoakBenchmark.medianSlope(line, "heap")).isCloseTo(2.0, within(1e-12));
    }

    @Test
    void oneSampleCaughtMidCollectionMovesLeastSquaresButNotTheMedianSlope() {
        List<Map<String, Object>> flat = samples(140, 141, 140, 141, 140, 295, 141);
        assertThat(SoakBenchmark.slope(flat, "heap")).isGreaterThan(5);
        assertThat(SoakBenchmark.medianSlope(flat, "heap")).isCloseTo(0.0, within(0.5));
        assertThat(SoakBenchmark.medianSlope(samples(1), "heap")).isNaN();
    }
}
