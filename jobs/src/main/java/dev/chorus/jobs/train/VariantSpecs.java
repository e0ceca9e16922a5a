package dev.chorus.jobs.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.select.DrawnVariant;
import dev.chorus.core.select.DriftSpec;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.core.spec.SpecReader;
import dev.chorus.jobs.JobSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * The live specs of every task's variants, as the router and the trainer hold them in broadcast state: the control
 * topic's accepted changes over the {@code --spec} default. A variant is live when the topic says so, and variant
 * {@code default} of a task {@code --spec} covers is live unless the topic retired it.
 */
public final class VariantSpecs {
    /** Variant key ({@link Variants#key}) → the spec JSON of a live variant, or {@link #RETIRED}. */
    public static final MapStateDescriptor<String, String> DESCRIPTOR =
            new MapStateDescriptor<>("variant-specs", Types.STRING, Types.STRING);
    static final String RETIRED = "";

    private VariantSpecs() {}

    /**
     * A control record's spec as the train job takes it (the job's {@code check-specs} and {@code chorus specs put}
     * judge it here): model-core's {@link VariantSpec#parse} (a ModelSpec's keys plus {@code search}, {@code drift},
     * {@code warmStart}, {@code revive}), its model, and with a {@code search} each drawn variant's (with a
     * {@code drift.forkSpace}, the first fork's challengers around its model and each drawn variant's), through the
     * same checks as {@code --spec}.
     *
     * @throws IllegalArgumentException naming the key, the expected and the actual value
     */
    public static VariantSpec parseVariant(String json, int maxVariantsPerTask) {
        VariantSpec spec = VariantSpec.parse(json, maxVariantsPerTask);
        TaskSpecs.trainable(spec.model());
        for (DrawnVariant drawn : spec.variants()) {
            try {
                TaskSpecs.trainable(drawn.spec());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("VariantSpec key '" + VariantSpec.SEARCH + "': expected a space "
                        + "whose points the train job can train, got variant " + drawn.name() + " at "
                        + drawn.hyperparameters() + ": " + e.getMessage(), e);
            }
        }
        List<ModelSpec> forkingModels = new ArrayList<>(List.of(spec.model()));
        spec.variants().forEach(drawn -> forkingModels.add(drawn.spec())); // each carries the search's drift
        for (ModelSpec forking : spec.drift().forkSpace() == null ? List.<ModelSpec>of() : forkingModels) {
            for (DriftSpec.ForkChallenger challenger : spec.drift().fork(JobSettings.DEFAULT_VARIANT, forking, 1)) {
                try {
                    TaskSpecs.trainable(challenger.spec());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("VariantSpec key '" + VariantSpec.DRIFT + ".forkSpace': "
                            + "expected a space whose points the train job can train, got challenger "
                            + challenger.name() + " at " + challenger.hyperparameters() + ": " + e.getMessage(), e);
                }
            }
        }
        return spec;
    }

    /**
     * The spec JSON of a variant the job derives from another's spec {@code from} (a search's drawn point, a fork):
     * {@code model}'s canonical JSON with {@code from}'s {@code drift}, if it has one.
     */
    public static String derived(ModelSpec model, String from) {
        ObjectNode json = (ObjectNode) SpecReader.document(model.toJson()).node();
        SpecReader source = SpecReader.document(from);
        if (source.has(VariantSpec.DRIFT)) {
            json.set(VariantSpec.DRIFT, source.at(VariantSpec.DRIFT).node());
        }
        return json.toString();
    }

    /**
     * The spec of the LIVE record that resets a live variant of spec {@code live} in place (a drift reaction's
     * {@code reset}, {@code chorus specs reset}): its model spec with its {@code drift}, {@code "revive":true} and
     * {@code "reset":true} (so that a reset which crosses a retirement on the topic never revives the variant), no
     * {@code warmStart}, so it restarts from fresh weights.
     */
    public static String resetSpec(String live) {
        ObjectNode json = (ObjectNode) SpecReader.document(revived(derived(parse(live), live))).node();
        json.put(VariantSpec.RESET, true);
        return json.toString();
    }

    /** {@code spec} (JSON) with {@code "revive":true}: live again if its key is retired, reset in place if live. */
    public static String revived(String spec) {
        ObjectNode json = (ObjectNode) SpecReader.document(spec).node();
        json.put(VariantSpec.REVIVE, true);
        return json.toString();
    }

    /**
     * The spec of the LIVE record that rewarms live variant {@code variant} of spec {@code live} in place (a drift
     * reaction's {@code rewarm}): {@link #resetSpec}'s with a warm start from the variant itself, the optimizer reset;
     * written without a model, so the trainer that owns the variant starts it from its own
     * ({@link WarmStarts#rewarms}).
     */
    public static String rewarmSpec(String live, String variant) {
        ObjectNode json = (ObjectNode) SpecReader.document(resetSpec(live)).node();
        json.putObject(VariantSpec.WARM_START).put("from", "variant:" + variant).put("optimizer", "reset");
        return json.toString();
    }

    /**
     * The spec the job trains {@code variant} of {@code task} with when the search of spec {@code searchJson}, declared
     * as variant {@code searchVariant}, draws it ({@link SpecSearches#variants}); null when that search draws no
     * variant of that name. Such a variant has no key of its own on the control topic until a record names it.
     */
    public static String drawnSpec(String task, String searchVariant, String searchJson, String variant) {
        return SpecSearches.variants(new SpecChange(task, searchVariant, searchJson),
                parseVariant(searchJson, Integer.MAX_VALUE)).stream().filter(c -> c.variant.equals(variant))
                .map(c -> c.spec).findFirst().orElse(null);
    }

    /**
     * The one place a control record's spec JSON becomes the spec a variant trains: its {@link VariantSpec#model}.
     * The record was accepted by {@link SpecControl} under the job's {@code maxVariantsPerTask}; it is not judged
     * again against the bound here, so that state kept across a restart with a smaller bound still reads.
     */
    static ModelSpec parse(String json) {
        return parseVariant(json, Integer.MAX_VALUE).model();
    }

    /**
     * The drift detector of variant {@code variant} of {@code task} as its control-topic spec names it;
     * {@link DriftSpec#NO_DRIFT} when the topic has no live spec for it (a {@code --spec} default has no drift key).
     */
    public static DriftSpec drift(ReadOnlyBroadcastState<String, String> state, String task, String variant)
            throws Exception {
        String json = state.get(Variants.key(task, variant));
        return json == null || json.equals(RETIRED) ? DriftSpec.NO_DRIFT
                : parseVariant(json, Integer.MAX_VALUE).drift();
    }

    /**
     * Applies an accepted change. A search's own record is kept apart ({@link Variants#searchKey}), out of the
     * variants that train: the selection operator reads it to run the search's rungs, and its retirement removes it.
     */
    public static void apply(BroadcastState<String, String> state, SpecChange change) throws Exception {
        String searchKey = Variants.searchKey(change.task, change.variant);
        if (change.retires() && state.contains(searchKey)) {
            state.remove(searchKey);
        } else if (!change.retires() && SpecReader.document(change.spec).has(VariantSpec.SEARCH)) {
            state.put(searchKey, change.spec);
        } else {
            state.put(Variants.key(change.task, change.variant), change.retires() ? RETIRED : change.spec);
        }
    }

    /** Whether the broadcast {@code state} has variant {@code variant} of {@code task} live. */
    public static boolean isLive(ReadOnlyBroadcastState<String, String> state, String task, String variant)
            throws Exception {
        String json = state.get(Variants.key(task, variant));
        return json != null && !json.equals(RETIRED);
    }

    /**
     * Whether {@code change}, not yet applied, resets a variant in place: a LIVE change of a variant the control topic
     * has live ({@link SpecControl} passes one on only with {@code revive} and the live model spec).
     */
    public static boolean resets(ReadOnlyBroadcastState<String, String> state, SpecChange change) throws Exception {
        return !change.retires() && isLive(state, change.task, change.variant);
    }

    /**
     * Whether {@code change}, not yet applied, starts a variant's model again from version 0: a reset in place
     * ({@link #resets}), the revival of a retired variant, or the topic's first spec for variant {@code default} of a
     * task {@code --spec} covers, when it is another than {@code --spec}'s (the default may have trained at it); not a
     * search declared under a retired variant's key, which trains no model of that name.
     */
    public static boolean restarts(ReadOnlyBroadcastState<String, String> state, TaskSpecs defaults,
            SpecChange change) throws Exception {
        if (change.retires() || SpecReader.document(change.spec).has(VariantSpec.SEARCH)) {
            return false;
        }
        if (state.get(Variants.key(change.task, change.variant)) != null) {
            return true;
        }
        ModelSpec implicit = JobSettings.DEFAULT_VARIANT.equals(change.variant) ? defaults.specFor(change.task) : null;
        return implicit != null && !implicit.equals(parse(change.spec));
    }

    /** The live search whose control-topic variant is {@code variant} of {@code task}, or null. */
    public static VariantSpec search(ReadOnlyBroadcastState<String, String> state, String task, String variant)
            throws Exception {
        String json = state.get(Variants.searchKey(task, variant));
        return json == null ? null : parseVariant(json, Integer.MAX_VALUE);
    }

    /** Whether the control topic retired variant {@code variant} of {@code task} (and did not revive it). */
    public static boolean retired(ReadOnlyBroadcastState<String, String> state, String task, String variant)
            throws Exception {
        return RETIRED.equals(state.get(Variants.key(task, variant)));
    }

    /**
     * The spec the variant with this key trains, or null when it is retired or unknown: the broadcast's, else the
     * one {@code routed} (null: none) with the example, else {@code --spec}'s for variant default.
     */
    public static ModelSpec specOf(ReadOnlyBroadcastState<String, String> state, TaskSpecs defaults, String key,
            String routed) throws Exception {
        String json = state.get(key);
        if (json != null) {
            return json.equals(RETIRED) ? null : parse(json);
        }
        if (routed != null) {
            return parse(routed);
        }
        return JobSettings.DEFAULT_VARIANT.equals(Variants.variant(key)) ? defaults.specFor(key) : null;
    }

    /** The live variants of {@code task}, {@code default} first when live. */
    static List<String> liveVariants(ReadOnlyBroadcastState<String, String> state, TaskSpecs defaults, String task)
            throws Exception {
        List<String> live = new ArrayList<>();
        String ownDefault = state.get(task);
        if (ownDefault == null ? defaults.specFor(task) != null : !ownDefault.equals(RETIRED)) {
            live.add(JobSettings.DEFAULT_VARIANT);
        }
        for (Map.Entry<String, String> e : state.immutableEntries()) {
            String key = e.getKey();
            if (!key.equals(task) && Variants.task(key).equals(task) && !e.getValue().equals(RETIRED)) {
                live.add(Variants.variant(key));
            }
        }
        return live;
    }
}
