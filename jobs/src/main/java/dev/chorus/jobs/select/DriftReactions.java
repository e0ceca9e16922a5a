package dev.chorus.jobs.select;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.select.ChampionRace;
import dev.chorus.core.select.DriftSpec;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.jobs.train.Variants;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * What a drift event of a variant makes the train job do, as control records (source {@value #SOURCE}) that go
 * the way of a search's decisions: written to the control topic, read back by the specs source.
 * <ul>
 *   <li>{@value DriftSpec#FORK}: when the variant is its task's champion and no fork of it is live,
 *       {@code forkVariants} LIVE challengers {@code <champion>-f<n>} with the champion's spec, or points drawn
 *       around it from {@code forkSpace} (the reason names the point), and seeds of their own ({@code seed + n};
 *       {@link DriftSpec#fork}); the champion keeps serving until one beats it under the race's paired test. Their
 *       names go on with {@code n} at each fork, so a later fork never reuses a retired one's name; a job started
 *       afresh counts again from 1, so a challenger that is not live gets {@code "revive":true}, which a key an
 *       earlier run retired needs to come back. A fork stays
 *       live until each of its challengers is retired on the broadcast, or, for one the job refused (a dead letter:
 *       the task's {@code maxVariantsPerTask} was reached, or its spec does not read), never came back on it while
 *       the champion labelled {@code forkPatienceExamples} examples since the fork; it is remembered in keyed
 *       state ({@link #FORKS}, {@link #FORK_STARTS}), as its records take a checkpoint to come back on the
 *       broadcast. A challenger of a fork that the paired test has counted {@code forkPatienceExamples} pairs of against the champion without
 *       promoting it gets a RETIRED record with that as {@code reason} ({@link #outOfPatience}).
 *   <li>{@value DriftSpec#RESET}: one LIVE record of the variant with its model spec (its {@code drift} kept, no
 *       {@code warmStart}: fresh weights) and {@code revive}, the event as {@code reason}: a reset in place
 *       ({@link dev.chorus.jobs.train.SpecControl}). The variant never stops being live, so the router sends it
 *       every example and none is a dead letter: the trainer swaps its model for a fresh one at model version 0
 *       and keeps its open minibatch, whose examples the fresh model predicts and trains on when it closes; each
 *       example gets one prediction of each variant, exactly once, as the swap is one change of keyed state between
 *       two records. The race retires the variant (publishing a champion's successor, the live challenger of
 *       lowest mean loss, with the event as the variant's {@code retiredReason}, {@link #explain}) and revives it
 *       at once with an empty record: it must beat that successor under the paired test to serve again (a sole
 *       variant is champion again). Its record pairs its predictions from the swap on, but for those of its old
 *       model still on their way to the race when the record reaches it. No reset of a variant whose previous one
 *       has not come back on the broadcast ({@link #RESETS}).
 *   <li>{@value DriftSpec#REWARM}: as a reset, but the record's spec has a warm start from the variant itself with the
 *       optimizer reset ({@link VariantSpecs#rewarmSpec}) and no {@code initialModel}, as this operator holds no model
 *       bytes: the trainer that owns the variant builds its restarted model from its own keyed state, the weights,
 *       standardiser statistics and layer state kept, the optimizer's moments and step count (so the learning-rate
 *       schedule) and the model version from 0 ({@link dev.chorus.jobs.train.WarmStarts#rewarms}). A label model's
 *       or a skip-gram's spec does not take the reaction ({@link DriftSpec}).
 *   <li>{@value DriftSpec#NONE}: nothing is written (the event is in the standings).
 * </ul>
 */
final class DriftReactions {

    /** The {@code source} of the control records a drift reaction writes. */
    static final String SOURCE = "drift";

    /** Per task, champion → the challengers of its latest fork. */
    static final MapStateDescriptor<String, List<String>> FORKS =
            new MapStateDescriptor<>("drift-forks", Types.STRING, Types.LIST(Types.STRING));

    /**
     * Per task, champion → its labelled examples ({@link ChampionRace.Standing#labelled}) at its latest fork. State
     * restored from before it existed has none: such a fork counts from 0.
     */
    static final MapStateDescriptor<String, Long> FORK_STARTS =
            new MapStateDescriptor<>("drift-fork-starts", Types.STRING, Types.LONG);

    /** Per task, variant → the reason of its reset (or rewarm) whose revival is not back on the broadcast yet. */
    static final MapStateDescriptor<String, String> RESETS =
            new MapStateDescriptor<>("drift-resets", Types.STRING, Types.STRING);

    private final MapState<String, List<String>> forks;
    private final MapState<String, Long> forkStarts;
    private final MapState<String, String> resets;

    DriftReactions(RuntimeContext context) {
        this.forks = context.getMapState(FORKS);
        this.forkStarts = context.getMapState(FORK_STARTS);
        this.resets = context.getMapState(RESETS);
    }

    /**
     * The control records of {@code variant}'s drift event at {@code now}, its {@code driftEvents}-th, under its
     * {@code drift} spec; why nothing is written, as the records' absence says, is in {@link #why}.
     */
    List<VariantSpecRecord> react(ReadOnlyBroadcastState<String, String> specs, String task, String variant,
            DriftSpec drift, ChampionRace race, long now) throws Exception {
        if (!why(specs, task, variant, drift, race).isEmpty()) {
            return List.of();
        }
        String json = specs.get(Variants.key(task, variant));
        ModelSpec champion = VariantSpecs.parseVariant(json, Integer.MAX_VALUE).model();
        long events = race.standings().stream().filter(s -> s.variant().equals(variant)).findFirst()
                .map(ChampionRace.Standing::driftEvents).orElse(1L);
        if (drift.reaction().equals(DriftSpec.RESET) || drift.reaction().equals(DriftSpec.REWARM)) {
            return reset(task, variant, json, drift, events, variant.equals(race.champion()), now);
        }
        List<VariantSpecRecord> records = new ArrayList<>();
        int i = 0;
        for (DriftSpec.ForkChallenger challenger : drift.fork(variant, champion, events)) {
            i++;
            String drawn = challenger.hyperparameters().isEmpty() ? "" : ", drawn from drift.forkSpace: "
                    + challenger.hyperparameters();
            // A name a fork of an earlier run of the job retired (this one's drift events count from its own
            // start) comes back with revive, which a retired key needs; one that is live is left as it is.
            String spec = VariantSpecs.derived(challenger.spec(), json);
            records.add(VariantSpecRecord.newBuilder().setTask(task).setVariant(challenger.name())
                    .setStatus(VariantStatus.LIVE)
                    .setSpec(VariantSpecs.isLive(specs, task, challenger.name()) ? spec : VariantSpecs.revived(spec))
                    .setUpdatedAt(now).setSource(SOURCE).setReason("drift event " + events + " of champion " + variant
                            + " at " + now + " (" + drift.detector() + "): fork " + i + " of " + drift.forkVariants()
                            + drawn + (challenger.note().isEmpty() ? "" : "; " + challenger.note()))
                    .build());
        }
        forks.put(variant, records.stream().map(VariantSpecRecord::getVariant).toList());
        forkStarts.put(variant, labelled(race, variant));
        return records;
    }

    /**
     * The RETIRED record of {@code challenger} when it is of a champion's latest fork, whose patience under
     * {@code drift} ran out against {@code champion}; empty for any other variant.
     */
    Optional<VariantSpecRecord> outOfPatience(String task, String challenger, DriftSpec drift, String champion,
            long now) throws Exception {
        for (Map.Entry<String, List<String>> fork : forks.entries()) {
            if (fork.getValue().contains(challenger)) {
                return Optional.of(VariantSpecRecord.newBuilder().setTask(task).setVariant(challenger)
                        .setStatus(VariantStatus.RETIRED).setSpec(null).setUpdatedAt(now).setSource(SOURCE)
                        .setReason(drift.forkPatienceReason(challenger, fork.getKey(), champion)).build());
            }
        }
        return Optional.empty();
    }

    /** Why {@code variant}'s drift event writes nothing: empty when it forks. */
    String why(ReadOnlyBroadcastState<String, String> specs, String task, String variant, DriftSpec drift,
            ChampionRace race) throws Exception {
        if (drift.reaction().equals(DriftSpec.NONE)) {
            return "reaction " + drift.reaction();
        }
        if (drift.reaction().equals(DriftSpec.RESET) || drift.reaction().equals(DriftSpec.REWARM)) {
            return specs.get(Variants.key(task, variant)) == null ? "no spec on the control topic"
                    : resets.contains(variant) ? "its previous reset is not back yet: " + resets.get(variant) : "";
        }
        if (!variant.equals(race.champion())) {
            return "not the champion";
        }
        if (specs.get(Variants.key(task, variant)) == null) {
            return "no spec on the control topic";
        }
        long sinceFork = -1;
        for (String challenger : forks.contains(variant) ? forks.get(variant) : List.<String>of()) {
            if (VariantSpecs.retired(specs, task, challenger)) {
                continue;
            }
            if (specs.get(Variants.key(task, challenger)) == null) {
                if (sinceFork < 0) {
                    Long start = forkStarts.get(variant);
                    long now = labelled(race, variant);
                    // A record emptied by a reset counts again from 0.
                    sinceFork = start == null || now < start ? now : now - start;
                }
                if (sinceFork >= drift.forkPatienceExamples()) {
                    continue; // the job refused its record: it will not come back
                }
            }
            return "a fork of " + variant + " is live: " + challenger;
        }
        return "";
    }

    private static long labelled(ChampionRace race, String variant) {
        return race.standings().stream().filter(s -> s.variant().equals(variant)).findFirst()
                .map(ChampionRace.Standing::labelled).orElse(0L);
    }

    /**
     * The LIVE record with {@code revive} that restarts {@code variant} in place, from fresh weights or, for a rewarm,
     * from its own; remembered until back.
     */
    private List<VariantSpecRecord> reset(String task, String variant, String json, DriftSpec drift, long events,
            boolean champion, long now) throws Exception {
        boolean rewarm = drift.reaction().equals(DriftSpec.REWARM);
        String reason = "drift event " + events + " of " + (champion ? "champion " : "variant ") + variant + " at "
                + now + " (" + drift.detector() + "): "
                + (rewarm ? "rewarm: its own weights, optimizer and schedule restarted" : "reset to fresh weights");
        resets.put(variant, reason);
        return List.of(VariantSpecRecord.newBuilder().setTask(task).setVariant(variant).setStatus(VariantStatus.LIVE)
                .setSpec(rewarm ? VariantSpecs.rewarmSpec(json, variant) : VariantSpecs.resetSpec(json))
                .setUpdatedAt(now).setSource(SOURCE).setReason(reason).build());
    }

    /** {@code variant} is live again on the broadcast: its reset, if any, came back. */
    void revived(String variant) throws Exception {
        resets.remove(variant);
    }

    /** Sets the reason of each RETIRED standing whose variant is being reset. */
    void explain(Champion record) throws Exception {
        for (VariantStanding s : record.getStandings()) {
            if (s.getStatus() == StandingStatus.RETIRED && resets.contains(s.getVariant())) {
                s.setRetiredReason(resets.get(s.getVariant()));
            }
        }
    }
}
