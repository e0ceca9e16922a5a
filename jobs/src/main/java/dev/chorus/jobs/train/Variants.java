package dev.chorus.jobs.train;

import dev.chorus.jobs.JobSettings;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * Names of a task's variants. The trainer is keyed by the variant key: the bare task name for variant
 * {@code default}, so that the state of a job from before variants (keyed by task) restores as that variant, and
 * {@code task + U+001F + variant} for any other (names may contain '/', never a control character). The control
 * topic's key is {@code task/variant}, as on the models topic.
 */
public final class Variants {
    static final char SEPARATOR = '\u001F';
    private static final char SEARCH_SEPARATOR = '\u001E';

    private Variants() {}

    public static String key(String task, String variant) {
        return JobSettings.DEFAULT_VARIANT.equals(variant) ? task : task + SEPARATOR + variant;
    }

    /**
     * The broadcast-state key of a search declared as variant {@code variant} of {@code task}: apart from the
     * variant keys (its separator is U+001E), so nothing that lists a task's variants sees it.
     */
    public static String searchKey(String task, String variant) {
        return task + SEARCH_SEPARATOR + variant;
    }

    public static String task(String key) {
        int at = key.indexOf(SEPARATOR);
        return at < 0 ? key : key.substring(0, at);
    }

    public static String variant(String key) {
        int at = key.indexOf(SEPARATOR);
        return at < 0 ? JobSettings.DEFAULT_VARIANT : key.substring(at + 1);
    }

    /** Whether the trainer instance {@code info} holds the keyed state of variant key {@code key}. */
    static boolean ownedBy(String key, TaskInfo info) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(key, info.getMaxNumberOfParallelSubtasks(),
                info.getNumberOfParallelSubtasks()) == info.getIndexOfThisSubtask();
    }

    /** The key of a variant's records on the specs and models topics. */
    public static String topicKey(String task, String variant) {
        return task + "/" + variant;
    }
}
