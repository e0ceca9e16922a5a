package dev.chorus.jobs.train;

import dev.chorus.jobs.DeadLetters;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.LabelledMetrics;
import dev.chorus.jobs.TaskBound;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import org.apache.flink.metrics.MetricGroup;

/**
 * The dead letters of the trainer ({@link MinibatchSgdFunction}), each the example in its topic's wire format with its
 * Kafka coordinates and a reason naming the field, the expected and the actual value: a task past the task bound, an
 * example routed to a variant retired since, or under a change that could not be waited for, a label past a label model's annotator bound, a field that does not hash,
 * a prediction made at once that is not finite.
 * Counted: {@code deadLetters} in all and per field ({@link LabelledMetrics.DeadLetterCounts}, which
 * {@link FieldHashing} counts its own in).
 */
final class TrainerDeadLetters {
    /** The operator's dead letters, in all and per field. */
    final LabelledMetrics.DeadLetterCounts counts;
    private final String sourceTopic;
    private final RecordCodec<Example> codec;
    private final int maxOriginalBytes;

    TrainerDeadLetters(MetricGroup operator, String sourceTopic, RecordCodec<Example> codec, int maxOriginalBytes) {
        this.counts = new LabelledMetrics.DeadLetterCounts(operator);
        this.sourceTopic = sourceTopic;
        this.codec = codec;
        this.maxOriginalBytes = maxOriginalBytes;
    }

    /** A record of a task past the bound: {@code where} says which instance's bound and how full it is. */
    DeadLetter task(Sourced<Example> input, TaskBound bound, String where, long now) {
        counts.count("task");
        return DeadLetters.of(record(input), "task", bound.reason(input.value().getTask(), where), now,
                maxOriginalBytes);
    }

    /** An example routed to {@code variant}, retired before the example reached it: its state is gone. */
    DeadLetter retired(Sourced<Example> input, String variant, long now) {
        counts.count("variant");
        return DeadLetters.of(record(input), "variant", "field 'variant': expected a live variant of task "
                + ExampleValidator.quoted(input.value().getTask()) + ", got " + ExampleValidator.quoted(variant)
                + ", retired before the example reached it", now, maxOriginalBytes);
    }

    /**
     * An example routed to {@code variant} at {@code generation}, a change of the variant this trainer, at
     * {@code applied} (-1: none), has not applied yet, that cannot wait for it ({@link EarlyEnvelopes}): {@code why}.
     */
    DeadLetter early(Sourced<Example> input, String variant, long generation, long applied, String why, long now) {
        counts.count("variant");
        return DeadLetters.of(record(input), "variant", "field 'variant': expected variant "
                + ExampleValidator.quoted(variant) + " of task " + ExampleValidator.quoted(input.value().getTask())
                + " at the generation the example was routed under, control record " + generation
                + ", got the trainer at " + (applied < 0 ? "no generation of it" : "control record " + applied)
                + ", " + why, now, maxOriginalBytes);
    }

    /**
     * An example that does not fit the model of {@code variant} it reached ({@link ExampleValidator#againstModel}):
     * it was routed by another spec of the variant, before it was retired and revived or after.
     */
    DeadLetter misfit(Sourced<Example> input, String variant, ExampleValidator.Rejection misfit, long now) {
        counts.count(misfit.field());
        return DeadLetters.of(record(input), misfit.field(), misfit.reason() + " (for the model of variant "
                + ExampleValidator.quoted(variant) + ", whose spec changed while the example was routed to it)", now,
                maxOriginalBytes);
    }

    /** The label of {@code annotator}, past the bound of {@code s}'s label model; the example was predicted. */
    DeadLetter annotator(Sourced<Example> input, TrainerState s, String annotator, long now) {
        counts.count("annotator");
        // Only a full house of annotators that may not be evicted rejects: those with protectedLabels or more labels,
        // and those of the open minibatch.
        return DeadLetters.of(record(input), "annotator", "field 'annotator': expected one of the "
                + s.labelModel.maxAnnotators() + " annotators task " + ExampleValidator.quoted(input.value().getTask())
                + " already tracks, as all its label model's slots (maxAnnotators=" + s.labelModel.maxAnnotators()
                + ") are held by annotators with at least protectedLabels="
                + s.model.spec().labelModel().protectedLabels() + " labels or of the open minibatch, got "
                + ExampleValidator.quoted(annotator), now, maxOriginalBytes);
    }

    /** An example whose prediction is not finite, for {@code reason} ({@link ExampleTensors#nonFiniteReason}). */
    DeadLetter prediction(Sourced<Example> input, String reason, long now) {
        counts.count("prediction");
        return DeadLetters.of(record(input), "prediction", reason, now, maxOriginalBytes);
    }

    /** An example whose {@code fields} do not hash, for {@code reason} ({@link FieldHashing} counted it). */
    DeadLetter fields(Sourced<Example> input, String reason, long now) {
        return DeadLetters.of(record(input), "fields", reason, now, maxOriginalBytes);
    }

    /** The example in its topic's wire format, with the Kafka coordinates it was read from. */
    private KafkaRecord record(Sourced<Example> input) {
        Example example = input.value();
        return new KafkaRecord(sourceTopic, input.partition(), input.offset(), example.getEventTime(),
                example.getId().getBytes(StandardCharsets.UTF_8), codec.encode(example));
    }
}
