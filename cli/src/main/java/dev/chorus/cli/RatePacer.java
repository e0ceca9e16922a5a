package dev.chorus.cli;

import java.util.concurrent.TimeUnit;

/**
 * Paces a stream at a steady rate: item {@code n} is due {@code n / rate} seconds after the start, so short
 * stalls are caught up and the average rate holds over the whole stream.
 */
final class RatePacer {

    private final double perSecond;
    private final long startNanos;

    /** @param perSecond items per second; 0 (or less) for no pacing */
    RatePacer(double perSecond) {
        this.perSecond = perSecond;
        this.startNanos = System.nanoTime();
    }

    /** Sleeps until item {@code n} (0-based) is due. */
    void awaitTurn(long n) throws InterruptedException {
        if (perSecond <= 0) {
            return;
        }
        long due = startNanos + (long) (n * 1e9 / perSecond);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }
}
