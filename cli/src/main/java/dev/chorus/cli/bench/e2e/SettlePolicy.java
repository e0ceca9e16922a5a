package dev.chorus.cli.bench.e2e;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * When a line's rate counts as settled, and which of its runs it reports.
 *
 * <p>The {@link Line#WARMUP} line runs before the measured lines until its rate settles: at least
 * {@value #WARMUP_MIN_RUNS} and at most {@value #WARMUP_MAX_RUNS} times. It is reported apart ({@code warmup}: the
 * first, cold run, and every run's rate). The first jobs in a JVM pay for compiling Flink's, Kafka's and Avro's hot
 * paths, which a long-running job pays once (the JFR figures are in docs/BENCHMARKS.md, "Profiles behind design
 * choices"). The child JVM warms up the same way, on its own BLAS backend.
 *
 * <p>Every measured line (and the raw consumer) then runs at least {@value #LINE_MIN_RUNS} times, at most
 * {@code --runs}, until two runs in a row settle, and reports its {@link #medianWarmRun}: a job's first run over a
 * topic compiles that job's own hot paths (the serve job's, MLP-256's, the dawid-skene operator's), which the
 * softmax warm-up does not reach, and a short line spent much of it beside the JIT compiler (async-profiler, same
 * section). Every run's rate is reported too ({@code runs_examples_per_s}).
 */
final class SettlePolicy {

    static final int WARMUP_MIN_RUNS = 3;
    static final int WARMUP_MAX_RUNS = 6;
    static final int LINE_MIN_RUNS = 3;
    /** Two runs whose rates differ by at most this fraction of the earlier one have settled. */
    static final double SETTLED = 0.05;

    private SettlePolicy() {}

    /** One run of a line: returns its result, whose rate decides whether the line settled. */
    @FunctionalInterface
    interface Measurement<R> {
        R run(int index) throws Exception;
    }

    /**
     * Runs {@code measure} at least {@code minRuns} and at most {@code maxRuns} times, until two runs in a row have
     * rates within {@link #SETTLED} of each other; every run's result, in order.
     */
    static <R> List<R> untilSettled(int minRuns, int maxRuns, ToDoubleFunction<R> rate, Measurement<R> measure)
            throws Exception {
        List<R> results = new ArrayList<>();
        double previous = Double.NaN;
        for (int run = 0; run < maxRuns; run++) {
            R result = measure.run(run);
            results.add(result);
            double current = rate.applyAsDouble(result);
            if (results.size() >= minRuns && Math.abs(current - previous) <= SETTLED * previous) {
                break;
            }
            previous = current;
        }
        return results;
    }

    /**
     * The run a line reports: the one with the median rate among the warm runs (every run but the first, when there
     * are more; the lower of the two middle ones for an even count). A median, not the last run, so that one run
     * that another process slowed or that came out fast by chance does not become the line's figure.
     */
    static <R> R medianWarmRun(List<R> runs, ToDoubleFunction<R> rate) {
        List<R> warm = runs.size() > 1 ? runs.subList(1, runs.size()) : runs;
        List<R> sorted = warm.stream().sorted(Comparator.comparingDouble(rate)).toList();
        return sorted.get((sorted.size() - 1) / 2);
    }

    /** The {@link #medianWarmRun}'s figures, with every run's rate and whether the line settled. */
    static Map<String, Object> medianWarmRunFigures(List<Map<String, Object>> runs) {
        Map<String, Object> chosen = medianWarmRun(runs, SteadyRate.EXAMPLES_PER_S);
        describeRuns(chosen, runs);
        return chosen;
    }

    /** Adds every run's rate and whether the last two settled to {@code chosen}. */
    static void describeRuns(Map<String, Object> chosen, List<Map<String, Object>> runs) {
        List<Double> rates = runs.stream().map(SteadyRate.EXAMPLES_PER_S::applyAsDouble).toList();
        chosen.put("runs_examples_per_s", rates);
        int n = rates.size();
        chosen.put("settled", n >= 2 && Math.abs(rates.get(n - 1) - rates.get(n - 2)) <= SETTLED * rates.get(n - 2));
    }
}
