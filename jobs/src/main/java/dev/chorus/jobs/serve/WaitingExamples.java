package dev.chorus.jobs.serve;

import dev.chorus.jobs.AdmittedTasks;
import dev.chorus.jobs.TaskBound;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;

/**
 * The examples of a task that has no model yet, waiting for its first one in the serve function's keyed state
 * (keyed by task), and the tasks beyond the allow-list whose examples wait on this parallel instance
 * ({@link AdmittedTasks}). The first example of a task to wait sets an event-time timer at {@link #END_OF_INPUT},
 * which fires only when a bounded input ends: those still waiting then go ({@link #expire}).
 *
 * <p>Each example waits with the partition and offset it was read from, so that its dead letter names them: state
 * {@code waiting-sourced-examples}, Flink's POJO serializer over the {@link Sourced} record with the example in
 * Avro's (its schema still evolves). Jobs before it kept the bare example in {@code waiting-examples} (Avro), a
 * type Flink cannot migrate in place to another; restored, those examples are answered or expired with the others,
 * partition and offset -1, as they are unknown; no example is added to that state any more.
 */
final class WaitingExamples implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The timer of a task's waiting examples: the watermark reaches it only at the end of a bounded input. */
    static final long END_OF_INPUT = Long.MAX_VALUE;

    private final TaskBound taskBound;
    private final ListStateDescriptor<Sourced<Example>> examplesDescriptor =
            new ListStateDescriptor<>("waiting-sourced-examples", AvroTypes.SOURCED_EXAMPLE);
    private final ListStateDescriptor<Example> unsourcedDescriptor =
            new ListStateDescriptor<>("waiting-examples", AvroTypes.of(Example.class));
    private final ValueStateDescriptor<Integer> countDescriptor =
            new ValueStateDescriptor<>("waiting-count", Types.INT);

    private transient ListState<Sourced<Example>> examples;
    private transient ListState<Example> unsourced;
    private transient ValueState<Integer> count;
    private transient AdmittedTasks tasks;

    WaitingExamples(TaskBound taskBound) {
        this.taskBound = taskBound;
    }

    void initialize(FunctionInitializationContext context, RuntimeContext runtime) throws Exception {
        tasks = new AdmittedTasks(taskBound);
        tasks.initialize(context, runtime, "waiting-tasks");
    }

    void snapshot() throws Exception {
        tasks.snapshot();
    }

    void open(RuntimeContext runtime) {
        examples = runtime.getListState(examplesDescriptor);
        unsourced = runtime.getListState(unsourcedDescriptor);
        count = runtime.getState(countDescriptor);
    }

    /** How many examples of the current key's task wait. */
    int count() throws Exception {
        return count.value() == null ? 0 : count.value();
    }

    /**
     * Null when examples of {@code task}, none of which waits yet, may wait on this instance (the task is admitted
     * now), else why not.
     */
    String refusal(String task, TaskInfo info) {
        return tasks.admit(task) ? null : taskBound.reason(task, "waiting for a first model per parallel instance"
                + " (subtask " + info.getIndexOfThisSubtask() + " of " + info.getNumberOfParallelSubtasks() + " holds "
                + tasks.size() + ")");
    }

    /** Lets {@code example} of the current key's task wait, behind {@code waiting} others. */
    void add(Sourced<Example> example, int waiting, TimerService timers) throws Exception {
        if (waiting == 0) {
            timers.registerEventTimeTimer(END_OF_INPUT);
        }
        examples.add(example);
        count.update(waiting + 1);
    }

    /** Hands each example of {@code task} that waited to {@code answer}, and forgets them: its model is here. */
    void answer(String task,
            KeyedBroadcastProcessFunction<String, Sourced<Example>, KafkaRecord, Prediction>.Context ctx,
            Consumer<Sourced<Example>> answer) throws Exception {
        tasks.release(task);
        ctx.applyToKeyedState(unsourcedDescriptor, (stateKey, list) -> {
            if (stateKey.equals(task)) {
                for (Example example : list.get()) {
                    answer.accept(unsourced(example));
                }
                list.clear();
            }
        });
        ctx.applyToKeyedState(examplesDescriptor, (stateKey, list) -> {
            if (stateKey.equals(task)) {
                for (Sourced<Example> example : list.get()) {
                    answer.accept(example);
                }
                list.clear();
            }
        });
        ctx.applyToKeyedState(countDescriptor, (stateKey, waiting) -> {
            if (stateKey.equals(task)) {
                waiting.clear();
            }
        });
    }

    /** The examples of the current key, {@code task}, that still wait, forgotten: the input ended before a model. */
    List<Sourced<Example>> expire(String task) throws Exception {
        List<Sourced<Example>> expired = new ArrayList<>();
        unsourced.get().forEach(example -> expired.add(unsourced(example)));
        examples.get().forEach(expired::add);
        unsourced.clear();
        examples.clear();
        count.clear();
        tasks.release(task);
        return expired;
    }

    /** An example restored from a job before {@code waiting-sourced-examples}: where it was read is unknown. */
    private static Sourced<Example> unsourced(Example example) {
        return new Sourced<>(example, -1, -1);
    }
}
