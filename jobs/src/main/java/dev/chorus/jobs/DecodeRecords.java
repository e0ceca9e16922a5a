package dev.chorus.jobs;

import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.KafkaRecord;
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
 * <p>Metrics, with {@code <name>} the name given at construction (e.g. {@code examples}):
 * {@code <name>Accepted}, {@code deadLetters}, and {@code deadLetters.<field>} per offending field
 * ({@code deadLetters.decode} for records that are not a valid encoding at all).
 */
public final class DecodeRecords<T extends SpecificRecordBase> extends ProcessFunction<KafkaRecord, T> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", AvroTypes.of(DeadLetter.class));

    /** A check applied to every decoded record; returns null when the record is usable. */
    @FunctionalInterface
    public interface Check<T> extends java.io.Serializable {
        ExampleValidator.Rejection check(T record);
    }

    private final Topic<T> topic;
    private final Check<T> check;
    private final String name;
    private final int maxRecordBytes;
    private transient RecordCodec<T> codec;
    private transient Counter accepted;
    private transient Counter deadLetters;
    private transient Map<String, Counter> deadLettersByField;
    private transient MetricGroup deadLetterGroup;

    public DecodeRecords(Topic<T> topic, Check<T> check, String name, int maxRecordBytes) {
        this.topic = topic;
        this.check = check;
        this.name = name;
        this.maxRecordBytes = maxRecordBytes;
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
    public void processElement(KafkaRecord record, Context ctx, Collector<T> out) {
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
        out.collect(decoded);
    }

    private void reject(KafkaRecord record, Context ctx, String field, String reason) {
        deadLetters.inc();
        deadLettersByField.computeIfAbsent(field, f -> deadLetterGroup.counter(f)).inc();
        ctx.output(DEAD_LETTERS, DeadLetters.of(record, "decode".equals(field) ? null : field, reason,
                System.currentTimeMillis()));
    }
}
