package dev.chorus.cli.bench.e2e;

import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Counts predictions and notes when the first was made (the earliest {@code producedAt} among the first
 * record of each partition) and when the count reached the expected number.
 */
final class PredictionClock {
    private final RecordCodec<Prediction> codec;
    private final long expected;
    private final Map<Integer, Long> firstByPartition = new HashMap<>();
    private long count;
    private long reachedAt;
    private long lastAppendedAt;
    private long[] appendedAt = new long[1024];

    PredictionClock(RecordCodec<Prediction> codec, long expected) {
        this.codec = codec;
        this.expected = expected;
    }

    synchronized void accept(ConsumerRecord<byte[], byte[]> r) {
        if (!firstByPartition.containsKey(r.partition())) {
            firstByPartition.put(r.partition(), codec.decode(r.value()).getProducedAt());
        }
        lastAppendedAt = Math.max(lastAppendedAt, r.timestamp());
        if (count == appendedAt.length) {
            appendedAt = Arrays.copyOf(appendedAt, appendedAt.length * 2);
        }
        appendedAt[(int) count] = r.timestamp();
        if (++count == expected) {
            reachedAt = System.currentTimeMillis();
            notifyAll();
        }
    }

    /** Reads {@code topic} from the beginning until it has counted the expected number. */
    void countAll(String bootstrap, String topic) throws InterruptedException {
        try (TopicFollower p = new TopicFollower(bootstrap, topic, this::accept)) {
            awaitCount(E2eBenchmark.PATIENCE);
        }
    }

    private synchronized void awaitCount(Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (count < expected) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("expected " + expected + " predictions, got " + count + " within "
                        + patience);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    synchronized long firstProducedAt() {
        if (firstByPartition.isEmpty()) {
            throw new IllegalStateException("no prediction was made");
        }
        return firstByPartition.values().stream().mapToLong(Long::longValue).min().getAsLong();
    }

    synchronized long firstProducedAtOrZero() {
        return firstByPartition.isEmpty() ? 0 : firstProducedAt();
    }

    /**
     * The latest record timestamp: when the broker appended the last prediction, on a topic with
     * {@code message.timestamp.type=LogAppendTime} (as {@link E2eTopics#createOutputTopics} makes them).
     */
    synchronized long lastAppendedAt() {
        return lastAppendedAt;
    }

    /** When the broker appended the prediction that begins the steady window ({@link SteadyRate#STEADY_FROM}). */
    synchronized long steadyFrom() {
        long[] sorted = Arrays.copyOf(appendedAt, (int) count);
        Arrays.sort(sorted);
        return sorted[SteadyRate.steadyIndex(count)];
    }

    /** Predictions in the steady window: those appended from {@link #steadyFrom()} on. */
    synchronized long steadyCount() {
        return SteadyRate.steadyCount(count);
    }

    /** When the count reached the expected number; 0 while it has not. */
    synchronized long countReachedAt() {
        return reachedAt;
    }

    synchronized long count() {
        return count;
    }
}
