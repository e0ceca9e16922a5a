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
import dev.chorus.schemas.codec.UnicodeText;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the dashboard shows, kept in memory from the Chorus topics and handed to the page as JSON: per task, each
 * variant's learning curve (prequential accuracy, and loss when the snapshots carry it, over examples seen) and
 * latest model version, a leaderboard when a task has several variants, and each variant's annotators' confusion
 * matrices and consensus coverage ({@link ConsensusCoverage}); dead letters by field and reason. Bounded whatever the
 * topics hold: the last points of each series ({@value #MAX_POINTS}, and {@value #MAX_CURVE_POINTS} over all
 * series, shared evenly), a few distinct reasons and the latest letters of each field, and the
 * {@value #MAX_CONSENSUS_ITEMS} most recently changed consensus items (about 150 bytes each); of a snapshot, a
 * dead letter or a changed item only what the page shows (no parameters, no original bytes). A tombstone deletes
 * its key, as compaction will. Bounded too in what hostile topics could make grow: at most {@value #MAX_TASKS} tasks,
 * {@value #MAX_VARIANTS} variants per task and {@value #MAX_ANNOTATORS} annotator models in all (records past a
 * bound are counted as dropped, and the page says how many and why); a confusion matrix is kept and drawn up to
 * {@value #MAX_DRAWN_CLASSES} classes, and the page is sent the matrices of {@value #MAX_MATRIX_CELLS} cells over all
 * tasks, each task's most active annotators first (it says how many it was not sent); keys past {@value #MAX_KEY_CHARS} characters and names past
 * {@value #MAX_TEXT_CHARS} are refused, other text is cut to {@value #MAX_TEXT_CHARS} characters.
 * Thread-safe: one consumer thread per topic writes, the web server reads.
 */
public class DashboardView {

    /** Points kept per curve, distinct reasons per dead-letter field, latest letters per field. */
    static final int MAX_POINTS = 2000;
    /**
     * Points kept over all series: past {@code MAX_CURVE_POINTS / MAX_POINTS} series (a variant has two), each keeps
     * its last {@code MAX_CURVE_POINTS / series}, so that the view, and the JSON written at each change, stay a few
     * megabytes at the task and variant bounds rather than eight million points.
     */
    static final int MAX_CURVE_POINTS = 400_000;
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

    /** Tasks kept; records of a task past them are dropped (counted) until a task leaves. */
    static final int MAX_TASKS = 100;
    /** Variants per task, whether named by its models, annotators or consensus. */
    static final int MAX_VARIANTS = 20;
    /** Annotator models (one per variant and annotator) over all tasks. */
    static final int MAX_ANNOTATORS = 500;
    /** Classes of a confusion matrix kept and drawn; of a larger one, only the annotator's summary. */
    static final int MAX_DRAWN_CLASSES = 64;
    /**
     * Cells of the confusion matrices sent to the page, over all tasks: each task's most active annotator's matrix
     * (most labels seen) first, then each task's second most active, and so on, so that the JSON written at each
     * change stays about a megabyte rather than {@value #MAX_ANNOTATORS} matrices of 64² cells (2 million numbers).
     */
    static final int MAX_MATRIX_CELLS = 100_000;
    /** Characters of a record key; a longer key is refused. */
    static final int MAX_KEY_CHARS = 1024;
    /** Characters of a task, variant or annotator name (longer ones are refused) and of any text kept (cut). */
    static final int MAX_TEXT_CHARS = 256;
    /**
     * Distinct keys kept to find what a tombstone deletes: twice the snapshots' tasks × variants and the annotator
     * models, as a record may move to a key of its own.
     */
    static final int MAX_MODEL_KEYS = 2 * MAX_TASKS * MAX_VARIANTS;
    static final int MAX_ANNOTATOR_KEYS = 2 * MAX_ANNOTATORS;
    /** Epoch milliseconds a JavaScript Date can hold; a time past them is sent as null. */
    static final long MAX_TIME = 8_640_000_000_000_000L;

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final int maxPoints;
    private final int maxCurvePoints;
    private final int maxReasons;
    private final int recent;
    private final int maxConsensusItems;
    private final int maxMatrixCells;

    private final Map<String, Task> tasks = new TreeMap<>();
    /** Record key to what it names, so that a tombstone, which carries only its key, finds what it deletes. */
    private final Map<String, String[]> modelKeys = new HashMap<>();
    private final Map<String, AnnotatorKey> annotatorKeys = new HashMap<>();
    /** Consensus record key (task/item, per variant) to what it counts for, least recently changed first. */
    private final LinkedHashMap<String, ConsensusCoverage.Item> consensusKeys = new LinkedHashMap<>();
    private final Map<String, Field> deadLetterFields = new HashMap<>();
    private final Map<String, TopicStatus> topics = new LinkedHashMap<>();
    /** Records dropped past a bound, by which bound. */
    private final Map<String, Long> dropped = new TreeMap<>();
    private long annotatorModels;
    /** Variants with a model snapshot, over all tasks: two series each, sharing {@link #maxCurvePoints}. */
    private int curvedVariants;
    private long deadLetters;
    private long revision;
    private Rendered rendered;

    /** The view as JSON at a revision. */
    public record Rendered(long revision, String json) {}

    public DashboardView() {
        this(MAX_POINTS, MAX_REASONS, RECENT);
    }

    DashboardView(int maxPoints, int maxReasons, int recent) {
        this(maxPoints, maxReasons, recent, MAX_CONSENSUS_ITEMS);
    }

    DashboardView(int maxPoints, int maxReasons, int recent, int maxConsensusItems) {
        this(maxPoints, maxReasons, recent, maxConsensusItems, MAX_CURVE_POINTS);
    }

    DashboardView(int maxPoints, int maxReasons, int recent, int maxConsensusItems, int maxCurvePoints) {
        this(maxPoints, maxReasons, recent, maxConsensusItems, maxCurvePoints, MAX_MATRIX_CELLS);
    }

    DashboardView(int maxPoints, int maxReasons, int recent, int maxConsensusItems, int maxCurvePoints,
            int maxMatrixCells) {
        this.maxMatrixCells = maxMatrixCells;
        this.maxPoints = maxPoints;
        this.maxCurvePoints = maxCurvePoints;
        this.maxReasons = maxReasons;
        this.recent = recent;
        this.maxConsensusItems = maxConsensusItems;
    }

    /**
     * A model snapshot read under {@code key} ({@code task/variant}); null is a tombstone (a reset model).
     *
     * @throws IllegalArgumentException naming the field, before anything is kept, when the key or a name is too long
     */
    public synchronized void model(String key, ModelSnapshot snapshot) {
        if (snapshot != null && snapshot.getChunk() != null) {
            return; // a slice of a snapshot too big for one record: its manifest stands for the version
        }
        requireKey(key);
        if (snapshot != null) {
            requireName("task", snapshot.getTask());
            requireName("variant", snapshot.getVariant());
        }
        revision++;
        if (snapshot == null) {
            String[] id = modelKeys.remove(key);
            Task task = id == null ? null : tasks.get(id[0]);
            if (task != null && task.variants.remove(id[1]) != null) {
                curvedVariants--;
                dropIfEmpty(id[0]);
            }
            return;
        }
        if (pastKeyBound(modelKeys, key, MAX_MODEL_KEYS, "model snapshots")) {
            return;
        }
        Task task = admit(snapshot.getTask(), snapshot.getVariant(), "model snapshots");
        if (task == null) {
            return;
        }
        modelKeys.put(key, new String[] {snapshot.getTask(), snapshot.getVariant()});
        Variant v = task.variants.get(snapshot.getVariant());
        if (v == null) {
            v = new Variant();
            task.variants.put(snapshot.getVariant(), v);
            curvedVariants++;
            trimCurves();
        }
        v.latest = new Latest(snapshot.getVersion(), snapshot.getExamplesSeen(), cut(snapshot.getAlgorithm()),
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
     *         matrix of float32 values or K is past {@link PrequentialConfusion#MAX_CLASSES}, or the key or a name
     *         is too long
     */
    public synchronized void annotator(String key, AnnotatorModel model) {
        requireKey(key);
        if (model != null) {
            requireConfusion(model);
            requireName("task", model.getTask());
            requireName("variant", model.getVariant());
            requireName("annotator", model.getAnnotator());
        }
        revision++;
        if (model == null) {
            AnnotatorKey id = annotatorKeys.remove(key);
            if (id != null) {
                Task task = tasks.get(id.task());
                if (task != null && task.removeAnnotator(id.annotator())) {
                    annotatorModels--;
                    dropIfEmpty(id.task());
                }
            }
            return;
        }
        AnnotatorId id = new AnnotatorId(model.getVariant(), model.getAnnotator());
        Task known = tasks.get(model.getTask());
        if ((known == null || !known.annotators.containsKey(id)) && annotatorModels >= MAX_ANNOTATORS) {
            drop("annotator models past the first " + MAX_ANNOTATORS);
            return;
        }
        if (pastKeyBound(annotatorKeys, key, MAX_ANNOTATOR_KEYS, "annotator models")) {
            return;
        }
        Task task = admit(model.getTask(), model.getVariant(), "annotator models");
        if (task == null) {
            return;
        }
        annotatorKeys.put(key, new AnnotatorKey(model.getTask(), id));
        if (task.putAnnotator(id, Annotator.of(model))) {
            annotatorModels++;
        }
    }

    /**
     * An item's consensus read under {@code key} ({@code task/item}, and U+001F variant for a variant other than
     * default); null is a tombstone. A republished item replaces its earlier record in the counts; each variant's
     * items are counted apart.
     *
     * @throws IllegalArgumentException naming the field, before anything is counted, when the posterior is empty,
     *         of more classes than an annotator record may have ({@link PrequentialConfusion#MAX_CLASSES}) or holds
     *         a value that is no probability, the most likely class is no class of the posterior, or the key or a
     *         name is too long
     */
    public synchronized void consensus(String key, Consensus consensus) {
        requireKey(key);
        if (consensus != null) {
            List<Double> posterior = consensus.getPosterior();
            int classes = posterior.size();
            if (classes == 0 || classes > PrequentialConfusion.MAX_CLASSES) {
                throw new IllegalArgumentException("posterior: expected a probability per class, 1.."
                        + PrequentialConfusion.MAX_CLASSES + " classes, got " + classes);
            }
            for (int c = 0; c < classes; c++) {
                double p = posterior.get(c);
                if (!(p >= 0 && p <= 1)) {
                    throw new IllegalArgumentException("posterior[" + c + "]: expected a probability in [0, 1], got "
                            + p);
                }
            }
            if (consensus.getMostLikely() < 0 || consensus.getMostLikely() >= classes) {
                throw new IllegalArgumentException("mostLikely: expected a class of the posterior, 0.." + (classes - 1)
                        + ", got " + consensus.getMostLikely());
            }
            requireName("task", consensus.getTask());
            requireName("variant", consensus.getVariant());
        }
        revision++;
        ConsensusCoverage.Item before = consensusKeys.remove(key);
        if (before != null) {
            before.coverage.remove(key, before);
        }
        ConsensusCoverage coverage = null;
        Task task = consensus == null ? null : admit(consensus.getTask(), consensus.getVariant(), "consensus items");
        if (task != null) {
            String taskName = consensus.getTask();
            coverage = task.consensus.computeIfAbsent(consensus.getVariant(), v -> new ConsensusCoverage(taskName, v));
            consensusKeys.put(key, coverage.add(key, consensus, before, recent));
        }
        // After the add: an item republished under its own coverage leaves it counted, with what it forgot.
        if (before != null && before.coverage != coverage) {
            dropIfEmpty(before.coverage);
        }
        if (consensusKeys.size() > maxConsensusItems) {
            Iterator<Map.Entry<String, ConsensusCoverage.Item>> eldest = consensusKeys.entrySet().iterator();
            Map.Entry<String, ConsensusCoverage.Item> forgotten = eldest.next();
            eldest.remove();
            forgotten.getValue().coverage.forget(forgotten.getKey(), forgotten.getValue());
            drop("consensus items forgotten, least recently changed first, past the " + maxConsensusItems
                    + " most recently changed");
            dropIfEmpty(forgotten.getValue().coverage);
        }
    }

    /** A record of the dead-letter topic. */
    public synchronized void deadLetter(DeadLetter letter) {
        revision++;
        deadLetters++;
        String named = letter.getField() == null ? WHOLE_RECORD : cut(letter.getField());
        String reason = cut(letter.getReason());
        String name = deadLetterFields.containsKey(named) || deadLetterFields.size() < MAX_DEAD_LETTER_FIELDS
                ? named : OTHER_FIELDS;
        Field field = deadLetterFields.computeIfAbsent(name, n -> new Field());
        field.count++;
        if (field.reasons.containsKey(reason) || field.reasons.size() < maxReasons) {
            field.reasons.merge(reason, 1L, Long::sum);
        } else {
            field.otherReasons++;
        }
        field.recent.addFirst(new Letter(cut(letter.getTopic()), letter.getPartition(), letter.getOffset(), reason,
                letter.getTime()));
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
        topics.computeIfAbsent(role, r -> new TopicStatus(topic)).problem = cut(problem);
    }

    /** A record of {@code topic} at {@code where} (partition@offset) that is no Chorus record, or one refused, and why. */
    public synchronized void undecodable(String topic, String where, String reason) {
        revision++;
        for (TopicStatus status : topics.values()) {
            if (status.topic.equals(topic)) {
                status.undecodable++;
                status.lastUndecodable = cut(where + ": " + reason);
            }
        }
    }

    /** Moves on every change: the server pushes the page a new view only when it moved. */
    public synchronized long revision() {
        return revision;
    }

    /** The whole view as the page reads it. */
    public String toJson() {
        return rendered().json();
    }

    /** The whole view as the page reads it, and its revision; written once per revision. */
    public synchronized Rendered rendered() {
        if (rendered == null || rendered.revision() != revision) {
            rendered = new Rendered(revision, write());
        }
        return rendered;
    }

    private String write() {
        ObjectNode root = NODES.objectNode();
        ArrayNode topicsJson = root.putArray("topics");
        topics.forEach((role, s) -> {
            ObjectNode t = topicsJson.addObject().put("role", role).put("topic", s.topic)
                    .put("undecodable", s.undecodable);
            t.put("lastUndecodable", s.lastUndecodable);
            t.put("problem", s.problem);
        });
        ArrayNode tasksJson = root.putArray("tasks");
        Set<Annotator> drawn = drawnMatrices();
        tasks.forEach((name, task) -> tasksJson.add(taskJson(name, task, drawn)));
        root.set("deadLetters", deadLettersJson());
        ArrayNode droppedJson = root.putArray("dropped");
        dropped.forEach((bound, count) -> droppedJson.addObject().put("bound", bound).put("count", count));
        try {
            return MAPPER.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the dashboard view cannot be written as JSON", e);
        }
    }

    /**
     * The annotators whose confusion matrix the page is sent: of those of up to {@link #MAX_DRAWN_CLASSES} classes,
     * each task's most active (most labels seen) first, then each task's second most active, and so on (of one rank,
     * the most active first), until the next matrix would pass {@link #maxMatrixCells} cells.
     */
    private Set<Annotator> drawnMatrices() {
        record Ranked(int rank, String task, AnnotatorId id, Annotator annotator) {}
        List<Ranked> ranked = new ArrayList<>();
        tasks.forEach((name, task) -> {
            int rank = 0;
            for (Map.Entry<AnnotatorId, Annotator> e : task.mostActiveFirst()) {
                if (e.getValue().confusion() != null) {
                    ranked.add(new Ranked(rank++, name, e.getKey(), e.getValue()));
                }
            }
        });
        ranked.sort(Comparator.comparingInt(Ranked::rank)
                .thenComparing(r -> r.annotator().labelsSeen(), Comparator.reverseOrder())
                .thenComparing(Ranked::task).thenComparing(Ranked::id, ANNOTATOR_ORDER));
        Set<Annotator> drawn = Collections.newSetFromMap(new IdentityHashMap<>());
        long cells = 0;
        for (Ranked r : ranked) {
            cells += r.annotator().confusion().length;
            if (cells > maxMatrixCells) {
                break;
            }
            drawn.add(r.annotator());
        }
        return drawn;
    }

    private ObjectNode taskJson(String name, Task task, Set<Annotator> drawn) {
        ObjectNode json = NODES.objectNode().put("task", name);
        ArrayNode variants = json.putArray("variants");
        task.variants.forEach((variantName, v) -> {
            Latest s = v.latest;
            ObjectNode variant = variants.addObject().put("variant", variantName).put("version", s.version())
                    .put("examplesSeen", s.examplesSeen()).put("algorithm", s.algorithm());
            time(variant, "createdAt", s.createdAt());
            variant.put("snapshots", v.snapshots);
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
        int hidden = 0;
        for (Map.Entry<AnnotatorId, Annotator> e : task.mostActiveFirst()) {
            AnnotatorId id = e.getKey();
            Annotator a = e.getValue();
            ObjectNode annotator = annotators.addObject().put("variant", id.variant())
                    .put("annotator", id.annotator()).put("version", a.version())
                    .put("numClasses", a.numClasses()).put("labelsSeen", a.labelsSeen());
            time(annotator, "updatedAt", a.updatedAt());
            number(annotator, "reliability", a.reliability());
            number(annotator, "weight", a.weight());
            if (a.confusion() == null) {
                annotator.putNull("confusion"); // past MAX_DRAWN_CLASSES: the page says it is too large to draw
            } else if (drawn.contains(a)) {
                annotator.set("confusion", confusion(a.numClasses(), a.confusion()));
            } else {
                annotator.putNull("confusion").put("matrixHidden", true); // past maxMatrixCells: the page counts it
                hidden++;
            }
        }
        json.put("matricesHidden", hidden);
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
                        time(latest.addObject().put("topic", d.topic()).put("partition", d.partition())
                                .put("offset", d.offset()).put("reason", d.reason()), "time", d.time());
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
    private static ArrayNode confusion(int k, float[] cells) {
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
        trim(series, pointsPerSeries());
    }

    /** The points each series keeps now: {@link #maxPoints}, or its share of {@link #maxCurvePoints}. */
    private int pointsPerSeries() {
        return Math.max(1, Math.min(maxPoints, maxCurvePoints / Math.max(1, 2 * curvedVariants)));
    }

    /** A variant came: every series keeps only its share, its oldest points going first. */
    private void trimCurves() {
        int kept = pointsPerSeries();
        for (Task task : tasks.values()) {
            for (Variant v : task.variants.values()) {
                trim(v.accuracy, kept);
                trim(v.loss, kept);
            }
        }
    }

    private static void trim(Deque<double[]> series, int kept) {
        while (series.size() > kept) {
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

    /** Epoch milliseconds, or null for a time a JavaScript Date cannot hold. */
    static void time(ObjectNode json, String name, long epochMillis) {
        if (epochMillis >= -MAX_TIME && epochMillis <= MAX_TIME) { // not abs: abs(Long.MIN_VALUE) < 0
            json.put(name, epochMillis);
        } else {
            json.putNull(name);
        }
    }

    /** {@code text} whole, or its first {@link #MAX_TEXT_CHARS} characters (no half surrogate pair) and an ellipsis. */
    static String cut(String text) {
        if (text == null || text.length() <= MAX_TEXT_CHARS) {
            return text;
        }
        return text.substring(0, UnicodeText.cut(text, MAX_TEXT_CHARS)) + "…";
    }

    private static void requireKey(String key) {
        if (key != null && key.length() > MAX_KEY_CHARS) {
            throw new IllegalArgumentException("key: expected at most " + MAX_KEY_CHARS + " characters, got "
                    + key.length());
        }
    }

    private static void requireName(String field, String name) {
        if (name.length() > MAX_TEXT_CHARS) {
            throw new IllegalArgumentException(field + ": expected at most " + MAX_TEXT_CHARS + " characters, got "
                    + name.length());
        }
    }

    private void drop(String bound) {
        dropped.merge(bound, 1L, Long::sum);
    }

    /**
     * The task a record of {@code variant} goes to, made if new; null, the record counted as dropped, when the task
     * would be one past {@link #MAX_TASKS} or the variant one past the task's {@link #MAX_VARIANTS}.
     */
    private Task admit(String name, String variant, String records) {
        Task task = tasks.get(name);
        if (task == null) {
            if (tasks.size() >= MAX_TASKS) {
                drop(records + " of tasks past the first " + MAX_TASKS);
                return null;
            }
            task = new Task();
            tasks.put(name, task);
        } else if (!task.names(variant) && task.variantCount() >= MAX_VARIANTS) {
            drop(records + " of variants past the first " + MAX_VARIANTS + " of a task");
            return null;
        }
        return task;
    }

    private void dropIfEmpty(ConsensusCoverage coverage) {
        Task task = tasks.get(coverage.task());
        if (coverage.isEmpty() && task != null && task.consensus.get(coverage.variant()) == coverage) {
            task.consensus.remove(coverage.variant());
            dropIfEmpty(coverage.task());
        }
    }

    private void dropIfEmpty(String name) {
        Task task = tasks.get(name);
        if (task != null && task.isEmpty()) {
            tasks.remove(name);
        }
    }

    /** Annotators by variant, then name. */
    private static final Comparator<AnnotatorId> ANNOTATOR_ORDER = Comparator.comparing(AnnotatorId::variant)
            .thenComparing(AnnotatorId::annotator);

    private static final class Task {
        final Map<String, Variant> variants = new TreeMap<>();
        final Map<AnnotatorId, Annotator> annotators = new TreeMap<>(ANNOTATOR_ORDER);
        /** Annotator models per variant, so that a variant is known by its annotators alone. */
        final Map<String, Integer> annotatorsByVariant = new HashMap<>();
        /** By variant: each variant's label model publishes its own consensus of the task's items. */
        final Map<String, ConsensusCoverage> consensus = new TreeMap<>();

        boolean isEmpty() {
            return variants.isEmpty() && annotators.isEmpty() && consensus.isEmpty();
        }

        /** Whether a model, annotator or consensus record of the task names {@code variant}. */
        boolean names(String variant) {
            return variants.containsKey(variant) || annotatorsByVariant.containsKey(variant)
                    || consensus.containsKey(variant);
        }

        int variantCount() {
            Set<String> named = new HashSet<>(variants.keySet());
            named.addAll(annotatorsByVariant.keySet());
            named.addAll(consensus.keySet());
            return named.size();
        }

        /** The task's annotator models, most labels seen first, then by variant and name. */
        List<Map.Entry<AnnotatorId, Annotator>> mostActiveFirst() {
            List<Map.Entry<AnnotatorId, Annotator>> sorted = new ArrayList<>(annotators.entrySet());
            sorted.sort(Comparator.comparing((Map.Entry<AnnotatorId, Annotator> e) -> e.getValue().labelsSeen(),
                    Comparator.reverseOrder()));
            return sorted; // a stable sort: of equal labels seen, the map's order
        }

        /** Whether {@code id} is a new annotator model of the task. */
        boolean putAnnotator(AnnotatorId id, Annotator annotator) {
            if (annotators.put(id, annotator) != null) {
                return false;
            }
            annotatorsByVariant.merge(id.variant(), 1, Integer::sum);
            return true;
        }

        /** Whether the task had {@code id}. */
        boolean removeAnnotator(AnnotatorId id) {
            if (annotators.remove(id) == null) {
                return false;
            }
            annotatorsByVariant.computeIfPresent(id.variant(), (v, n) -> n == 1 ? null : n - 1);
            return true;
        }
    }

    /**
     * Of an annotator's model, what the page shows: its confusion unpacked when it is drawn (K up to
     * {@link #MAX_DRAWN_CLASSES}), else null.
     */
    private record Annotator(long version, int numClasses, long labelsSeen, long updatedAt, Double reliability,
            Double weight, float[] confusion) {
        static Annotator of(AnnotatorModel a) {
            float[] confusion = a.getNumClasses() > MAX_DRAWN_CLASSES ? null
                    : Float32.unpack(a.getConfusion().duplicate());
            return new Annotator(a.getVersion(), a.getNumClasses(), a.getLabelsSeen(), a.getUpdatedAt(),
                    a.getReliability(), a.getWeight(), confusion);
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

    /** Whether {@code key} is new to {@code keys}, which hold {@code max} already: then counted as dropped. */
    private boolean pastKeyBound(Map<String, ?> keys, String key, int max, String what) {
        if (keys.containsKey(key) || keys.size() < max) {
            return false;
        }
        drop(what + " under keys past the first " + max);
        return true;
    }
}
