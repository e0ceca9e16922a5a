package dev.chorus.jobs.serve;

import dev.chorus.schemas.Champion;
import dev.chorus.schemas.ModelSnapshot;
import java.util.Map;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.co.BaseBroadcastProcessFunction;

/**
 * Following the champion, a reset champion's fresh model never answers unvetted. The train job's restart of a
 * variant writes its key's tombstone, then the fresh (or warm-started) model at version 0; the champion record of
 * its successor travels on another topic, so it may reach the serve job after the version 0. A tombstone of the
 * variant a task is served by (or wants) holds the task from that variant ({@link #HELD}, at most one per task): its
 * version 0 is stored but answers nothing, and the task's examples wait, until a champion record for the task
 * arrives naming it (it is vetted: its version 0 serves) or naming another whose model is here (that one serves), or
 * until the variant's version 1 or later replaces it (it trained while champion). A champion record naming a variant
 * with no model yet keeps the hold: the examples wait for that model, which then serves as a wanted champion does.
 *
 * <p>The hold depends only on the order of the broadcast side's records, so a replay from the start decides as the
 * live job did for the same order: a champion record vets only what follows a tombstone it follows. Replaying
 * compacted topics, where a key's version 0 has superseded its tombstone, the latest champion record's variant serves
 * with its newest snapshot whatever the order of the two topics.
 *
 * <p>Which restart a champion record answers: the train job stamps each model with its generation (the control topic's
 * offset of the record that last started the variant's model) and each champion record with the generation of every
 * variant's model as the selection knew it, both from the same broadcast of control records, so no clock is
 * compared. A hold asks for the held variant's restart ({@link #ASKED}): one past the forgotten model's generation
 * from the tombstone on, the fresh model's own once it arrives. A champion record whose generation for the held
 * variant is below that (or absent) was written before the restart, however late it arrives: it changes nothing and
 * is counted as {@code championRecordsStale}. A hold that asks for no generation (the forgotten and the fresh model
 * carry none, from train jobs before generations) and a record that carries none (from such a job) decide as before.
 *
 * <p>A held task's examples that become dead letters (past {@code maxWaitingPerTask}, or still waiting when a
 * bounded input ends) say so ({@link #heldDeadLetter}) and are counted as {@code championRestartsDeadLetters}: a
 * model is there, or on its way, and what releases it is the champion race, not the train job.
 */
final class ChampionRestarts {

    /** The variant each held task may not be answered by, until a champion record or a newer version. */
    static final MapStateDescriptor<String, String> HELD =
            new MapStateDescriptor<>("held-champion-restarts", Types.STRING, Types.STRING);

    /** Per held task, the generation of the held variant a champion record must name to answer its restart. */
    static final MapStateDescriptor<String, Long> ASKED =
            new MapStateDescriptor<>("held-champion-generations", Types.STRING, Types.LONG);

    private final Counter held;
    private final Counter stale;
    private final Counter heldDeadLetters;
    /** Serving a fixed variant, nothing is held and no state of the champion's is touched. */
    private final boolean followsChampion;

    ChampionRestarts(MetricGroup metrics, boolean followsChampion) {
        held = metrics.counter("championRestartsHeld");
        heldDeadLetters = metrics.counter("championRestartsDeadLetters");
        stale = metrics.counter("championRecordsStale");
        this.followsChampion = followsChampion;
    }

    /**
     * A tombstone of {@code key}, {@code task/variant}, holds the task from the variant if it serves or is wanted by
     * it (a chunk key's {@code variant#k} never does), asking for a generation past the {@code forgotten} model's.
     */
    void tombstone(BaseBroadcastProcessFunction.Context ctx, String key, ModelSnapshot forgotten) throws Exception {
        int slash = key.lastIndexOf('/');
        if (!followsChampion || slash <= 0) {
            return;
        }
        String task = key.substring(0, slash);
        String variant = key.substring(slash + 1);
        if (variant.equals(ctx.getBroadcastState(ServeFunction.SERVING).get(task))
                || variant.equals(ctx.getBroadcastState(ServeFunction.WANTED).get(task))) {
            ctx.getBroadcastState(HELD).put(task, variant);
            if (forgotten == null || forgotten.getGeneration() == null) {
                ctx.getBroadcastState(ASKED).remove(task);
            } else {
                ctx.getBroadcastState(ASKED).put(task, forgotten.getGeneration() + 1);
            }
        }
    }

    /**
     * Whether the stored {@code snapshot} is held from its task: the held variant's version 0. Any later version
     * ends the hold and answers as usual.
     */
    boolean holds(BaseBroadcastProcessFunction.Context ctx, ModelSnapshot snapshot) throws Exception {
        if (!followsChampion) {
            return false;
        }
        BroadcastState<String, String> holds = ctx.getBroadcastState(HELD);
        if (!snapshot.getVariant().equals(holds.get(snapshot.getTask()))) {
            return false;
        }
        if (snapshot.getVersion() == 0) {
            Long asked = ctx.getBroadcastState(ASKED).get(snapshot.getTask());
            if (snapshot.getGeneration() != null && (asked == null || asked < snapshot.getGeneration())) {
                ctx.getBroadcastState(ASKED).put(snapshot.getTask(), snapshot.getGeneration());
            }
            held.inc();
            return true;
        }
        release(ctx, snapshot.getTask());
        return false;
    }

    /**
     * Whether {@code champion} may change what serves its task: not if the task is held and the record was written
     * before the held variant's restart (its generation for it below the one asked), then counted as stale.
     */
    boolean answers(BaseBroadcastProcessFunction.Context ctx, Champion champion) throws Exception {
        String task = champion.getTask();
        String heldVariant = followsChampion ? ctx.getBroadcastState(HELD).get(task) : null;
        Long asked = heldVariant == null ? null : ctx.getBroadcastState(ASKED).get(task);
        Map<String, Long> generations = champion.getGenerations();
        if (asked == null || generations == null) {
            return true;
        }
        Long generation = generations.get(heldVariant);
        if (generation != null && generation >= asked) {
            return true;
        }
        stale.inc();
        return false;
    }

    /** Whether the task's examples wait rather than be answered by {@code serving}. */
    boolean waits(BaseBroadcastProcessFunction.ReadOnlyContext ctx, String task, String serving) throws Exception {
        return followsChampion && serving != null && serving.equals(ctx.getBroadcastState(HELD).get(task));
    }

    /**
     * Why an example of {@code task}, held from its reset champion {@code heldVariant}, is a dead letter (the caller
     * adds the bound it broke), counted as one of the hold's dead letters.
     */
    String heldDeadLetter(BaseBroadcastProcessFunction.ReadOnlyContext ctx, String task, String heldVariant)
            throws Exception {
        heldDeadLetters.inc();
        ModelSnapshot model = ctx.getBroadcastState(ServeFunction.MODELS).get(task + "/" + heldVariant);
        Long asked = ctx.getBroadcastState(ASKED).get(task);
        return "task '" + task + "' is held from its reset champion '" + heldVariant + "', whose "
                + (model == null ? "fresh model has not arrived yet and" : "version " + model.getVersion()
                + " is here but") + " answers only once a champion record for the task"
                + (asked == null ? "" : " naming generation " + asked + " or later of '" + heldVariant + "'")
                + " or version 1 or later of '" + heldVariant + "' arrives";
    }

    /**
     * A champion record naming {@code variant} for {@code task} ends the task's hold if it names the held variant or
     * one whose {@code model} is here; whether it vetted the held variant's model, whose examples then wait no more.
     */
    boolean vets(BaseBroadcastProcessFunction.Context ctx, String task, String variant, ModelSnapshot model)
            throws Exception {
        String heldVariant = ctx.getBroadcastState(HELD).get(task);
        if (heldVariant == null || !(heldVariant.equals(variant) || model != null)) {
            return false;
        }
        release(ctx, task);
        return heldVariant.equals(variant) && model != null;
    }

    private static void release(BaseBroadcastProcessFunction.Context ctx, String task) throws Exception {
        ctx.getBroadcastState(HELD).remove(task);
        ctx.getBroadcastState(ASKED).remove(task);
    }
}
