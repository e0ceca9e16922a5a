package dev.chorus.jobs.train;

import dev.chorus.core.select.SearchRun;
import dev.chorus.core.select.VariantSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The searches {@link SpecControl} accepted, by topic key: a LIVE record whose spec has a {@code search} becomes
 * the search itself (broadcast, and kept apart from the variants by {@link VariantSpecs#apply}) and one plain
 * variant per drawn point, {@code <variant>-s0} ... (see {@link SearchRun#variantNames}), drawn reproducibly from
 * the search's seed; each trains the drawn model spec, with the search's {@code drift} if it has one. Retiring the
 * search's key retires the search, then each of its variants still live.
 */
final class SpecSearches {

    /** Topic key → the accepted change of a live search. */
    private final Map<String, SpecChange> live = new LinkedHashMap<>();

    void restore(Iterable<SpecChange> searches) {
        searches.forEach(s -> live.put(Variants.topicKey(s.task, s.variant), s));
    }

    List<SpecChange> snapshot() {
        return List.copyOf(live.values());
    }

    /** The live search at {@code topicKey}, or null. */
    SpecChange get(String topicKey) {
        return live.get(topicKey);
    }

    /** The search itself, then each drawn variant's change, for an accepted record of {@code spec} (its JSON). */
    List<SpecChange> start(String task, String variant, String json, VariantSpec spec) {
        List<SpecChange> changes = new ArrayList<>();
        SpecChange search = new SpecChange(task, variant, json);
        live.put(Variants.topicKey(task, variant), search);
        changes.add(search);
        changes.addAll(variants(search, spec));
        return changes;
    }

    /** The search at {@code topicKey} retires: it goes, and the changes its variants would have, in order. */
    List<SpecChange> retire(String topicKey) {
        SpecChange search = live.remove(topicKey);
        List<SpecChange> changes = new ArrayList<>();
        changes.add(new SpecChange(search.task, search.variant, null));
        for (SpecChange v : variants(search, VariantSpecs.parseVariant(search.spec, Integer.MAX_VALUE))) {
            changes.add(new SpecChange(v.task, v.variant, null));
        }
        return changes;
    }

    /** The live change of each variant the search draws. */
    static List<SpecChange> variants(SpecChange search, VariantSpec spec) {
        List<String> names = SearchRun.variantNames(search.variant, spec.variants());
        List<SpecChange> changes = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            changes.add(new SpecChange(search.task, names.get(i),
                    VariantSpecs.derived(spec.variants().get(i).spec(), search.spec)));
        }
        return changes;
    }
}
