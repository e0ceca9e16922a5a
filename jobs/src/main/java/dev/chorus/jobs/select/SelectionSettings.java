package dev.chorus.jobs.select;

import dev.chorus.core.select.PairedComparison;
import java.io.Serializable;
import java.util.Objects;

/**
 * How the train job picks each task's champion: the paired test's parameters ({@link PairedComparison.Settings}),
 * how many example ids may wait for every variant's loss, and how often refreshed standings may go out.
 *
 * @param test the decision rule's parameters
 * @param maxPending example ids per task waiting to be paired; beyond it the oldest is evicted and counted
 *     {@code selectionUnpaired} (default 10,000: a few minibatches of each variant in flight)
 * @param standingsIntervalMs changed standings are published at most this often, processing time (default 10 s);
 *     a champion change is published at once
 */
public record SelectionSettings(PairedComparison.Settings test, int maxPending, long standingsIntervalMs)
        implements Serializable {
    public static final int DEFAULT_MAX_PENDING = 10_000;
    public static final long DEFAULT_STANDINGS_INTERVAL_MS = 10_000;

    public SelectionSettings {
        Objects.requireNonNull(test, "test");
        if (maxPending < 1) {
            throw new IllegalArgumentException("selection maxPending: expected at least 1, got " + maxPending);
        }
        if (standingsIntervalMs < 1) {
            throw new IllegalArgumentException("standingsIntervalMs: expected a value > 0, got " + standingsIntervalMs);
        }
    }

    public static SelectionSettings defaults() {
        return new SelectionSettings(PairedComparison.Settings.defaults(), DEFAULT_MAX_PENDING,
                DEFAULT_STANDINGS_INTERVAL_MS);
    }
}
