package dev.chorus.jobs.select;

import dev.chorus.core.select.ChampionRace;
import dev.chorus.core.select.DriftSpec;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.LabelledMetrics;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.train.ModelGenerations;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.jobs.train.Variants;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks each task's champion variant from the trainer's predictions of labelled examples (keyed by task): each
 * prediction's prequential loss ({@link SelectionLosses}: log loss of the true class, clipped as the prequential
 * metrics clip it, for a classifier, from its top k classes for a large-output one; squared error for a regressor)
 * goes into the task's {@link ChampionRace}, which pairs the variants' losses by example id and runs one paired test
 * per challenger. A champion change is published at once, with its evidence; changed standings at most every
 * {@link SelectionSettings#standingsIntervalMs} (processing time), and
 * at the end of a bounded input (the last watermark), whose pending processing-time timers Flink drops. The
 * record always names the champion, so the first standings of a task are its first champion record; a task with a
 * single variant publishes standings only.
 *
 * <p>Predictions without a label or target are not compared ({@link ChampionSelection} leaves them out). A
 * prediction that is not finite, which the trainer gives the selection but not the predictions topic, scores the
 * worst loss (the clipped log loss of probability 0, not correct; a regressor's bound): a variant whose model
 * diverged loses, on every example it predicted. A prediction that cannot be scored at all (a label beyond its
 * probabilities or its spec's {@code numClasses}, a large-output variant whose spec the broadcast does not hold yet)
 * is counted {@code selectionUnscored} and not compared; it is no dead letter, since its example is already accounted
 * for by the prediction itself, and a second record would count it twice.
 *
 * <p>The control topic's accepted changes come in on the trainer's broadcast ({@link VariantSpecs#DESCRIPTOR}): a
 * retirement takes the variant out of its task's race ({@link ChampionRace#retire}; it keeps its standing as
 * RETIRED and takes no part in pairing) and publishes the task's record at once, a change of champion if the
 * champion was retired; if it was the last live variant, the record still names it, RETIRED
 * ({@link ChampionRecords#of}), and the variant that comes or comes back next is a change from it. A retired variant
 * made live again (revived: its trainer restarts it at model version 0)
 * races again from an empty record ({@link ChampionRace#revive}), published at once too; its old model's predictions
 * still on their way are counted {@code selectionStale} and take no part in anything, until its fresh model's first.
 * A prediction of a variant the broadcast says is retired is ignored even when the race has
 * not seen that variant yet (the retirement overtook its predictions). A variant that stops predicting is not
 * retired here.
 *
 * <p>Every record names the generation of each variant's model it stands ({@link ModelGenerations}, from the same
 * broadcast the trainer stamps its snapshots from): a restart's records, its succession first, name the new one.
 *
 * <p>An example's id pairs with its annotator when the prediction names one ({@link #pairingKey}), in the race and in
 * the searches' rungs alike: each labelling of a crowd item is an example of its own.
 *
 * <p>State: {@link #RACE}, the latest record, the searches' runs ({@link SearchRungs#RUNS}), the champions'
 * latest forks ({@link DriftReactions#FORKS}, {@link DriftReactions#FORK_STARTS}) and the pending resets
 * ({@link DriftReactions#RESETS}), keyed by task,
 * under uid {@link ChampionSelection#UID_SELECTION}; the broadcast state is the trainer's. The operator took the broadcast after it had shipped keyed-only, and a
 * savepoint of that operator restores here, since keyed state maps by uid and state name (the harness test
 * {@code aSnapshotOfTheKeyedOnlyOperatorRestoresItsRaceIntoTheBroadcastOne} shows it; no savepoint fixture holds
 * this operator yet).
 *
 * <p>Drift: a classifier variant whose control-topic spec has a {@code drift} detector is watched by one in the
 * race ({@link ChampionRace#observeDrift}, fed its 0/1 prequential loss; the spec is read from the broadcast, so
 * predictions that overtake it are not fed). A detection is logged, counted, and the task's record goes out at once
 * with the variant's {@code lastDriftAt}. A {@code fork} reaction of the champion writes its challengers to the
 * control topic, a {@code reset} the variant's retirement and revival ({@link DriftReactions}); a fork's challenger
 * that the paired test has counted {@code drift.forkPatienceExamples} pairs of without promoting it is retired, out
 * of the race at once as a rung's retirements are, which lets its champion fork again. A regressor's
 * variants are not watched.
 *
 * <p>Search: the rungs of each search on the control topic are decided here, on the losses this operator scores
 * ({@link SearchRungs}); a rung's retirements leave the race at once, with the rung's evidence in the standings.
 * What the selection decides goes out on {@link #SPEC_DECISIONS}, which the train job writes to the control topic:
 * Flink 2 has no iterations, so the topic is the loop back to the router and the trainer.
 *
 * <p>Metrics: {@code selectionUnpaired}, {@code selectionIgnored} (predictions of retired variants),
 * {@code selectionStale} (of a reset or revived variant's old model),
 * {@code selectionUnscored}, {@code championChanges}, {@code searchesAbandoned} ({@link SearchRungs}); per task and
 * variant the
 * {@code prequentialLoss}, {@code labelledExamples} and {@code driftEvents} of its standing. Flink cannot unregister a
 * gauge, and a fork that keeps drifting names new variants without end, so a subtask registers these for at most
 * {@value #MAX_GAUGED_VARIANTS_PER_TASK} variants per task, each when it first publishes as a live variant (a
 * retired variant is not registered); a variant the race forgot ({@link ChampionRace#MAX_RETIRED}) reports a NaN
 * loss and its last counts. A gauge holds three numbers, no state.
 */
public final class ChampionSelectionFunction
        extends KeyedBroadcastProcessFunction<String, Prediction, SpecChange, Champion> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ChampionSelectionFunction.class);
    private static final long END_OF_INPUT = Long.MAX_VALUE;
    /** Variants per task a subtask registers standing gauges for (Flink cannot unregister one). */
    static final int MAX_GAUGED_VARIANTS_PER_TASK = 64;

    /** The task's race; checkpointed in model-core's layout. */
    public static final ValueStateDescriptor<ChampionRace> RACE =
            new ValueStateDescriptor<>("champion-race", new ChampionRaceSerializer());

    /**
     * Control records the selection decides, each with its evidence in {@code reason}: a search's rung retirements
     * (source {@value SearchRungs#SOURCE}) and a drift event's forks (source {@value DriftReactions#SOURCE}).
     */
    public static final OutputTag<VariantSpecRecord> SPEC_DECISIONS =
            new OutputTag<>("spec-decisions", AvroTypes.of(VariantSpecRecord.class));
    /** The accumulator counting the control records the selection decided ({@link #SPEC_DECISIONS}). */
    public static final String DECISIONS_ACCUMULATOR = "controlRecordsDecided";

    private final SelectionSettings settings;
    private final TaskSpecs defaults;

    private transient ValueState<ChampionRace> race;
    private transient ValueState<Champion> latest;
    private transient ValueState<Long> publishAt;
    private transient Counter unpaired;
    private transient Counter ignored;
    private transient Counter stale;
    private transient Counter changes;
    private transient Counter unscored;
    private transient LongCounter decisions;
    /** Task → variant → its gauges' values, at most {@link #MAX_GAUGED_VARIANTS_PER_TASK} variants a task. */
    private transient Map<String, Map<String, VariantMetrics>> variantMetrics;
    /** Tasks whose variants reached {@link #MAX_GAUGED_VARIANTS_PER_TASK}: warned once. */
    private transient Set<String> gaugesFull;
    /** Variant key → its drift spec, read from the broadcast; dropped when the broadcast changes. */
    private transient Map<String, DriftSpec> driftSpecs;
    private transient SearchRungs searches;
    private transient DriftReactions reactions;
    private transient SelectionLosses losses;

    /** One variant's standing as gauges; written by the operator, read by reporters from another thread. */
    private static final class VariantMetrics {
        volatile double loss = Double.NaN;
        volatile long labelled;
        volatile long driftEvents;
    }

    /** A selection whose variants all have their spec on the control topic (no {@code --spec} defaults). */
    public ChampionSelectionFunction(SelectionSettings settings) {
        this(settings, TaskSpecs.of(null, Map.of()));
    }

    /** {@code defaults}: the job's {@code --spec}, which variant {@code default} trains when the topic has none. */
    public ChampionSelectionFunction(SelectionSettings settings, TaskSpecs defaults) {
        this.settings = settings;
        this.defaults = Objects.requireNonNull(defaults, "defaults");
    }

    @Override
    public void open(OpenContext openContext) {
        race = getRuntimeContext().getState(RACE);
        latest = getRuntimeContext().getState(new ValueStateDescriptor<>("champion-latest",
                AvroTypes.of(Champion.class)));
        publishAt = getRuntimeContext().getState(new ValueStateDescriptor<>("standings-publish-at", Types.LONG));
        var metrics = getRuntimeContext().getMetricGroup();
        unpaired = metrics.counter("selectionUnpaired");
        ignored = metrics.counter("selectionIgnored");
        stale = metrics.counter("selectionStale");
        changes = metrics.counter("championChanges");
        unscored = metrics.counter("selectionUnscored");
        decisions = new LongCounter();
        getRuntimeContext().addAccumulator(DECISIONS_ACCUMULATOR, decisions);
        variantMetrics = new HashMap<>();
        gaugesFull = new HashSet<>();
        driftSpecs = new HashMap<>();
        searches = new SearchRungs(getRuntimeContext());
        reactions = new DriftReactions(getRuntimeContext());
        losses = new SelectionLosses(defaults);
    }

    @Override
    public void processElement(Prediction p, ReadOnlyContext ctx, Collector<Champion> out) throws Exception {
        if (VariantSpecs.retired(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), p.getTask(), p.getVariant())) {
            ignored.inc();
            return;
        }
        SelectionLosses.Loss scored = losses.of(p, ctx.getBroadcastState(VariantSpecs.DESCRIPTOR));
        if (scored == null) {
            unscored.inc();
            return;
        }
        double loss = scored.value();
        Boolean correct = scored.correct();
        ChampionRace r = configured(race.value());
        if (r == null) {
            r = new ChampionRace(settings.test(), settings.maxPending());
        }
        long unpairedBefore = r.unpaired();
        long ignoredBefore = r.ignored();
        long staleBefore = r.stale();
        String example = pairingKey(p);
        Optional<ChampionRace.Change> change = r.record(example, p.getVariant(), loss, correct, p.getModelVersion());
        unpaired.inc(r.unpaired() - unpairedBefore);
        ignored.inc(r.ignored() - ignoredBefore);
        if (r.stale() != staleBefore) {
            // The replaced model's, made before the trainer reset the variant: no part of its fresh record or search.
            stale.inc();
            race.update(r);
            return;
        }
        String task = ctx.getCurrentKey();
        long now = ctx.timerService().currentProcessingTime();
        boolean drifted = correct != null && r.observeDrift(p.getVariant(), driftOf(ctx, task, p.getVariant()),
                correct, now);
        if (drifted) {
            var specs = ctx.getBroadcastState(VariantSpecs.DESCRIPTOR);
            DriftSpec drift = driftOf(ctx, task, p.getVariant());
            List<VariantSpecRecord> decided = reactions.react(specs, task, p.getVariant(), drift, r, now);
            LOG.info("Drift detected in variant {} of task {} at example {}: {}", p.getVariant(), task, p.getId(),
                    decided.isEmpty() ? "no reaction (" + reactions.why(specs, task, p.getVariant(), drift, r) + ")"
                            : drift.reaction() + " " + decided.stream().map(d -> d.getVariant() + " "
                                    + d.getStatus()).toList());
            decided.forEach(d -> decide(ctx, d));
        }
        if (change.isPresent()) {
            changes.inc();
            publish(ChampionRecords.changed(task, r, change.get(), now), r, ctx, out);
        } else if (drifted && r.champion() != null) {
            Champion last = latest.value();
            publish(last == null ? ChampionRecords.first(task, r, now) : ChampionRecords.of(task, r, last, now), r, ctx,
                    out);
        } else if (r.standingsChanged() && publishAt.value() == null) {
            long at = now + settings.standingsIntervalMs();
            ctx.timerService().registerProcessingTimeTimer(at);
            ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
            publishAt.update(at);
        }
        List<VariantSpecRecord> retirements = new ArrayList<>(searches.record(
                ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), task, p.getVariant(), example, loss,
                settings.maxPending(), now));
        retirements.addAll(outOfPatience(r, ctx, task, p.getVariant(), now));
        retireAtOnce(retirements, r, ctx, now, out);
        race.update(r);
    }

    /**
     * What pairs {@code p}'s loss with the other variants' (in the race and in the searches' rungs): its example's id,
     * and its annotator's when it names one. A crowd item comes as one example per labelling, each with the item's id
     * (README, Labels from many annotators), so the id alone would pair one variant's loss on one annotator's label
     * with another's on another's, and take every further labelling for a relabel. An id holds no U+001F
     * ({@link dev.chorus.jobs.ExampleValidator}) and an annotator no control character, so the key names one
     * labelling.
     */
    static String pairingKey(Prediction p) {
        return p.getAnnotator() == null ? p.getId() : p.getId() + JobSettings.VARIANT_SEPARATOR + p.getAnnotator();
    }

    /** The RETIRED records of the fork challengers whose patience the loss of {@code variant} just ran out. */
    private List<VariantSpecRecord> outOfPatience(ChampionRace r, ReadOnlyContext ctx, String task, String variant,
            long now) throws Exception {
        List<VariantSpecRecord> retirements = new ArrayList<>();
        for (String challenger : r.pairedBy(variant)) {
            DriftSpec drift = driftOf(ctx, task, challenger);
            if (drift.forkPatienceRunsOut(r.pairs(challenger))) {
                reactions.outOfPatience(task, challenger, drift, r.champion(), now).ifPresent(retirements::add);
            }
        }
        return retirements;
    }

    private void decide(ReadOnlyContext ctx, VariantSpecRecord record) {
        ctx.output(SPEC_DECISIONS, record);
        decisions.add(1);
    }

    /**
     * A rung's or a fork's patience's retirements: to the control topic, out of the race at once, and the task's
     * record out with them.
     */
    private void retireAtOnce(List<VariantSpecRecord> retirements, ChampionRace r, ReadOnlyContext ctx, long now,
            Collector<Champion> out) throws Exception {
        Optional<ChampionRace.Change> succession = Optional.empty();
        for (VariantSpecRecord retirement : retirements) {
            decide(ctx, retirement);
            Optional<ChampionRace.Change> change = r.retire(retirement.getVariant());
            succession = change.isPresent() ? change : succession;
        }
        String task = ctx.getCurrentKey();
        if (succession.isPresent()) {
            changes.inc();
            publish(ChampionRecords.changed(task, r, succession.get(), now), r, ctx, out);
        } else if (!retirements.isEmpty() && r.champion() != null) {
            Champion last = latest.value();
            publish(last == null ? ChampionRecords.first(task, r, now) : ChampionRecords.of(task, r, last, now), r, ctx,
                    out);
        }
    }

    @Override
    public void processBroadcastElement(SpecChange change, Context ctx, Collector<Champion> out) throws Exception {
        // check-specs' judgement too: this state lacks the variants made live before a restore of a savepoint
        // taken before the operator read the broadcast (variants-v1), while the specs source resumes after them.
        boolean reset = change.reset || VariantSpecs.resets(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), change);
        VariantSpecs.apply(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), change);
        ModelGenerations.apply(ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), change);
        driftSpecs.remove(Variants.key(change.task, change.variant));
        if (!change.retires()) {
            revive(change, reset, ctx, out);
            return;
        }
        ctx.applyToKeyedState(SearchRungs.RUNS, searches.retired(change));
        long now = ctx.currentProcessingTime();
        ctx.applyToKeyedState(RACE, (task, state) -> {
            ChampionRace r = configured(state.value());
            if (!task.equals(change.task) || r == null) {
                return;
            }
            retire(task, r, change.variant, now, ctx, out);
            state.update(r);
        });
    }

    /**
     * Takes {@code variant} out of {@code task}'s race, publishing the succession or its RETIRED standing; the
     * retirement of the last live variant too, a record still naming the champion serving answers with
     * ({@link ChampionRecords#of}), so no record goes on calling a retired variant the champion.
     */
    private void retire(String task, ChampionRace r, String variant, long now, Context ctx, Collector<Champion> out)
            throws Exception {
        // Live in the race until now: a retirement read again (a search's, applied when its rung decided, then read
        // back from the control topic) changes nothing and publishes nothing.
        boolean known = r.standings().stream()
                .anyMatch(s -> s.variant().equals(variant) && s.status() != ChampionRace.Status.RETIRED);
        Optional<ChampionRace.Change> succession = r.retire(variant);
        if (succession.isPresent()) {
            changes.inc();
            publish(ChampionRecords.changed(task, r, succession.get(), now), r, ctx, out);
        } else if (known && latest.value() != null) {
            // No timer from the broadcast side: the RETIRED standing goes out now rather than with the next
            // prediction's, which may never come.
            publish(ChampionRecords.of(task, r, latest.value(), now), r, ctx, out);
        }
    }

    /**
     * A variant live again: back in its task's race from an empty record, its reset (if any) come back. A live one
     * {@code reset} in place ({@link DriftReactions}) is retired from the race first, then revived.
     */
    private void revive(SpecChange change, boolean reset, Context ctx, Collector<Champion> out) throws Exception {
        long now = ctx.currentProcessingTime();
        ctx.applyToKeyedState(RACE, (task, state) -> {
            ChampionRace r = configured(state.value());
            if (!task.equals(change.task) || r == null) {
                return;
            }
            if (reset) {
                retire(task, r, change.variant, now, ctx, out);
            }
            reactions.revived(change.variant);
            ChampionRace.Revival revival = r.revive(change.variant);
            if (!revival.revived()) {
                return;
            }
            Champion last = latest.value();
            if (revival.change() != null) {
                // Champion again of a task whose last live variant was retired: since now, after the retired one.
                changes.inc();
                publish(ChampionRecords.changed(task, r, revival.change(), now), r, ctx, out);
            } else {
                publish(last == null ? ChampionRecords.first(task, r, now) : ChampionRecords.of(task, r, last, now), r,
                        ctx, out);
            }
            state.update(r);
        });
    }

    private DriftSpec driftOf(ReadOnlyContext ctx, String task, String variant) throws Exception {
        String key = Variants.key(task, variant);
        DriftSpec spec = driftSpecs.get(key);
        if (spec == null) {
            spec = VariantSpecs.drift(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), task, variant);
            driftSpecs.put(key, spec);
        }
        return spec;
    }

    /** {@code r} under the job's settings (a restored race has the defaults), or null. */
    private ChampionRace configured(ChampionRace r) {
        if (r != null) {
            r.configure(settings.test(), settings.maxPending());
        }
        return r;
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Champion> out) throws Exception {
        publishAt.clear();
        ChampionRace r = race.value();
        if (r == null || !r.standingsChanged() || r.champion() == null) {
            return;
        }
        Champion last = latest.value();
        long now = ctx.timerService().currentProcessingTime();
        String task = ctx.getCurrentKey();
        publish(last == null ? ChampionRecords.first(task, r, now) : ChampionRecords.of(task, r, last, now), r, ctx,
                out);
        race.update(r);
    }

    private void publish(Champion record, ChampionRace r, ReadOnlyContext ctx, Collector<Champion> out)
            throws Exception {
        publish(record, r, ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), out);
    }

    private void publish(Champion record, ChampionRace r, Context ctx, Collector<Champion> out) throws Exception {
        publish(record, r, ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), out);
    }

    private void publish(Champion record, ChampionRace r, ReadOnlyBroadcastState<String, Long> generations,
            Collector<Champion> out) throws Exception {
        record.setGenerations(ModelGenerations.of(generations, record));
        searches.explain(record);
        reactions.explain(record);
        out.collect(record);
        latest.update(record);
        r.standingsPublished();
        gauge(record.getTask(), r.standings());
    }

    /**
     * Sets the gauges of {@code task}'s variants to {@code standings}, registering those of a live variant not seen
     * yet while the task has fewer than {@link #MAX_GAUGED_VARIANTS_PER_TASK}; a variant gone from the standings
     * reports a NaN loss.
     */
    private void gauge(String task, List<ChampionRace.Standing> standings) {
        Map<String, VariantMetrics> gauged = variantMetrics.computeIfAbsent(task, k -> new HashMap<>());
        Map<String, VariantMetrics> gone = new HashMap<>(gauged);
        for (ChampionRace.Standing s : standings) {
            gone.remove(s.variant());
            VariantMetrics m = gauged.get(s.variant());
            if (m == null) {
                if (s.status() == ChampionRace.Status.RETIRED) {
                    continue;
                }
                if (gauged.size() >= MAX_GAUGED_VARIANTS_PER_TASK) {
                    if (gaugesFull.add(task)) {
                        LOG.warn("Task {} has had {} variants with standing gauges: variant {} and later ones get "
                                + "none until the job restarts", task, MAX_GAUGED_VARIANTS_PER_TASK, s.variant());
                    }
                    continue;
                }
                VariantMetrics created = new VariantMetrics();
                var group = LabelledMetrics.task(getRuntimeContext().getMetricGroup(), task, s.variant());
                group.gauge("prequentialLoss", (Gauge<Double>) () -> created.loss);
                group.gauge("labelledExamples", (Gauge<Long>) () -> created.labelled);
                group.gauge("driftEvents", (Gauge<Long>) () -> created.driftEvents);
                gauged.put(s.variant(), created);
                m = created;
            }
            m.loss = s.lossMean();
            m.labelled = s.labelled();
            m.driftEvents = s.driftEvents();
        }
        for (VariantMetrics m : gone.values()) {
            m.loss = Double.NaN;
        }
    }
}
