package dev.chorus.jobs.train;

import dev.chorus.core.select.VariantSpec;
import dev.chorus.core.spec.SpecReader;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.VariantStanding;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * Which start of a variant's model is which: its generation, the control topic's offset of the record whose accepted
 * LIVE change last started it (created, reset or revived it; {@link SpecChange#generation}). The trainer and the
 * selection read the same broadcast of changes in the same order, so both know each variant's generation without a
 * clock: the trainer stamps it on every snapshot, the fresh version 0 of a restart included, and the selection on every
 * champion record, for each variant of its standings. A serve job holding a reset champion's version 0 thereby tells a
 * champion record that answers the restart from one written before it ({@code ChampionRestarts} in the serve job).
 * A variant no control record started (a {@code --spec} default) has none, nor has any variant in state restored from
 * a savepoint taken before generations, until its next LIVE change.
 */
public final class ModelGenerations {
    /** Variant key ({@link Variants#key}) → the generation of its current model. */
    public static final MapStateDescriptor<String, Long> DESCRIPTOR =
            new MapStateDescriptor<>("model-generations", Types.STRING, Types.LONG);

    private ModelGenerations() {}

    /** Applies an accepted change: a LIVE one of a variant (not a search's own) starts its model at its generation. */
    public static void apply(BroadcastState<String, Long> state, SpecChange change) throws Exception {
        if (change.retires() || change.generation == null || SpecReader.document(change.spec).has(VariantSpec.SEARCH)) {
            return;
        }
        state.put(Variants.key(change.task, change.variant), change.generation);
    }

    /** The generation of the model of {@code variant} of {@code task}, or null. */
    public static Long of(ReadOnlyBroadcastState<String, Long> state, String task, String variant) throws Exception {
        return state.get(Variants.key(task, variant));
    }

    /** The generations of the variants {@code record} stands, those that have one; never null. */
    public static Map<String, Long> of(ReadOnlyBroadcastState<String, Long> state, Champion record)
            throws Exception {
        Map<String, Long> generations = new TreeMap<>();
        for (VariantStanding s : record.getStandings()) {
            Long generation = of(state, record.getTask(), s.getVariant());
            if (generation != null) {
                generations.put(s.getVariant(), generation);
            }
        }
        return generations;
    }
}
