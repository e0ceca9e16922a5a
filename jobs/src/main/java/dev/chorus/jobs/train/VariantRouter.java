package dev.chorus.jobs.train;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.LabelledMetrics;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Received;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Fans each decoded example out to every live variant of its task ({@link VariantSpecs}): one
 * {@link VariantExample} per variant, all referencing the one decoded example (the first for a variant since it
 * changed also carries its spec, see {@link VariantExample}). A variant trains the control topic's spec, else, for
 * variant {@code default}, {@code --spec}'s: the example must fit it ({@link #misfit}; the decoder checked what holds
 * whichever spec it trains). An example whose task has no live variant, or that does not fit a variant's spec, is a
 * dead letter for that variant (field {@code task}, or the field the spec rejects) with the Kafka record's key,
 * bytes and coordinates; the other variants still train on it. So a task the topic adds trains at its own shape.
 *
 * <p>Metrics: {@code routed} (envelopes emitted), {@code deadLetters} and per field {@code field.<field>.deadLetters}.
 */
public final class VariantRouter extends BroadcastProcessFunction<Received<Example>, SpecChange, VariantExample> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS = DecodeRecords.DEAD_LETTERS;
    /** The accumulator counting examples routed to at least one variant's trainer (the others were dead-lettered). */
    public static final String ROUTED_ACCUMULATOR = "examplesRouted";

    private final TaskSpecs defaults;
    private final Topic<Example> examplesTopic;
    private final int deadLetterMaxOriginalBytes;

    /** Derived from the broadcast state, dropped at each change of it. */
    private transient Map<String, List<String>> liveByTask;
    private transient Map<String, ModelSpec> topicSpecs;
    /** Variant keys whose spec this instance sent with an example since the variant last changed. */
    private transient Set<String> announced;
    private transient RecordCodec<Example> codec;
    private transient Counter routed;
    private transient LongCounter examplesRouted;
    private transient LabelledMetrics.DeadLetterCounts deadLetters;

    public VariantRouter(TrainSettings settings) {
        this.defaults = settings.specs();
        this.examplesTopic = settings.examplesTopic();
        this.deadLetterMaxOriginalBytes = settings.deadLetterMaxOriginalBytes();
    }

    @Override
    public void open(OpenContext openContext) {
        liveByTask = new HashMap<>();
        topicSpecs = new HashMap<>();
        announced = new HashSet<>();
        codec = examplesTopic.codec();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        routed = metrics.counter("routed");
        deadLetters = new LabelledMetrics.DeadLetterCounts(metrics);
        examplesRouted = new LongCounter();
        getRuntimeContext().addAccumulator(ROUTED_ACCUMULATOR, examplesRouted);
    }

    @Override
    public void processElement(Received<Example> input, ReadOnlyContext ctx, Collector<VariantExample> out)
            throws Exception {
        Example example = input.value();
        String task = example.getTask();
        var specs = ctx.getBroadcastState(VariantSpecs.DESCRIPTOR);
        List<String> live = liveByTask.get(task);
        if (live == null) {
            live = VariantSpecs.liveVariants(specs, defaults, task);
            liveByTask.put(task, live);
        }
        if (live.isEmpty()) {
            reject(input, ctx, "task", "field 'task': expected a task with a live variant (on the specs topic, or "
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
                reject(input, ctx, DecodeRecords.UNEXPECTED, DecodeRecords.unexpected(input.record(), e));
                continue;
            }
            if (misfit != null) {
                reject(input, ctx, misfit.field(), misfit.reason());
                continue;
            }
            if (sourced == null) {
                sourced = input.sourced();
            }
            routed.inc();
            boolean announce = json != null && announced.add(key);
            out.collect(new VariantExample(variant, sourced, announce ? json : null,
                    announce ? ctx.getBroadcastState(WarmStarts.DESCRIPTOR).get(key) : null));
        }
        if (sourced != null) {
            examplesRouted.add(1L);
        }
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
        VariantSpecs.apply(ctx.getBroadcastState(VariantSpecs.DESCRIPTOR), change);
        WarmStarts.apply(ctx.getBroadcastState(WarmStarts.DESCRIPTOR), change);
        liveByTask.remove(change.task);
        topicSpecs.remove(Variants.key(change.task, change.variant));
        announced.remove(Variants.key(change.task, change.variant));
    }

    private void reject(Received<Example> input, ReadOnlyContext ctx, String field, String reason) {
        KafkaRecord record = input.record();
        if (record.value == null) {
            // An example that fit --spec comes without its bytes (TaskSpecs#misfits): a variant of the control
            // topic's spec rejected it, rare enough to encode it again, keyed by its id.
            Example example = input.value();
            record = new KafkaRecord(record.topic, record.partition, record.offset, record.timestamp,
                    example.getId().getBytes(StandardCharsets.UTF_8), codec.encode(example));
        }
        ctx.output(DEAD_LETTERS, DecodeRecords.deadLetter(deadLetters, record, field, reason,
                deadLetterMaxOriginalBytes));
    }
}
