package dev.chorus.jobs.select;

import dev.chorus.core.select.Decision;
import dev.chorus.core.select.SearchRun;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.SearchState;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.runtime.state.KeyedStateFunction;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The searches of each task in the selection operator (keyed by task): a {@link SearchRun} per search, created at
 * the first prediction of one of its variants from the search's spec on the broadcast, fed with the prequential loss
 * the race scores. Its variants the broadcast has retired by then are the decisions of an earlier run of the search (a
 * job started again without a savepoint reads them back from the control topic), which it resumes after
 * ({@link SearchRun#resume}): their rungs are not run again. A rung's decision becomes one RETIRED control record per
 * retired variant (source {@value #SOURCE}, its {@code reason} the rung's evidence), which the train job writes to the
 * control topic: the specs source reads it back and retires the variant like any operator's retire. Why each was
 * retired goes into the standings ({@link #explain}), and where each search stands: its rung, finished, or stopped.
 *
 * <p>A run that stops before its last rung ({@link SearchRun#abandoned}: a live variant retired from outside, or a
 * resume from retirements no rungs make) is logged at WARN and counted {@code searchesAbandoned}, once each; a
 * retirement adopted as the rung's decision of an earlier attempt ({@link SearchRun#adopt}) is logged at INFO and
 * counted {@code searchRetirementsAdopted}.
 *
 * <p>State: {@link #RUNS}, search name → its run, keyed by task.
 */
final class SearchRungs {

    /** The {@code source} of the control records a search writes. */
    static final String SOURCE = SpecChange.SEARCH_SOURCE;
    static final MapStateDescriptor<String, SearchRun> RUNS =
            new MapStateDescriptor<>("search-runs", StringSerializer.INSTANCE, new SearchRunSerializer());
    private static final Pattern SEARCH_VARIANT = Pattern.compile("(.+)-s\\d+");
    private static final Logger LOG = LoggerFactory.getLogger(SearchRungs.class);

    private final MapState<String, SearchRun> runs;
    private final Counter abandoned;
    private final Counter adopted;

    SearchRungs(RuntimeContext context) {
        this.runs = context.getMapState(RUNS);
        this.abandoned = context.getMetricGroup().counter("searchesAbandoned");
        this.adopted = context.getMetricGroup().counter("searchRetirementsAdopted");
    }

    /**
     * Records {@code variant}'s loss on example {@code exampleId} in the run of its search (none: nothing); the
     * retirements a rung it completed decided, with their evidence.
     */
    List<VariantSpecRecord> record(ReadOnlyBroadcastState<String, String> specs, String task, String variant,
            String exampleId, double loss, int maxPending, long now) throws Exception {
        Matcher m = SEARCH_VARIANT.matcher(variant);
        if (!m.matches()) {
            return List.of();
        }
        String name = m.group(1);
        SearchRun run = runs.get(name);
        if (run == null) {
            VariantSpec spec = VariantSpecs.search(specs, task, name);
            if (spec == null) {
                return List.of();
            }
            List<String> variants = SearchRun.variantNames(name, spec.variants());
            Set<String> retired = new TreeSet<>();
            for (String v : variants) {
                if (VariantSpecs.retired(specs, task, v)) {
                    retired.add(v);
                }
            }
            run = SearchRun.resume(name, spec.search().orElseThrow(), variants, retired);
            if (run.abandoned() != null) {
                stopped(task, run);
            }
        }
        Optional<Decision> decision = run.record(exampleId, variant, loss, maxPending);
        runs.put(name, run);
        List<VariantSpecRecord> retirements = new ArrayList<>();
        for (String retired : decision.map(Decision::retired).orElse(List.of())) {
            retirements.add(VariantSpecRecord.newBuilder().setTask(task).setVariant(retired)
                    .setStatus(VariantStatus.RETIRED).setSpec(null).setUpdatedAt(now).setSource(SOURCE)
                    .setReason(run.retiredBecause().get(retired)).build());
        }
        return retirements;
    }

    /**
     * A control change seen on the broadcast: a retired search goes; a variant retired by its search's decision of the
     * rung the run stands at is that decision, made by an earlier attempt of the job after the checkpoint this one
     * was restored from ({@link SearchRun#adopt}: its decisions written at least once); any other retirement of a live
     * variant ends that search ({@link SearchRun#withdraw}). Applied to every task's runs, as the broadcast side has
     * no key.
     */
    KeyedStateFunction<String, MapState<String, SearchRun>> retired(SpecChange change) {
        return (task, runs) -> {
            if (!task.equals(change.task) || !change.retires()) {
                return;
            }
            runs.remove(change.variant);
            for (Map.Entry<String, SearchRun> e : runs.entries()) {
                SearchRun run = e.getValue();
                if (run.live().contains(change.variant)) {
                    boolean running = run.running();
                    int rung = run.rung();
                    if (run.adopt(change.variant, change.evidence)) {
                        adopted.inc();
                        LOG.info("Search {} of task {} adopts the retirement of {} as its decision of rung {}: an "
                                + "earlier attempt of the job decided it after the checkpoint this one was restored "
                                + "from", run.name(), task, change.variant, rung);
                        runs.put(e.getKey(), run);
                        continue;
                    }
                    run.withdraw(change.variant);
                    runs.put(e.getKey(), run);
                    if (running && run.abandoned() != null) {
                        stopped(task, run);
                    }
                }
            }
        };
    }

    private void stopped(String task, SearchRun run) {
        abandoned.inc();
        LOG.warn("Search {} of task {} stopped deciding at rung {} of {}: {}; its variants {} train on without rungs. "
                + "To start it over, retire {} and put it again with --revive.", run.name(), task, run.rung(),
                run.rungs(), run.abandoned(), run.live(), run.name());
    }

    /**
     * Sets each RETIRED standing's reason, for the variants a search of the record's task retired, and where each of
     * the task's searches stands.
     */
    void explain(Champion record) throws Exception {
        TreeMap<String, SearchStanding> searches = new TreeMap<>();
        for (SearchRun run : runs.values()) {
            SearchState state = run.abandoned() != null ? SearchState.STOPPED
                    : run.finished() ? SearchState.FINISHED : SearchState.RUNNING;
            searches.put(run.name(), SearchStanding.newBuilder().setSearch(run.name()).setState(state)
                    .setRung(run.rung()).setRungs(run.rungs()).setLive(run.live())
                    .setStoppedReason(run.abandoned()).setDecisions(run.decisions()).build());
        }
        record.setSearches(new ArrayList<>(searches.values()));
        for (VariantStanding s : record.getStandings()) {
            if (s.getStatus() == StandingStatus.RETIRED) {
                for (SearchRun run : runs.values()) {
                    String why = run.retiredBecause().get(s.getVariant());
                    if (why != null) {
                        s.setRetiredReason(why);
                    }
                }
            }
        }
    }
}
