package dev.chorus.cli.ui;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.schemas.Consensus;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * One task's consensus coverage as the dashboard shows it: how many items have a consensus, how many of them each
 * class is the most likely class of, how many have a posterior maximum of at least 0.9 and 0.5, the mean labels per
 * item, and the latest changed items. Counts are sums over the items' current records: an item republished
 * replaces its earlier record ({@link #remove} then {@link #add}). A coverage left without items is dropped by
 * {@link DashboardView}, which names its task and variant for that. Not thread-safe: {@link DashboardView} guards it.
 */
final class ConsensusCoverage {

    /** Posterior maxima the page counts items at or above: nearly sure, and more likely than not. */
    static final double SURE = 0.9;
    static final double LIKELY = 0.5;

    /** What one item's current record adds to its task's counts. */
    static final class Item {
        final ConsensusCoverage coverage;
        final int mostLikely;
        final double posteriorMax;
        final int labels;

        Item(ConsensusCoverage coverage, int mostLikely, double posteriorMax, int labels) {
            this.coverage = coverage;
            this.mostLikely = mostLikely;
            this.posteriorMax = posteriorMax;
            this.labels = labels;
        }
    }

    /**
     * A change the page lists: what it shows of the item's new record (not its posterior and annotators), and its
     * most likely class before (null: its first record).
     */
    private record Change(String key, String item, int mostLikely, Integer previous, double posteriorMax, int labels,
            long version, long updatedAt) {}

    private final String task;
    private final String variant;
    private long items;
    private long forgotten;
    private long sure;
    private long likely;
    private long labels;
    private long[] classes = new long[0];
    private final Deque<Change> recent = new ArrayDeque<>();

    ConsensusCoverage(String task, String variant) {
        this.task = task;
        this.variant = variant;
    }

    String task() {
        return task;
    }

    String variant() {
        return variant;
    }

    /** Counts {@code c}, read under {@code key}, as an item's current record and lists it first of {@code recent}. */
    Item add(String key, Consensus c, Item before, int recentKept) {
        Item item = new Item(this, c.getMostLikely(), max(c), c.getLabels());
        // Every class of a posterior the page draws (classes no item is of, too), but of a longer one only up to
        // the largest most likely class: a posterior may have thousands.
        int shown = Math.max(item.mostLikely + 1, Math.min(c.getPosterior().size(), DashboardView.MAX_DRAWN_CLASSES));
        if (classes.length < shown) {
            classes = Arrays.copyOf(classes, shown);
        }
        count(item, 1);
        unlist(key);
        recent.addFirst(new Change(key, DashboardView.cut(c.getItem()), item.mostLikely,
                before == null ? null : before.mostLikely, item.posteriorMax, item.labels, c.getVersion(),
                c.getUpdatedAt()));
        if (recent.size() > recentKept) {
            recent.removeLast();
        }
        return item;
    }

    /** Uncounts {@code item}, replaced or deleted (a tombstone) under {@code key}. */
    void remove(String key, Item item) {
        count(item, -1);
        unlist(key);
    }

    /** Uncounts {@code item}, forgotten under {@code key} for the dashboard's bound: the page says how many. */
    void forget(String key, Item item) {
        remove(key, item);
        forgotten++;
    }

    /** Whether no item is counted: the view then drops the coverage, and the page no longer shows it. */
    boolean isEmpty() {
        return items == 0;
    }

    ObjectNode toJson(JsonNodeFactory nodes) {
        ObjectNode json = nodes.objectNode().put("items", items).put("forgotten", forgotten);
        ArrayNode byClass = json.putArray("classes");
        for (long n : classes) {
            byClass.add(n);
        }
        ObjectNode posteriorMax = json.putObject("posteriorMax");
        perItem(posteriorMax, "atLeast90", sure);
        perItem(posteriorMax, "atLeast50", likely);
        perItem(json, "meanLabels", labels);
        ArrayNode changes = json.putArray("recent");
        for (Change change : recent) {
            ObjectNode row = changes.addObject().put("item", change.item()).put("mostLikely", change.mostLikely());
            row.put("previous", change.previous());
            row.put("posteriorMax", change.posteriorMax()).put("labels", change.labels())
                    .put("version", change.version());
            DashboardView.time(row, "updatedAt", change.updatedAt());
        }
        return json;
    }

    private void count(Item item, int sign) {
        items += sign;
        labels += (long) sign * item.labels;
        classes[item.mostLikely] += sign;
        if (item.posteriorMax >= SURE) {
            sure += sign;
        }
        if (item.posteriorMax >= LIKELY) {
            likely += sign;
        }
    }

    private void unlist(String key) {
        recent.removeIf(change -> change.key().equals(key));
    }

    /** {@code total} per item; null (no item) rather than a division by zero. */
    private void perItem(ObjectNode json, String name, long total) {
        if (items == 0) {
            json.putNull(name);
        } else {
            json.put(name, (double) total / items);
        }
    }

    /** The posterior's maximum: a probability, as {@link DashboardView#consensus} refuses any other value. */
    private static double max(Consensus c) {
        double max = Double.NEGATIVE_INFINITY;
        for (double p : c.getPosterior()) {
            max = Math.max(max, p);
        }
        return max;
    }
}
