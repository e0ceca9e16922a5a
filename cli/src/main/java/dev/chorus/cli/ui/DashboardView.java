package dev.chorus.cli.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.metrics.PrequentialConfusion;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the dashboard shows, kept in memory from the Chorus topics and handed to the page as JSON: per task, each
 * variant's learning curve (prequential accuracy, and loss when the snapshots carry it, over examples seen) and
 * latest model version, a leaderboard when a task has several variants, and each variant's annotators' confusion
 * matrices and consensus coverage ({@link ConsensusCoverage}); dead letters by field and reason. Bounded whatever the
 * topics hold: the last points of each series, a few distinct reasons and the latest letters of each field, and the
 * {@value #MAX_CONSENSUS_ITEMS} most recently changed consensus items (about 150 bytes each); of a snapshot, a
 * dead letter or a changed item only what the page shows (no parameters, no original bytes). A tombstone deletes
 * its key, as compaction will.
 * Thread-safe: one consumer thread per topic writes, the web server reads.
 */
public class DashboardView {

    /** Points kept per curve, distinct reasons per dead-letter field, latest letters per field. */
    static final int MAX_POINTS = 2000;
    static final int MAX_REASONS = 20;
    static final int RECENT = 10;
    /** Consensus items counted, over all tasks; beyond it the least recently changed one is forgotten. */
    static final int MAX_CONSENSUS_ITEMS = 100_000;

    /** The metric names the train job writes in {@link ModelSnapshot#getMetrics()}. */
    static final String ACCURACY = "prequentialAccuracy";
    static final String LOSS = "prequentialLoss";

    /** The dead-letter field of a record rejected as a whole (undecodable, too large). */
    static final String WHOLE_RECORD = "(record)";
    /**
     * Dead-letter fields counted apart: a field names a path of the producer's record ({@code fields.<any name>}), so
     * a stream of letters about fields of ever new names would otherwise keep reasons and letters for each name.
     */
    static final int MAX_DEAD_LETTER_FIELDS = 64;
    /** Where the letters of fields past {@link #MAX_DEAD_LETTER_FIELDS} are counted. */
    static final String OTHER_FIELDS = "(other fields)";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final int maxPoints;
    private final int maxReasons;
    private final int recent;
    private final int maxConsensusItems;

    private final Map<String, Task> tasks = new TreeMap<>();
    /** Record key to what it names, so that a tombstone, which carries only its key, finds what it deletes. */
    private final Map<String, String[]> modelKeys = new HashMap<>();
    private final Map<String, AnnotatorKey> annotatorKeys = new HashMap<>();
    /** Consensus record key (task/item, per variant) to what it counts for, least recently changed first. */
    private final LinkedHashMap<String, ConsensusCoverage.Item> consensusKeys = new LinkedHashMap<>();
    private final Map<String, Field> deadLetterFields = new HashMap<>();
    private final Map<String, TopicStatus> topics = new LinkedHashMap<>();
    private long deadLetters;
    private long revision;

    public DashboardView() {
        this(MAX_POINTS, MAX_REASONS, RECENT);
    }

    DashboardView(int maxPoints, int maxReasons, int recent) {
        this(maxPoints, maxReasons, recent, MAX_CONSENSUS_ITEMS);
    }

    DashboardView(int maxPoints, int maxReasons, int recent, int maxConsensusItems) {
        this.maxPoints = maxPoints;
        this.maxReasons = maxReasons;
        this.recent = recent;
        this.maxConsensusItems = maxConsensusItems;
    }

    /** A model snapshot read under {@code key} ({@code task/variant}); null is a tombstone (a reset model). */
    public synchronized void model(String key, ModelSnapshot snapshot) {
        if (snapshot != null && snapshot.getChunk() != null) {
            return; // a slice of a snapshot too big for one record: its manifest stands for the version
        }
        revision++;
        if (snapshot == null) {
            String[] id = modelKeys.remove(key);
            if (id != null) {
                task(id[0]).variants.remove(id[1]);
                dropIfEmpty(id[0]);
            }
            return;
        }
        modelKeys.put(key, new String[] {snapshot.getTask(), snapshot.getVariant()});
        Variant v = task(snapshot.getTask()).variants.computeIfAbsent(snapshot.getVariant(), n -> new Variant());
        v.latest = new Latest(snapshot.getVersion(), snapshot.getExamplesSeen(), snapshot.getAlgorithm(),
                snapshot.getCreatedAt(), snapshot.getMetrics().get(ACCURACY));
        v.snapshots++;
        Map<String, Double> metrics = snapshot.getMetrics();
        if (metrics.containsKey(ACCURACY)) {
            add(v.accuracy, snapshot.getExamplesSeen(), metrics.get(ACCURACY));
        }
        if (metrics.containsKey(LOSS)) {
            add(v.loss, snapshot.getExamplesSeen(), metrics.get(LOSS));
        }
    }

    /**
     * An annotator's model read under {@code key} ({@code task/annotator}, and U+001F variant for a variant other
     * than default); null is a tombstone (evicted). Each variant's label model has its own model of an annotator.
     *
     * @throws IllegalArgumentException naming the field, before anything is kept, when its confusion is no K×K
     *         matrix of float32 values or K is past {@link PrequentialConfusion#MAX_CLASSES}
     */
    public synchronized void annotator(String key, AnnotatorModel model) {
        if (model != null) {
            requireConfusion(model);
        }
        revision++;
        if (model == null) {
            AnnotatorKey id = annotatorKeys.remove(key);
            if (id != null) {
                task(id.task()).annotators.remove(id.annotator());
                dropIfEmpty(id.task());
            }
            return;
        }
        AnnotatorId id = new AnnotatorId(model.getVariant(), model.getAnnotator());
        annotatorKeys.put(key, new AnnotatorKey(model.getTask(), id));
        task(model.getTask()).annotators.put(id, model);
    }

    /**
     * An item's consensus read under {@code key} ({@code task/item}, and U+001F variant for a variant other than
     * default); null is a tombstone. A republished item replaces its earlier record in the counts; each variant's
     * items are counted apart.
     *
     * @throws IllegalArgumentException naming the field, before anything is counted, when the posterior is empty or
     *         of more classes than an annotator record may have ({@link PrequentialConfusion#MAX_CLASSES}), or the
     *         most likely class is no class of the posterior
     */
    public synchronized void consensus(String key, Consensus consensus) {
        if (consensus != null) {
            int classes = consensus.getPosterior().size();
            if (classes == 0 || classes > PrequentialConfusion.MAX_CLASSES) {
                throw new IllegalArgumentException("posterior: expected a probability per class, 1.."
                        + PrequentialConfusion.MAX_CLASSES + " classes, got " + classes);
            }
            if (consensus.getMostLikely() < 0 || consensus.getMostLikely() >= classes) {
                throw new IllegalArgumentException("mostLikely: expected a class of the posterior, 0.." + (classes - 1)
                        + ", got " + consensus.getMostLikely());
            }
        }
        revision++;
        ConsensusCoverage.Item before = consensusKeys.remove(key);
        if (before != null) {
            before.coverage.remove(key, before);
        }
        if (consensus == null) {
            if (before != null && before.coverage.isEmpty()) {
                // Its task is looked for (tombstones are rare) rather than named by each of the items held.
                for (Iterator<Task> tasksLeft = tasks.values().iterator(); tasksLeft.hasNext();) {
                    Task task = tasksLeft.next();
                    if (task.consensus.values().remove(before.coverage) && task.isEmpty()) {
                        tasksLeft.remove();
                    }
                }
            }
            return;
        }
        ConsensusCoverage coverage = task(consensus.getTask()).consensus
                .computeIfAbsent(consensus.getVariant(), v -> new ConsensusCoverage());
        consensusKeys.put(key, coverage.add(key, consensus, before, recent));
        if (consensusKeys.size() > maxConsensusItems) {
            Iterator<Map.Entry<String, ConsensusCoverage.Item>> eldest = consensusKeys.entrySet().iterator();
            Map.Entry<String, ConsensusCoverage.Item> forgotten = eldest.next();
            eldest.remove();
            forgotten.getValue().coverage.forget(forgotten.getKey(), forgotten.getValue());
        }
    }

    /** A record of the dead-letter topic. */
    public synchronized void deadLetter(DeadLetter letter) {
        revision++;
        deadLetters++;
        String named = letter.getField() == null ? WHOLE_RECORD : letter.getField();
        String name = deadLetterFields.containsKey(named) || deadLetterFields.size() < MAX_DEAD_LETTER_FIELDS
                ? named : OTHER_FIELDS;
        Field field = deadLetterFields.computeIfAbsent(name, n -> new Field());
        field.count++;
        if (field.reasons.containsKey(letter.getReason()) || field.reasons.size() < maxReasons) {
            field.reasons.merge(letter.getReason(), 1L, Long::sum);
        } else {
            field.otherReasons++;
        }
        field.recent.addFirst(new Letter(letter.getTopic(), letter.getPartition(), letter.getOffset(),
                letter.getReason(), letter.getTime()));
        if (field.recent.size() > recent) {
            field.recent.removeLast();
        }
    }

    /** The {@code role} topic (models, annotators, dead letters) is {@code topic} and is being read. */
    public synchronized void following(String role, String topic) {
        revision++;
        TopicStatus status = topics.computeIfAbsent(role, r -> new TopicStatus(topic));
        status.problem = null;
    }

    /** The {@code role} topic cannot be read now, and why (it does not exist yet, access denied...). */
    public synchronized void unavailable(String role, String topic, String problem) {
        revision++;
        topics.computeIfAbsent(role, r -> new TopicStatus(topic)).problem = problem;
    }

    /** A record of {@code topic} at {@code where} (partition@offset) that is no Chorus record, or one refused, and why. */
    public synchronized void undecodable(String topic, String where, String reason) {
        revision++;
        for (TopicStatus status : topics.values()) {
            if (status.topic.equals(topic)) {
                status.undecodable++;
                status.lastUndecodable = where + ": " + reason;
            }
        }
    }

    /** Moves on every change: the server pushes the page a new view only when it moved. */
    public synchronized long revision() {
        return revision;
    }

    /** The whole view as the page reads it. */
    public synchronized String toJson() {
        ObjectNode root = NODES.objectNode();
        ArrayNode topicsJson = root.putArray("topics");
        topics.forEach((role, s) -> {
            ObjectNode t = topicsJson.addObject().put("role", role).put("topic", s.topic)
                    .put("undecodable", s.undecodable);
            t.put("lastUndecodable", s.lastUndecodable);
            t.put("problem", s.problem);
        });
        ArrayNode tasksJson = root.putArray("tasks");
        tasks.forEach((name, task) -> tasksJson.add(taskJson(name, task)));
        root.set("deadLetters", deadLettersJson());
        try {
            return MAPPER.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the dashboard view cannot be written as JSON", e);
        }
    }

    private ObjectNode taskJson(String name, Task task) {
        ObjectNode json = NODES.objectNode().put("task", name);
        ArrayNode variants = json.putArray("variants");
        task.variants.forEach((variantName, v) -> {
            Latest s = v.latest;
            ObjectNode variant = variants.addObject().put("variant", variantName).put("version", s.version())
                    .put("examplesSeen", s.examplesSeen()).put("algorithm", s.algorithm())
                    .put("createdAt", s.createdAt()).put("snapshots", v.snapshots);
            variant.set("accuracy", points(v.accuracy));
            if (!v.loss.isEmpty()) {
                variant.set("loss", points(v.loss));
            }
        });
        if (task.variants.size() > 1) {
            ArrayNode board = json.putArray("leaderboard");
            task.variants.entrySet().stream()
                    .sorted(Comparator.comparingDouble((Map.Entry<String, Variant> e) -> latestAccuracy(e.getValue()))
                            .reversed())
                    .forEach(e -> number(board.addObject().put("variant", e.getKey())
                            .put("version", e.getValue().latest.version()), "prequentialAccuracy",
                            e.getValue().latest.accuracy()));
        }
        ArrayNode annotators = json.putArray("annotators");
        task.annotators.forEach((id, a) -> {
            ObjectNode annotator = annotators.addObject().put("variant", id.variant())
                    .put("annotator", id.annotator()).put("version", a.getVersion())
                    .put("numClasses", a.getNumClasses()).put("labelsSeen", a.getLabelsSeen())
                    .put("updatedAt", a.getUpdatedAt());
            number(annotator, "reliability", a.getReliability());
            number(annotator, "weight", a.getWeight());
            annotator.set("confusion", confusion(a));
        });
        if (!task.consensus.isEmpty()) {
            ArrayNode coverage = json.putArray("consensus");
            task.consensus.forEach((variant, c) -> coverage.addObject().put("variant", variant)
                    .setAll(c.toJson(NODES)));
        }
        return json;
    }

    private ObjectNode deadLettersJson() {
        ObjectNode json = NODES.objectNode().put("total", deadLetters);
        ArrayNode fields = json.putArray("byField");
        deadLetterFields.entrySet().stream()
                .sorted(Map.Entry.<String, Field>comparingByValue(Comparator.comparingLong(f -> -f.count))
                        .thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> {
                    Field f = e.getValue();
                    ObjectNode field = fields.addObject().put("field", e.getKey()).put("count", f.count)
                            .put("otherReasons", f.otherReasons);
                    ArrayNode reasons = field.putArray("reasons");
                    f.reasons.entrySet().stream()
                            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                            .forEach(r -> reasons.addObject().put("reason", r.getKey()).put("count", r.getValue()));
                    ArrayNode latest = field.putArray("recent");
                    for (Letter d : f.recent) {
                        latest.addObject().put("topic", d.topic()).put("partition", d.partition())
                                .put("offset", d.offset()).put("reason", d.reason()).put("time", d.time());
                    }
                });
        return json;
    }

    /** Refuses what {@link #confusion} cannot show: a K the page could not draw, cells that are not K×K floats. */
    private static void requireConfusion(AnnotatorModel a) {
        int k = a.getNumClasses();
        if (k < 2 || k > PrequentialConfusion.MAX_CLASSES) {
            throw new IllegalArgumentException("numClasses: expected 2.." + PrequentialConfusion.MAX_CLASSES + ", got "
                    + k);
        }
        int cells = k * k;
        int bytes = a.getConfusion().remaining();
        if (bytes != cells * Float32.BYTES) {
            throw new IllegalArgumentException("confusion: expected numClasses² = " + cells + " float32 values ("
                    + cells * Float32.BYTES + " bytes), got " + bytes + " bytes");
        }
    }

    /** Rows of K labels: row = true class, column = given label, as the record packs them. */
    private static ArrayNode confusion(AnnotatorModel a) {
        float[] cells = Float32.unpack(a.getConfusion().duplicate());
        int k = a.getNumClasses();
        ArrayNode rows = NODES.arrayNode();
        for (int row = 0; row < k; row++) {
            ArrayNode cols = rows.addArray();
            for (int col = 0; col < k; col++) {
                int i = row * k + col;
                // Shortest decimal of the float itself, not of its widening to double (0.1f, not 0.10000000149).
                if (Float.isFinite(cells[i])) {
                    cols.add(Double.parseDouble(Float.toString(cells[i])));
                } else {
                    cols.addNull();
                }
            }
        }
        return rows;
    }

    private void add(Deque<double[]> series, long examples, Double value) {
        series.addLast(new double[] {examples, value == null ? Double.NaN : value});
        if (series.size() > maxPoints) {
            series.removeFirst();
        }
    }

    /** [[examples, value], ...]; a value JSON cannot hold (NaN before any example) is null. */
    private static ArrayNode points(Deque<double[]> series) {
        ArrayNode points = NODES.arrayNode();
        for (double[] p : series) {
            ArrayNode point = points.addArray().add((long) p[0]);
            if (Double.isFinite(p[1])) {
                point.add(p[1]);
            } else {
                point.addNull();
            }
        }
        return points;
    }

    private static void number(ObjectNode json, String name, Double value) {
        if (value != null && Double.isFinite(value)) {
            json.put(name, value);
        } else {
            json.putNull(name);
        }
    }

    private static double latestAccuracy(Variant v) {
        Double accuracy = v.latest.accuracy();
        return accuracy == null || !Double.isFinite(accuracy) ? Double.NEGATIVE_INFINITY : accuracy;
    }

    private Task task(String name) {
        return tasks.computeIfAbsent(name, n -> new Task());
    }

    private void dropIfEmpty(String name) {
        Task task = tasks.get(name);
        if (task != null && task.isEmpty()) {
            tasks.remove(name);
        }
    }

    private static final class Task {
        final Map<String, Variant> variants = new TreeMap<>();
        final Map<AnnotatorId, AnnotatorModel> annotators = new TreeMap<>(
                Comparator.comparing(AnnotatorId::variant).thenComparing(AnnotatorId::annotator));
        /** By variant: each variant's label model publishes its own consensus of the task's items. */
        final Map<String, ConsensusCoverage> consensus = new TreeMap<>();

        boolean isEmpty() {
            return variants.isEmpty() && annotators.isEmpty() && consensus.isEmpty();
        }
    }

    /** One variant's model of one annotator. */
    private record AnnotatorId(String variant, String annotator) {}

    /** What an annotator record's key names. */
    private record AnnotatorKey(String task, AnnotatorId annotator) {}

    /** Of a variant's latest snapshot, what the page shows: not its parameters, megabytes the page never shows. */
    private record Latest(long version, long examplesSeen, String algorithm, long createdAt, Double accuracy) {}

    /** Of a dead letter, what the page lists: not its original bytes. */
    private record Letter(String topic, int partition, long offset, String reason, long time) {}

    private static final class Variant {
        Latest latest;
        long snapshots;
        final Deque<double[]> accuracy = new ArrayDeque<>();
        final Deque<double[]> loss = new ArrayDeque<>();
    }

    private static final class Field {
        long count;
        long otherReasons;
        final Map<String, Long> reasons = new LinkedHashMap<>();
        final Deque<Letter> recent = new ArrayDeque<>();
    }

    private static final class TopicStatus {
        final String topic;
        long undecodable;
        String lastUndecodable;
        String problem;

        TopicStatus(String topic) {
            this.topic = topic;
        }
    }
}
