package dev.chorus.jobs;

import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Received;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.RecordDecodingException;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes a topic's records and checks each one. Whatever cannot be used goes to the {@link #DEAD_LETTERS} side
 * output with the original bytes, its coordinates and a reason; nothing is dropped and nothing fails the job.
 *
 * <p>What goes on is the decoded record ({@link #of}), the record with its partition and offset
 * ({@link #sourced}), for operators that must say where an input came from, or with the whole Kafka record
 * ({@link #received}), for an operator that may still dead-letter it.
 *
 * <p>Metrics, with {@code <name>} the name given at construction (e.g. {@code examples}):
 * {@code <name>Accepted}, {@code deadLetters}, and per offending field {@code field.<field>.deadLetters}
 * ({@link LabelledMetrics#deadLettersOf}; field {@code decode} for records that are not a valid encoding at all,
 * {@code unexpected} for records that made the codec or the check throw anything else, logged with the frame that
 * threw).
 */
public final class DecodeRecords<T extends SpecificRecordBase, O> extends ProcessFunction<KafkaRecord, O> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DecodeRecords.class);

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", AvroTypes.of(DeadLetter.class));
    /** The field a record that made decoding or checking throw is counted under ({@link #unexpected}). */
    public static final String UNEXPECTED = "unexpected";

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
    private transient LongCounter read;
    private transient LabelledMetrics.DeadLetterCounts deadLetters;

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

    /**
     * Emits each accepted record with the Kafka record it was decoded from: whole where {@code keepBytes} says the
     * next operator may reject it, else with its coordinates alone (no key or value bytes to carry on the edge).
     */
    public static <T extends SpecificRecordBase> DecodeRecords<T, Received<T>> received(Topic<T> topic,
            Check<T> check, String name, int maxRecordBytes, int deadLetterMaxOriginalBytes,
            SerializablePredicate<T> keepBytes) {
        return new DecodeRecords<>(topic, check, name, maxRecordBytes, deadLetterMaxOriginalBytes,
                (record, decoded) -> new Received<>(decoded, keepBytes.test(decoded) ? record : record.withoutBytes()));
    }

    /** A predicate a job's graph can carry. */
    @FunctionalInterface
    public interface SerializablePredicate<T> extends java.io.Serializable {
        boolean test(T value);
    }

    @Override
    public void open(OpenContext openContext) {
        codec = topic.codec();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        accepted = metrics.counter(name + "Accepted");
        deadLetters = new LabelledMetrics.DeadLetterCounts(metrics);
        read = new LongCounter();
        getRuntimeContext().addAccumulator(readAccumulator(name), read);
    }

    /**
     * The accumulator counting every record read, accepted or not: what a bounded run's command line reads back from
     * the job's result (metrics end with the job).
     */
    public static String readAccumulator(String name) {
        return name + "Read";
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<O> out) {
        read.add(1L);
        T decoded;
        ExampleValidator.Rejection rejection;
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
            rejection = check.check(decoded);
        } catch (RecordDecodingException e) {
            reject(record, ctx, e.field() == null ? "decode" : e.field(), "undecodable record: " + e.getMessage());
            return;
        } catch (RuntimeException | StackOverflowError e) {
            // Whatever else one record makes a codec or check throw (a bug, a parser's recursion on deep nesting)
            // is that record's problem: rethrown, it would restart the job on the same record forever. Other
            // VirtualMachineErrors say nothing about the record and still fail the task.
            reject(record, ctx, UNEXPECTED, unexpected(record, e));
            return;
        }
        if (rejection != null) {
            reject(record, ctx, rejection.field(), rejection.reason());
            return;
        }
        accepted.inc();
        out.collect(emit.of(record, decoded));
    }

    /**
     * The reason of the dead letter of a record that decoding or checking made throw {@code e}, logged with the frame
     * that threw. The message may quote the record (a task name with terminal escapes): logged quoted, so without
     * the raw stack trace; the frame locates the bug.
     */
    public static String unexpected(KafkaRecord record, Throwable e) {
        String problem = problem(e);
        LOG.warn("Dead-lettering {}: decoding or checking it threw {} at {}", record.coordinates(), problem,
                e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "an unknown frame");
        return "record could not be decoded or checked: " + problem;
    }

    /**
     * What {@code e} says, as a reason writes an unexpected throwable: its class, then its message quoted
     * ({@link ExampleValidator#quoted}: escaped, cut with its length), since the message may quote the record.
     */
    public static String problem(Throwable e) {
        return e.getClass().getName() + (e.getMessage() == null ? "" : ": " + ExampleValidator.quoted(e.getMessage()));
    }

    /**
     * Counts a dead letter under {@code field} and builds it: with no field for the records counted as
     * {@code decode} (not a valid encoding) or {@link #UNEXPECTED}, whose problem is no one field's.
     */
    public static DeadLetter deadLetter(LabelledMetrics.DeadLetterCounts counts, KafkaRecord record, String field,
            String reason, int maxOriginalBytes) {
        counts.count(field);
        boolean noField = "decode".equals(field) || UNEXPECTED.equals(field);
        return DeadLetters.of(record, noField ? null : field, reason, System.currentTimeMillis(), maxOriginalBytes);
    }

    private void reject(KafkaRecord record, Context ctx, String field, String reason) {
        ctx.output(DEAD_LETTERS, deadLetter(deadLetters, record, field, reason, deadLetterMaxOriginalBytes));
    }
}
