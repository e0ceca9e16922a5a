package dev.chorus.cli.bench.e2e;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The examples/s of a line. Every rate is the steady one, over the examples after the first quarter: the raw
 * consumer from its {@code n/4}-th record, a job from the broker's append of its {@code n/4}-th prediction, each to
 * its end. That leaves out start-up alike for every line: the consumer's first fetches, the job's deployment, and
 * for the serve job the examples that waited for the model to arrive on the broadcast side and were then answered
 * in one burst (timed from the first prediction, those examples' reading time fell outside the window and serving
 * seemed faster than reading). The rate from the first record or prediction is reported beside it
 * ({@code examples_per_s_from_first}). A window too short to measure counts as {@link #MIN_WINDOW_MS}.
 */
final class SteadyRate {

    static final double STEADY_FROM = 0.25;
    /** The shortest window a rate is taken over: the broker's timestamps count milliseconds. */
    static final double MIN_WINDOW_MS = 1;

    /** The rate a line's figures report. */
    static final ToDoubleFunction<Map<String, Object>> EXAMPLES_PER_S =
            figures -> ((Number) figures.get("examples_per_s")).doubleValue();

    private SteadyRate() {}

    /**
     * The {@link #arrivalFigures} of records that arrived at {@code arrivalNanos} (in order): the steady rate of
     * those from the {@link #STEADY_FROM} mark on, over the window from its arrival to the last one's.
     */
    static Map<String, Object> ofArrivals(long[] arrivalNanos) {
        int n = arrivalNanos.length;
        return arrivalFigures(n, arrivalNanos[0], arrivalNanos[steadyIndex(n)], arrivalNanos[n - 1]);
    }

    /**
     * The index of the record or prediction that opens the steady window: the {@code n/4}-th, or the last one when
     * there are too few for a window after it.
     */
    static int steadyIndex(long count) {
        if (count == 0) {
            throw new IllegalStateException("no record or prediction was counted");
        }
        return (int) Math.min(count - 1, (long) Math.ceil(count * STEADY_FROM));
    }

    /** Records or predictions in the steady window: from {@link #steadyIndex} on, so at least one. */
    static long steadyCount(long count) {
        return count - steadyIndex(count);
    }

    /**
     * The rate figures of {@code records} read in order, the first at {@code firstNanos}, the {@link #steadyIndex}-th
     * at {@code steadyNanos} and the last at {@code lastNanos}: the steady rate, its window in seconds, and the rate
     * from the first.
     */
    static Map<String, Object> arrivalFigures(long records, long firstNanos, long steadyNanos, long lastNanos) {
        double rate = perSecond(steadyCount(records), (lastNanos - steadyNanos) / 1e6);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("examples_per_s", rate);
        figures.put("seconds", steadyCount(records) / rate);
        figures.put("examples_per_s_from_first", perSecond(records, (lastNanos - firstNanos) / 1e6));
        return figures;
    }

    /**
     * {@code examples} per second over a window of {@code windowMs}. A window shorter than {@link #MIN_WINDOW_MS}
     * (a run too short to have a steady part, or a window that ends before it begins) counts as that, so a rate is
     * always positive and finite; on such a run it only says the examples took at most a millisecond.
     */
    static double perSecond(long examples, double windowMs) {
        return examples / (Math.max(windowMs, MIN_WINDOW_MS) / 1e3);
    }

    /**
     * A job run's rate figures: the steady rate from {@link PredictionClock#steadyFrom()} to {@code end} (see
     * {@link #perSecond} for a window too short to measure), the rate from its first prediction, its wall time, and
     * its CPU per example.
     */
    static Map<String, Object> rateFigures(PredictionClock predictions, long end, long n, JobRun run, double cpu) {
        long start = predictions.steadyFrom();
        // A train line ends with its final snapshot's arrival, which on a short at-least-once run can come before
        // the predictions' own producer has appended them; the line's work ends no earlier than that append.
        long last = Math.max(end, predictions.lastAppendedAt());
        double windowMs = Math.max(last - start, MIN_WINDOW_MS);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("examples_per_s", perSecond(predictions.steadyCount(), windowMs));
        figures.put("seconds", windowMs / 1e3);
        figures.put("examples_per_s_from_first", perSecond(n, last - predictions.firstProducedAt()));
        figures.put("job_seconds", (run.finished() - run.submitted()) / 1e3);
        putCpu(figures, cpu, n);
        return figures;
    }

    static void putCpu(Map<String, Object> figures, double cpuSeconds, long examples) {
        figures.put("cpu_seconds", cpuSeconds);
        figures.put("cpu_us_per_example", cpuSeconds * 1e6 / examples);
    }
}
