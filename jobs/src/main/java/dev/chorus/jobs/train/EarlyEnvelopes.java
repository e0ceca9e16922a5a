package dev.chorus.jobs.train;

import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Example;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.TupleTypeInfo;
import org.apache.flink.metrics.Counter;

/**
 * Envelopes that reach the trainer before the control-topic change they were routed under: the router and the trainer
 * read the changes on broadcast edges of their own, so a router that has applied a revival (or a reset, or a variant's
 * first spec) may send the variant examples the trainer, still without that change, would dead-letter as retired, or
 * train on the model the change replaces. The router stamps each envelope with the variant's generation as it routed
 * it ({@link VariantExample#generation}, the control-topic offset of the last LIVE change it applied for the variant);
 * the trainer knows the generation it has applied ({@link ModelGenerations}, from the same broadcast of changes, in the
 * same order), so an envelope of a later generation is one whose change is still on its way. It waits here, in the
 * variant's keyed state, and goes on once the trainer has the change: at the variant's next envelope, at a
 * processing-time check every {@value #CHECK_MS} ms while any waits (the change is on its way on the trainer's own
 * edge, so it is there within milliseconds; the check must not wait for a next envelope, which the end of a burst does
 * not bring, nor for the batch timeout, which may be 0: never), or at the end of a bounded input, when every change has
 * arrived.
 *
 * <p>State {@code early-envelopes}: each envelope's generation and its example with the partition and offset it was
 * read from ({@link AvroTypes#SOURCED_EXAMPLE}, as the serve job's waiting examples), not its spec or initial model,
 * which the trainer has from the change itself once it may go on; {@code early-envelopes-waiting}, how many and the
 * lowest generation among them, so an envelope reads the list only when some are due. At most
 * {@link #MAX_PER_VARIANT} wait per variant (the router holds at most as many per instance at a start); past that, or
 * when a bounded input ends before the change, an envelope is a dead letter naming both generations. Counted:
 * {@code earlyEnvelopes}, the envelopes that waited.
 */
final class EarlyEnvelopes {
    /** At most this many envelopes of one variant wait for its change on a trainer instance. */
    static final int MAX_PER_VARIANT = 10_000;

    /** While envelopes of a variant wait, the trainer looks whether their change is here this often (processing time). */
    static final long CHECK_MS = 100;

    static final ListStateDescriptor<Tuple2<Long, Sourced<Example>>> ENVELOPES = new ListStateDescriptor<>(
            "early-envelopes", new TupleTypeInfo<>(Types.LONG, AvroTypes.SOURCED_EXAMPLE));
    /** How many envelopes wait, and the lowest generation among them. */
    static final ValueStateDescriptor<Tuple2<Integer, Long>> WAITING = new ValueStateDescriptor<>(
            "early-envelopes-waiting", new TupleTypeInfo<>(Types.INT, Types.LONG));

    private final ListState<Tuple2<Long, Sourced<Example>>> envelopes;
    private final ValueState<Tuple2<Integer, Long>> waiting;
    private final Counter early;

    EarlyEnvelopes(RuntimeContext runtime) {
        this.envelopes = runtime.getListState(ENVELOPES);
        this.waiting = runtime.getState(WAITING);
        this.early = runtime.getMetricGroup().counter("earlyEnvelopes");
    }

    /** The generation of the variant with this key that {@code generations} (the trainer's) has, or -1 for none. */
    static long applied(ReadOnlyBroadcastState<String, Long> generations, String key) throws Exception {
        Long generation = generations.get(key);
        return generation == null ? VariantExample.NO_GENERATION : generation;
    }

    /** How many envelopes of the current key wait. */
    int count() throws IOException {
        Tuple2<Integer, Long> w = waiting.value();
        return w == null ? 0 : w.f0;
    }

    /** Lets {@code routed}, of the current key, wait behind the others, below the bound. */
    void hold(VariantExample routed) throws Exception {
        Tuple2<Integer, Long> w = waiting.value();
        envelopes.add(Tuple2.of(routed.generation(), routed.input()));
        waiting.update(w == null ? Tuple2.of(1, routed.generation())
                : Tuple2.of(w.f0 + 1, Math.min(w.f1, routed.generation())));
        early.inc();
    }

    /**
     * The envelopes of the current key, {@code variant}, whose generation is at most {@code applied}, in arrival order,
     * no longer waiting; the others still wait.
     */
    List<VariantExample> release(String variant, long applied) throws Exception {
        Tuple2<Integer, Long> w = waiting.value();
        if (w == null || applied < w.f1) {
            return List.of(); // none is due: the envelopes are not read
        }
        List<VariantExample> released = new ArrayList<>();
        List<Tuple2<Long, Sourced<Example>>> still = new ArrayList<>();
        long lowest = Long.MAX_VALUE;
        for (Tuple2<Long, Sourced<Example>> e : envelopes.get()) {
            if (e.f0 <= applied) {
                released.add(new VariantExample(variant, e.f1, null, null, e.f0));
            } else {
                still.add(e);
                lowest = Math.min(lowest, e.f0);
            }
        }
        envelopes.update(still);
        if (still.isEmpty()) {
            waiting.clear();
        } else {
            waiting.update(Tuple2.of(still.size(), lowest));
        }
        return released;
    }
}
