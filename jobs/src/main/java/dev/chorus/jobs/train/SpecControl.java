package dev.chorus.jobs.train;

import dev.chorus.core.saved.ModelWarmStart;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.LabelledMetrics;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.RecordDecodingException;
import dev.chorus.schemas.codec.UnicodeText;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Reads the control topic (one instance: the topic has one partition, and each record must be judged against those
 * before it) and turns each record into a {@link SpecChange} for the broadcast, or into a dead letter that changes
 * nothing: a record that does not decode, whose key is not its {@code task/variant}, whose names are invalid
 * ({@link Variants#checkNames}), whose spec does not parse, that changes a live variant's spec on the topic (a task's
 * first {@code default} record may differ from {@code --spec}), or that would give a task more than
 * {@code maxVariantsPerTask} live variants, or the control topic more than {@code --max-live-variants} (all tasks), or
 * its warm starts more than {@code --max-warm-start-bytes} ({@link ControlTopicBudget}), whose model (or one its search
 * draws) would have more parameters than
 * {@code --max-model-parameters} ({@link ModelSizeBound}), or whose warm start's model is missing or does not fit its spec
 * ({@link WarmStarts#check}), or which warm-starts its own variant without a model other than as a rewarm with
 * {@code revive} of a variant that can rewarm ({@link WarmStarts#rewarms}), or that makes a retired key (a RETIRED
 * record or a tombstone of a live one, a search's included) live again without {@code "revive":true}, or with
 * {@code "reset":true} (a reset, which never revives: one that crossed a retirement on the topic). The spec is
 * read by {@link VariantSpecs#parseVariant}. A live variant's spec never changes in place: its model, versions and
 * optimizer state belong to that spec, so a new spec is a new variant (or a retired one revived); the live spec
 * written again another way, with another warm start or none (a warm start says only how a variant starts), or
 * without the {@code revive} a revival or a reset wrote into it, is no change ({@link VariantSpec#sameVariantAs}); a LIVE record with {@code "revive":true} and the live variant's model spec
 * resets it in place (a drift reaction's {@code reset}): it goes out even when it equals the live spec, and the
 * trainer restarts the variant's model while the variant stays live. A tombstone retires its key. A spec with a
 * {@code search} is expanded into its drawn variants ({@link SpecSearches}); a search whose variants would exceed the
 * bound is one dead letter. What each key last was is operator state, so a restart judges the next record alike.
 * After each record, its changes or none, goes a progress marker ({@link SpecChange#readUpTo}) for the router.
 *
 * <p>Metrics: {@code specChanges}, {@code deadLetters} and per field {@code field.<field>.deadLetters}; gauges
 * {@code liveVariants} and {@code warmStartBytes} (what the job-wide bounds count).
 */
public final class SpecControl extends ProcessFunction<KafkaRecord, SpecChange> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = DecodeRecords.DEAD_LETTERS;
    /**
     * The most of a spec, or of a parser's message about one, a reason quotes ({@link UnicodeText}); past it, how
     * long it was. A control record, and so its spec, may be several MiB (a warm start's model goes with it).
     */
    public static final int QUOTED_SPEC_CHARS = 1_024;

    private final Topic<VariantSpecRecord> topic;
    private final TaskSpecs defaults;
    private final int maxVariantsPerTask;
    private final ModelSizeBound modelSizeBound;
    private final int maxLiveVariants;
    private final long maxWarmStartBytes;
    private final int maxRetiredVariants;
    private final int maxRecordBytes;
    private final int deadLetterMaxOriginalBytes;

    /** Topic key → the key's last accepted change (spec null: retired), in the order first seen. */
    private transient Map<String, SpecChange> entries;
    private transient ListState<SpecChange> checkpointed;
    private transient SpecSearches searches;
    private transient ListState<SpecChange> checkpointedSearches;
    private transient ControlTopicBudget budget;
    private transient RecordCodec<VariantSpecRecord> codec;
    private transient Counter changes;
    private transient LabelledMetrics.DeadLetterCounts deadLetters;
    /** The offset of the record being judged: the generation of every change it causes ({@link ModelGenerations}). */
    private transient long recordOffset;

    public SpecControl(TrainSettings settings) {
        this.topic = settings.specsTopic();
        this.defaults = settings.specs();
        this.maxVariantsPerTask = settings.maxVariantsPerTask();
        this.modelSizeBound = settings.modelSizeBound();
        this.maxLiveVariants = settings.maxLiveVariants();
        this.maxWarmStartBytes = settings.maxWarmStartBytes();
        this.maxRetiredVariants = settings.maxRetiredVariants();
        // Not --max-record-bytes, which bounds examples: a control record may carry a warm start's whole model.
        this.maxRecordBytes = WarmStarts.MAX_RECORD_BYTES;
        this.deadLetterMaxOriginalBytes = settings.deadLetterMaxOriginalBytes();
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        checkpointed = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("spec-entries", TypeInformation.of(SpecChange.class)));
        entries = new LinkedHashMap<>();
        for (SpecChange c : checkpointed.get()) {
            entries.put(Variants.topicKey(c.task, c.variant), c);
        }
        checkpointedSearches = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("spec-searches", TypeInformation.of(SpecChange.class)));
        searches = new SpecSearches();
        searches.restore(checkpointedSearches.get());
        budget = new ControlTopicBudget(maxLiveVariants, maxWarmStartBytes, maxRetiredVariants);
        budget.initialize(context, entries.values());
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        checkpointed.update(List.copyOf(entries.values()));
        checkpointedSearches.update(searches.snapshot());
        budget.snapshot();
    }

    @Override
    public void open(OpenContext openContext) {
        codec = topic.codec();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        changes = metrics.counter("specChanges");
        deadLetters = new LabelledMetrics.DeadLetterCounts(metrics);
        metrics.gauge("liveVariants", () -> budget.live());
        metrics.gauge("warmStartBytes", () -> budget.warmStartBytes());
    }

    /** Judges {@code record}, then sends the progress marker of its offset ({@link SpecChange#readUpTo}). */
    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<SpecChange> out) {
        judge(record, ctx, out);
        out.collect(SpecChange.readUpTo(record.offset));
    }

    /**
     * Judges {@code record}: whatever else one record makes the codec or a check throw (a bug, a parser's recursion)
     * is that record's problem, a dead letter counted as {@link DecodeRecords#UNEXPECTED}, as {@link DecodeRecords}
     * does; rethrown, it would restart the job on the same record forever.
     */
    private void judge(KafkaRecord record, Context ctx, Collector<SpecChange> out) {
        try {
            judgeRecord(record, ctx, out);
        } catch (RuntimeException | StackOverflowError e) {
            reject(record, ctx, DecodeRecords.UNEXPECTED, DecodeRecords.unexpected(record, e));
        }
    }

    private void judgeRecord(KafkaRecord record, Context ctx, Collector<SpecChange> out) {
        String key = record.key == null ? null : new String(record.key, StandardCharsets.UTF_8);
        recordOffset = record.offset;
        if (record.value == null) {
            if (key != null && searches.get(key) != null) {
                searches.retire(key).forEach(c -> acceptIfChanged(c, out));
                return;
            }
            SpecChange known = key == null ? null : entries.get(key);
            if (known == null && key != null && key.endsWith("/" + JobSettings.DEFAULT_VARIANT)) {
                // A task's --spec default, seeded and never changed, is live without an entry: its tombstone
                // retires it as a RETIRED record does.
                known = current(key.substring(0, key.length() - JobSettings.DEFAULT_VARIANT.length() - 1),
                        JobSettings.DEFAULT_VARIANT);
            }
            if (known != null && !known.retires()) {
                accept(new SpecChange(known.task, known.variant, null), out);
            }
            // A tombstone of a key that is not live changes nothing and says nothing wrong: compaction writes
            // none, and retiring twice is harmless.
            return;
        }
        if (record.value.length > maxRecordBytes) {
            reject(record, ctx, "value", "record value: expected at most " + maxRecordBytes + " bytes, got "
                    + record.value.length);
            return;
        }
        VariantSpecRecord spec;
        try {
            spec = codec.decode(record.value);
        } catch (RecordDecodingException e) {
            reject(record, ctx, e.field() == null ? "decode" : e.field(), "undecodable record: " + e.getMessage());
            return;
        }
        Checked checked = check(spec, key);
        if (checked.problem() != null) {
            String problem = checked.problem();
            reject(record, ctx, problem.substring(0, problem.indexOf(':')), problem.substring(problem.indexOf(':') + 2));
            return;
        }
        VariantSpec parsed = checked.parsed();
        SpecChange search = searches.get(key);
        if (search != null || (parsed != null && parsed.search().isPresent())) {
            if (parsed == null) {
                searches.retire(key).forEach(c -> acceptIfChanged(c, out));
            } else if (search == null) {
                searches.start(spec.getTask(), spec.getVariant(), spec.getSpec(), parsed)
                        .forEach(c -> acceptIfChanged(c, out));
            }
            return;
        }
        boolean live = parsed != null;
        String topicKey = Variants.topicKey(spec.getTask(), spec.getVariant());
        if (!live && !entries.containsKey(topicKey) && current(spec.getTask(), spec.getVariant()) == null) {
            String problem = budget.neverLiveRetirementProblem(topicKey);
            if (problem != null) {
                reject(record, ctx, "variant", problem.substring(problem.indexOf(':') + 2));
                return;
            }
        }
        SpecChange change = new SpecChange(spec.getTask(), spec.getVariant(), live ? spec.getSpec() : null,
                live && spec.getInitialModel() != null ? WarmStarts.bytes(spec.getInitialModel()) : null);
        if (!live && SpecChange.SEARCH_SOURCE.equals(spec.getSource())) {
            change.evidence = spec.getReason();
        }
        if (live && resets(spec, parsed)) {
            change.reset = true;
            accept(change, out);
        } else if (!live || !sameLive(entry(spec.getTask(), spec.getVariant()), parsed)) {
            acceptIfChanged(change, out);
        }
    }

    /** A record's check: what is wrong with it ({@code field: reason}), else its spec, parsed (null unless LIVE). */
    private record Checked(String problem, VariantSpec parsed) {
        static Checked problem(String problem) {
            return new Checked(problem, null);
        }
    }

    /**
     * Whether {@code spec} (without {@code revive}) asks for the variant {@code live} is: its live spec written another
     * way, or without the {@code "revive":true} a revival or a reset wrote into it; no change, as the same text is.
     */
    private static boolean sameLive(SpecChange live, VariantSpec spec) {
        return live != null && !live.retires() && !spec.revive()
                && VariantSpecs.parseVariant(live.spec, Integer.MAX_VALUE).sameVariantAs(spec);
    }

    /**
     * Whether a LIVE record (checked) resets its variant in place: it says {@code revive} and the control topic has
     * the variant live, so it goes out even when its spec is the live one ({@link VariantSpecs#resets}); the trainer
     * restarts the variant's model without its ever stopping being live. A task's {@code --spec} default the topic
     * has not named yet is reset only with {@code --spec}'s model: with another, the record is the topic's first
     * default, which may differ from {@code --spec} ({@link #liveProblem}), a new spec whose model starts fresh
     * ({@link VariantSpecs#restarts}), never an in-place reset, which keeps the model's spec.
     */
    private boolean resets(VariantSpecRecord spec, VariantSpec parsed) {
        // current, not entry: a task's --spec default, seeded and never changed, is live without an entry.
        SpecChange live = current(spec.getTask(), spec.getVariant());
        if (live == null || live.retires() || !parsed.revive()) {
            return false;
        }
        return entry(spec.getTask(), spec.getVariant()) != null
                || parsed.model().equals(defaults.specFor(spec.getTask()));
    }

    /** What is wrong with a record, as {@code field: reason}; else its spec, parsed when LIVE. */
    private Checked check(VariantSpecRecord spec, String key) {
        String problem = recordProblem(spec, key);
        if (problem != null || spec.getStatus() != VariantStatus.LIVE) {
            return new Checked(problem, null);
        }
        VariantSpec parsed;
        try {
            parsed = VariantSpecs.parseVariant(spec.getSpec(), maxVariantsPerTask);
        } catch (RuntimeException e) {
            return Checked.problem(untrainable(spec, e));
        }
        String tooLarge = modelSizeBound.problem(parsed, spec.getVariant());
        if (tooLarge != null) {
            return Checked.problem("spec: " + tooLarge);
        }
        problem = liveProblem(spec, parsed);
        if (problem == null && parsed.search().isEmpty()) {
            problem = budgetProblem(spec, parsed);
        }
        return problem != null ? Checked.problem(problem) : new Checked(null, parsed);
    }

    /**
     * What is wrong with a LIVE record (not a search) that changes its variant ({@link #judge}'s rule) against the
     * control topic's job-wide bounds ({@link ControlTopicBudget}), as {@code field: reason}, or null.
     */
    private String budgetProblem(VariantSpecRecord spec, VariantSpec parsed) {
        String key = Variants.topicKey(spec.getTask(), spec.getVariant());
        SpecChange known = entry(spec.getTask(), spec.getVariant());
        boolean liveNow = known != null && !known.retires();
        if (liveNow && !resets(spec, parsed) && sameLive(known, parsed)) {
            return null; // no change
        }
        // A task's --spec default is live without an entry, and the budget counts only entries: a record that
        // changes it, or resets it, enters it, and counts as a variant made live.
        SpecChange implicit = known == null ? current(spec.getTask(), spec.getVariant()) : null;
        if (implicit != null && implicit.spec.equals(spec.getSpec())) {
            return null; // a task's --spec default, as the job already trains it: no change
        }
        return budget.problem(key, !liveNow, spec.getInitialModel() == null ? 0 : spec.getInitialModel().remaining());
    }

    private static String untrainable(VariantSpecRecord spec, RuntimeException e) {
        return "spec: field 'spec': expected a model spec the train job can train, got " + quotedSpec(spec.getSpec())
                + ": " + UnicodeText.escaped(String.valueOf(e.getMessage()), QUOTED_SPEC_CHARS);
    }

    /** {@code spec} as a reason quotes it: escaped as {@link UnicodeText#quoted} does, and cut if long. */
    public static String quotedSpec(String spec) {
        return UnicodeText.quoted(spec, QUOTED_SPEC_CHARS);
    }

    /** What is wrong with a record whatever it asks for, as {@code field: reason}, or null. */
    private String recordProblem(VariantSpecRecord spec, String key) {
        ExampleValidator.Rejection bad = Variants.checkNames(spec.getTask(), spec.getVariant(),
                spec.getStatus() == VariantStatus.LIVE);
        if (bad != null) {
            return bad.field() + ": " + bad.reason();
        }
        String topicKey = Variants.topicKey(spec.getTask(), spec.getVariant());
        if (!topicKey.equals(key)) {
            return "key: record key: expected " + ExampleValidator.quoted(topicKey) + " (task/variant), got "
                    + (key == null ? "null" : ExampleValidator.quoted(key));
        }
        if (spec.getStatus() == VariantStatus.LIVE && spec.getSpec() == null) {
            return "spec: field 'spec': expected a model spec (JSON) for status LIVE, got null";
        }
        SpecChange search = searches.get(topicKey);
        SpecChange held = search != null ? search : entries.get(topicKey);
        if (held != null && !held.task.equals(spec.getTask()) && (search != null || !held.retires())) {
            return "variant: field 'variant': expected a variant whose key " + ExampleValidator.quoted(topicKey)
                    + " names no other live variant, got variant " + ExampleValidator.quoted(spec.getVariant())
                    + " of task " + ExampleValidator.quoted(spec.getTask()) + ", whose key is that of live "
                    + (search != null ? "search " : "variant ") + ExampleValidator.quoted(held.variant) + " of task "
                    + ExampleValidator.quoted(held.task);
        }
        return null;
    }

    /** What is wrong with a LIVE record whose spec parses as {@code parsed}, as {@code field: reason}, or null. */
    private String liveProblem(VariantSpecRecord spec, VariantSpec parsed) {
        String topicKey = Variants.topicKey(spec.getTask(), spec.getVariant());
        String warm;
        try {
            warm = WarmStarts.rewarms(parsed, spec.getVariant(), spec.getInitialModel() != null)
                    ? checkRewarm(spec, parsed) : WarmStarts.check(parsed, spec.getInitialModel(), modelSizeBound);
        } catch (RuntimeException e) {
            return untrainable(spec, e);
        }
        if (warm != null) {
            return warm;
        }
        SpecChange search = searches.get(topicKey);
        if (search != null && !search.spec.equals(spec.getSpec())) {
            return "spec: field 'spec': expected the live search spec of " + ExampleValidator.quoted(topicKey) + " ("
                    + quotedSpec(search.spec) + "), as a live search never changes: retire it or put a new one, got "
                    + quotedSpec(spec.getSpec());
        }
        SpecChange known = entry(spec.getTask(), spec.getVariant());
        if (search == null && known != null && known.retires() && !parsed.revive()) {
            return "spec: field 'spec': expected \"revive\":true to make retired variant "
                    + ExampleValidator.quoted(topicKey) + " live again (chorus specs put --revive), got a spec "
                    + "without it: " + quotedSpec(spec.getSpec());
        }
        // A reset was asked of a live variant; one that crossed a retirement on the topic (a drift reset committed at
        // the job's next checkpoint, after a user's retire) must not undo it.
        if (parsed.reset() && known != null && known.retires()) {
            return "spec: field 'reset': expected a live variant to reset in place, got retired variant "
                    + ExampleValidator.quoted(topicKey) + ": a reset never revives (chorus specs put --revive does)";
        }
        if (parsed.search().isPresent()) {
            return search != null ? null : checkSearch(spec, parsed);
        }
        SpecChange live = current(spec.getTask(), spec.getVariant());
        // --spec is a task's default until the topic says otherwise: the topic's first default is no change of a
        // live spec (the trainer restarts a default it trained, VariantSpecs#restarts).
        if (live != null && !live.retires() && entries.containsKey(topicKey) && !live.spec.equals(spec.getSpec())
                && !(parsed.revive() && VariantSpecs.parse(live.spec).equals(parsed.model()))
                && !sameLive(live, parsed)) {
            return "spec: field 'spec': expected the live spec of " + ExampleValidator.quoted(topicKey) + " ("
                    + quotedSpec(live.spec) + "), as a live variant's spec never changes (but for a reset: "
                    + "\"revive\":true with the same model): retire it or put a new variant, got "
                    + quotedSpec(spec.getSpec());
        }
        long liveOfTask = liveVariants(spec.getTask());
        if ((live == null || live.retires()) && liveOfTask >= maxVariantsPerTask) {
            return "variant: field 'variant': expected at most maxVariantsPerTask=" + maxVariantsPerTask
                    + " live variants of task " + ExampleValidator.quoted(spec.getTask()) + ", got a new one, "
                    + ExampleValidator.quoted(spec.getVariant()) + ", beside " + liveOfTask;
        }
        return null;
    }

    /**
     * What is wrong with a rewarm (a warm start from the record's own variant without a model), as {@code field:
     * reason}, or null: a record with {@code revive} of a variant whose kind can rewarm
     * ({@link ModelWarmStart#cannotRewarm}). For a live variant it is a reset in place ({@link #resets}) whose trainer
     * starts it from its own weights; a variant that is not live has no weights of its own, and starts fresh, as the
     * reset record it otherwise is would start it: after compaction the control topic may hold only the rewarm record
     * of a variant, and a job started from the topic alone must still train it.
     */
    private String checkRewarm(VariantSpecRecord record, VariantSpec spec) {
        String cannot = ModelWarmStart.cannotRewarm(spec.model());
        String got = cannot != null ? "a model with " + cannot
                : !spec.revive() ? "a record without \"revive\":true" : null;
        return got == null ? null : "initialModel: field 'initialModel': expected the saved model the spec's warmStart "
                + "names, or none for a warm start from the variant itself (a rewarm: \"revive\":true, not a label model or a "
                + "skip-gram, which restarts from its own weights), got none for " + got;
    }

    /**
     * What is wrong with a new search, as {@code field: reason}, or null: its key is a live variant's, a variant it
     * draws is live with another spec, or its variants would give the task more than {@code maxVariantsPerTask}.
     */
    private String checkSearch(VariantSpecRecord record, VariantSpec spec) {
        String task = record.getTask();
        SpecChange plain = current(task, record.getVariant());
        if (plain != null && !plain.retires()) {
            return "spec: field 'spec': expected a plain spec for " + ExampleValidator.quoted(plain.variant)
                    + ", live with " + quotedSpec(plain.spec) + " (a live variant's spec never changes), got a "
                    + "search: " + quotedSpec(record.getSpec());
        }
        int added = 0;
        for (SpecChange v : SpecSearches.variants(new SpecChange(task, record.getVariant(), record.getSpec()), spec)) {
            SpecChange now = current(task, v.variant);
            if (now == null || now.retires()) {
                added++;
            } else if (!now.spec.equals(v.spec)) {
                return "variant: field 'variant': expected the search's variant " + ExampleValidator.quoted(v.variant)
                        + " free or live with the spec it draws, got it live with " + quotedSpec(now.spec);
            }
        }
        long liveOfTask = liveVariants(task);
        if (liveOfTask + added > maxVariantsPerTask) {
            return "spec: field 'spec': expected at most maxVariantsPerTask=" + maxVariantsPerTask + " live variants "
                    + "of task " + ExampleValidator.quoted(task) + ", got a search of " + spec.variants().size()
                    + " variants (" + added + " new) beside " + liveOfTask;
        }
        return budget.searchProblem(Variants.topicKey(task, record.getVariant()), spec.variants().size(), added);
    }

    /** The variant's current state: its last accepted change, else the {@code --spec} default, else null. */
    private SpecChange current(String task, String variant) {
        SpecChange known = entry(task, variant);
        if (known != null || !JobSettings.DEFAULT_VARIANT.equals(variant)) {
            return known;
        }
        return defaults.specFor(task) == null ? null : new SpecChange(task, variant, defaults.jsonFor(task));
    }

    /**
     * The last accepted change of variant {@code variant} of {@code task}, or null: its key ({@code task/variant}) may
     * hold another task's variant, since a task may have a {@code /} (task {@code a/b}, variant {@code c} and task
     * {@code a}, variant {@code b/c}, which only a retirement may name), and that one is not this.
     */
    private SpecChange entry(String task, String variant) {
        SpecChange known = entries.get(Variants.topicKey(task, variant));
        return known != null && known.task.equals(task) ? known : null;
    }

    private long liveVariants(String task) {
        long live = entries.values().stream().filter(c -> c.task.equals(task) && !c.retires()).count();
        SpecChange ownDefault = current(task, JobSettings.DEFAULT_VARIANT);
        boolean implicitDefault = !entries.containsKey(Variants.topicKey(task, JobSettings.DEFAULT_VARIANT))
                && ownDefault != null;
        return live + (implicitDefault ? 1 : 0);
    }

    private void acceptIfChanged(SpecChange change, Collector<SpecChange> out) {
        if (!change.equals(current(change.task, change.variant))) {
            accept(change, out);
        }
    }

    private void accept(SpecChange change, Collector<SpecChange> out) {
        String key = Variants.topicKey(change.task, change.variant);
        boolean entered = searches.get(key) == null || change.retires();
        // A warm start's model is needed once, where the variant is created: the entries keep what the key is.
        SpecChange before = entered ? entries.put(key, new SpecChange(change.task, change.variant, change.spec)) : null;
        budget.accepted(key, change, before, entered);
        changes.inc();
        change.generation = recordOffset;
        out.collect(change);
    }

    private void reject(KafkaRecord record, Context ctx, String field, String reason) {
        ctx.output(DEAD_LETTERS, DecodeRecords.deadLetter(deadLetters, record, field, reason,
                deadLetterMaxOriginalBytes));
    }
}
