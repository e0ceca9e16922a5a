package dev.chorus.cli;

import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code chorus inspect}: says what a record is (type, wire format, schema fingerprint) and prints it as JSON,
 * from bytes (a file, hex, stdin) or from a topic's partition and offset; or, with {@code --nearest}, a token's nearest
 * neighbours in a skip-gram model ({@link NearestTokens}).
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Decode one Chorus record, Avro or JSON, and say what it is.",
                "The bytes come from --file, --hex, --topic/--partition/--offset, or else from stdin.",
                "With --nearest TOKEN: the tokens nearest TOKEN in a skip-gram model (--task, or --file)."})
final class InspectCommand implements Callable<Integer> {

    /** How long to wait for the record at a given offset to be fetched. */
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    // What to inspect comes from the command line alone (ChorusConfig.FlagOnly): a line left in the configuration file
    // would silently read another record (partition=, nearest= over --hex) or another model (task=, produce's).
    @ChorusConfig.FlagOnly
    @Option(names = "--file", paramLabel = "FILE", description = "Read the record's bytes from FILE ('-': stdin).")
    Path file;

    @ChorusConfig.FlagOnly
    @Option(names = "--hex", paramLabel = "HEX",
            description = "The record's bytes in hex, e.g. 'C3 01 5A...' (spaces, colons and a 0x prefix are ignored).")
    String hex;

    @ChorusConfig.FlagOnly
    @Option(names = "--topic", paramLabel = "TOPIC", description = "Read the record from this topic (needs --offset).")
    String topic;

    @ChorusConfig.FlagOnly
    @Option(names = "--partition", paramLabel = "P", defaultValue = "0",
            description = "Partition of --topic (default: ${DEFAULT-VALUE}).")
    int partition;

    @ChorusConfig.FlagOnly
    @Option(names = "--offset", paramLabel = "O", description = "Offset of the record in --topic's partition.")
    Long offset;

    @Option(names = "--type", paramLabel = RecordKind.NAMES, converter = RecordKind.Converter.class,
            description = "Expected record type (default: Avro by its schema fingerprint, JSON by the schema it fits).")
    RecordKind type;

    @ChorusConfig.FlagOnly
    @Option(names = "--nearest", paramLabel = "TOKEN",
            description = "Print the tokens nearest TOKEN by cosine in a skip-gram model: the newest of --task on the "
                    + "models topic, or --file (a snapshot record, or the SkipGram's bytes).")
    String nearest;

    @Option(names = "--k", paramLabel = "K", defaultValue = "10", description = "With --nearest: how many (default: "
            + "${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--vocabulary", paramLabel = "FILE", description = "With --nearest: candidate tokens, one a line; "
            + "without it, neighbours are hash buckets, as the model keeps no tokens.")
    Path vocabulary;

    @ChorusConfig.FlagOnly
    @Option(names = "--task", paramLabel = "TASK", description = "With --nearest and no --file: the task whose model "
            + "to read.")
    String task;

    // Nor from a variant= line, which is serve's (variant=champion names no model on the models topic).
    @ChorusConfig.FlagOnly
    @Option(names = "--variant", paramLabel = "VARIANT", defaultValue = "default",
            description = "With --task: the variant (default: ${DEFAULT-VALUE}).")
    String variant;

    @Option(names = "--models-topic", paramLabel = "TOPIC", defaultValue = ChorusTopic.DefaultNames.MODELS,
            description = "With --task (default: ${DEFAULT-VALUE}).")
    String modelsTopic;

    /** Where stdin is read from; tests replace it. */
    InputStream stdin = System.in;

    @Override
    public Integer call() throws IOException {
        // Only --nearest reads --task, --variant and --vocabulary.
        if (nearest != null) {
            return nearest();
        }
        int sources = (file != null ? 1 : 0) + (hex != null ? 1 : 0) + (topic != null ? 1 : 0);
        if (sources > 1) {
            throw usage("give only one of --file, --hex and --topic");
        }
        if (topic == null && offset != null) {
            throw usage("--offset needs --topic");
        }
        PrintWriter out = spec.commandLine().getOut();
        byte[] bytes;
        if (topic != null) {
            if (offset == null) {
                throw usage("--topic needs --offset (and --partition, default 0)");
            }
            kafka.requireReachable(topic);
            ConsumerRecord<byte[], byte[]> r = fetch();
            out.println(sourceLine(r));
            bytes = r.value();
            if (bytes == null) {
                out.println("record       none: a tombstone (null value), which deletes its key on a compacted topic");
                out.flush();
                return 0;
            }
        } else if (hex != null) {
            bytes = parseHex(hex);
        } else if (file != null && !file.toString().equals("-")) {
            if (!Files.isRegularFile(file)) {
                throw usage("--file " + file + ": no such file");
            }
            bytes = Files.readAllBytes(file);
        } else {
            if (file == null && System.console() != null) {
                throw usage("nothing to inspect: give --file, --hex or --topic, or pipe the bytes to stdin");
            }
            bytes = stdin.readAllBytes();
        }
        RecordDecoder decoder = new RecordDecoder();
        RecordDecoder.Decoded decoded = decoder.decode(bytes, type);
        out.printf("type         %s (%s)%n", decoded.kind().type().getSimpleName(), decoded.kind().label());
        out.printf("format       %s%n", decoded.format() == WireFormat.AVRO
                ? "avro (single-object encoding)" : "json");
        out.printf("fingerprint  %s%n", decoded.fingerprint().isPresent()
                ? RecordKind.hex(decoded.fingerprint().getAsLong()) + " (the current "
                        + decoded.kind().type().getSimpleName() + " schema)"
                : "none (JSON carries no schema; the record fits the " + decoded.kind().type().getSimpleName()
                        + " schema)");
        out.printf(Locale.ROOT, "size         %,d bytes%n", bytes.length);
        out.println(TerminalText.jsonSafe(decoder.toJson(decoded)));
        out.flush();
        return 0;
    }

    /** {@code --nearest}: one skip-gram model, from the models topic or a file, and a token's neighbours in it. */
    private int nearest() throws IOException {
        if (task == null && file == null || hex != null || topic != null) {
            throw usage("--nearest TOKEN reads one skip-gram model: give it --task (from --models-topic) or --file");
        }
        if (k < 1) {
            throw usage("--k: expected a number >= 1, got " + k);
        }
        List<String> candidates = null;
        if (vocabulary != null) {
            if (!Files.isRegularFile(vocabulary)) {
                throw usage("--vocabulary " + vocabulary + ": no such file");
            }
            candidates = Files.readAllLines(vocabulary).stream().map(String::strip).filter(t -> !t.isEmpty())
                    .distinct().toList();
        }
        NearestTokens.Model model;
        if (file != null) {
            model = NearestTokens.fromFile(Files.readAllBytes(file), file.toString());
        } else {
            kafka.requireReachable(modelsTopic);
            model = NearestTokens.fromTopic(kafka, modelsTopic, task, variant);
        }
        NearestTokens.print(spec.commandLine().getOut(), model, nearest, k, candidates, String.valueOf(vocabulary));
        return 0;
    }

    /** The {@code source} line of a record of {@code --topic}: where it is, its key (safe for a terminal), when. */
    static String sourceLine(ConsumerRecord<byte[], byte[]> r) {
        return String.format("source       %s-%d@%d, key %s, timestamp %s", r.topic(), r.partition(), r.offset(),
                r.key() == null ? "null" : '"' + TerminalText.safe(new String(r.key(), StandardCharsets.UTF_8)) + '"',
                RecordLines.time(r.timestamp()));
    }

    private ConsumerRecord<byte[], byte[]> fetch() {
        TopicPartition tp = new TopicPartition(topic, partition);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                TopicReader.committedReader(kafka.bootstrapServers, kafka.kafkaProperties),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            int partitions = consumer.partitionsFor(topic, kafka.checkTimeout()).size();
            if (partition < 0 || partition >= partitions) {
                throw usage("--partition " + partition + ": topic '" + topic + "' has partitions 0 to "
                        + (partitions - 1));
            }
            consumer.assign(List.of(tp));
            long first = consumer.beginningOffsets(List.of(tp)).get(tp);
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            if (offset < first || offset >= end) {
                throw new IllegalStateException(String.format("offset %d is outside %s-%d: its committed records "
                        + "are at offsets %d to %d", offset, topic, partition, first, end - 1));
            }
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + FETCH_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() == offset) {
                        return r;
                    }
                    // Skipped past it: the offset held a transaction marker or an aborted record.
                    throw new IllegalStateException(String.format("no committed record at %s-%d@%d (a transaction "
                            + "marker or an aborted record); the next one is at offset %d", topic, partition,
                            offset, r.offset()));
                }
            }
            throw new IllegalStateException(String.format("no record at %s-%d@%d arrived within %d s", topic,
                    partition, offset, FETCH_TIMEOUT.toSeconds()));
        }
    }

    private byte[] parseHex(String text) {
        String digits = text.replaceAll("(?i)0x|[\\s:,-]", "");
        if (digits.length() % 2 != 0 || !digits.matches("(?i)[0-9a-f]*")) {
            throw usage("--hex: expected pairs of hex digits, got '" + abbreviate(text) + "'");
        }
        byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
