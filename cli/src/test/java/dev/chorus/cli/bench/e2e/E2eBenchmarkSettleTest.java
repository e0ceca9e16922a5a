package dev.chorus.cli.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class E2eBenchmarkSettleTest {

    private static List<Double> runUntilSettled(int minRuns, int maxRuns, double... rates) throws Exception {
        return SettlePolicy.untilSettled(minRuns, maxRuns, r -> r, run -> rates[run]);
    }

    @Test
    void stopsOnceTwoRunsInARowAgreeWithinFivePercentAfterTheMinimum() throws Exception {
        // 100 -> 104 agree, but only two runs have run; 104 -> 108 agree too (3.8%).
        assertThat(runUntilSettled(3, 6, 100, 104, 108, 200, 200, 200)).containsExactly(100.0, 104.0, 108.0);
        // Never within 5% of the run before: all six run.
        assertThat(runUntilSettled(3, 6, 100, 120, 100, 120, 100, 120)).hasSize(6);
        // 100 -> 106 is 6%: not settled; 106 -> 110 is 3.8%.
        assertThat(runUntilSettled(3, 6, 50, 100, 106, 110, 1, 1)).containsExactly(50.0, 100.0, 106.0, 110.0);
        assertThat(runUntilSettled(1, 1, 42)).containsExactly(42.0);
    }

    @Test
    void reportsTheMedianWarmRunNotTheLastOrTheFirst() {
        assertThat(SettlePolicy.medianWarmRun(List.of(10.0, 50.0, 40.0, 90.0), r -> r)).isEqualTo(50.0);
        // An even number of warm runs: the lower middle one.
        assertThat(SettlePolicy.medianWarmRun(List.of(10.0, 50.0, 40.0, 90.0, 60.0), r -> r)).isEqualTo(50.0);
        assertThat(SettlePolicy.medianWarmRun(List.of(10.0, 30.0), r -> r)).isEqualTo(30.0);
        assertThat(SettlePolicy.medianWarmRun(List.of(10.0), r -> r)).isEqualTo(10.0);
    }

    @Test
    void figuresCarryEveryRunAndWhetherTheLineSettled() {
        Map<String, Object> chosen = SettlePolicy.medianWarmRunFigures(new ArrayList<>(List.of(
                new LinkedHashMap<>(Map.of("examples_per_s", 80.0, "run", 0)),
                new LinkedHashMap<>(Map.of("examples_per_s", 100.0, "run", 1)),
                new LinkedHashMap<>(Map.of("examples_per_s", 97.0, "run", 2)))));
        assertThat(chosen.get("run")).isEqualTo(2);
        assertThat(chosen.get("runs_examples_per_s")).isEqualTo(List.of(80.0, 100.0, 97.0));
        assertThat(chosen.get("settled")).isEqualTo(true);
    }
}
