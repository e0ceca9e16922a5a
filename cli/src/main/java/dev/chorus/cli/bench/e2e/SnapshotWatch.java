package dev.chorus.cli.bench.e2e;

import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.codec.RecordCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Watches model snapshots for the moment the tasks' latest snapshots have seen every example between them, and
 * keeps the last one.
 */
final class SnapshotWatch {
    private final RecordCodec<ModelSnapshot> codec;
    private final long expected;
    private final Map<String, Long> examplesSeenByTask = new HashMap<>();
    private ModelSnapshot last;
    private byte[] lastKey;
    private byte[] lastValue;
    private long finalArrival;
    private long lastArrival;
    private int count;

    SnapshotWatch(RecordCodec<ModelSnapshot> codec, long expected) {
        this.codec = codec;
        this.expected = expected;
    }

    synchronized void accept(ConsumerRecord<byte[], byte[]> r) {
        long now = System.currentTimeMillis();
        last = codec.decode(r.value());
        lastKey = r.key();
        lastValue = r.value();
        lastArrival = now;
        count++;
        examplesSeenByTask.put(last.getTask(), last.getExamplesSeen());
        if (finalArrival == 0 && examplesSeen() >= expected) {
            finalArrival = now;
            notifyAll();
        }
    }

    /** Examples seen by the latest snapshot of each task, summed. */
    synchronized long examplesSeen() {
        return examplesSeenByTask.values().stream().mapToLong(Long::longValue).sum();
    }

    synchronized Map<String, Long> examplesSeenByTask() {
        return new TreeMap<>(examplesSeenByTask);
    }

    /**
     * Waits for a snapshot that has seen every example; after the bounded job ended that one is on its way, so
     * a few quiet seconds without it mean it will not come (a label model may count examples differently).
     */
    synchronized void awaitFinal(Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        long quietSince = System.nanoTime();
        int seen = count;
        while (finalArrival == 0 && System.nanoTime() < deadline) {
            if (count != seen) {
                seen = count;
                quietSince = System.nanoTime();
            } else if (last != null && System.nanoTime() - quietSince > TimeUnit.SECONDS.toNanos(10)) {
                return;
            }
            wait(100);
        }
    }

    synchronized ModelSnapshot last() {
        return last;
    }

    synchronized byte[] lastKey() {
        return lastKey;
    }

    synchronized byte[] lastValue() {
        return lastValue;
    }

    /** When the snapshot that saw every example arrived, else when the last one did. */
    synchronized long finalArrival() {
        return finalArrival != 0 ? finalArrival : lastArrival;
    }

    synchronized int count() {
        return count;
    }
}
