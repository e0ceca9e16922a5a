package dev.chorus.jobs.train;

import dev.chorus.core.features.RejectedFieldException;
import dev.chorus.core.features.SparseVector;
import dev.chorus.jobs.LabelledMetrics;
import dev.chorus.schemas.Example;
import java.util.function.Consumer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * Hashes a hashed task's examples once, on arrival at the task's trainer: the operator that holds the task's spec
 * (decoding checked the fields' bounds already, so hashing one example is bounded work); a wide and deep task's are
 * taken apart alike, hashed features, embedding ids and numeric fields. What only this finds, a sum or a crossed
 * product past float32, an embedding field that is not a string, is a dead letter naming the field; collisions are
 * counted ({@code hashCollisions}), not errors.
 */
final class FieldHashing {
    private final Counter collisions;
    private final LabelledMetrics.DeadLetterCounts deadLetters;

    /** @param deadLetters the operator's dead letters, which this counts its own in, under {@code fields} */
    FieldHashing(MetricGroup operator, LabelledMetrics.DeadLetterCounts deadLetters) {
        this.collisions = operator.counter("hashCollisions");
        this.deadLetters = deadLetters;
    }

    /** The example's hashed row, or null when it does not hash: {@code reject} then gets the reason. */
    SparseVector hash(TrainerState s, Example example, Consumer<String> reject) {
        try {
            SparseVector x = s.hasher.hash(example.getFields());
            collisions.inc(s.hasher.collisions());
            return x;
        } catch (RejectedFieldException e) {
            rejected(e, reject);
            return null;
        }
    }

    /** A wide and deep task: the example into {@link TrainerState#arrival}, or false as {@link #hash} returns null. */
    boolean takeApart(TrainerState s, Example example, Consumer<String> reject) {
        s.arrival.clear();
        try {
            s.arrival.add(example.getFields());
            collisions.inc(s.arrival.collisions());
            return true;
        } catch (RejectedFieldException e) {
            rejected(e, reject);
            return false;
        }
    }

    private void rejected(RejectedFieldException e, Consumer<String> reject) {
        deadLetters.count("fields");
        reject.accept(e.getMessage());
    }
}
