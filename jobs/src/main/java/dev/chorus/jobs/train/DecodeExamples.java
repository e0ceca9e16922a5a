package dev.chorus.jobs.train;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.RecordDecodingException;
import dev.chorus.jobs.kafka.AvroTypes;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decodes and validates examples. Whatever cannot be used goes to the {@link #DEAD_LETTERS} side output with
 * the original bytes, its coordinates and a reason; nothing is dropped and nothing fails the job.
 *
 * <p>Metrics: {@code examplesAccepted}, {@code deadLetters}, and {@code deadLetters.<field>} per offending
 * field ({@code deadLetters.decode} for records that are not a valid encoding at all).
 */
public final class DecodeExamples extends ProcessFunction<KafkaRecord, Example> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", AvroTypes.of(DeadLetter.class));

    private final Topic<Example> topic;
    private final TaskSpecs specs;
    private transient RecordCodec<Example> codec;
    private transient Counter accepted;
    private transient Counter deadLetters;
    private transient Map<String, Counter> deadLettersByField;
    private transient MetricGroup deadLetterGroup;

    public DecodeExamples(Topic<Example> topic, TaskSpecs specs) {
        this.topic = topic;
        this.specs = specs;
    }

    @Override
    public void open(OpenContext openContext) {
        codec = topic.codec();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        accepted = metrics.counter("examplesAccepted");
        deadLetters = metrics.counter("deadLetters");
        deadLetterGroup = metrics.addGroup("deadLetters");
        deadLettersByField = new HashMap<>();
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<Example> out) {
        Example example;
        try {
            if (record.value == null) {
                reject(record, ctx, "value", "record value: expected an encoded Example, got null (a tombstone)");
                return;
            }
            example = codec.decode(record.value);
        } catch (RecordDecodingException e) {
            reject(record, ctx, e.field() == null ? "decode" : e.field(), "undecodable record: " + e.getMessage());
            return;
        }
        ExampleValidator.Rejection rejection =
                ExampleValidator.validate(example, specs.specFor(example.getTask()), specs);
        if (rejection != null) {
            reject(record, ctx, rejection.field(), rejection.reason());
            return;
        }
        accepted.inc();
        out.collect(example);
    }

    private void reject(KafkaRecord record, Context ctx, String field, String reason) {
        deadLetters.inc();
        deadLettersByField.computeIfAbsent(field, f -> deadLetterGroup.counter(f)).inc();
        ctx.output(DEAD_LETTERS, DeadLetter.newBuilder()
                .setOriginal(ByteBuffer.wrap(record.value == null ? new byte[0] : record.value))
                .setKey(record.key == null ? null : ByteBuffer.wrap(record.key))
                .setTopic(record.topic)
                .setPartition(record.partition)
                .setOffset(record.offset)
                .setReason(reason)
                .setField("decode".equals(field) ? null : field)
                .setTime(System.currentTimeMillis())
                .build());
    }
}
