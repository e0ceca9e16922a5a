package dev.chorus.jobs.serve;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.Predictor;
import dev.chorus.jobs.DeadLetters;
import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.LabelledMetrics;
import dev.chorus.jobs.TaskBound;
import dev.chorus.jobs.WideDeepFields;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.ModelSizeBound;
import dev.chorus.jobs.train.SpecControl;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.RecordDecodingException;
import dev.chorus.schemas.codec.UnicodeText;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves predictions with the newest model of each task, hot-swapping models as records of the models topic
 * arrive on the broadcast side. Each record is decoded and its model parsed on arrival (model-core's readers
 * refuse sizes the record's bytes cannot hold, so parsing allocates in proportion to the record): a record that
 * does not decode or parse goes to the dead-letter output and is never stored. A newer valid version replaces
 * the served one at once, an older or repeated version is ignored and counted. Serving a fixed variant, the job
 * keeps no other variant's models (counted, {@code modelsOfOtherVariants}). A tombstone (null value, key
 * {@code task/variant}, as {@code chorus models reset} and the train job's reset or revival of the variant write)
 * forgets that key's model, so that the next snapshot of any version is served: a reset variant's fresh model, or
 * the way out of a bogus version such as {@code Long.MAX_VALUE}. Serving models live in broadcast state, which
 * holds only snapshots that parsed, so a restarted job serves immediately.
 * Examples of a task that has no model yet wait in keyed state ({@link WaitingExamples}), at most
 * {@code maxWaitingPerTask}, and are answered when the first model arrives; past the bound, or when a bounded input
 * ends with no model, they go to the dead-letter output.
 *
 * <p>A hashed model ({@code SparseLinearModel}, a spec with {@code hashing}) answers examples with named fields,
 * checked as the train job checks them and hashed by the same {@code FeatureHasher}; a wide and deep one
 * ({@code WideDeepModel}) alike, each example taken apart by the snapshot's spec ({@link WideDeepFields}). Each
 * instance parses a version once ({@link LoadedModels}).
 *
 * <p>Tasks are bounded ({@link TaskBound}): beyond the allow-list, broadcast state holds the models of at most
 * {@code maxTasks} tasks (a snapshot of one more is not stored: subtask 0 sends it to the dead-letter output), and
 * each parallel instance lets the examples of at most {@code maxTasks} tasks wait for a first model; an example of
 * one more task that has no model is a dead letter (field {@code task}), and so is one of a task whose models the job
 * cannot hold (they would wait for good), and each example that waited for a task whose model is then refused.
 *
 * <p>With {@code --variant champion} every live variant's snapshots are kept, at most {@code maxVariantsPerTask} per
 * task ({@link ServeBounds}): the models of the variants a task's latest champion record retired are forgotten and
 * not stored again, a model of a variant that ranks lower gives way to a new variant's (the champion's takes the
 * place of any other but the serving one's and those held from the task, {@link ChampionRestarts}), and a snapshot that finds no room is refused like a task past the
 * bound. The champions topic arrives on the same broadcast side: each task is answered by the variant its latest
 * champion record names. The switch happens on the broadcast side, between two examples, so each example is
 * predicted once, by one variant and version, and the prediction says which. A champion whose model has not arrived yet is wanted but not served: the previous champion
 * keeps answering (or examples keep waiting, for a task served by none yet) until its first snapshot arrives, or until a
 * later record names it retired ({@link ServeBounds#namesRetired}: then none comes, and the wish ends). A
 * champion record that does not decode, a tombstone, or one naming a variant with a {@code /} (task a's variant b/c
 * would be task a/b's variant c) is a dead letter and changes nothing. A reset champion's
 * version 0 answers only once vetted ({@link ChampionRestarts}, metrics {@code championRestartsHeld} and
 * {@code championRestartsDeadLetters}); {@code championChanges} counts the times the variant serving a task changed.
 *
 * <p>A snapshot too big for one record arrives as chunks and a manifest ({@link SnapshotChunks}): they wait in
 * broadcast state until every part of one version is there and its digest matches ({@link SnapshotAssembly}), and
 * only then go through the checks and the swap above, as one whole snapshot; until then the previous version serves.
 *
 * <p>Every subtask receives every models record; only subtask 0 sends a rejected one to the dead-letter output,
 * so that it is there once.
 *
 * <p>Metrics: {@code predictions}, {@code modelsSwapped}, {@code modelsIgnored}, {@code modelsRefused},
 * {@code modelsRejected}, {@code modelsReset}, {@code modelsOfRetiredVariants}, {@code modelsEvicted},
 * {@code snapshotPartsDropped} (of versions that never completed),
 * {@code examplesWaited}, {@code deadLetters}, {@code nonFinitePredictions} (examples whose prediction was not
 * finite, each a dead letter with field {@code prediction} instead); per task, labelled with task and variant
 * ({@link LabelledMetrics#task}), the {@code modelVersion} this instance serves and its {@code predictions}.
 */
public final class ServeFunction
        extends KeyedBroadcastProcessFunction<String, Sourced<Example>, KafkaRecord, Prediction>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ServeFunction.class);

    /** Serving models by {@code task/variant}: the newest snapshot seen. */
    public static final MapStateDescriptor<String, ModelSnapshot> MODELS =
            new MapStateDescriptor<>("serving-models", Types.STRING, AvroTypes.of(ModelSnapshot.class));

    /** With {@code --variant champion}: the variant serving each task, and a champion waiting for its first model. */
    public static final MapStateDescriptor<String, String> SERVING =
            new MapStateDescriptor<>("serving-variants", Types.STRING, Types.STRING);
    public static final MapStateDescriptor<String, String> WANTED =
            new MapStateDescriptor<>("wanted-champions", Types.STRING, Types.STRING);

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("serve-dead-letters", AvroTypes.of(DeadLetter.class));

    private final String variant;
    private final int maxWaiting;
    private final Topic<Example> examplesTopic;
    private final int deadLetterMaxOriginalBytes;
    private final Topic<ModelSnapshot> modelsTopic;
    private final TaskBound taskBound;
    private final boolean followsChampion;
    private final int maxVariants;
    private final ModelSizeBound modelSizeBound;
    private final Topic<Champion> championsTopic;

    private final WaitingExamples waiting;
    private final ServeBounds bounds;

    /** Parsed models by task/variant, rebuilt from broadcast state after a restore. */
    private transient LoadedModels loaded;
    private transient RecordCodec<Example> exampleCodec;
    private transient RecordCodec<ModelSnapshot> modelCodec;
    private transient RecordCodec<Champion> championCodec;
    private transient Counter championChanges;
    private transient ChampionRestarts restarts;
    private transient boolean firstSubtask;
    private transient Counter predictions;
    private transient Counter swapped;
    private transient Counter ignored;
    /** Models of variants a fixed-variant serve job does not serve, not kept. */
    private transient Counter otherVariants;
    /** Following the champion, snapshots of variants the latest champion record retired, not kept. */
    private transient Counter retiredVariants;
    /** Following the champion, models forgotten: their variant retired, or gave way to another's. */
    private transient Counter evicted;
    private transient Counter refused;
    private transient Counter rejectedModels;
    private transient Counter resets;
    private transient Counter partsDropped;
    private transient Counter waited;
    /** In all and by field, as every operator counts them ({@link LabelledMetrics.DeadLetterCounts}). */
    private transient LabelledMetrics.DeadLetterCounts deadLetters;
    private transient Counter nonFinitePredictions;
    private transient Map<String, Served> served;
    /**
     * The tasks beyond the allow-list that hold a place ({@link ServeBounds#heldTasks}), read from broadcast state by the
     * first example that needs it, forgotten whenever a broadcast record may change it; null until then.
     */
    private transient Set<String> heldTasks;

    /** One task's serving metrics on this instance, registered when it first loads or serves a model of the task. */
    private static final class Served {
        /** Written by the operator, read by reporters from another thread. */
        volatile long version;
        final Counter predictions;

        Served(MetricGroup group) {
            group.gauge("modelVersion", (Gauge<Long>) () -> version);
            predictions = group.counter("predictions");
        }
    }

    public ServeFunction(ServeSettings settings) {
        this.variant = settings.variant();
        this.maxWaiting = settings.maxWaitingPerTask();
        this.examplesTopic = settings.examplesTopic();
        this.deadLetterMaxOriginalBytes = settings.deadLetterMaxOriginalBytes();
        this.modelsTopic = settings.modelsTopic();
        this.taskBound = settings.taskBound();
        this.followsChampion = settings.followsChampion();
        this.maxVariants = settings.maxVariantsPerTask();
        this.modelSizeBound = settings.modelSizeBound();
        this.championsTopic = settings.championsTopic();
        this.waiting = new WaitingExamples(taskBound);
        this.bounds = new ServeBounds(taskBound, maxVariants);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        waiting.initialize(context, getRuntimeContext());
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        waiting.snapshot();
    }

    @Override
    public void open(OpenContext openContext) {
        waiting.open(getRuntimeContext());
        loaded = new LoadedModels(modelSizeBound);
        exampleCodec = examplesTopic.codec();
        modelCodec = modelsTopic.codec();
        championCodec = championsTopic.codec();
        firstSubtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0;
        var metrics = getRuntimeContext().getMetricGroup();
        predictions = metrics.counter("predictions");
        swapped = metrics.counter("modelsSwapped");
        ignored = metrics.counter("modelsIgnored");
        otherVariants = metrics.counter("modelsOfOtherVariants");
        retiredVariants = metrics.counter("modelsOfRetiredVariants");
        evicted = metrics.counter("modelsEvicted");
        refused = metrics.counter("modelsRefused");
        rejectedModels = metrics.counter("modelsRejected");
        resets = metrics.counter("modelsReset");
        partsDropped = metrics.counter("snapshotPartsDropped");
        waited = metrics.counter("examplesWaited");
        deadLetters = new LabelledMetrics.DeadLetterCounts(metrics);
        nonFinitePredictions = metrics.counter("nonFinitePredictions");
        championChanges = metrics.counter("championChanges");
        restarts = new ChampionRestarts(metrics, followsChampion);
        served = new HashMap<>();
    }

    @Override
    public void processElement(Sourced<Example> sourced, ReadOnlyContext ctx, Collector<Prediction> out)
            throws Exception {
        Example example = sourced.value();
        // The fixed variant, or the champion being served (null before the first).
        String serving = followsChampion ? ctx.getBroadcastState(SERVING).get(example.getTask()) : variant;
        String key = example.getTask() + "/" + serving;
        boolean held = restarts.waits(ctx, example.getTask(), serving);
        ModelSnapshot snapshot = serving == null || held ? null : ctx.getBroadcastState(MODELS).get(key);
        if (snapshot != null) {
            serve(sourced, key, snapshot, ctx.currentProcessingTime(), out, d -> ctx.output(DEAD_LETTERS, d));
            return;
        }
        if (heldTasks == null) {
            heldTasks = bounds.heldTasks(ctx::getBroadcastState);
        }
        if (!bounds.holdsRoomFor(example.getTask(), heldTasks)) {
            // Every model of the task would be refused: the example would wait for good.
            reject(d -> ctx.output(DEAD_LETTERS, d), sourced, ctx.currentProcessingTime(), "task",
                    taskBound.reason(example.getTask(), "whose models the serve job holds"));
            return;
        }
        int count = waiting.count();
        if (count >= maxWaiting) {
            reject(d -> ctx.output(DEAD_LETTERS, d), sourced, ctx.currentProcessingTime(), "task", held
                    ? restarts.heldDeadLetter(ctx, example.getTask(), serving) + ": expected at most " + maxWaiting
                            + " examples waiting (--max-waiting-per-task), got one more"
                    : "no model yet for task " + ExampleValidator.quoted(example.getTask()) + " (variant "
                            + ExampleValidator.quoted(variant) + "): expected at most " + maxWaiting
                            + " examples waiting for it, got one more");
            return;
        }
        String refusal = count == 0 ? waiting.refusal(example.getTask(), getRuntimeContext().getTaskInfo()) : null;
        if (refusal != null) {
            reject(d -> ctx.output(DEAD_LETTERS, d), sourced, ctx.currentProcessingTime(), "task", refusal);
            return;
        }
        waiting.add(sourced, count, ctx.timerService());
        waited.inc();
    }

    @Override
    public void processBroadcastElement(KafkaRecord record, Context ctx, Collector<Prediction> out)
            throws Exception {
        heldTasks = null; // the record may change which tasks hold a place
        if (followsChampion && championsTopic.name().equals(record.topic)) {
            champion(record, ctx, out);
            return;
        }
        if (record.value == null) {
            reset(record, ctx);
            return;
        }
        ModelSnapshot snapshot;
        try {
            snapshot = modelCodec.decode(record.value);
        } catch (RecordDecodingException e) {
            rejectModel(ctx, record, e.field(), undecodable("model record", e));
            return;
        } catch (RuntimeException | StackOverflowError e) {
            rejectModel(ctx, record, DecodeRecords.UNEXPECTED, undecodable("model record", e));
            return;
        }
        int slash = snapshot.getVariant().indexOf('/');
        if (slash >= 0) {
            // Task a/b's variant c and task a's variant b/c would share the key a/b/c: no live variant has a '/'.
            rejectModel(ctx, record, "variant", "model "
                    + ExampleValidator.quoted(snapshot.getTask() + "/" + snapshot.getVariant()) + " version "
                    + snapshot.getVersion() + ": field 'variant': expected a name without '/' (models are kept by "
                    + "task/variant, and a task may hold '/'), got " + ExampleValidator.quoted(snapshot.getVariant())
                    + " ('/' at position " + slash + ")");
            return;
        }
        if (!followsChampion && !variant.equals(snapshot.getVariant())) {
            otherVariants.inc(); // serving one variant, the job keeps (and assembles, and parses) no other's models
            return;
        }
        if (followsChampion && bounds.retired(snapshot, ctx::getBroadcastState)) {
            // The task's latest champion record retired the variant: its models are not kept. A snapshot counts once,
            // whole or by its manifest, not by each of its chunks.
            retiredVariants.inc(snapshot.getChunk() == null ? 1 : 0);
            return;
        }
        if (SnapshotChunks.isPart(snapshot)) {
            snapshot = assembled(record, snapshot, ctx);
            if (snapshot == null) {
                return;
            }
        }
        String key = snapshot.getTask() + "/" + snapshot.getVariant();
        // The names are the producer's: quoted, as every reason quotes them.
        String named = "model " + ExampleValidator.quoted(key) + " version " + snapshot.getVersion();
        if (ModelSpec.SKIP_GRAM.equals(snapshot.getAlgorithm())) {
            rejectModel(ctx, record, "algorithm", named + ": field "
                    + "'algorithm': expected a model that predicts, got \"skip-gram\" (its vectors answer chorus "
                    + "inspect --nearest)");
            return;
        }
        // The specs and messages below are the producer's text, of any length: quoted and cut as the train job quotes
        // a control record's spec (SpecControl.quotedSpec), so a reason stays bounded, escaped Unicode text.
        Predictor learner;
        try {
            learner = loaded.read(snapshot);
        } catch (RuntimeException e) {
            // Whatever a corrupt model throws while loading (IllegalArgumentException, as model-core promises, or
            // anything it failed to foresee), the record is the culprit, not the job.
            rejectModel(ctx, record, "parameters", named + ": field 'parameters' does not load: "
                    + UnicodeText.escaped(String.valueOf(e.getMessage()), SpecControl.QUOTED_SPEC_CHARS));
            return;
        }
        if (snapshot.getSpec() != null) {
            ModelSpec declared;
            try {
                declared = ModelSpec.parse(snapshot.getSpec());
            } catch (RuntimeException e) {
                rejectModel(ctx, record, "spec", named + ": field 'spec': expected the spec of the model its "
                        + "parameters hold, got " + SpecControl.quotedSpec(snapshot.getSpec()) + ", which does not "
                        + "parse: " + UnicodeText.escaped(String.valueOf(e.getMessage()), SpecControl.QUOTED_SPEC_CHARS));
                return;
            }
            if (!declared.equals(learner.spec())) {
                rejectModel(ctx, record, "parameters", named + ": field 'parameters': expected a model of the "
                        + "record's spec " + SpecControl.quotedSpec(snapshot.getSpec()) + ", got one of another spec: "
                        + SpecControl.quotedSpec(learner.spec().toJson()));
                return;
            }
        }
        ModelSnapshot current = ctx.getBroadcastState(MODELS).get(key);
        if (current != null && snapshot.getVersion() <= current.getVersion()) {
            ignored.inc();
            return;
        }
        if (current == null && !boundsHold(record, snapshot, ctx)) {
            return;
        }
        ctx.getBroadcastState(MODELS).put(key, snapshot);
        if (followsChampion) {
            ServeBounds.stored(snapshot, ctx.getBroadcastState(ServeBounds.STANDINGS));
        }
        loaded.remove(key);
        swapped.inc();
        partsDropped.inc(SnapshotAssembly.forgetUpTo(ctx.getBroadcastState(SnapshotAssembly.PENDING), snapshot));
        String task = snapshot.getTask();
        if (restarts.holds(ctx, snapshot)) {
            return;
        }
        if (followsChampion && snapshot.getVariant().equals(ctx.getBroadcastState(WANTED).get(task))) {
            ctx.getBroadcastState(WANTED).remove(task);
            ctx.getBroadcastState(SERVING).put(task, snapshot.getVariant());
            championChanges.inc();
            forgetRetired(task, ctx); // the variant that served until now may be a retired one
        }
        if (!snapshot.getVariant().equals(followsChampion ? ctx.getBroadcastState(SERVING).get(task) : variant)) {
            return;
        }
        loaded.put(key, snapshot.getVersion(), learner);
        served(task, snapshot.getVariant()).version = snapshot.getVersion();
        answerWaiting(task, key, snapshot, ctx, out);
    }

    /**
     * A chunk or manifest of a snapshot ({@link SnapshotAssembly}): null while its version is incomplete, refused,
     * or not newer than the served one (ignored, as a whole snapshot would be), else the whole snapshot it completes.
     */
    private ModelSnapshot assembled(KafkaRecord record, ModelSnapshot part, Context ctx) throws Exception {
        SnapshotAssembly.Outcome malformed = SnapshotAssembly.malformed(part);
        if (malformed != null) {
            rejectModel(ctx, record, malformed.field(), malformed.reason());
            return null;
        }
        // Bounded as the whole snapshot will be, before its parts are held: else parts of tasks (or variants) past the
        // bounds would wait in every instance's state until a later part of their key came. A malformed part, refused
        // above, takes no place and makes no other model give way.
        if (!boundsHold(record, part, ctx)) {
            return null;
        }
        ModelSnapshot current = ctx.getBroadcastState(MODELS).get(part.getTask() + "/" + part.getVariant());
        if (current != null && part.getVersion() <= current.getVersion()) {
            ignored.inc();
            return null;
        }
        SnapshotAssembly.Outcome outcome = SnapshotAssembly.offer(ctx.getBroadcastState(SnapshotAssembly.PENDING), part);
        partsDropped.inc(outcome.dropped());
        if (outcome.reason() != null) {
            rejectModel(ctx, record, outcome.field(), outcome.reason());
        }
        return outcome.whole();
    }

    /**
     * A champion record: the task is served by its variant from now on if its model is here, else once it arrives
     * (until then the previous champion, if any, answers). A record that does not decode changes nothing.
     */
    private void champion(KafkaRecord record, Context ctx, Collector<Prediction> out) throws Exception {
        if (record.value == null) {
            deadLetter(ctx, record, "value", "champion record: expected a Champion, got a tombstone; serving unchanged");
            return;
        }
        Champion champion;
        try {
            champion = championCodec.decode(record.value);
        } catch (RecordDecodingException e) {
            deadLetter(ctx, record, e.field(), undecodable("champion record, serving unchanged", e));
            return;
        } catch (RuntimeException | StackOverflowError e) {
            deadLetter(ctx, record, DecodeRecords.UNEXPECTED, undecodable("champion record, serving unchanged", e));
            return;
        }
        int slash = champion.getVariant().indexOf('/');
        if (slash >= 0) {
            // Task a's variant b/c would be answered by task a/b's variant c (key a/b/c): no model has a '/' variant.
            deadLetter(ctx, record, "variant", "champion record of task " + ExampleValidator.quoted(champion.getTask())
                    + ": field 'variant': expected a name without '/' (models are kept by task/variant, and a task may"
                    + " hold '/'), got " + ExampleValidator.quoted(champion.getVariant()) + " ('/' at position " + slash
                    + "); serving unchanged");
            return;
        }
        if (!restarts.answers(ctx, champion) || !follow(record, champion, ctx, out)) {
            return;
        }
        bounds.remember(champion, ctx::getBroadcastState, ctx.getBroadcastState(ServeBounds.STANDINGS));
        String task = champion.getTask();
        String wish = ctx.getBroadcastState(WANTED).get(task);
        if (wish != null && ServeBounds.namesRetired(task, wish, ctx::getBroadcastState)) {
            // The train job retired the wanted champion before its first model came here: none comes, so the wish
            // holds no --max-tasks place (nor its variant's parts) for good. The serving variant, if any, answers on.
            ctx.getBroadcastState(WANTED).remove(task);
            if (firstSubtask) {
                LOG.info("Task {} wants its champion {} no more: its latest champion record retired it before its first"
                        + " model arrived", ExampleValidator.quoted(task), ExampleValidator.quoted(wish));
            }
        }
        forgetRetired(task, ctx);
    }

    /**
     * Serves {@code champion}'s task by its variant if its model is here, else wants it; false if the task may not be
     * held (the record is a dead letter).
     */
    private boolean follow(KafkaRecord record, Champion champion, Context ctx, Collector<Prediction> out)
            throws Exception {
        String task = champion.getTask();
        String wanted = champion.getVariant();
        String key = task + "/" + wanted;
        ModelSnapshot snapshot = ctx.getBroadcastState(MODELS).get(key);
        boolean vetted = restarts.vets(ctx, task, wanted, snapshot);
        boolean serves = wanted.equals(ctx.getBroadcastState(SERVING).get(task));
        if (serves && !vetted) {
            ctx.getBroadcastState(WANTED).remove(task);
            return true;
        }
        if (snapshot == null) {
            if (!bounds.holdsRoomFor(task, ctx::getBroadcastState)) {
                // A task the job may not hold: its wish would wait in every instance's state for good.
                refuseTask(record, task, ctx);
                return false;
            }
            ctx.getBroadcastState(WANTED).put(task, wanted);
            return true;
        }
        ctx.getBroadcastState(WANTED).remove(task);
        ctx.getBroadcastState(SERVING).put(task, wanted);
        championChanges.inc(serves ? 0 : 1);
        served(task, wanted).version = snapshot.getVersion();
        answerWaiting(task, key, snapshot, ctx, out);
        return true;
    }

    /** Forgets the models of {@code task} whose variant its latest champion record retired ({@link ServeBounds}). */
    private void forgetRetired(String task, Context ctx) throws Exception {
        for (String key : bounds.retiredKeys(task, ctx::getBroadcastState)) {
            forget(key, ctx, "the latest champion record of task " + ExampleValidator.quoted(task)
                    + " retired its variant");
        }
    }

    /** Forgets the model of {@code key} and its parts waiting for assembly: its variant is not live. */
    private void forget(String key, Context ctx, String why) throws Exception {
        ModelSnapshot model = ctx.getBroadcastState(MODELS).get(key);
        ctx.getBroadcastState(MODELS).remove(key);
        loaded.remove(key);
        int parts = SnapshotAssembly.forget(ctx.getBroadcastState(SnapshotAssembly.PENDING), key);
        partsDropped.inc(parts);
        evicted.inc();
        if (firstSubtask) {
            LOG.info("Model {} forgotten ({}): {}", ExampleValidator.quoted(key),
                    model == null ? parts + " parts waiting for assembly" : "version " + model.getVersion(), why);
        }
    }

    /** Answers the examples of {@code task} that waited for a model with {@code snapshot}. */
    private void answerWaiting(String task, String key, ModelSnapshot snapshot, Context ctx, Collector<Prediction> out)
            throws Exception {
        long now = ctx.currentProcessingTime();
        waiting.answer(task, ctx, example -> serve(example, key, snapshot, now, out, d -> ctx.output(DEAD_LETTERS, d)));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Prediction> out) throws Exception {
        if (timestamp != WaitingExamples.END_OF_INPUT) {
            return;
        }
        String serving = followsChampion ? ctx.getBroadcastState(SERVING).get(ctx.getCurrentKey()) : variant;
        boolean held = restarts.waits(ctx, ctx.getCurrentKey(), serving);
        for (Sourced<Example> example : waiting.expire(ctx.getCurrentKey())) {
            reject(d -> ctx.output(DEAD_LETTERS, d), example, ctx.currentProcessingTime(), "task", held
                    ? restarts.heldDeadLetter(ctx, ctx.getCurrentKey(), serving) + ": expected one before the end of"
                            + " the input, got none"
                    : "no model for task " + ExampleValidator.quoted(ctx.getCurrentKey()) + " (variant "
                            + ExampleValidator.quoted(variant) + ") arrived before the end of the input: expected a "
                            + "model snapshot, got none");
        }
    }

    /**
     * Whether a model (or a part of one) of a key that holds no model yet is within the bounds ({@link ServeBounds}):
     * the tasks whose models the job holds, and, following the champion, the variants per task, where a model of a
     * variant that ranks lower gives way. One that is not is refused (a dead letter). Every instance gets the models
     * and champions records in one order (ServeJob passes them through one subtask), so all decide alike.
     */
    private boolean boundsHold(KafkaRecord record, ModelSnapshot snapshot, Context ctx) throws Exception {
        String key = snapshot.getTask() + "/" + snapshot.getVariant();
        if (ServeBounds.holdsKeyOf(snapshot, ctx::getBroadcastState)) {
            return true;
        }
        if (!bounds.holdsRoomFor(snapshot.getTask(), ctx::getBroadcastState)) {
            refuseTask(record, snapshot.getTask(), ctx);
            return false;
        }
        if (followsChampion && bounds.variantsOf(snapshot.getTask(), ctx::getBroadcastState) >= maxVariants) {
            String victim = bounds.victim(snapshot.getTask(), snapshot.getVariant(), ctx::getBroadcastState);
            if (victim == null) {
                refused.inc(); // one dead letter, from subtask 0, not one per instance
                deadLetter(ctx, record, "variant", "model " + ExampleValidator.quoted(key) + ": expected at most "
                        + maxVariants + " variants of task " + ExampleValidator.quoted(snapshot.getTask())
                        + " (--max-variants-per-task), got one more, and"
                        + " none gives way to it (the champion's model takes the place of any other but the serving"
                        + " variant's and those held from the task; a variant the task's latest champion record names"
                        + " live, that of one it retired or does not name)");
                return false;
            }
            forget(victim, ctx, "--max-variants-per-task " + maxVariants + " reached, it gives way to "
                    + ExampleValidator.quoted(key));
        }
        return true;
    }

    /**
     * A record of a task the job may not hold (past --max-tasks) is refused, and the task's examples that waited on this
     * instance for its model are dead letters: no model of it can come.
     */
    private void refuseTask(KafkaRecord record, String task, Context ctx) throws Exception {
        String reason = taskBound.reason(task, "whose models the serve job holds");
        refused.inc();
        deadLetter(ctx, record, "task", reason);
        long now = ctx.currentProcessingTime();
        waiting.answer(task, ctx, example -> reject(d -> ctx.output(DEAD_LETTERS, d), example, now, "task", reason));
    }

    /**
     * Forgets the model of the tombstone's key and its pending parts, whatever their version, so that the next
     * snapshot is served. Following the champion, a task whose variants all retired and which the tombstone leaves
     * holding nothing is no longer served, and gives its --max-tasks place up ({@link ServeBounds#servesRetiredTask}).
     */
    private void reset(KafkaRecord record, Context ctx) throws Exception {
        if (record.key == null) {
            rejectModel(ctx, record, "key", "model reset (a tombstone): field 'key': expected task/variant, got null");
            return;
        }
        String key = new String(record.key, StandardCharsets.UTF_8);
        ModelSnapshot current = ctx.getBroadcastState(MODELS).get(key);
        boolean lastOfRetiredTask = followsChampion && ServeBounds.servesRetiredTask(key, ctx::getBroadcastState);
        if (followsChampion) {
            ServeBounds.restarted(key, current, ctx.getBroadcastState(ServeBounds.STANDINGS));
        }
        ctx.getBroadcastState(MODELS).remove(key);
        loaded.remove(key);
        restarts.tombstone(ctx, key, current);
        // Parts of the forgotten model's versions would refuse the next model's lower ones.
        partsDropped.inc(SnapshotAssembly.forget(ctx.getBroadcastState(SnapshotAssembly.PENDING), key));
        resets.inc();
        if (firstSubtask) {
            LOG.info("Model {} reset by a tombstone at {}: {}; the next snapshot of any version is served",
                    ExampleValidator.quoted(key), record.coordinates(), current == null ? "no model was served"
                            : "forgot version " + current.getVersion());
        }
        String task = lastOfRetiredTask ? key.substring(0, key.lastIndexOf('/')) : null;
        if (task != null && ServeBounds.holdsNothingOf(task, ctx::getBroadcastState)) {
            // Every variant of the task retired, and the tombstone took the model that served it: nothing of the task
            // is held, so it gives its --max-tasks place up (a revival's model takes one again, as a new task's would).
            ctx.getBroadcastState(SERVING).remove(task);
            restarts.forget(ctx, task);
            if (firstSubtask) {
                LOG.info("Task {} holds no model and every variant of it retired: it is no longer served", task);
            }
        }
    }

    /**
     * The reason of a broadcast record ({@code what}) whose decoding threw {@code e}: the codec's message, which names
     * the field, the expected and the actual value, escaped; or, for anything else that threw, its class and its
     * message quoted ({@link DecodeRecords#problem}), which may quote the record.
     */
    static String undecodable(String what, Throwable e) {
        return "undecodable " + what + ": "
                + (e instanceof RecordDecodingException ? e.getMessage() : DecodeRecords.problem(e));
    }

    private void rejectModel(Context ctx, KafkaRecord record, String field, String reason) {
        rejectedModels.inc();
        deadLetter(ctx, record, field, reason);
    }

    /**
     * Every subtask sees every models record: subtask 0 alone sends its dead letter. A record that is no valid
     * encoding (no field) is counted as {@code decode}, one whose decoding threw something else as
     * {@link DecodeRecords#UNEXPECTED}, as the decode operators count them; neither letter names a field.
     */
    private void deadLetter(Context ctx, KafkaRecord record, String field, String reason) {
        if (firstSubtask) {
            deadLetters.count(field == null ? "decode" : field);
            String named = field == null || field.equals(DecodeRecords.UNEXPECTED) ? null : field;
            ctx.output(DEAD_LETTERS, DeadLetters.of(record, named, reason + " (at " + record.coordinates() + ")",
                    ctx.currentProcessingTime(), deadLetterMaxOriginalBytes));
        }
    }

    private void serve(Sourced<Example> sourced, String key, ModelSnapshot snapshot, long now,
            Collector<Prediction> out, Consumer<DeadLetter> rejected) {
        LoadedModels.Answer answer = loaded.predict(key, snapshot, sourced.value(), now);
        if (answer.prediction() == null) {
            nonFinitePredictions.inc(answer.nonFinite() ? 1 : 0);
            reject(rejected, sourced, now, answer.field(), answer.reason());
            return;
        }
        out.collect(answer.prediction());
        predictions.inc();
        Served metrics = served(sourced.value().getTask(), snapshot.getVariant());
        metrics.version = answer.prediction().getModelVersion();
        metrics.predictions.inc();
    }

    /** The bounds this instance decides by, for tests that count their work. */
    ServeBounds bounds() {
        return bounds;
    }

    private Served served(String task, String servedVariant) {
        return served.computeIfAbsent(task + "/" + servedVariant, k -> new Served(LabelledMetrics.task(
                getRuntimeContext().getMetricGroup(), task, servedVariant)));
    }

    private void reject(Consumer<DeadLetter> rejected, Sourced<Example> example, long now, String field,
            String reason) {
        deadLetters.count(field);
        rejected.accept(DeadLetters.ofExample(examplesTopic.name(), example.value().getId(), example.partition(),
                example.offset(), exampleCodec.encode(example.value()), field, reason, now,
                deadLetterMaxOriginalBytes));
    }
}
