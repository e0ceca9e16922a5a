package dev.chorus.jobs.train;

import dev.chorus.jobs.ExampleValidator;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.FunctionInitializationContext;

/**
 * What the control topic's live variants cost every router and trainer instance, all tasks together, bounded for
 * {@link SpecControl}: each live variant is a spec in their broadcast state ({@code --max-live-variants}), and a
 * warm-started one also its model's bytes until it retires ({@code --max-warm-start-bytes}; {@link WarmStarts#apply}).
 * {@code --max-variants-per-task} bounds a task, {@code --max-tasks} the tasks the trainers hold models for; without
 * these, a control topic filled by a script gone wrong (a variant per user, a warm start per variant) would fill every
 * instance's heap and checkpoint with specs and models no trainer may ever use.
 *
 * <p>The live count is what check-specs' entries say; the warm-start bytes per key are operator state of their own
 * (a savepoint from before them has none: its warm-started variants count 0 bytes until they change).
 */
final class ControlTopicBudget {
    private final int maxLiveVariants;
    private final long maxWarmStartBytes;
    private final int maxRetiredVariants;
    private int live;
    /** Retired keys in check-specs' entries. */
    private int retired;
    private long warmStartBytes;
    /** Topic key → the bytes of the warm-start model its live variant holds in broadcast state. */
    private final Map<String, Integer> warmStarts = new HashMap<>();
    private ListState<Tuple2<String, Integer>> checkpointed;

    ControlTopicBudget(int maxLiveVariants, long maxWarmStartBytes, int maxRetiredVariants) {
        this.maxLiveVariants = maxLiveVariants;
        this.maxWarmStartBytes = maxWarmStartBytes;
        this.maxRetiredVariants = maxRetiredVariants;
    }

    /** Restores the warm-start bytes, and counts the live variants of {@code entries} (check-specs' restored state). */
    void initialize(FunctionInitializationContext context, Iterable<SpecChange> entries) throws Exception {
        checkpointed = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("spec-warm-start-bytes", Types.TUPLE(Types.STRING, Types.INT)));
        for (Tuple2<String, Integer> t : checkpointed.get()) {
            warmStarts.put(t.f0, t.f1);
            warmStartBytes += t.f1;
        }
        for (SpecChange c : entries) {
            live += c.retires() ? 0 : 1;
            retired += c.retires() ? 1 : 0;
        }
    }

    void snapshot() throws Exception {
        checkpointed.update(warmStarts.entrySet().stream().map(e -> Tuple2.of(e.getKey(), e.getValue())).toList());
    }

    /**
     * Accounts for {@code change}, accepted for {@code key}; {@code before} is what check-specs' entries had for it
     * ({@code entered}: the change went into the entries, as every change but a live search's own record does).
     */
    void accepted(String key, SpecChange change, SpecChange before, boolean entered) {
        if (entered) {
            live += (change.retires() ? 0 : 1) - (before != null && !before.retires() ? 1 : 0);
            retired += (change.retires() ? 1 : 0) - (before != null && before.retires() ? 1 : 0);
        }
        Integer held = change.initialModel != null ? warmStarts.put(key, change.initialModel.length)
                : warmStarts.remove(key);
        warmStartBytes += (change.initialModel != null ? change.initialModel.length : 0) - (held == null ? 0 : held);
    }

    /**
     * What is wrong with a LIVE record of {@code key} that would make its variant live ({@code adds}: it is not live
     * now) with a warm start of {@code modelBytes} (0 for none), as {@code field: reason}; else null.
     */
    String problem(String key, boolean adds, int modelBytes) {
        if (adds && live >= maxLiveVariants) {
            return "variant: field 'variant': expected at most --max-live-variants=" + ModelSizeBound.grouped(maxLiveVariants)
                    + " live variants on the control topic (all tasks), got a new one, " + ExampleValidator.quoted(key)
                    + ", beside " + ModelSizeBound.grouped(live);
        }
        long after = warmStartBytes - warmStarts.getOrDefault(key, 0) + modelBytes;
        if (modelBytes > 0 && after > maxWarmStartBytes) {
            return "initialModel: field 'initialModel': expected warm-start models of at most --max-warm-start-bytes="
                    + ModelSizeBound.grouped(maxWarmStartBytes) + " bytes for the control topic's live variants (every router and "
                    + "trainer instance holds them), got " + ModelSizeBound.grouped(modelBytes) + " more for "
                    + ExampleValidator.quoted(key) + " beside " + ModelSizeBound.grouped(warmStartBytes - warmStarts.getOrDefault(key, 0));
        }
        return null;
    }

    /**
     * What is wrong with a RETIRED record of {@code key}, which the control topic never had live (check-specs has no
     * entry for it), as {@code field: reason}; else null. Its retirement is kept, as any key's: a later LIVE record of
     * the key must say {@code "revive":true}, and the trainer then writes the key's tombstone ahead of the fresh model,
     * since a job started from the compacted topic cannot tell a key whose LIVE records compaction removed from one
     * never live. So a flood of them is bounded: past {@code --max-retired-variants} such a record is a dead letter.
     */
    String neverLiveRetirementProblem(String key) {
        if (retired >= maxRetiredVariants) {
            return "variant: field 'variant': expected a retirement of a variant the control topic has had live, or "
                    + "at most --max-retired-variants=" + ModelSizeBound.grouped(maxRetiredVariants) + " retired "
                    + "variants kept (all tasks), got one of " + ExampleValidator.quoted(key) + ", never live, beside "
                    + ModelSizeBound.grouped(retired);
        }
        return null;
    }

    /** What is wrong with a search that would make {@code added} more variants live, as {@code field: reason}. */
    String searchProblem(String key, int variants, int added) {
        if (live + added > maxLiveVariants) {
            return "spec: field 'spec': expected at most --max-live-variants=" + ModelSizeBound.grouped(maxLiveVariants)
                    + " live variants on the control topic (all tasks), got a search " + ExampleValidator.quoted(key)
                    + " of " + variants + " variants (" + added + " new) beside " + ModelSizeBound.grouped(live);
        }
        return null;
    }

    int live() {
        return live;
    }

    long warmStartBytes() {
        return warmStartBytes;
    }
}
