package dev.chorus.jobs;

import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.RecordDecodingException;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decodes a topic's records and checks each one. Whatever cannot be used goes to the {@link #DEAD_LETTERS} side
 * output with the original bytes, its coordinates and a reason; nothing is dropped and nothing fails the job.
 *
 * <p>What goes on is the decoded record ({@link #of}) or the record with its partition and offset
 * ({@link #sourced}), for operators that must say where an input came from.
 *
 * <p>Metrics, with {@code <name>} the name given at construction (e.g. {@code examples}):
 * {@code <name>Accepted}, {@code deadLetters}, and {@code deadLetters.<field>} per offending field
 * ({@code deadLetters.decode} for records that are not a valid encoding at all).
 */
public final class DecodeRecords<T extends SpecificRecordBase, O> extends ProcessFunction<KafkaRecord, O> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", AvroTypes.of(DeadLetter.class));

    /** A check applied to every decoded record; returns null when the record is usable. */
    @FunctionalInterface
    public interface Check<T> extends java.io.Serializable {
        ExampleValidator.Rejection check(T record);
    }

    /** What goes on for an accepted record. */
    @FunctionalInterface
    private interface Emit<T, O> extends java.io.Serializable {
        O of(KafkaRecord record, T decoded);
    }

    private final Topic<T> topic;
    private final Check<T> check;
    private final String name;
    private final int maxRecordBytes;
    private final int deadLetterMaxOriginalBytes;
    private final Emit<T, O> emit;
    private transient RecordCodec<T> codec;
    private transient Counter accepted;
    private transient Counter deadLetters;
    private transient Map<String, Counter> deadLettersByField;
    private transient MetricGroup deadLetterGroup;

    private DecodeRecords(Topic<T> topic, Check<T> check, String name, int maxRecordBytes,
            int deadLetterMaxOriginalBytes, Emit<T, O> emit) {
        this.topic = topic;
        this.check = check;
        this.name = name;
        this.maxRecordBytes = maxRecordBytes;
        this.deadLetterMaxOriginalBytes = deadLetterMaxOriginalBytes;
        this.emit = emit;
    }

    /** Emits each accepted record as decoded. */
    public static <T extends SpecificRecordBase> DecodeRecords<T, T> of(Topic<T> topic, Check<T> check, String name,
            int maxRecordBytes, int deadLetterMaxOriginalBytes) {
        return new DecodeRecords<>(topic, check, name, maxRecordBytes, deadLetterMaxOriginalBytes,
                (record, decoded) -> decoded);
    }

    /** Emits each accepted record with the partition and offset it was read from. */
    public static <T extends SpecificRecordBase> DecodeRecords<T, Sourced<T>> sourced(Topic<T> topic, Check<T> check,
            String name, int maxRecordBytes, int deadLetterMaxOriginalBytes) {
        return new DecodeRecords<>(topic, check, name, maxRecordBytes, deadLetterMaxOriginalBytes,
                (record, decoded) -> new Sourced<>(decoded, record.partition, record.offset));
    }

    @Override
    public void open(OpenContext openContext) {
        codec = topic.codec();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        accepted = metrics.counter(name + "Accepted");
        deadLetters = metrics.counter("deadLetters");
        deadLetterGroup = metrics.addGroup("deadLetters");
        deadLettersByField = new HashMap<>();
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<O> out) {
        T decoded;
        try {
            if (record.value == null) {
                reject(record, ctx, "value", "record value: expected an encoded " + topic.type().getSimpleName()
                        + ", got null (a tombstone)");
                return;
            }
            if (record.value.length > maxRecordBytes) {
                reject(record, ctx, "value", "record value: expected at most " + maxRecordBytes + " bytes, got "
                        + record.value.length);
                return;
            }
            decoded = codec.decode(record.value);
        } catch (RecordDecodingException e) {
            reject(record, ctx, e.field() == null ? "decode" : e.field(), "undecodable record: " + e.getMessage());
            return;
        }
        ExampleValidator.Rejection rejection = check.check(decoded);
        if (rejection != null) {
            reject(record, ctx, rejection.field(), rejection.reason());
            return;
        }
        accepted.inc();
        out.collect(emit.of(record, decoded));
    }

    private void reject(KafkaRecord record, Context ctx, String field, String reason) {
        deadLetters.inc();
        deadLettersByField.computeIfAbsent(field, f -> deadLetterGroup.counter(f)).inc();
        ctx.output(DEAD_LETTERS, DeadLetters.of(record, "decode".equals(field) ? null : field, reason,
                System.currentTimeMillis(), deadLetterMaxOriginalBytes));
    }
}
