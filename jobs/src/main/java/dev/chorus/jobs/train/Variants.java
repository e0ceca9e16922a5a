package dev.chorus.jobs.train;

import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.JobSettings;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * Names of a task's variants. The trainer is keyed by the variant key: the bare task name for variant
 * {@code default}, so that the state of a job from before variants (keyed by task) restores as that variant, and
 * {@code task + U+001F + variant} for any other (no name holds a control character). The control topic's key is
 * {@code task/variant}, as on the models topic, where a chunk's is {@code task/variant#k}: a variant's name holds
 * neither {@code /} nor {@code #}, so the key's last segment is the variant (a task's name may hold both).
 */
public final class Variants {
    static final char SEPARATOR = JobSettings.VARIANT_SEPARATOR;
    private static final char SEARCH_SEPARATOR = '\u001E';
    /**
     * Longest name of a variant a control record makes live, as a task's ({@link ExampleValidator#MAX_TASK_LENGTH}):
     * names are state keys, topic keys and in every prediction and model snapshot.
     */
    public static final int MAX_VARIANT_LENGTH = ExampleValidator.MAX_TASK_LENGTH;

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

    /**
     * What is wrong with the names of a control record's task and variant, or null: empty, a control character, or,
     * for a record that makes the variant {@code live}, a variant of more than {@link #MAX_VARIANT_LENGTH} characters
     * or with a {@code /} or {@code #}, which would make its models-topic key another variant's or chunk's (a variant
     * an older release let live can still be retired).
     */
    public static ExampleValidator.Rejection checkNames(String task, String variant, boolean live) {
        for (String[] name : new String[][] {{"task", task}, {"variant", variant}}) {
            if (name[1].isEmpty()) {
                return new ExampleValidator.Rejection(name[0], "field '" + name[0] + "': expected a non-empty name, "
                        + "got \"\"");
            }
            ExampleValidator.Rejection bad = ExampleValidator.name(name[0], name[1]);
            if (bad != null) {
                return bad;
            }
        }
        if (live && variant.length() > MAX_VARIANT_LENGTH) {
            return new ExampleValidator.Rejection("variant", "field 'variant': expected 1 to " + MAX_VARIANT_LENGTH
                    + " characters, got " + variant.length());
        }
        for (int i = 0; live && i < variant.length(); i++) {
            if (variant.charAt(i) == '#' || variant.charAt(i) == '/') {
                return new ExampleValidator.Rejection("variant", "field 'variant': expected a name without '#' or "
                        + "'/' (the models topic's keys are task/variant and task/variant#chunk), got "
                        + ExampleValidator.quoted(variant) + " ('" + variant.charAt(i) + "' at position " + i + ")");
            }
        }
        return null;
    }

    /** The key of a variant's records on the specs and models topics. */
    public static String topicKey(String task, String variant) {
        return task + "/" + variant;
    }
}
