package dev.chorus.jobs.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.FunctionInitializationContext;

/**
 * How many chunks the version 0 of each variant's last restart took, when it took more than one record
 * ({@link RestartedModels}). A restart runs on the broadcast side, which can write only the keyed state a key has
 * already: a variant reset before its first example, or revived after its retirement cleared its trainer state,
 * may have none, so the count is kept here, in operator state, until the variant's next restart tombstones those
 * chunk keys. Checkpointed as union state: after a restore at any parallelism each instance keeps the counts of
 * the variant keys it owns, as their restarts run there ({@link Variants#ownedBy}).
 */
final class RestartChunks {
    private final Map<String, Integer> chunks = new TreeMap<>();
    private final ListState<Tuple2<String, Integer>> checkpointed;

    private RestartChunks(ListState<Tuple2<String, Integer>> checkpointed) {
        this.checkpointed = checkpointed;
    }

    /** Registers the state {@code restarted-version0-chunks} and keeps the restored counts of keys owned here. */
    static RestartChunks restore(FunctionInitializationContext context, RuntimeContext runtime) throws Exception {
        RestartChunks restored = new RestartChunks(context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("restarted-version0-chunks", Types.TUPLE(Types.STRING, Types.INT))));
        for (Tuple2<String, Integer> entry : restored.checkpointed.get()) {
            if (Variants.ownedBy(entry.f0, runtime.getTaskInfo())) {
                restored.chunks.put(entry.f0, entry.f1);
            }
        }
        return restored;
    }

    /** The chunks of {@code key}'s last restart's version 0 (0 if it took one record), replaced by {@code now}'s. */
    int replace(String key, int now) {
        Integer before = now > 0 ? chunks.put(key, now) : chunks.remove(key);
        return before == null ? 0 : before;
    }

    void snapshot() throws Exception {
        List<Tuple2<String, Integer>> entries = new ArrayList<>(chunks.size());
        chunks.forEach((key, count) -> entries.add(Tuple2.of(key, count)));
        checkpointed.update(entries);
    }
}
