package dev.chorus.jobs;

import java.util.ArrayList;
import java.util.TreeSet;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The tasks beyond a {@link TaskBound}'s allow-list that one parallel instance of a keyed-by-task operator has
 * admitted. The set is checkpointed as union operator state: after a restore, at any parallelism, each
 * instance keeps exactly the admitted tasks whose key group it owns, so a task once admitted stays admitted
 * where its keyed state went, and the admission of new tasks depends only on the instance's own input order.
 * After scaling in, an instance may hold more than {@code maxTasks}; it then admits no new task.
 */
public final class AdmittedTasks {
    private final TaskBound bound;
    private final TreeSet<String> admitted = new TreeSet<>();
    private ListState<String> checkpointed;

    public AdmittedTasks(TaskBound bound) {
        this.bound = bound;
    }

    /** Registers the state named {@code name} and keeps the restored tasks that this instance's key groups own. */
    public void initialize(FunctionInitializationContext context, RuntimeContext runtime, String name)
            throws Exception {
        checkpointed = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>(name, Types.STRING));
        TaskInfo info = runtime.getTaskInfo();
        for (String task : checkpointed.get()) {
            if (KeyGroupRangeAssignment.assignKeyToParallelOperator(task, info.getMaxNumberOfParallelSubtasks(),
                    info.getNumberOfParallelSubtasks()) == info.getIndexOfThisSubtask()) {
                admitted.add(task);
            }
        }
    }

    /** Whether a record of {@code task} may have state here: allowed, already admitted, or admitted now. */
    public boolean admit(String task) {
        if (bound.allows(task) || admitted.contains(task)) {
            return true;
        }
        if (admitted.size() >= bound.maxTasks()) {
            return false;
        }
        admitted.add(task);
        return true;
    }

    /** Counts a task that has state here already (restored from a checkpoint taken before tasks were counted). */
    public void keep(String task) {
        if (!bound.allows(task)) {
            admitted.add(task);
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
        checkpointed.update(new ArrayList<>(admitted));
    }
}
