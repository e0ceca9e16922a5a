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
 * (decoding checked the fields' bounds already, so hashing one example is bounded work). What only hashing finds, a
 * sum or a crossed product past float32, is a dead letter naming the field; collisions are counted
 * ({@code hashCollisions}), not errors.
 */
final class FieldHashing {
    private final Counter collisions;
    private final Counter deadLetters;
    private final Counter fieldsDeadLetters;

    /** @param deadLetters the operator's total of dead letters, which this adds to */
    FieldHashing(MetricGroup operator, Counter deadLetters) {
        this.collisions = operator.counter("hashCollisions");
        this.deadLetters = deadLetters;
        this.fieldsDeadLetters = LabelledMetrics.deadLettersOf(operator, "fields");
    }

    /** The example's hashed row, or null when it does not hash: {@code reject} then gets the reason. */
    SparseVector hash(TrainerState s, Example example, Consumer<String> reject) {
        try {
            SparseVector x = s.hasher.hash(example.getFields());
            collisions.inc(s.hasher.collisions());
            return x;
        } catch (RejectedFieldException e) {
            deadLetters.inc();
            fieldsDeadLetters.inc();
            reject.accept(e.getMessage());
            return null;
        }
    }
}
