package dev.chorus.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.codec.RecordDecodingException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code chorus tail TOPIC}: prints a topic's committed records ({@code isolation.level=read_committed}), one
 * per line, readable or as plain JSON, whatever wire format each record was written in.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Print the committed records of a Chorus topic, one per line (Ctrl-C stops).",
                "Each line starts with partition@offset; --json prints the records' plain JSON alone."})
final class TailCommand implements Callable<Integer> {

    private static final Duration POLL = Duration.ofMillis(200);
    /** The most records {@code --last} starts before the end of each partition. */
    static final int MAX_LAST = 1_000_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to read.")
    String topic;

    @Option(names = "--type", paramLabel = RecordKind.NAMES, converter = RecordKind.Converter.class,
            description = "Record type of the topic (default: from the topic's name, else per record: Avro by its "
                    + "schema fingerprint, JSON by the schema it fits).")
    RecordKind type;

    @Option(names = "--json", description = "Print each record as plain JSON (parameters and features included), "
            + "a tombstone as {\"key\": K, \"value\": null}.")
    boolean json;

    @Option(names = "--from-end", description = "Start at the end: print only records committed from now on.")
    boolean fromEnd;

    @Option(names = "--last", paramLabel = "N",
            description = "Start at each partition's last N committed records (as tail -n does; with --no-follow, "
                    + "print them and stop).")
    Integer last;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Stop after N records; 0: no limit (default: ${DEFAULT-VALUE}).")
    long limit;

    @Option(names = "--follow", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Wait for new records (default); --no-follow stops at the end of the topic as of the start, "
                    + "or exits 1 when no partition short of it moves for --kafka-check-timeout-ms.")
    boolean follow;

    @Override
    public Integer call() {
        if (limit < 0) {
            throw new ParameterException(spec.commandLine(), "--limit: expected N >= 0, got " + limit);
        }
        if (last != null && (last < 1 || last > MAX_LAST)) {
            throw new ParameterException(spec.commandLine(), "--last: expected N in 1.." + MAX_LAST + ", got " + last);
        }
        if (last != null && fromEnd) {
            throw new ParameterException(spec.commandLine(), "--last and --from-end: expected one of them, got both");
        }
        kafka.requireReachable(topic);
        RecordKind kind = type != null ? type : RecordKind.ofTopic(topic).orElse(null);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                TopicReader.committedReader(kafka.bootstrapServers, kafka.kafkaProperties),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = partitions(consumer);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Map<TopicPartition, Long> starts = new HashMap<>();
            if (last != null) {
                Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
                for (TopicPartition tp : partitions) {
                    starts.put(tp, startOfLast(consumer, tp, last, begin.get(tp), end.get(tp)));
                }
            }
            consumer.assign(partitions);
            if (last != null) {
                starts.forEach(consumer::seek);
            } else if (fromEnd) {
                consumer.seekToEnd(partitions);
            } else {
                consumer.seekToBeginning(partitions);
            }
            return read(consumer, partitions, end, kind, kafka.checkTimeout(), spec.commandLine().getOut(),
                    spec.commandLine().getErr());
        }
    }

    /**
     * Prints what {@code consumer} (assigned {@code partitions}, each at its start) polls until {@code --limit}
     * records, or with {@code --no-follow} until every partition has reached {@code end}; returns the exit code. With
     * {@code --no-follow}, a read during which no partition short of its end moves for {@code patience} (one gone
     * offline, the broker gone: a consumer's poll waits for them rather than fail) stops with exit code 1 and a line on
     * {@code err} that says where.
     */
    int read(Consumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Map<TopicPartition, Long> end,
            RecordKind kind, Duration patience, PrintWriter out, PrintWriter err) {
        RecordDecoder decoder = new RecordDecoder();
        long printed = 0;
        Map<TopicPartition, Long> positions = positions(consumer, partitions);
        long movedAt = System.nanoTime();
        while (limit == 0 || printed < limit) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                if (limit > 0 && printed >= limit) {
                    break;
                }
                if (print(r, kind, decoder, out, err)) {
                    printed++;
                }
            }
            out.flush();
            if (follow) {
                continue;
            }
            List<TopicPartition> behind = partitions.stream().filter(tp -> consumer.position(tp) < end.get(tp))
                    .toList();
            if (behind.isEmpty()) {
                break;
            }
            Map<TopicPartition, Long> now = positions(consumer, partitions);
            if (!now.equals(positions)) {
                positions = now;
                movedAt = System.nanoTime();
            } else if (System.nanoTime() - movedAt >= patience.toNanos()) {
                TopicPartition stuck = behind.get(0);
                err.println(KafkaCheckTimeout.timedOut("chorus tail: stopped short of the end of " + topic + ": "
                        + behind.size() + " of its " + partitions.size() + " partitions did not move (partition "
                        + stuck.partition() + " at offset " + now.get(stuck) + ", its end at the start "
                        + end.get(stuck) + "); is Kafka reachable?", patience));
                err.flush();
                return 1;
            }
        }
        out.flush();
        return 0;
    }

    private static Map<TopicPartition, Long> positions(Consumer<byte[], byte[]> consumer,
            List<TopicPartition> partitions) {
        Map<TopicPartition, Long> positions = new HashMap<>();
        partitions.forEach(tp -> positions.put(tp, consumer.position(tp)));
        return positions;
    }

    /**
     * The offset from which partition {@code tp} holds its last {@code n} committed records before {@code end}
     * (tombstones and undecodable values count; transaction markers and aborted records take offsets but are none),
     * {@code begin} when it holds fewer: read back from the end in growing windows, the last {@code n} offsets of each
     * in a ring.
     */
    private long startOfLast(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, int n, long begin, long end) {
        consumer.assign(List.of(tp));
        long[] ring = new long[n];
        for (long window = Math.max(2L * n, 64); ; window *= 4) {
            long from = Math.max(begin, end - window);
            consumer.seek(tp, from);
            long records = 0;
            long deadline = System.nanoTime() + kafka.checkTimeout().toNanos();
            while (consumer.position(tp) < end) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("cannot read " + tp + " from offset " + from + " to " + end
                            + " within " + kafka.checkTimeout().toSeconds() + " s: at offset " + consumer.position(tp));
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() < end) {
                        ring[(int) (records++ % n)] = r.offset();
                    }
                }
            }
            if (records >= n) {
                return ring[(int) (records % n)];
            }
            if (from == begin) {
                return begin;
            }
        }
    }

    /** Prints one record; returns false for what is not a record (a tombstone, undecodable bytes). */
    private boolean print(ConsumerRecord<byte[], byte[]> r, RecordKind kind, RecordDecoder decoder, PrintWriter out,
            PrintWriter err) {
        String where = r.partition() + "@" + r.offset();
        if (r.value() == null) {
            // A tombstone deletes its key (a reset model, an evicted annotator, an item's consensus after its label
            // model was reset in place): --json says so with a null value.
            out.println(json ? TerminalText.jsonSafe(JSON.createObjectNode()
                    .put("key", r.key() == null ? null : key(r)).putNull("value").toString()) : tombstoneLine(r));
            return false;
        }
        try {
            RecordDecoder.Decoded decoded = decoder.decode(r.value(), kind);
            out.println(json ? TerminalText.jsonSafe(decoder.toJson(decoded))
                    : where + " " + RecordLines.line(decoded.record()));
            return true;
        } catch (RecordDecodingException e) {
            // Data lines stay parseable (--json | jq): what cannot be decoded is reported on stderr.
            // The reason may quote the record's text (a JSON parser's unexpected token).
            err.println("chorus tail: " + topic + "-" + where + " (" + r.value().length + " bytes) cannot be decoded: "
                    + TerminalText.safe(e.getMessage()));
            return false;
        }
    }

    private List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, kafka.checkTimeout())) {
            partitions.add(new TopicPartition(topic, p.partition()));
        }
        return partitions;
    }

    /** The text line of tombstone {@code r}: where it is and its key, safe for a terminal. */
    static String tombstoneLine(ConsumerRecord<byte[], byte[]> r) {
        return r.partition() + "@" + r.offset() + " tombstone key=" + TerminalText.safe(key(r));
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return r.key() == null ? "null" : new String(r.key(), StandardCharsets.UTF_8);
    }
}
