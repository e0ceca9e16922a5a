package dev.chorus.jobs.train;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NonFiniteUpdateException;
import dev.chorus.core.output.NonFiniteSequenceException;
import dev.chorus.jobs.AdmittedTasks;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.TaskBound;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Online minibatch SGD per variant of a task (keyed by {@link Variants#key}; the spec of each from the broadcast
 * {@link VariantSpecs}, and a retired variant's state cleared), test-then-train: every example is predicted with the model it meets on arrival
 * (the prediction carries that model's version), then, if labeled, trained on in the open minibatch. As the
 * model changes only when a minibatch closes, a labeled example's prediction is made then, for the whole
 * minibatch in one batched pass, before the update; an unlabeled example is predicted at once. A minibatch
 * closes when it is full, or {@code batchTimeoutMs} after its first example on a slow stream. Model snapshots
 * go to {@link #MODEL_SNAPSHOTS} every {@code snapshotEveryBatches} updates, on a periodic timer when the model
 * changed, and at the end of a bounded input; their versions (= updates applied) strictly increase, but for a
 * variant reset, rewarmed or revived, whose key gets tombstones there first, then its fresh model at once
 * ({@link RestartedModels}).
 *
 * <p>A minibatch whose update would make the model non-finite is rejected by model-core's numeric guard: it
 * is counted ({@code minibatchesRejected}), logged, and dropped (its predictions are no consensus prior either), and
 * the model keeps its last good parameters; so is a skip-gram's token sequence that model-core rolled back. A
 * prediction that is not finite ({@code nonFinitePredictions}, on the operator and per task and variant) goes out for
 * the selection alone, which scores it as the worst loss, and never reaches the predictions topic
 * ({@link TrainJob#PUBLISHABLE}): one made at once is the example's dead letter too (field {@code prediction}); a
 * variant's predictions turning not finite, and finite again, are logged once each ({@link MinibatchPredictions}).
 *
 * <p>A task whose spec names a label model ({@code "labelModel":"dawid-skene"} …) trains through it: each row
 * of the minibatch also carries the item (the example id) and the annotator (absent:
 * {@link ExampleTensors#ANONYMOUS_ANNOTATOR}); predictions carry the combined model's class probabilities; and
 * an {@link AnnotatorModel} per annotator goes to {@link #ANNOTATOR_MODELS} when its labels changed it, at most
 * once per {@code annotatorPublishIntervalMs}, and with every model snapshot. When all the spec's
 * {@code maxAnnotators} slots are taken, a new annotator evicts the least recently seen one with fewer than
 * {@code protectedLabels} labels (counted: {@code annotatorEvictions}), and a published one gets a tombstone on
 * {@link #ANNOTATOR_MODELS}; a label from a new annotator when none may be
 * evicted goes to the dead-letter side output (the example is still predicted). Each labelled item's
 * {@link Consensus} goes to {@link #CONSENSUS} when its labels changed, as often as annotator models, and when a
 * snapshot's recheck finds its most likely class moved ({@link ConsensusLedger}); a reset in place first tombstones,
 * on both outputs, the annotators and items its old model published and its state holds (counted:
 * {@code consensusTombstones}).
 *
 * <p>Tasks are bounded ({@link TaskBound}): a task with a spec of its own or on the allow-list is always admitted,
 * and each parallel instance admits at most {@code maxTasks} others, first come first served, before it creates
 * their state; a record of a task past the bound goes to the dead-letter side output (field {@code task}).
 *
 * <p>A variant whose spec hashes named fields trains a sparse linear model alike: fields hashed on arrival
 * ({@link FieldHashing}) into sparse rows of the open minibatch ({@link HashedRows}), never densified; a wide and
 * deep variant ({@code wide-deep}) likewise, its examples taken apart once on arrival ({@link WideDeepRows}). A
 * skip-gram variant predicts nothing: each token sequence trains its {@link SkipGramTrainer} at once, one version each.
 *
 * <p>Per task, {@link TaskTrainingMetrics} reports prequential accuracy and loss, model version, examples trained,
 * rejected minibatches, annotators tracked and snapshot age as metrics labelled with task and variant.
 *
 * <p>All training state lives in one {@link TrainerState} per task, so a checkpoint captures parameters,
 * optimizer moments, RNG, step counts and the partial minibatch together and restores them exactly; in one value, or a
 * hashed task's model rows apart in blocks ({@link HashedRowsState}, {@link TrainSettings#hashedState}).
 */
public final class MinibatchSgdFunction
        extends KeyedBroadcastProcessFunction<String, VariantExample, SpecChange, Prediction>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    /**
     * {@code Right}: a snapshot or a part of one; {@code Left}: the models-topic key of a variant whose model restarts
     * from version 0, a tombstone ahead of the fresh model's snapshots on the same output.
     */
    public static final OutputTag<Either<String, ModelSnapshot>> MODEL_SNAPSHOTS = new OutputTag<>(
            "model-snapshots", Types.EITHER(Types.STRING, AvroTypes.of(ModelSnapshot.class)));
    /**
     * {@code Right}: an annotator's model; {@code Left}: the key ({@link #annotatorKey}) of an evicted annotator, a
     * tombstone on the compacted annotators topic. One output keeps a key's tombstone before its later records.
     */
    public static final OutputTag<Either<String, AnnotatorModel>> ANNOTATOR_MODELS = new OutputTag<>(
            "annotator-models", Types.EITHER(Types.STRING, AvroTypes.of(AnnotatorModel.class)));
    /**
     * {@code Right}: a labelled item's consensus over its true class; {@code Left}: the key
     * ({@link TrainRecords#consensusKey}) of an item a label model reset in place had published, a tombstone on the
     * compacted consensus topic. One output keeps a key's tombstone before the fresh model's record of it.
     */
    public static final OutputTag<Either<String, Consensus>> CONSENSUS = new OutputTag<>(
            "consensus", Types.EITHER(Types.STRING, AvroTypes.of(Consensus.class)));
    /** Records of tasks past the task bound, and labels past a label model's annotator bound, with their reason. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS = DecodeRecords.DEAD_LETTERS;

    /** Event-time timer that fires only when a bounded input ends (the final watermark): flush and publish. */
    private static final long END_OF_INPUT = Long.MAX_VALUE;
    private static final Logger LOG = LoggerFactory.getLogger(MinibatchSgdFunction.class);

    private final TaskSpecs specs;
    private final int snapshotEveryBatches;
    private final long snapshotIntervalMs;
    private final long batchTimeoutMs;
    private final int prequentialWindow;
    private final String sourceTopic;
    private final Topic<Example> examplesTopic;
    private final int deadLetterMaxOriginalBytes;
    private final long annotatorPublishIntervalMs;
    /** The settings' bound, with the tasks that have a spec of their own added to its allow-list. */
    private final TaskBound taskBound;
    private final TrainSettings.HashedState hashedState;

    private transient HashedRowsState state;
    /** The variant of the key being processed (the keys are {@link Variants#key}s). */
    private transient String variant;
    private transient MinibatchPredictions predictions;
    private transient RetiredMinibatches retiredMinibatches;
    /** Scratch of the label model's annotator ids. */
    private transient String[] trainAnnotators;
    private transient Counter updates;
    private transient Counter rejected;
    private transient Counter snapshots;
    private transient Counter annotatorModels;
    private transient Counter consensusRecords;
    private transient Counter consensusTombstones;
    private transient TrainerDeadLetters deadLetters;
    private transient Counter annotatorEvictions;
    private transient FieldHashing hashing;
    private transient SkipGramTraining skipGrams;
    private transient AdmittedTasks admitted;
    /** The metrics of each variant this instance measures, a retired one's closed some time after. */
    private transient TrainingMetricsByVariant taskMetrics;
    private transient String blasBackend;
    private transient RestartedModels restartedModels;
    private transient RestartChunks restartChunks;
    private transient EarlyEnvelopes earlyEnvelopes;

    public MinibatchSgdFunction(TrainSettings settings) {
        this.specs = settings.specs();
        this.snapshotEveryBatches = settings.snapshotEveryBatches();
        this.snapshotIntervalMs = settings.snapshotIntervalMs();
        this.batchTimeoutMs = settings.batchTimeoutMs();
        this.prequentialWindow = settings.prequentialWindow();
        this.sourceTopic = settings.examplesTopic().name();
        this.deadLetterMaxOriginalBytes = settings.deadLetterMaxOriginalBytes();
        this.examplesTopic = settings.examplesTopic();
        this.annotatorPublishIntervalMs = settings.annotatorPublishIntervalMs();
        Set<String> allowed = new TreeSet<>(settings.taskBound().allowed());
        allowed.addAll(specs.configuredTasks());
        this.taskBound = new TaskBound(settings.taskBound().maxTasks(), allowed);
        this.hashedState = settings.hashedState();
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        admitted = new AdmittedTasks(taskBound, Variants::task);
        admitted.initialize(context, getRuntimeContext(), "admitted-tasks");
        restartChunks = RestartChunks.restore(context, getRuntimeContext());
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        admitted.snapshot();
        restartChunks.snapshot();
    }

    @Override
    public void open(OpenContext openContext) {
        state = new HashedRowsState(getRuntimeContext(), hashedState);
        predictions = new MinibatchPredictions(getRuntimeContext().getMetricGroup().counter("nonFinitePredictions"));
        retiredMinibatches = new RetiredMinibatches(predictions, getRuntimeContext().getMetricGroup());
        trainAnnotators = new String[0];
        updates = getRuntimeContext().getMetricGroup().counter("minibatchUpdates");
        rejected = getRuntimeContext().getMetricGroup().counter("minibatchesRejected");
        snapshots = getRuntimeContext().getMetricGroup().counter("modelSnapshots");
        annotatorModels = getRuntimeContext().getMetricGroup().counter("annotatorModels");
        consensusRecords = getRuntimeContext().getMetricGroup().counter("consensusRecords");
        consensusTombstones = getRuntimeContext().getMetricGroup().counter("consensusTombstones");
        annotatorEvictions = getRuntimeContext().getMetricGroup().counter("annotatorEvictions");
        deadLetters = new TrainerDeadLetters(getRuntimeContext().getMetricGroup(), sourceTopic, examplesTopic.codec(),
                deadLetterMaxOriginalBytes);
        hashing = new FieldHashing(getRuntimeContext().getMetricGroup(), deadLetters.counts);
        skipGrams = new SkipGramTraining(getRuntimeContext().getMetricGroup());
        taskMetrics = new TrainingMetricsByVariant(getRuntimeContext().getMetricGroup(), prequentialWindow);
        blasBackend = Blas.get().backend().name();
        restartedModels = new RestartedModels(getRuntimeContext(), restartChunks, sourceTopic, blasBackend, snapshots);
        earlyEnvelopes = new EarlyEnvelopes(getRuntimeContext());
    }

    /**
     * An envelope routed under a change of its variant this instance has not applied yet waits for it
     * ({@link EarlyEnvelopes}); those that waited for a change now here go first.
     */
    @Override
    public void processElement(VariantExample routed, ReadOnlyContext ctx, Collector<Prediction> out)
            throws Exception {
        if (routed.generation() == VariantExample.NO_GENERATION) {
            learn(routed, ctx, out);
            return;
        }
        long applied = EarlyEnvelopes.applied(ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), routed.key());
        int waiting = earlyEnvelopes.count();
        if (waiting > 0) {
            for (VariantExample early : earlyEnvelopes.release(routed.variant(), applied)) {
                learn(early, ctx, out);
            }
            waiting = earlyEnvelopes.count();
        }
        if (routed.generation() <= applied) {
            learn(routed, ctx, out);
        } else if (waiting < EarlyEnvelopes.MAX_PER_VARIANT) {
            if (waiting == 0) {
                ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
                ctx.timerService().registerProcessingTimeTimer(
                        ctx.timerService().currentProcessingTime() + EarlyEnvelopes.CHECK_MS);
            }
            earlyEnvelopes.hold(routed);
        } else {
            ctx.output(DEAD_LETTERS, deadLetters.early(routed.input(), routed.variant(), routed.generation(), applied,
                    "with " + waiting + " of the variant's examples already waiting for that change (at most "
                            + EarlyEnvelopes.MAX_PER_VARIANT + ")", ctx.timerService().currentProcessingTime()));
        }
    }

    /** Predicts and trains {@code routed} with the model of its variant, made from its spec at its first example. */
    private void learn(VariantExample routed, ReadOnlyContext ctx, Collector<Prediction> out) throws Exception {
        Sourced<Example> input = routed.input();
        Example example = input.value();
        variant = routed.variant();
        TrainerState s = state.forKey(routed.key()).value();
        if (s == null) {
            if (!admitted.admit(example.getTask(), routed.key())) {
                var info = getRuntimeContext().getTaskInfo();
                ctx.output(DEAD_LETTERS, deadLetters.task(input, taskBound, "per parallel instance (subtask "
                        + info.getIndexOfThisSubtask() + " of " + info.getNumberOfParallelSubtasks() + " holds "
                        + admitted.size() + ")", ctx.timerService().currentProcessingTime()));
                return;
            }
            ModelSpec spec = VariantSpecs.specOf(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), specs, routed.key(),
                    routed.spec());
            if (spec == null) {
                long now = ctx.timerService().currentProcessingTime();
                ctx.output(DEAD_LETTERS, deadLetters.retired(input, variant, now));
                return;
            }
            s = create(WarmStarts.state(ctx, spec, routed, prequentialWindow), ctx);
        } else {
            admitted.keep(example.getTask(), routed.key());
        }
        ExampleValidator.Rejection misfit = ExampleValidator.againstModel(example, s.model.spec());
        if (misfit != null) {
            ctx.output(DEAD_LETTERS, deadLetters.misfit(input, variant, misfit,
                    ctx.timerService().currentProcessingTime()));
            return;
        }
        TaskTrainingMetrics metrics = metricsOf(example.getTask(), s);
        if (s.skipGram != null) {
            try {
                skipGrams.train(s, example);
            } catch (NonFiniteSequenceException e) {
                // The skip-gram is as it was: drop the sequence, as a poisoned minibatch is dropped.
                rejected.inc();
                metrics.rejected.inc();
                LOG.warn("task {}: token sequence {} from {} partition {} offset {} rejected at model version {}: {}",
                        example.getTask(), example.getId(), sourceTopic, input.partition(), input.offset(),
                        s.version(), e.getMessage());
            }
            if (s.version() % snapshotEveryBatches == 0) {
                publish(s, example.getTask(), ctx);
            }
            state.update(s);
            metrics.update(s);
            return;
        }
        int dim = s.model.inputDim();
        int row = s.batchFill * dim;
        long now = ctx.timerService().currentProcessingTime();
        SparseVector hashedRow = null;
        if (s.model.spec().hashing() != null) {
            Consumer<String> reject = reason -> ctx.output(DEAD_LETTERS, deadLetters.fields(input, reason, now));
            hashedRow = s.hasher != null ? hashing.hash(s, example, reject) : null;
            if (s.hasher != null ? hashedRow == null : !hashing.takeApart(s, example, reject)) {
                state.update(s);
                return;
            }
        } else {
            ExampleTensors.copyFeatures(example, s.batchFeatures, row, dim);
        }

        boolean classifier = s.model.isClassifier();
        Integer label = example.getLabel();
        Double target = example.getTarget();
        boolean labeled = classifier ? label != null : target != null;
        if (labeled && s.labelModel != null && s.batchFill > 0 && !s.admitsAnnotator(ExampleTensors.annotator(example))
                && s.labelModel.firstRefusedAnnotator(new String[] {ExampleTensors.annotator(example)}, 1) == null) {
            // Only the open minibatch's annotators hold the slots this label would need: close it first, and the
            // slots of those with few labels become evictable.
            train(s, ctx, out);
            if (s.version() % snapshotEveryBatches == 0) {
                publish(s, example.getTask(), ctx);
            }
            System.arraycopy(s.batchFeatures, row, s.batchFeatures, 0, dim);
            row = 0;
        }
        if (labeled && s.labelModel != null && !s.admitsAnnotator(ExampleTensors.annotator(example))) {
            publishNow(predictions.now(s, row, null, example, variant, now), metrics, input, now, ctx, out);
            ctx.output(DEAD_LETTERS, deadLetters.annotator(input, s, ExampleTensors.annotator(example), now));
            labeled = false;
        } else if (!labeled) {
            publishNow(predictions.now(s, row, hashedRow, example, variant, now), metrics, input, now, ctx, out);
        }
        if (labeled) {
            // Predicted when its minibatch closes, with the model it would meet now: the model changes only then.
            int i = s.batchFill;
            if (s.labelModel != null) {
                s.batchItems[i] = ExampleTensors.itemKey(example.getId());
            }
            if (hashedRow != null) {
                s.sparseRows.add(hashedRow.indices(), hashedRow.values());
            } else if (s.wideDeep != null) {
                WideDeepRows.keep(s);
            }
            if (classifier) {
                s.batchLabels[i] = label;
            } else {
                s.batchTargets[i] = target.floatValue();
            }
            s.batchWeights[i] = example.getWeight();
            s.batchPartitions[i] = input.partition();
            s.batchOffsets[i] = input.offset();
            s.batchIds[i] = example.getId();
            s.batchEventTimes[i] = example.getEventTime();
            s.batchAnnotators[i] = example.getAnnotator();
            s.batchFill++;
            if (s.batchFill == s.batchSize()) {
                train(s, ctx, out);
                if (s.version() % snapshotEveryBatches == 0) {
                    publish(s, example.getTask(), ctx);
                }
            } else if (s.batchFill == 1 && batchTimeoutMs > 0) {
                s.batchDeadline = now + batchTimeoutMs;
                ctx.timerService().registerProcessingTimeTimer(s.batchDeadline);
            }
        }
        state.update(s);
        metrics.update(s);
    }

    /** The variant's metrics on this instance ({@link TrainingMetricsByVariant#of}). */
    private TaskTrainingMetrics metricsOf(String task, TrainerState s) {
        return taskMetrics.of(task, variant, s);
    }

    /**
     * A control change: the spec map follows it; a retired variant's state goes once its open minibatch is predicted
     * ({@link RetiredMinibatches}; revived, or a default given a spec other than --spec's, it restarts); a reset of a
     * live one ({@link VariantSpecs#resets}, or {@link SpecChange#reset}) swaps its model in place ({@link TrainerState#restartedAs}), for a rewarm
     * ({@link WarmStarts#rewarms}) one built from its own state here, where its key is, with the same tombstones and
     * version 0.
     */
    @Override
    public void processBroadcastElement(SpecChange change, Context ctx, Collector<Prediction> out) throws Exception {
        // As the selection operator does: check-specs' verdict counts where this broadcast state lacks the variant.
        boolean reset = change.reset || VariantSpecs.resets(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), change);
        boolean restarts = reset || VariantSpecs.restarts(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), specs, change);
        VariantSpecs.apply(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), change);
        WarmStarts.apply(ctx.getBroadcastState(WarmStarts.DESCRIPTOR), change);
        ModelGenerations.apply(ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), change);
        String changed = Variants.key(change.task, change.variant);
        // A rewarm's state comes from the variant's own, in the keyed pass below, whose owner alone has it.
        boolean rewarm = reset && WarmStarts.rewarms(change);
        TrainerState[] fresh = {restarts && !rewarm && Variants.ownedBy(changed, getRuntimeContext().getTaskInfo())
                ? WarmStarts.state(VariantSpecs.parse(change.spec), change.spec, change.initialModel, prequentialWindow)
                : null};
        if (fresh[0] != null) {
            // The fresh model's versions count from 0 again: serve jobs forget the old model and swap to its version 0.
            restartedModels.restart(ctx, change.task, change.variant, fresh[0]);
        }
        ModelSpec resetTo = reset ? VariantSpecs.parse(change.spec) : null;
        state.applyToKeyedState(ctx, (key, trainer) -> {
            TrainerState s = key.equals(changed) ? trainer.value() : null;
            // A reset keeps the model's spec (check-specs' rule), so the fresh model takes the open minibatch; one to
            // another spec, which check-specs never sends, restarts as a revival does, whatever the two shapes.
            boolean inPlace = s != null && reset && s.model.spec().equals(resetTo);
            if (key.equals(changed) && (change.retires() || restarts && !inPlace)) { // a revival has no state left
                if (s != null && s.batchFill > 0) {
                    variant = change.variant;
                    retiredMinibatches.predict(s, change.task, variant, metricsOf(change.task, s),
                            ctx.currentProcessingTime(), out);
                }
                trainer.clear();
                if (rewarm && s != null) { // its own weights are of another spec: it starts fresh
                    fresh[0] = WarmStarts.state(resetTo, change.spec, null, prequentialWindow);
                }
            } else if (inPlace) {
                tombstoneLabelModel(s, change.task, change.variant, ctx);
                if (rewarm) {
                    fresh[0] = WarmStarts.rewarmed(s, resetTo, change.spec, prequentialWindow);
                }
                trainer.update(s.restartedAs(fresh[0]));
            }
        });
        if (rewarm && fresh[0] != null) {
            // After the keyed pass, which restart's own pass over keyed state must not run inside.
            restartedModels.restart(ctx, change.task, change.variant, fresh[0]);
        }
        taskMetrics.changed(changed, change.retires(), restarts);
    }

    /**
     * A label model reset in place: a tombstone for each annotator it published, on the annotators output, and for each
     * item whose consensus it published and its ledger still holds ({@link ConsensusLedger#publishedKeys}), on the
     * consensus output, each ahead of the fresh model's records (whose versions count from 1 again), so readers and
     * compaction forget the old model's.
     */
    private void tombstoneLabelModel(TrainerState s, String task, String variant, Context ctx) {
        if (s.labelModel == null) {
            return;
        }
        List<String> ids = s.labelModel.annotatorIds();
        for (int a = 0; a < ids.size() && a < s.annotatorPublishedVersion.length; a++) {
            if (s.annotatorPublishedVersion[a] > 0) {
                ctx.output(ANNOTATOR_MODELS, Either.Left(TrainRecords.annotatorKey(task, variant, ids.get(a))));
            }
        }
        consensusTombstones.inc(
                s.consensus.publishedKeys(task, variant, key -> ctx.output(CONSENSUS, Either.Left(key))));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Prediction> out) throws Exception {
        variant = Variants.variant(ctx.getCurrentKey());
        if (earlyEnvelopes.count() > 0) {
            releaseEarly(timestamp, ctx, out);
        }
        TrainerState s = state.forKey(ctx.getCurrentKey()).value();
        if (s == null) {
            return;
        }
        String task = Variants.task(ctx.getCurrentKey());
        if (ctx.timeDomain() == TimeDomain.EVENT_TIME) {
            if (timestamp == END_OF_INPUT) {
                train(s, ctx, out);
                publish(s, task, ctx);
            }
        } else {
            if (timestamp == s.batchDeadline) {
                train(s, ctx, out);
            }
            if (timestamp == s.nextSnapshotAt) {
                publish(s, task, ctx);
                s.nextSnapshotAt = timestamp + snapshotIntervalMs;
                ctx.timerService().registerProcessingTimeTimer(s.nextSnapshotAt);
            }
        }
        state.update(s);
        metricsOf(task, s).update(s);
    }

    /**
     * At a timer of a key whose envelopes wait ({@link EarlyEnvelopes}): those whose change is here go on; at the end of
     * a bounded input, when every change has arrived, any other is a dead letter; else they wait for the next check.
     */
    private void releaseEarly(long timestamp, OnTimerContext ctx, Collector<Prediction> out) throws Exception {
        String key = ctx.getCurrentKey();
        long applied = EarlyEnvelopes.applied(ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), key);
        boolean end = ctx.timeDomain() == TimeDomain.EVENT_TIME && timestamp == END_OF_INPUT;
        for (VariantExample early : earlyEnvelopes.release(variant, end ? Long.MAX_VALUE : applied)) {
            if (early.generation() <= applied) {
                learn(early, ctx, out);
            } else {
                ctx.output(DEAD_LETTERS, deadLetters.early(early.input(), variant, early.generation(), applied,
                        "when the input ended", ctx.timerService().currentProcessingTime()));
            }
        }
        if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME && earlyEnvelopes.count() > 0) {
            ctx.timerService().registerProcessingTimeTimer(timestamp + EarlyEnvelopes.CHECK_MS);
        }
    }

    private TrainerState create(TrainerState s, ReadOnlyContext ctx) {
        ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
        if (snapshotIntervalMs > 0) {
            s.nextSnapshotAt = ctx.timerService().currentProcessingTime() + snapshotIntervalMs;
            ctx.timerService().registerProcessingTimeTimer(s.nextSnapshotAt);
        }
        return s;
    }

    /**
     * Emits a prediction made at once; when it is not finite, the example's dead letter too, as the prediction goes to
     * the selection alone (a labelled one: an annotator the label model refused).
     */
    private void publishNow(Prediction prediction, TaskTrainingMetrics metrics, Sourced<Example> input, long now,
            ReadOnlyContext ctx, Collector<Prediction> out) {
        String reason = predictions.check(prediction, metrics);
        if (reason != null) {
            ctx.output(DEAD_LETTERS, deadLetters.prediction(input, reason, now));
        }
        out.collect(prediction);
    }

    /**
     * Predicts the open minibatch, then applies one update with it, if it holds any example, and cancels its
     * timeout.
     */
    private void train(TrainerState s, ReadOnlyContext ctx, Collector<Prediction> out) throws IOException {
        if (s.batchDeadline != Long.MIN_VALUE) {
            // Flink keeps one timer per key and timestamp: when the deadline falls on the millisecond of the next
            // snapshot, deleting it would delete the snapshot timer too and end the periodic snapshots for good.
            // Likewise when it falls on the check of envelopes waiting for a change of the variant (EarlyEnvelopes).
            if (s.batchDeadline != s.nextSnapshotAt && earlyEnvelopes.count() == 0) {
                ctx.timerService().deleteProcessingTimeTimer(s.batchDeadline);
            }
            s.batchDeadline = Long.MIN_VALUE;
        }
        if (s.batchFill == 0) {
            return;
        }
        int predictedFrom = s.batchPredicted;
        String task = Variants.task(ctx.getCurrentKey());
        predictions.batch(s, task, variant, metricsOf(task, s), ctx.timerService().currentProcessingTime(), out);
        boolean accepted = false;
        try {
            if (s.labelModel != null) {
                if (trainAnnotators.length < s.batchFill) {
                    trainAnnotators = new String[s.batchSize()];
                }
                for (int i = 0; i < s.batchFill; i++) {
                    trainAnnotators[i] = ExampleTensors.annotator(s.batchAnnotators[i]);
                }
                // A minibatch evicts only when its new annotators outnumber the free slots (it may fill the last ones
                // first): then the slots' annotators are compared after the update.
                List<String> before = s.labelModel.annotatorCount() + s.batchFill > s.labelModel.maxAnnotators()
                        ? s.labelModel.annotatorIds() : null;
                long evictions = s.labelModel.annotatorEvictions();
                s.labelModel.train(s.batchFeatures, s.batchItems, trainAnnotators, s.batchLabels, s.batchFill);
                if (s.labelModel.history() != null) {
                    for (int i = 0; i < s.batchFill; i++) {
                        s.consensus.labelled(s.batchItems[i], s.batchIds[i], s.labelModel.history().maxItems());
                    }
                }
                if (s.labelModel.annotatorEvictions() != evictions) {
                    List<TrainerState.Eviction> evicted = s.evictedSince(before);
                    annotatorEvictions.inc(evicted.size());
                    for (TrainerState.Eviction e : evicted) {
                        // Consumers and compaction forget the evicted annotator; if it comes back, it starts afresh.
                        if (e.published()) {
                            ctx.output(ANNOTATOR_MODELS, Either.Left(TrainRecords.annotatorKey(task, variant, e.annotator())));
                        }
                    }
                    LOG.info("task {}: {} annotators evicted at model version {} to make room for new ones: {}",
                            task, evicted.size(), s.version(),
                            evicted.stream().map(TrainerState.Eviction::annotator).toList());
                }
            } else if (s.largeOutput != null) {
                s.largeOutput.trainMinibatch(s.sparseRows, s.batchLabels, s.batchWeights);
            } else if (s.hashed != null) {
                HashedRows.train(s);
            } else if (s.wideDeep != null) {
                WideDeepRows.train(s);
            } else if (s.learner.isClassifier()) {
                s.learner.trainMinibatch(s.batchFeatures, s.batchLabels, s.batchWeights, s.batchFill);
            } else {
                s.learner.trainMinibatch(s.batchFeatures, s.batchTargets, s.batchWeights, s.batchFill);
            }
            updates.inc();
            accepted = true;
        } catch (NonFiniteUpdateException e) {
            // The model, label model included, is as it was: drop the poisoned minibatch and keep the last good one.
            rejected.inc();
            metricsOf(task, s).rejected.inc();
            LOG.warn("task {}: minibatch of {} examples from {} {} rejected at model version {} (examples seen {}): {}",
                    task, s.batchFill, sourceTopic, TrainRecords.coordinates(s), s.version(),
                    s.model.examplesSeen(), e.getMessage());
        }
        if (s.labelModel != null) {
            publishAnnotators(s, task, ctx, false);
            // A rejected minibatch is dropped whole: its predictions (some NaN) are no item's prior.
            publishConsensus(s, task, ctx, false, accepted ? predictedFrom : s.batchFill);
        }
        s.batchFill = 0;
        s.batchPredicted = 0;
        if (s.sparseRows != null) {
            s.sparseRows.clear();
        }
        if (s.wideRows != null) {
            s.wideRows.clear();
        }
        Arrays.fill(s.batchAnnotators, null);
        Arrays.fill(s.batchIds, null);
    }

    /**
     * Publishes the AnnotatorModel of each of the task's annotators that a newer model version describes: on a
     * snapshot ({@code all}) every such annotator, else those whose labels changed and whose last record is at
     * least {@code annotatorPublishIntervalMs} old. Versions are model versions, so they strictly increase per
     * annotator.
     */
    private void publishAnnotators(TrainerState s, String task, ReadOnlyContext ctx, boolean all) {
        s.trackAnnotators();
        long version = s.version();
        long now = ctx.timerService().currentProcessingTime();
        List<String> ids = s.labelModel.annotatorIds();
        for (int a = 0; a < ids.size(); a++) {
            if (version <= s.annotatorPublishedVersion[a]) {
                continue;
            }
            String id = ids.get(a);
            long labels = s.labelModel.labelsSeen(id);
            boolean published = s.annotatorPublishedVersion[a] > 0;
            if (!due(all, labels != s.annotatorPublishedLabels[a], published, s.annotatorPublishedAt[a], now,
                    annotatorPublishIntervalMs)) {
                continue;
            }
            ctx.output(ANNOTATOR_MODELS,
                    Either.Right(TrainRecords.annotatorRecord(task, variant, s.labelModel.annotator(id), version, now)));
            s.annotatorPublishedVersion[a] = version;
            s.annotatorPublishedAt[a] = now;
            s.annotatorPublishedLabels[a] = labels;
            annotatorModels.inc();
        }
    }

    /** Rate limit of annotator and consensus records: all on a snapshot, else changed and not published lately. */
    static boolean due(boolean all, boolean changed, boolean published, long publishedAt, long now, long intervalMs) {
        return all || changed && (!published || now - publishedAt >= intervalMs);
    }

    /**
     * Publishes the consensus of items whose labels changed, as {@link #due} allows (prior: the prediction of the
     * minibatch just trained, rows from {@code predictedFrom}, none when it is {@code batchFill}; else the class
     * prior); on a snapshot every pending one and a bounded recheck ({@link ConsensusLedger#recheck}).
     */
    private void publishConsensus(TrainerState s, String task, ReadOnlyContext ctx, boolean all, int predictedFrom) {
        long now = ctx.timerService().currentProcessingTime();
        LongFunction<float[]> priors = s.model.inputDim() == 0 ? item -> null
                : ConsensusLedger.priors(s.batchItems, predictedFrom, s.batchFill, predictions.batchOutputs(),
                        s.model.outputDim());
        Consumer<Consensus> out = c -> ctx.output(CONSENSUS, Either.Right(c));
        long published = s.consensus.publishPending(s.labelModel, task, variant, s.version(), now, annotatorPublishIntervalMs,
                all, priors, out);
        if (all) {
            published += s.consensus.recheck(s.labelModel, task, variant, s.version(), now, out);
        }
        consensusRecords.inc(published);
    }

    /** Emits a snapshot if the model changed since the last one, so versions strictly increase. */
    private void publish(TrainerState s, String task, ReadOnlyContext ctx) throws Exception {
        long version = s.version();
        if (version <= s.publishedVersion) {
            return;
        }
        long now = ctx.timerService().currentProcessingTime();
        ModelSnapshot snapshot = TrainRecords.snapshot(s, task, variant, metricsOf(task, s).loss(), sourceTopic,
                blasBackend, now);
        snapshot.setGeneration(ModelGenerations.of(ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), task, variant));
        List<ModelSnapshot> parts = SnapshotChunks.split(snapshot, SnapshotChunks.MAX_CHUNK_BYTES);
        parts.forEach(part -> ctx.output(MODEL_SNAPSHOTS, Either.Right(part)));
        restartedModels.published(parts);
        s.publishedVersion = version;
        snapshots.inc();
        metricsOf(task, s).published(now, snapshot.getParameters().remaining(), Math.max(1, parts.size() - 1));
        if (s.labelModel != null) {
            publishAnnotators(s, task, ctx, true);
            publishConsensus(s, task, ctx, true, s.batchFill);
        }
    }
}
