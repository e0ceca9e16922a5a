package dev.chorus.jobs;

import java.io.Serializable;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * How many tasks a job keeps state for. Any record names its task, so without a bound a producer that invents
 * names would make the job create models, timers, waiting lists and snapshots without limit. Tasks on the
 * allow-list (and, in the train job, tasks with a spec of their own) are always admitted; beyond them each
 * parallel instance admits at most {@code maxTasks} other tasks, first come first served, and keeps them for
 * good. A record of a task past the bound is a dead letter (field {@code task}).
 */
public final class TaskBound implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Tasks beyond the allow-list that one parallel instance admits unless configured otherwise. */
    public static final int DEFAULT_MAX_TASKS = 16;

    private final int maxTasks;
    private final TreeSet<String> allowed;

    /** @throws IllegalArgumentException if {@code maxTasks} is negative */
    public TaskBound(int maxTasks, Collection<String> allowed) {
        if (maxTasks < 0) {
            throw new IllegalArgumentException("maxTasks: expected a value >= 0, got " + maxTasks);
        }
        this.maxTasks = maxTasks;
        this.allowed = new TreeSet<>(allowed);
    }

    /** The default bound: {@link #DEFAULT_MAX_TASKS} per parallel instance, no allow-list. */
    public static TaskBound defaults() {
        return new TaskBound(DEFAULT_MAX_TASKS, Set.of());
    }

    public int maxTasks() {
        return maxTasks;
    }

    public Set<String> allowed() {
        return Set.copyOf(allowed);
    }

    /** Whether {@code task} is on the allow-list, so that it never counts against the bound. */
    public boolean allows(String task) {
        return allowed.contains(task);
    }

    /**
     * The dead-letter reason for a record of {@code task} refused by an instance that already holds
     * {@code admitted} tasks beyond the allow-list; {@code where} says what the bound counts there.
     */
    public String reason(String task, String where) {
        String expected = allowed.isEmpty() ? "" : "one of the allowed tasks " + allowed + " or ";
        return "field 'task': expected " + expected + "one of at most maxTasks=" + maxTasks + " other tasks " + where
                + ", got " + ExampleValidator.quoted(task);
    }
}
