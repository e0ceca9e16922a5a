package dev.chorus.jobs.train;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.LabelledMetrics;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Received;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.RecordCodec;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.TupleTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans each decoded example out to every live variant of its task ({@link VariantSpecs}): one
 * {@link VariantExample} per variant, all referencing the one decoded example (the first for a variant since it
 * changed also carries its spec, see {@link VariantExample}; each, the variant's generation as this router has it,
 * {@link ModelGenerations}, kept in the broadcast state the trainer keeps it in). A variant trains the control topic's spec, else, for
 * variant {@code default}, {@code --spec}'s: the example must fit it ({@link #misfit}; the decoder checked what holds
 * whichever spec it trains). An example whose task has no live variant, or that does not fit a variant's spec, is a
 * dead letter for that variant (field {@code task}, or the field the spec rejects) with the Kafka record's key,
 * bytes and coordinates; the other variants still train on it. So a task the topic adds trains at its own shape.
 *
 * <p>A fresh job (not restored) reads the control topic from its start while its examples source reads on from the
 * group's offsets: without a wait, the first examples would meet the variants the broadcast had brought so far, often
 * none but {@code default}, and a search's first losses could precede its earlier run's retirements (which then read
 * as retirements from outside and end it). So each instance first asks where the control topic ends (the offset of
 * its last committed record, {@link ControlTopicEnd}) and holds the examples it receives, in operator state, until
 * check-specs' progress markers ({@link SpecChange#readUpTo}) say every record up to that offset has been judged and
 * its changes are here; then it routes them in order. A restored instance has its broadcast state as it was at the
 * checkpoint, and the offset check-specs had judged by then: it waits in the same way for the records committed since
 * (a variant retired while the job was down, or its search's decisions written after that checkpoint by an earlier
 * attempt, {@code --decisions-at-least-once}), unless the checkpoint predates that offset's keeping (then it waits
 * only if it was restored while waiting). At most {@link #MAX_HELD} examples wait: past that, they are routed with what
 * has been read, and a warning says so. A bounded job built by {@link TrainJob#build} looks where the control topic
 * ends once, when it is built, and its control source stops there: a record committed while it starts is past both
 * its read and this wait. One whose read still ended before that offset (a control source that stops elsewhere) fails
 * at its end rather than drop what it held.
 *
 * <p>Metrics: {@code routed} (envelopes emitted), {@code heldForControlTopic} (examples held at a fresh start),
 * {@code deadLetters} and per field {@code field.<field>.deadLetters}.
 */
public final class VariantRouter extends BroadcastProcessFunction<Received<Example>, SpecChange, VariantExample>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(VariantRouter.class);

    private static final List<String> DEFAULT_ONLY = List.of(JobSettings.DEFAULT_VARIANT);

    /** At most this many examples wait for the control topic per instance; past it, they are routed. */
    public static final int MAX_HELD = 10_000;

    /** Where the control topic ends when a fresh job starts: the offset of its last committed record, -1 if none. */
    @FunctionalInterface
    public interface ControlTopicEnd extends Serializable {
        long lastCommittedOffset();
    }

    public static final OutputTag<DeadLetter> DEAD_LETTERS = DecodeRecords.DEAD_LETTERS;
    /** The accumulator counting examples routed to at least one variant's trainer (the others were dead-lettered). */
    public static final String ROUTED_ACCUMULATOR = "examplesRouted";

    private final TaskSpecs defaults;
    private final Topic<Example> examplesTopic;
    private final int deadLetterMaxOriginalBytes;
    private final ControlTopicEnd controlTopicEnd;
    private final String specsTopic;
    private final boolean bounded;

    /**
     * Derived from the broadcast state, dropped at each change of it: the live variants of each task the broadcast
     * state names ({@link #topicTasks}), so at most one entry per task on the control topic.
     */
    private transient Map<String, List<String>> liveByTask;
    /**
     * The tasks the broadcast state has a key of (the control topic named them; names never leave it, a retirement
     * stays as {@link VariantSpecs#RETIRED}), built from it on first use; null until then. Any other task's live
     * variants are its {@code --spec} default or none, known without a scan or an entry: an example's task name is
     * the producer's, and keeping each would grow the heap without bound.
     */
    private transient Set<String> topicTasks;
    private transient Map<String, ModelSpec> topicSpecs;
    /** Variant keys whose spec this instance sent with an example since the variant last changed. */
    private transient Set<String> announced;
    private transient RecordCodec<Example> codec;
    private transient Counter routed;
    private transient LongCounter examplesRouted;
    private transient LabelledMetrics.DeadLetterCounts deadLetters;
    private transient Counter heldForControlTopic;
    /** {@link #routing(ReadOnlyContext)} of the examples' context {@code routingOf}. */
    private transient ReadOnlyContext routingOf;
    private transient Routing routing;

    /** Examples held until the broadcast has read the control topic up to {@link #waitFor}, in arrival order. */
    private transient List<Received<Example>> held;
    private transient ListState<Tuple2<KafkaRecord, Example>> heldState;
    /** The control-topic offset to wait for, -1 for none; the last offset check-specs has judged, -1 for none. */
    private transient long waitFor;
    private transient long readUpTo;
    private transient ListState<Long> waitForState;
    private transient ListState<Long> readUpToState;

    public VariantRouter(TrainSettings settings) {
        this(settings, controlTopicEnd(settings));
    }

    VariantRouter(TrainSettings settings, ControlTopicEnd controlTopicEnd) {
        this.defaults = settings.specs();
        this.examplesTopic = settings.examplesTopic();
        this.deadLetterMaxOriginalBytes = settings.deadLetterMaxOriginalBytes();
        this.controlTopicEnd = controlTopicEnd;
        this.specsTopic = settings.specsTopic().name();
        this.bounded = settings.bounded();
    }

    /** The end of {@code settings}' control topic (its one partition), read with the job's Kafka settings. */
    static ControlTopicEnd controlTopicEnd(TrainSettings settings) {
        String bootstrapServers = settings.bootstrapServers();
        Map<String, String> kafkaProperties = new HashMap<>(settings.kafkaProperties());
        String topic = settings.specsTopic().name();
        return () -> TopicReader.lastCommittedOffset(bootstrapServers, kafkaProperties, topic, 0);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        var store = context.getOperatorStateStore();
        heldState = store.getListState(new ListStateDescriptor<>("held-examples",
                new TupleTypeInfo<>(TypeInformation.of(KafkaRecord.class), AvroTypes.of(Example.class))));
        waitForState = store.getUnionListState(new ListStateDescriptor<>("control-wait-for", Types.LONG));
        readUpToState = store.getUnionListState(new ListStateDescriptor<>("control-read-up-to", Types.LONG));
        held = new ArrayList<>();
        heldState.get().forEach(t -> held.add(new Received<>(t.f1, t.f0)));
        waitFor = max(waitForState.get());
        readUpTo = max(readUpToState.get());
        // Kept at every checkpoint since the restored wait: absent, a checkpoint's router recorded it only if waiting.
        boolean readUpToKept = readUpToState.get().iterator().hasNext();
        String instance = getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks();
        if (!context.isRestored() || readUpToKept) {
            try {
                waitFor = Math.max(waitFor, controlTopicEnd.lastCommittedOffset());
            } catch (RuntimeException e) {
                LOG.warn("{}: cannot read where control topic {} ends ({}): examples are routed as the control "
                        + "topic's records arrive, without waiting for those already on it", instance, specsTopic,
                        e.toString());
            }
        }
        if (waiting()) {
            LOG.info("{}: routing examples once control topic {} is read up to offset {} (its last committed record "
                    + "when the job started or was restored; read up to {}, {} examples held)", instance, specsTopic,
                    waitFor, readUpTo, held.size());
        }
    }

    private static long max(Iterable<Long> offsets) {
        long max = -1;
        for (long o : offsets) {
            max = Math.max(max, o);
        }
        return max;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        List<Tuple2<KafkaRecord, Example>> snapshot = new ArrayList<>(held.size());
        held.forEach(r -> snapshot.add(Tuple2.of(r.record(), r.value())));
        heldState.update(snapshot);
        waitForState.update(waiting() ? List.of(waitFor) : List.of());
        readUpToState.update(List.of(readUpTo));
    }

    private boolean waiting() {
        return waitFor > readUpTo;
    }

    @Override
    public void open(OpenContext openContext) {
        liveByTask = new HashMap<>();
        topicSpecs = new HashMap<>();
        announced = new HashSet<>();
        codec = examplesTopic.codec();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        routed = metrics.counter("routed");
        heldForControlTopic = metrics.counter("heldForControlTopic");
        deadLetters = new LabelledMetrics.DeadLetterCounts(metrics);
        examplesRouted = new LongCounter();
        getRuntimeContext().addAccumulator(ROUTED_ACCUMULATOR, examplesRouted);
    }

    @Override
    public void processElement(Received<Example> input, ReadOnlyContext ctx, Collector<VariantExample> out)
            throws Exception {
        if (waiting()) {
            held.add(input);
            heldForControlTopic.inc();
            if (held.size() >= MAX_HELD) {
                LOG.warn("{}: {} examples held for control topic {}, read up to offset {} of {}: routing them with "
                        + "the variants read so far", getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks(),
                        held.size(), specsTopic, readUpTo, waitFor);
                waitFor = -1;
                release(routing(ctx), out);
            }
            return;
        }
        route(input, routing(ctx), out);
    }

    /**
     * What routing needs of the context of either input (they share no public type): the control topic's specs, the
     * warm starts (looked up only to announce a variant), the dead-letter output. One per context object, which
     * Flink keeps for the operator's life, so the per-example path allocates nothing for it.
     */
    private record Routing(StateLookup<String> specs, StateLookup<byte[]> warmStarts, StateLookup<Long> generations,
            Consumer<DeadLetter> deadLetters) {}

    @FunctionalInterface
    private interface StateLookup<V> {
        ReadOnlyBroadcastState<String, V> get() throws Exception;
    }

    private Routing routing(ReadOnlyContext ctx) {
        if (ctx != routingOf) {
            routingOf = ctx;
            routing = new Routing(() -> ctx.getBroadcastState(VariantSpecs.DESCRIPTOR),
                    () -> ctx.getBroadcastState(WarmStarts.DESCRIPTOR),
                    () -> ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), d -> ctx.output(DEAD_LETTERS, d));
        }
        return routing;
    }

    /** As above, for the broadcast input's context, which releases the held examples (once per start). */
    private static Routing routing(Context ctx) {
        return new Routing(() -> ctx.getBroadcastState(VariantSpecs.DESCRIPTOR),
                () -> ctx.getBroadcastState(WarmStarts.DESCRIPTOR),
                () -> ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), d -> ctx.output(DEAD_LETTERS, d));
    }

    private void release(Routing routing, Collector<VariantExample> out) throws Exception {
        for (Received<Example> input : held) {
            route(input, routing, out);
        }
        held.clear();
    }

    private void route(Received<Example> input, Routing routing, Collector<VariantExample> out) throws Exception {
        Example example = input.value();
        String task = example.getTask();
        ReadOnlyBroadcastState<String, String> specs = routing.specs().get();
        List<String> live = liveByTask.get(task);
        if (live == null) {
            if (topicTasks(specs).contains(task)) {
                live = VariantSpecs.liveVariants(specs, defaults, task);
                liveByTask.put(task, live);
            } else {
                live = defaults.specFor(task) == null ? List.of() : DEFAULT_ONLY;
            }
        }
        if (live.isEmpty()) {
            reject(input, routing, "task", "field 'task': expected a task with a live variant (on the specs topic, or "
                    + "default by --spec), got " + ExampleValidator.quoted(task) + ", whose variants are all retired");
            return;
        }
        Sourced<Example> sourced = null;
        for (String variant : live) {
            String key = Variants.key(task, variant);
            String json = specs.get(key);
            ExampleValidator.Rejection misfit;
            try {
                // A variant is live on the topic (json) or is the default of a task --spec covers.
                ModelSpec spec = json != null ? topicSpecs.computeIfAbsent(key, k -> VariantSpecs.parse(json))
                        : defaults.specFor(task);
                // An example without its bytes was found at decoding to fit --spec's spec (TaskSpecs#misfits).
                misfit = json == null && input.record().value == null ? null : misfit(example, spec, variant, live);
            } catch (RuntimeException | StackOverflowError e) {
                // As at decoding: one record's problem, which rethrown would restart the job on it forever.
                reject(input, routing, DecodeRecords.UNEXPECTED, DecodeRecords.unexpected(input.record(), e));
                continue;
            }
            if (misfit != null) {
                reject(input, routing, misfit.field(), misfit.reason());
                continue;
            }
            if (sourced == null) {
                sourced = input.sourced();
            }
            routed.inc();
            boolean announce = json != null && announced.add(key);
            Long generation = json == null ? null : routing.generations().get().get(key);
            out.collect(new VariantExample(variant, sourced, announce ? json : null,
                    announce ? routing.warmStarts().get().get(key) : null,
                    generation == null ? VariantExample.NO_GENERATION : generation));
        }
        if (sourced != null) {
            examplesRouted.add(1L);
        }
    }

    private Set<String> topicTasks(ReadOnlyBroadcastState<String, String> specs) throws Exception {
        if (topicTasks == null) {
            topicTasks = new HashSet<>();
            for (Map.Entry<String, String> e : specs.immutableEntries()) {
                topicTasks.add(Variants.task(e.getKey()));
            }
        }
        return topicTasks;
    }

    /**
     * Why {@code example} does not fit {@code spec}, the spec of {@code variant}, one of its task's {@code live}
     * variants; null when it fits. The reason is {@link ExampleValidator#againstSpec}'s, after the variant's name
     * unless the variant is the task's only one, {@code default}: then it reads as before tasks had variants.
     */
    static ExampleValidator.Rejection misfit(Example example, ModelSpec spec, String variant, List<String> live) {
        ExampleValidator.Rejection misfit = ExampleValidator.againstSpec(example, spec);
        if (misfit == null || live.equals(List.of(JobSettings.DEFAULT_VARIANT))) {
            return misfit;
        }
        return new ExampleValidator.Rejection(misfit.field(), "variant " + ExampleValidator.quoted(variant) + ": "
                + misfit.reason());
    }

    @Override
    public void processBroadcastElement(SpecChange change, Context ctx, Collector<VariantExample> out)
            throws Exception {
        if (change.marksProgress()) {
            boolean waited = waiting();
            readUpTo = Math.max(readUpTo, change.generation);
            if (waited && !waiting()) {
                LOG.info("{}: control topic {} read up to offset {}: routing the {} examples held",
                        getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks(), specsTopic, readUpTo, held.size());
                release(routing(ctx), out);
            }
            return;
        }
        VariantSpecs.apply(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), change);
        WarmStarts.apply(ctx.getBroadcastState(WarmStarts.DESCRIPTOR), change);
        ModelGenerations.apply(ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), change);
        topicTasks(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR)).add(change.task);
        liveByTask.remove(change.task);
        topicSpecs.remove(Variants.key(change.task, change.variant));
        announced.remove(Variants.key(change.task, change.variant));
    }

    /** How many tasks' live variants this instance holds, derived from the broadcast state (tests). */
    int tasksCached() {
        return liveByTask.size();
    }

    /**
     * A bounded job ends here with examples held when its control topic's read stopped short of {@link #waitFor} (a
     * control source that stops before the end this instance waits for): they were never routed, so the job fails.
     */
    @Override
    public void close() throws Exception {
        if (bounded && held != null && !held.isEmpty() && waiting()) {
            throw new IllegalStateException(getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks() + " ended "
                    + "holding " + held.size() + " examples for control topic " + specsTopic + ", read up to offset "
                    + readUpTo + " of " + waitFor + ": its bounded read ended before the record it waits for");
        }
        super.close();
    }

    private void reject(Received<Example> input, Routing routing, String field, String reason) {
        KafkaRecord record = input.record();
        if (record.value == null) {
            // An example that fit --spec comes without its bytes (TaskSpecs#misfits): a variant of the control
            // topic's spec rejected it, rare enough to encode it again, keyed by its id.
            Example example = input.value();
            record = new KafkaRecord(record.topic, record.partition, record.offset, record.timestamp,
                    example.getId().getBytes(StandardCharsets.UTF_8), codec.encode(example));
        }
        routing.deadLetters().accept(DecodeRecords.deadLetter(deadLetters, record, field, reason, deadLetterMaxOriginalBytes));
    }
}
