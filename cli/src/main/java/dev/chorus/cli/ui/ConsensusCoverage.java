package dev.chorus.cli.ui;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.schemas.Consensus;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One task's consensus coverage as the dashboard shows it: how many items have a consensus, how many of them each
 * class is the most likely class of, how many have a posterior maximum of at least 0.9 and 0.5, the mean labels per
 * item, and the latest changed items. Of a task of more than {@value DashboardView#MAX_DRAWN_CLASSES} classes (a
 * label model may have 4,096) the page is sent the {@value DashboardView#MAX_DRAWN_CLASSES} classes of most items and
 * the others as one "other" count, and only classes some item is of are kept. Counts are sums over the items' current records: an item republished
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
    /** Items by most likely class, of the classes some item is of: at most one entry per item counted. */
    private final Map<Integer, Long> classes = new HashMap<>();
    /** The classes the page is told of: every class of a posterior of up to the drawn classes, else the largest. */
    private int width;
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
        width = Math.max(width, Math.max(item.mostLikely + 1,
                Math.min(c.getPosterior().size(), DashboardView.MAX_DRAWN_CLASSES)));
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
        classesJson(json);
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

    /**
     * {@code classes}: items by most likely class, for each class 0..width-1 when there are at most
     * {@link DashboardView#MAX_DRAWN_CLASSES}; else for the {@link DashboardView#MAX_DRAWN_CLASSES} classes of most
     * items (most first, ties by class), {@code classIds} naming them and {@code otherClasses} counting the classes
     * and items left out: 4,096 classes of 100 tasks × 20 variants would otherwise be 8 million numbers per push.
     */
    private void classesJson(ObjectNode json) {
        ArrayNode counts = json.putArray("classes");
        if (width <= DashboardView.MAX_DRAWN_CLASSES) {
            for (int c = 0; c < width; c++) {
                counts.add(classes.getOrDefault(c, 0L));
            }
            return;
        }
        List<Map.Entry<Integer, Long>> byItems = new ArrayList<>(classes.entrySet());
        byItems.sort(Map.Entry.<Integer, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        ArrayNode ids = json.putArray("classIds");
        long otherItems = 0;
        for (int i = 0; i < byItems.size(); i++) {
            if (i < DashboardView.MAX_DRAWN_CLASSES) {
                ids.add(byItems.get(i).getKey());
                counts.add(byItems.get(i).getValue());
            } else {
                otherItems += byItems.get(i).getValue();
            }
        }
        json.putObject("otherClasses")
                .put("classes", Math.max(0, byItems.size() - DashboardView.MAX_DRAWN_CLASSES))
                .put("items", otherItems);
    }

    private void count(Item item, int sign) {
        items += sign;
        labels += (long) sign * item.labels;
        classes.merge(item.mostLikely, (long) sign, (a, b) -> a + b == 0 ? null : a + b);
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
