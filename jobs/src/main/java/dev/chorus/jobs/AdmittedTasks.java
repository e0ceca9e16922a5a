package dev.chorus.jobs;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The tasks beyond a {@link TaskBound}'s allow-list that one parallel instance of a keyed operator has admitted,
 * each with the keys it has state under here (the task itself for an operator keyed by task; a task's variant keys
 * for the trainer, whose variants of one task spread across instances). The keys are checkpointed as union operator
 * state: after a restore, at any parallelism, each instance keeps exactly the keys whose key group it owns, and so
 * the tasks admitted where their keyed state went, and the admission of new tasks depends only on the instance's
 * own input order. After scaling in, an instance may hold more than {@code maxTasks}; it then admits no new task.
 * A checkpoint taken before keys were kept holds task names, which read as the keys of tasks keyed by task (and of
 * variant {@code default}, whose key is its task's name).
 */
public final class AdmittedTasks {
    private final TaskBound bound;
    private final UnaryOperator<String> taskOfKey;
    /** Admitted task to the keys it has state under here. */
    private final TreeMap<String, TreeSet<String>> admitted = new TreeMap<>();
    private ListState<String> checkpointed;

    /** For an operator keyed by task. */
    public AdmittedTasks(TaskBound bound) {
        this(bound, UnaryOperator.identity());
    }

    /** For an operator keyed by keys of which {@code taskOfKey} names the task. */
    public AdmittedTasks(TaskBound bound, UnaryOperator<String> taskOfKey) {
        this.bound = bound;
        this.taskOfKey = taskOfKey;
    }

    /** Registers the state named {@code name} and keeps the restored keys that this instance's key groups own. */
    public void initialize(FunctionInitializationContext context, RuntimeContext runtime, String name)
            throws Exception {
        checkpointed = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>(name, Types.STRING));
        TaskInfo info = runtime.getTaskInfo();
        for (String key : checkpointed.get()) {
            if (KeyGroupRangeAssignment.assignKeyToParallelOperator(key, info.getMaxNumberOfParallelSubtasks(),
                    info.getNumberOfParallelSubtasks()) == info.getIndexOfThisSubtask()) {
                admitted.computeIfAbsent(taskOfKey.apply(key), t -> new TreeSet<>()).add(key);
            }
        }
    }

    /** Whether a record of {@code task} may have state here: allowed, already admitted, or admitted now. */
    public boolean admit(String task) {
        return admit(task, task);
    }

    /** As {@link #admit(String)}, for state under {@code key}, one of {@code task}'s keys. */
    public boolean admit(String task, String key) {
        if (bound.allows(task)) {
            return true;
        }
        TreeSet<String> keys = admitted.get(task);
        if (keys == null) {
            if (admitted.size() >= bound.maxTasks()) {
                return false;
            }
            keys = new TreeSet<>();
            admitted.put(task, keys);
        }
        keys.add(key);
        return true;
    }

    /**
     * Counts a task that has state here already under {@code key} (restored from a checkpoint taken before tasks, or
     * their keys, were counted).
     */
    public void keep(String task, String key) {
        if (!bound.allows(task)) {
            admitted.computeIfAbsent(task, t -> new TreeSet<>()).add(key);
        }
    }

    /** Frees the slot of a task that no longer has state here. */
    public void release(String task) {
        admitted.remove(task);
    }

    /** Tasks beyond the allow-list admitted here. */
    public int size() {
        return admitted.size();
    }

    public void snapshot() throws Exception {
        List<String> keys = new ArrayList<>();
        admitted.values().forEach(keys::addAll);
        checkpointed.update(keys);
    }
}
