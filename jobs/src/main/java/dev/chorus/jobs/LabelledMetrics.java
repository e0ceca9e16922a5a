package dev.chorus.jobs;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * Where per-task and per-field metrics live in an operator's metric group. Both are Flink key/value groups, so a
 * reporter labels them instead of minting a metric name per task or field: Prometheus shows
 * {@code flink_taskmanager_job_task_operator_task_variant_modelVersion{task="…",variant="…"}} and
 * {@code flink_taskmanager_job_task_operator_field_deadLetters{field="…"}} (the total stays {@code deadLetters},
 * which a group of the same name would collide with).
 */
public final class LabelledMetrics {
    private LabelledMetrics() {}

    /** The group of one task's metrics for one model variant. */
    public static MetricGroup task(MetricGroup operator, String task, String variant) {
        return operator.addGroup("task", task).addGroup("variant", variant);
    }

    /** The counter of dead letters whose offending field is {@code field}. */
    public static Counter deadLettersOf(MetricGroup operator, String field) {
        return operator.addGroup("field", field).counter("deadLetters");
    }

    /** An operator's dead-letter counters: the total {@code deadLetters} and one per offending field. */
    public static final class DeadLetterCounts {
        private final MetricGroup operator;
        private final Counter total;
        private final Map<String, Counter> byField = new HashMap<>();

        public DeadLetterCounts(MetricGroup operator) {
            this.operator = operator;
            this.total = operator.counter("deadLetters");
        }

        /**
         * Counts a dead letter under its field's top-level name: {@code fields.amount} and {@code features[3]} count
         * as {@code fields} and {@code features}, since a map's keys are the producer's and labels must stay few.
         */
        public void count(String field) {
            total.inc();
            byField.computeIfAbsent(topLevel(field), f -> deadLettersOf(operator, f)).inc();
        }
    }

    /** The record's own field that {@code field}, a path into the record, starts at. */
    static String topLevel(String field) {
        int end = 0;
        while (end < field.length() && field.charAt(end) != '.' && field.charAt(end) != '[') {
            end++;
        }
        return end == field.length() ? field : field.substring(0, end);
    }
}
