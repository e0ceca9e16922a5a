package dev.chorus.jobs.serve;

import dev.chorus.core.select.ChampionRace;
import dev.chorus.jobs.TaskBound;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantStanding;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * What the serve job's broadcast state may hold: beyond the allow-list, the models of at most {@code maxTasks} tasks
 * and, following the champion, of at most {@code maxVariantsPerTask} variants per task.
 *
 * <p>Following the champion, the variant bound is one of live variants. The latest champion record applied for each
 * task leaves its standings here ({@link #STANDINGS}): which variants it names live (champion, challengers) and
 * which retired, each retired one with the generation the record names for its model. A model of a variant the
 * latest record names retired is not kept, unless it serves the task or is wanted by it, or is held from it
 * ({@link ChampionRestarts}): its models are forgotten when the record comes, its snapshots are not stored when they
 * come later (a retired variant's last ones, in flight, or a replay of the compacted models topic), unless they are of
 * a later generation than the record names (the variant was revived since) or a tombstone of the variant (its reset
 * or revival) came after the record. The race keeps only its {@code ChampionRace.MAX_RETIRED} most recently retired
 * standings, so a variant retired long ago is named by no record; a variant too new to have predicted is named by
 * none either. So when a model of a new variant finds the bound full, a model of another variant (or its parts
 * waiting for assembly) gives way if it ranks lower ({@link #victim}): retired, then named by no record, then live; a
 * variant serving, wanted by or held from the task outranks them all and never gives way. Among models of one rank,
 * the oldest snapshot ({@code createdAt}), then the first key, gives way. So the champion finds room unless the
 * serving variant and the variants held from the task fill the bound (with --max-variants-per-task 1, the serving one
 * alone), even in a task no record has left standings for (a restore from before them), a live variant finds room unless the task's live
 * variants fill the bound, and a variant named by no record finds room only beside the others.
 *
 * <p>Every decision reads broadcast state only, which every instance updates in one order (ServeJob passes the
 * models and champions records through one subtask), so all instances decide alike.
 */
final class ServeBounds implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * Per task, the variants its latest applied champion record names: {@link #LIVE} for the champion and the
     * challengers, for a retired one the generation the record names for its model, or
     * {@link ChampionRestarts#NO_GENERATION}.
     */
    static final MapStateDescriptor<String, Map<String, Long>> STANDINGS = new MapStateDescriptor<>(
            "champion-standings", Types.STRING, Types.MAP(Types.STRING, Types.LONG));

    /** A live variant's entry in {@link #STANDINGS}; a retired one's is a generation, or -1 for none. */
    static final long LIVE = -2;

    /**
     * In a task's {@link #STANDINGS}, the key {@code "/" + variant} marks a restart of the variant (its tombstone) that
     * no record has answered yet ({@link #remember}); its value is the restart's generation, or
     * {@link ChampionRestarts#NO_GENERATION} if unknown. No variant has a {@code /}, so no variant's entry is one.
     */
    static final String RESTART = "/";

    /**
     * In a task's {@link #STANDINGS}, the key {@code "//" + variant} holds the generation the latest records last named
     * the variant live at: the latest record's, if it names it live with one, carried while the records that follow
     * name it retired ({@link #remember}). The records that named it live at a restart's generation were written
     * after that restart, so they answered it ({@link #restarted}); and a record naming it retired at a later generation
     * than that is a restart's own retirement of the old model, which a record naming it live follows
     * ({@link #namesRetired}). No variant has a {@code /}, so no variant's entry nor any mark is one.
     */
    static final String LIVE_AT = RESTART + RESTART;

    /** Ranks of a task's variants: a model gives way only to a variant of a higher rank. */
    private static final int RETIRED = 0;
    private static final int UNNAMED = 1;
    private static final int NAMED_LIVE = 2;
    private static final int CHAMPION = 3;

    /** Either side's broadcast state, {@code ctx::getBroadcastState}. */
    interface States {
        <K, V> ReadOnlyBroadcastState<K, V> get(MapStateDescriptor<K, V> descriptor) throws Exception;
    }

    private final TaskBound taskBound;
    private final int maxVariants;
    private transient long entriesExamined;

    ServeBounds(TaskBound taskBound, int maxVariants) {
        this.taskBound = taskBound;
        this.maxVariants = maxVariants;
    }

    /**
     * Whether the models of {@code task} may be held: allowed, held already, or fewer than maxTasks others are
     * ({@link #heldTasks}).
     */
    boolean holdsRoomFor(String task, States states) throws Exception {
        return taskBound.allows(task) || holdsRoomFor(task, heldTasks(states));
    }

    /** As {@link #holdsRoomFor(String, States)}, against {@code held}, what {@link #heldTasks} returned. */
    boolean holdsRoomFor(String task, Set<String> held) {
        return taskBound.allows(task) || held.contains(task) || held.size() < taskBound.maxTasks();
    }

    /**
     * The tasks beyond the allow-list that hold a place under {@code maxTasks}: one scan of broadcast state, which the
     * serve function keeps as an index for the examples that arrive until the broadcast side changes it, so that an
     * example of a task with no model costs a look-up, not a scan of every model held. A task holds its place with a
     * model, with parts of one waiting for assembly, with a champion record's wish (until a record names the wished
     * variant retired, {@link #namesRetired}), or, following the champion, while a
     * variant serves it or is held from it ({@link ChampionRestarts#HOLDS}): a reset of its only model (the tombstone)
     * does not give its place to another task before the fresh model comes. A task whose variants all retired gives it
     * up with the model that served it ({@link #servesRetiredTask}): then it is no longer served, nor held.
     */
    Set<String> heldTasks(States states) throws Exception {
        Set<String> held = new HashSet<>();
        for (var models : List.of(states.get(ServeFunction.MODELS), states.get(SnapshotAssembly.PENDING))) {
            for (Map.Entry<String, ModelSnapshot> entry : models.immutableEntries()) {
                entriesExamined++;
                held.add(entry.getValue().getTask());
            }
        }
        // A task a champion record named, whose model has not come yet, holds its room too, and so does a task served
        // (or held from a reset champion) whose model a tombstone forgot: its fresh model is on its way.
        for (Map.Entry<String, String> wish : states.get(ServeFunction.WANTED).immutableEntries()) {
            entriesExamined++;
            held.add(wish.getKey());
        }
        for (Map.Entry<String, String> serving : states.get(ServeFunction.SERVING).immutableEntries()) {
            entriesExamined++;
            held.add(serving.getKey());
        }
        for (Map.Entry<String, Long> hold : states.get(ChampionRestarts.HOLDS).immutableEntries()) {
            entriesExamined++;
            held.add(hold.getKey().substring(0, Math.max(0, hold.getKey().lastIndexOf('/'))));
        }
        held.removeIf(taskBound::allows);
        return held;
    }

    /** How many entries of broadcast state {@link #heldTasks} has read on this instance: the work the index saves. */
    long entriesExamined() {
        return entriesExamined;
    }

    /**
     * Whether {@code key}'s ({@code task/variant}) variant serves its task while the task's latest champion record
     * names it retired and no variant of the task live: no trainer trains the task, so no model of it comes but a
     * revival's (which writes the key's tombstone and a fresh model, and a champion record naming it). Asked before a
     * tombstone of the key changes the standings ({@link #restarted}).
     */
    static boolean servesRetiredTask(String key, States states) throws Exception {
        int slash = key.lastIndexOf('/');
        if (slash <= 0) {
            return false;
        }
        String task = key.substring(0, slash);
        String variant = key.substring(slash + 1);
        Map<String, Long> named = states.get(STANDINGS).get(task);
        Long entry = named == null ? null : named.get(variant);
        return variant.equals(states.get(ServeFunction.SERVING).get(task)) && entry != null && entry != LIVE
                && !named.containsValue(LIVE);
    }

    /** Whether {@code task} holds no model, no parts of one waiting for assembly and no champion record's wish. */
    static boolean holdsNothingOf(String task, States states) throws Exception {
        return heldModels(task, states).isEmpty() && !states.get(ServeFunction.WANTED).contains(task);
    }

    /** How many variants of {@code task} hold a model or parts of one waiting for assembly. */
    int variantsOf(String task, States states) throws Exception {
        return heldModels(task, states).size();
    }

    /** Whether {@code part}'s key ({@code task/variant}) holds a model or parts waiting for assembly already. */
    static boolean holdsKeyOf(ModelSnapshot part, States states) throws Exception {
        if (states.get(ServeFunction.MODELS).contains(part.getTask() + "/" + part.getVariant())) {
            return true;
        }
        for (Map.Entry<String, ModelSnapshot> entry : states.get(SnapshotAssembly.PENDING).immutableEntries()) {
            if (entry.getValue().getTask().equals(part.getTask())
                    && entry.getValue().getVariant().equals(part.getVariant())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Keeps the standings of {@code champion}, a record the serve job follows, as its task's latest. A variant with a
     * {@code /} (no model has one) is not kept, nor is a generation below 0 (none is; -2 marks a live variant), which
     * counts as none.
     *
     * <p>A restart of the variant (its tombstone, {@link #restarted}) leaves a mark that the record may answer. The
     * selection's reset of a variant in place names its new generation, then the variant retired at that generation
     * (the old model's retirement, a succession if it was the champion), then live; its tombstone and fresh model may
     * reach the serve job before or between those records. So a record naming the marked variant retired at the
     * restart's generation or later (or while the restart's generation is unknown) is taken for the restart's own
     * retirement of the old model: the variant is left unnamed (its fresh model is kept, ranking as one no record names)
     * and the mark is spent, so the next record that retires it retires it. One naming it retired with no generation
     * (a --spec default's, or a selection job's before generations) cannot say it was written after the restart: the
     * variant is left unnamed and the mark kept. One naming a lower generation was written before the restart: the
     * variant's fresh model, of a later generation, is kept as a live one's. A record naming it live at the restart's
     * generation or later (or with none known) spends the mark.
     */
    void remember(Champion champion, States states, BroadcastState<String, Map<String, Long>> standings)
            throws Exception {
        String task = champion.getTask();
        Map<String, Long> generations = champion.getGenerations();
        Map<String, Long> previous = standings.get(task);
        Map<String, Long> named = new HashMap<>();
        Set<String> answered = new HashSet<>();
        int kept = 0;
        int retired = 0;
        for (VariantStanding standing : champion.getStandings()) {
            String variant = standing.getVariant();
            if (kept >= maxVariants + ChampionRace.MAX_RETIRED) {
                break; // no race names more: a record that does is not held whole
            }
            boolean live = standing.getStatus() != StandingStatus.RETIRED;
            if (variant.indexOf('/') >= 0 || !answered.add(variant)
                    || (!live && retired >= ChampionRace.MAX_RETIRED)) {
                continue;
            }
            Long generation = generations == null ? null : generations.get(variant);
            long entry = generation == null || generation < 0 ? ChampionRestarts.NO_GENERATION : generation;
            Long mark = previous == null ? null : previous.get(RESTART + variant);
            if (mark != null) {
                boolean afterRestart = entry != ChampionRestarts.NO_GENERATION && entry >= mark;
                if (!live && (afterRestart || entry == ChampionRestarts.NO_GENERATION)) {
                    if (!afterRestart) {
                        named.put(RESTART + variant, mark);
                    }
                    continue; // the restart's own retirement of the old model, or one that cannot tell: unnamed
                }
                boolean spent = live && (afterRestart || generation == null && mark == ChampionRestarts.NO_GENERATION);
                if (!spent) {
                    named.put(RESTART + variant, mark);
                }
            }
            named.put(variant, live ? LIVE : entry);
            Long liveAt = live ? (entry == ChampionRestarts.NO_GENERATION ? null : entry)
                    : previous == null ? null : previous.get(LIVE_AT + variant);
            if (liveAt != null) {
                named.put(LIVE_AT + variant, liveAt);
            }
            kept++;
            retired += live ? 0 : 1;
        }
        if (previous != null) {
            // A mark of a variant the record does not name stays while the variant holds a model or parts of one.
            Set<String> held = heldModels(task, states).keySet();
            for (Map.Entry<String, Long> mark : previous.entrySet()) {
                String variant = mark.getKey().startsWith(RESTART) && !mark.getKey().startsWith(LIVE_AT)
                        ? mark.getKey().substring(RESTART.length()) : null;
                if (variant != null && !answered.contains(variant) && held.contains(task + "/" + variant)) {
                    named.put(mark.getKey(), mark.getValue());
                }
            }
        }
        standings.put(task, named);
    }

    /**
     * A tombstone of {@code key} ({@code task/variant}): the train job reset or revived the variant (or
     * {@code chorus models reset} forgot its model). A retirement the task's latest record names is over: its fresh
     * model is kept as one of a variant no record names. If the latest record names the variant, its entry is marked
     * ({@link #RESTART}) with the generation the restart starts from, past the {@code forgotten} model's (or
     * {@link ChampionRestarts#NO_GENERATION} if unknown), for the records that follow ({@link #remember}). Unless the
     * latest records named the variant live at that generation or later ({@link #LIVE_AT}): they were written after the
     * restart and answered it (its own retirement came before them, the topics reached the serve job in that order), so
     * what they name stands, a retirement too: a tombstone that comes late changes nothing in the standings.
     */
    static void restarted(String key, ModelSnapshot forgotten, BroadcastState<String, Map<String, Long>> standings)
            throws Exception {
        int slash = key.lastIndexOf('/');
        Map<String, Long> named = slash <= 0 ? null : standings.get(key.substring(0, slash));
        String variant = key.substring(slash + 1);
        Long entry = named == null ? null : named.get(variant);
        if (entry == null) {
            return;
        }
        long restart = forgotten == null || forgotten.getGeneration() == null || forgotten.getGeneration() < 0
                ? ChampionRestarts.NO_GENERATION : forgotten.getGeneration() + 1;
        Long liveAt = named.get(LIVE_AT + variant);
        if (restart != ChampionRestarts.NO_GENERATION && liveAt != null && liveAt >= restart) {
            return;
        }
        Map<String, Long> copy = new HashMap<>(named);
        if (entry != LIVE) {
            copy.remove(variant);
        }
        copy.put(RESTART + variant, restart);
        standings.put(key.substring(0, slash), copy);
    }

    /**
     * Whether {@code task}'s latest champion record names {@code variant} retired, the train job's retirement of it as
     * far as the records tell: not at a later generation than the records last named it live at ({@link #LIVE_AT}),
     * which is a restart's own retirement of its old model, followed by a record naming it live. No model of a
     * retired variant comes but one written before its retirement, which is not kept ({@link #retired}).
     */
    static boolean namesRetired(String task, String variant, States states) throws Exception {
        Map<String, Long> named = states.get(STANDINGS).get(task);
        Long entry = named == null ? null : named.get(variant);
        if (entry == null || entry == LIVE) {
            return false;
        }
        Long liveAt = named.get(LIVE_AT + variant);
        return entry == ChampionRestarts.NO_GENERATION || liveAt == null || entry <= liveAt;
    }

    /** A model of a restarted ({@link #restarted}) variant is stored: its generation is the restart's. */
    static void stored(ModelSnapshot model, BroadcastState<String, Map<String, Long>> standings) throws Exception {
        Map<String, Long> named = standings.get(model.getTask());
        Long mark = named == null ? null : named.get(RESTART + model.getVariant());
        if (mark != null && model.getGeneration() != null && model.getGeneration() > mark) {
            Map<String, Long> copy = new HashMap<>(named);
            copy.put(RESTART + model.getVariant(), model.getGeneration());
            standings.put(model.getTask(), copy);
        }
    }

    /**
     * Whether {@code model} (a snapshot or a part of one) is of a variant its task's latest champion record names
     * retired, and neither of a later generation than the record names nor serving, wanted by or held from the task:
     * a model the serve job does not keep.
     */
    boolean retired(ModelSnapshot model, States states) throws Exception {
        return rank(model.getTask(), model.getVariant(), model.getGeneration(), states) == RETIRED;
    }

    /**
     * The keys ({@code task/variant}) of the models of {@code task}, or of parts of one waiting for assembly, that the
     * serve job no longer keeps ({@link #retired}).
     */
    List<String> retiredKeys(String task, States states) throws Exception {
        List<String> keys = new ArrayList<>();
        for (Map.Entry<String, ModelSnapshot> held : heldModels(task, states).entrySet()) {
            if (retired(held.getValue(), states)) {
                keys.add(held.getKey());
            }
        }
        return keys;
    }

    /**
     * The key ({@code task/variant}) of the model of {@code task} that gives way to a first model of {@code variant}
     * when the variant bound is full, or null if none ranks below it.
     */
    String victim(String task, String variant, States states) throws Exception {
        int incoming = rank(task, variant, null, states);
        if (incoming < CHAMPION && states.get(STANDINGS).get(task) == null) {
            // No champion record of the task applied (none yet, or a restore from before the standings): nothing tells
            // its variants apart but the champion, serving, wanted or held, which any other gives way to.
            return null;
        }
        record Candidate(String key, int rank, long createdAt) {}
        List<Candidate> candidates = new ArrayList<>();
        for (Map.Entry<String, ModelSnapshot> held : heldModels(task, states).entrySet()) {
            ModelSnapshot model = held.getValue();
            int rank = rank(task, model.getVariant(), model.getGeneration(), states);
            if (rank < incoming) {
                candidates.add(new Candidate(held.getKey(), rank, model.getCreatedAt()));
            }
        }
        return candidates.stream().min(Comparator.comparingInt(Candidate::rank)
                .thenComparingLong(Candidate::createdAt).thenComparing(Candidate::key))
                .map(Candidate::key).orElse(null);
    }

    /**
     * Where {@code variant} of {@code task} stands: serving, wanted or held outranks all; then a variant the latest
     * record names live, or retired but whose model ({@code generation}, null if unknown) is of a later generation than
     * the record names; then one the record does not name (or none has come); then one it names retired.
     */
    private static int rank(String task, String variant, Long generation, States states) throws Exception {
        if (variant.equals(states.get(ServeFunction.SERVING).get(task))
                || variant.equals(states.get(ServeFunction.WANTED).get(task))
                || states.get(ChampionRestarts.HOLDS).contains(task + "/" + variant)) {
            return CHAMPION;
        }
        Map<String, Long> named = states.get(STANDINGS).get(task);
        Long entry = named == null ? null : named.get(variant);
        if (entry == null) {
            return UNNAMED;
        }
        if (entry == LIVE) {
            return NAMED_LIVE;
        }
        boolean later = generation != null && entry != ChampionRestarts.NO_GENERATION && generation > entry;
        return later ? NAMED_LIVE : RETIRED;
    }

    /**
     * The models of {@code task} by key ({@code task/variant}), and the keys that hold only parts waiting for
     * assembly, each by one of its parts.
     */
    private static Map<String, ModelSnapshot> heldModels(String task, States states) throws Exception {
        Map<String, ModelSnapshot> held = new HashMap<>();
        for (Map.Entry<String, ModelSnapshot> entry : states.get(ServeFunction.MODELS).immutableEntries()) {
            if (entry.getValue().getTask().equals(task)) {
                held.put(entry.getKey(), entry.getValue());
            }
        }
        for (Map.Entry<String, ModelSnapshot> entry : states.get(SnapshotAssembly.PENDING).immutableEntries()) {
            ModelSnapshot part = entry.getValue();
            if (part.getTask().equals(task)) {
                held.putIfAbsent(part.getTask() + "/" + part.getVariant(), part);
            }
        }
        return held;
    }
}
