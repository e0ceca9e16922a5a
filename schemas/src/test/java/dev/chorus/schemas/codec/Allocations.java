package dev.chorus.schemas.codec;

import java.lang.management.ManagementFactory;
import java.util.concurrent.Callable;

/** What a step allocates on the calling thread: bytes, not time, so other load on the machine does not move it. */
final class Allocations {
    private Allocations() {}

    /** Bytes the current thread allocates per call of {@code step}: {@code rounds} calls after as many to warm up. */
    static double bytesPerCall(int rounds, Callable<?> step) throws Exception {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int warm = 0; warm < rounds; warm++) {
            step.call();
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int r = 0; r < rounds; r++) {
            step.call();
        }
        return (threads.getCurrentThreadAllocatedBytes() - before) / (double) rounds;
    }
}
