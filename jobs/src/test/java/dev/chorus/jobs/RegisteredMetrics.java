package dev.chorus.jobs;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.clusterframework.types.ResourceID;
import org.apache.flink.runtime.executiongraph.ExecutionAttemptID;
import org.apache.flink.runtime.metrics.groups.AbstractMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskManagerMetricGroup;
import org.apache.flink.runtime.metrics.util.TestingMetricRegistry;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

/**
 * Every metric an operator in a test harness registers, as Flink's Prometheus reporter names and labels it: give the
 * harness {@link #environment()}. The reporter's name is {@code flink_} + the group's logical scope joined by
 * {@code _} + the metric name, with characters outside {@code [a-zA-Z0-9:_]} replaced by {@code _}; key/value groups
 * ({@code addGroup("task", t)}) add their key to the scope and their value as a label.
 */
public final class RegisteredMetrics {
    private static final Pattern INVALID = Pattern.compile("[^a-zA-Z0-9:_]");

    /** One registration: the Prometheus metric name, its labels (Flink's variables without the brackets). */
    public record Registered(String name, Map<String, String> labels, Metric metric) {
        /** The value a reporter reads now: a counter's count or a gauge's value as a number. */
        public double value() {
            if (metric instanceof Counter c) {
                return c.getCount();
            }
            Object v = ((Gauge<?>) metric).getValue();
            return ((Number) v).doubleValue();
        }
    }

    private final List<Registered> registered = new CopyOnWriteArrayList<>();
    private final List<Metric> unregistered = new CopyOnWriteArrayList<>();
    private final TestingMetricRegistry registry = TestingMetricRegistry.builder().setNumberReporters(1)
            .setRegisterConsumer((metric, name, group) -> registered.add(
                    new Registered(prometheusName(group, name), labels(group), metric)))
            .setUnregisterConsumer((metric, name, group) -> unregistered.add(metric))
            .build();

    /** A harness environment whose task metric group registers into this. */
    public MockEnvironment environment() {
        return environment("test-job");
    }

    /** A harness environment of the job named {@code job} (the {@code job_name} label). */
    public MockEnvironment environment(String job) {
        var task = TaskManagerMetricGroup.createTaskManagerMetricGroup(registry, "localhost", ResourceID.generate())
                .addJob(new JobID(), job).addTask(ExecutionAttemptID.randomId(), "test-task");
        return new MockEnvironmentBuilder().setMetricGroup(task).build();
    }

    public List<Registered> all() {
        return List.copyOf(registered);
    }

    /** The registrations not unregistered since: what a reporter reports now. */
    public List<Registered> current() {
        return registered.stream().filter(r -> unregistered.stream().noneMatch(m -> m == r.metric())).toList();
    }

    /** The registrations named {@code name} whose labels include {@code labels}. */
    public List<Registered> find(String name, Map<String, String> labels) {
        return registered.stream().filter(r -> r.name().equals(name)
                && r.labels().entrySet().containsAll(labels.entrySet())).toList();
    }

    static String prometheusName(AbstractMetricGroup<?> group, String name) {
        return "flink_" + group.getLogicalScope(s -> INVALID.matcher(s).replaceAll("_"), '_') + "_"
                + INVALID.matcher(name).replaceAll("_");
    }

    private static Map<String, String> labels(AbstractMetricGroup<?> group) {
        Map<String, String> labels = new TreeMap<>();
        group.getAllVariables().forEach((k, v) -> labels.put(k.substring(1, k.length() - 1), v));
        return labels;
    }
}
