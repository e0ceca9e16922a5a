package dev.chorus.jobs.serve;

import dev.chorus.jobs.ExampleValidator;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.ModelSnapshot;
import java.util.ArrayList;
import java.util.List;
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
 * variant a task is served by (or wants) holds the task from that variant ({@link #HOLDS}, one hold per variant, so
 * the wanted variant's and the serving one's restarts are both held): its version 0 is stored but answers nothing,
 * and the task's examples wait while the variant they would be served by is held, until a champion record for the task
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
 * compared. A hold asks for the held variant's restart (the value of its {@link #HOLDS} entry): one past the forgotten model's generation
 * from the tombstone on, the fresh model's own once it arrives. A champion record whose generation for a held
 * variant of its task is below that (or absent) was written before that restart, however late it arrives: it changes nothing and
 * is counted as {@code championRecordsStale}. A hold that asks for no generation (the forgotten and the fresh model
 * carry none, from train jobs before generations) and a record that carries none (from such a job) decide as before.
 *
 * <p>A held task's examples that become dead letters (past {@code maxWaitingPerTask}, or still waiting when a
 * bounded input ends) say so ({@link #heldDeadLetter}) and are counted as {@code championRestartsDeadLetters}: a
 * model is there, or on its way, and what releases it is the champion race, not the train job.
 */
final class ChampionRestarts {

    /**
     * The holds: per held variant, key {@code task/variant} (a served variant never holds a {@code /}, so the last one
     * splits the key), the generation of it a champion record must name to vet its restart, or {@link #NO_GENERATION}
     * when the hold asks for none. A variant's hold ends with its version 1 or later, or with a champion record that
     * names it or a variant whose model is here (then every hold of the task ends: a later champion record of the
     * task was written after that one).
     */
    static final MapStateDescriptor<String, Long> HOLDS =
            new MapStateDescriptor<>("held-champion-restart-variants", Types.STRING, Types.LONG);

    /** A hold that asks for no generation (the forgotten and the fresh model carry none). */
    static final long NO_GENERATION = -1;

    /**
     * Before {@link #HOLDS} (sessions 11 to 28): the one variant each held task may not be answered by. Read only to
     * move a restored savepoint's holds into {@link #HOLDS}; registered so that such a savepoint's state is found.
     */
    static final MapStateDescriptor<String, String> HELD =
            new MapStateDescriptor<>("held-champion-restarts", Types.STRING, Types.STRING);

    /** Before {@link #HOLDS}: per held task, the generation of its held variant a champion record must name. */
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
        moveLegacyHolds(ctx);
        String task = key.substring(0, slash);
        String variant = key.substring(slash + 1);
        if (variant.equals(ctx.getBroadcastState(ServeFunction.SERVING).get(task))
                || variant.equals(ctx.getBroadcastState(ServeFunction.WANTED).get(task))) {
            ctx.getBroadcastState(HOLDS).put(key, forgotten == null || forgotten.getGeneration() == null
                    ? NO_GENERATION : forgotten.getGeneration() + 1);
        }
    }

    /**
     * Whether the stored {@code snapshot} is held from its task: a held variant's version 0. Any later version ends
     * that variant's hold and answers as usual.
     */
    boolean holds(BaseBroadcastProcessFunction.Context ctx, ModelSnapshot snapshot) throws Exception {
        if (!followsChampion) {
            return false;
        }
        moveLegacyHolds(ctx);
        BroadcastState<String, Long> holds = ctx.getBroadcastState(HOLDS);
        String key = snapshot.getTask() + "/" + snapshot.getVariant();
        Long asked = holds.get(key);
        if (asked == null) {
            return false;
        }
        if (snapshot.getVersion() == 0) {
            if (snapshot.getGeneration() != null && asked < snapshot.getGeneration()) {
                holds.put(key, snapshot.getGeneration());
            }
            held.inc();
            return true;
        }
        holds.remove(key);
        return false;
    }

    /**
     * Whether {@code champion} may change what serves its task: not if it was written before the restart of a held
     * variant of the task (its generation for it below the one asked, or absent), then counted as stale.
     */
    boolean answers(BaseBroadcastProcessFunction.Context ctx, Champion champion) throws Exception {
        Map<String, Long> generations = champion.getGenerations();
        if (!followsChampion || generations == null) {
            return true;
        }
        moveLegacyHolds(ctx);
        for (Map.Entry<String, Long> hold : holdsOf(ctx, champion.getTask())) {
            if (hold.getValue() == NO_GENERATION) {
                continue;
            }
            Long generation = generations.get(variantOf(hold.getKey()));
            if (generation == null || generation < hold.getValue()) {
                stale.inc();
                return false;
            }
        }
        return true;
    }

    /** Whether the task's examples wait rather than be answered by {@code serving}. */
    boolean waits(BaseBroadcastProcessFunction.ReadOnlyContext ctx, String task, String serving) throws Exception {
        return followsChampion && serving != null && asked(ctx, task, serving) != null;
    }

    /**
     * Why an example of {@code task}, held from its reset champion {@code heldVariant}, is a dead letter (the caller
     * adds the bound it broke), counted as one of the hold's dead letters.
     */
    String heldDeadLetter(BaseBroadcastProcessFunction.ReadOnlyContext ctx, String task, String heldVariant)
            throws Exception {
        heldDeadLetters.inc();
        ModelSnapshot model = ctx.getBroadcastState(ServeFunction.MODELS).get(task + "/" + heldVariant);
        Long asked = asked(ctx, task, heldVariant);
        return "task " + ExampleValidator.quoted(task) + " is held from its reset champion "
                + ExampleValidator.quoted(heldVariant) + ", whose "
                + (model == null ? "fresh model has not arrived yet and" : "version " + model.getVersion()
                + " is here but") + " answers only once a champion record for the task"
                + (asked == null || asked == NO_GENERATION ? ""
                        : " naming generation " + asked + " or later of " + ExampleValidator.quoted(heldVariant))
                + " or version 1 or later of " + ExampleValidator.quoted(heldVariant) + " arrives";
    }

    /**
     * A champion record naming {@code variant} for {@code task} ends the task's holds if it names a held variant or
     * one whose {@code model} is here; whether it vetted the held variant's model, whose examples then wait no more.
     */
    boolean vets(BaseBroadcastProcessFunction.Context ctx, String task, String variant, ModelSnapshot model)
            throws Exception {
        if (!followsChampion) {
            return false;
        }
        moveLegacyHolds(ctx);
        List<Map.Entry<String, Long>> holds = holdsOf(ctx, task);
        boolean namedIsHeld = ctx.getBroadcastState(HOLDS).contains(task + "/" + variant);
        if (holds.isEmpty() || !(namedIsHeld || model != null)) {
            return false;
        }
        for (Map.Entry<String, Long> hold : holds) {
            ctx.getBroadcastState(HOLDS).remove(hold.getKey());
        }
        return namedIsHeld && model != null;
    }

    /** Ends every hold of {@code task}: it is no longer served ({@code ServeFunction}'s reset of a retired task). */
    void forget(BaseBroadcastProcessFunction.Context ctx, String task) throws Exception {
        moveLegacyHolds(ctx);
        for (Map.Entry<String, Long> hold : holdsOf(ctx, task)) {
            ctx.getBroadcastState(HOLDS).remove(hold.getKey());
        }
    }

    /** The task's holds, copied (the caller may remove them). */
    private static List<Map.Entry<String, Long>> holdsOf(BaseBroadcastProcessFunction.Context ctx, String task)
            throws Exception {
        List<Map.Entry<String, Long>> holds = new ArrayList<>(1);
        for (Map.Entry<String, Long> hold : ctx.getBroadcastState(HOLDS).entries()) {
            int slash = hold.getKey().lastIndexOf('/');
            if (slash == task.length() && hold.getKey().startsWith(task)) {
                holds.add(Map.entry(hold.getKey(), hold.getValue()));
            }
        }
        return holds;
    }

    private static String variantOf(String holdKey) {
        return holdKey.substring(holdKey.lastIndexOf('/') + 1);
    }

    /**
     * The generation {@code task}'s hold from {@code variant} asks for ({@link #NO_GENERATION} for none), or null if
     * the variant is not held; a restored savepoint's holds of the layout before {@link #HOLDS} count until moved.
     */
    private static Long asked(BaseBroadcastProcessFunction.ReadOnlyContext ctx, String task, String variant)
            throws Exception {
        Long asked = ctx.getBroadcastState(HOLDS).get(task + "/" + variant);
        if (asked != null || !variant.equals(ctx.getBroadcastState(HELD).get(task))) {
            return asked;
        }
        Long legacy = ctx.getBroadcastState(ASKED).get(task);
        return legacy == null ? NO_GENERATION : legacy;
    }

    /**
     * Moves the holds of a savepoint from before {@link #HOLDS} (one per task, its generation apart) into it, once:
     * afterwards the old states are empty and stay so.
     */
    private static void moveLegacyHolds(BaseBroadcastProcessFunction.Context ctx) throws Exception {
        BroadcastState<String, String> legacy = ctx.getBroadcastState(HELD);
        if (!legacy.iterator().hasNext()) {
            return;
        }
        BroadcastState<String, Long> legacyAsked = ctx.getBroadcastState(ASKED);
        for (Map.Entry<String, String> hold : legacy.entries()) {
            Long asked = legacyAsked.get(hold.getKey());
            ctx.getBroadcastState(HOLDS).put(hold.getKey() + "/" + hold.getValue(),
                    asked == null ? NO_GENERATION : asked);
        }
        legacy.clear();
        legacyAsked.clear();
    }
}
