package dev.chorus.cli;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.output.Scored;
import dev.chorus.core.output.SkipGram;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.ModelSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * {@code chorus inspect --nearest}: the tokens nearest a token by the cosine of a skip-gram model's vectors. The
 * model comes from a snapshot (the newest of a task/variant on the models topic, reassembled from its chunks if it
 * travelled in chunks, or a snapshot record in a file) or from a file of the SkipGram's own bytes (a snapshot's
 * parameters). A SkipGram keeps vectors per hash bucket, not the tokens that hashed there: among the tokens of a
 * vocabulary the user gives, neighbours are named; without one, they are buckets.
 */
final class NearestTokens {

    /** A skip-gram model and where it came from, for the header line. */
    record Model(SkipGram skipGram, String source) {}

    private NearestTokens() {}

    /**
     * The newest snapshot of {@code task/variant} on {@code topic} after the key's last tombstone: whole, or its
     * chunks joined and checked.
     */
    static Model fromTopic(KafkaOptions kafka, String topic, String task, String variant) {
        return from(LiveModels.read(kafka, topic, task, variant, LiveModels.Keep.PARAMETERS), topic, task, variant);
    }

    /** {@link #fromTopic} from {@code topic}'s records, in offset order. */
    static Model fromRecords(List<ConsumerRecord<byte[], byte[]>> records, String topic, String task, String variant) {
        return from(LiveModels.of(records, task, variant, LiveModels.Keep.PARAMETERS), topic, task, variant);
    }

    private static Model from(LiveModels live, String topic, String task, String variant) {
        ModelSnapshot newest = live.newest().get(task + "/" + variant);
        if (newest == null) {
            throw new IllegalStateException("no model yet for " + task + "/" + variant + " on " + topic + ": "
                    + WarmStartModels.UNTIL_PUBLISHED);
        }
        return of(newest, live.parameters(newest, "model " + task + "/" + variant + " version "
                + newest.getVersion()), topic);
    }

    /** A file: a ModelSnapshot record (Avro or JSON), or a SkipGram's state as a snapshot's parameters hold it. */
    static Model fromFile(byte[] bytes, String file) {
        // A SkipGram's state starts with its format version, an int: no record's first byte (Avro's C3, JSON's '{').
        if (bytes.length >= Integer.BYTES && bytes[0] == 0) {
            return new Model(read(bytes, file), file + " (SkipGram state)");
        }
        ModelSnapshot snapshot = (ModelSnapshot) new RecordDecoder().decode(bytes, RecordKind.MODEL).record();
        if (SnapshotChunks.isPart(snapshot)) {
            throw new IllegalArgumentException(file + ": a part of a chunked snapshot (" + SnapshotChunks.describe(
                    snapshot) + "); read the whole version with --task from the models topic");
        }
        return of(snapshot, bytes(snapshot.getParameters()), file);
    }

    private static Model of(ModelSnapshot snapshot, byte[] parameters, String where) {
        String name = snapshot.getTask() + "/" + snapshot.getVariant() + " version " + snapshot.getVersion();
        if (!ModelSpec.SKIP_GRAM.equals(snapshot.getAlgorithm())) {
            throw new IllegalArgumentException("model " + name + " on " + where + ": field 'algorithm': expected \""
                    + ModelSpec.SKIP_GRAM + "\" for --nearest, got \"" + snapshot.getAlgorithm() + "\"");
        }
        return new Model(read(parameters, name), "model " + name + " from " + where);
    }

    private static SkipGram read(byte[] bytes, String name) {
        try {
            return SkipGram.readState(new BinaryState.Bytes(bytes));
        } catch (IOException e) {
            throw new IllegalArgumentException(name + ": not a skip-gram model: " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    /**
     * Prints the {@code k} nearest: tokens of {@code vocabulary} if there is one (those in the query's own bucket left
     * out, as they share its vector, and those of buckets the stream never showed), else buckets the stream has shown.
     * A query whose own bucket the stream never showed is named as such: its vector is the random start.
     */
    static void print(PrintWriter out, Model model, String token, int k, List<String> vocabulary, String vocabularyName) {
        SkipGram skipGram = model.skipGram();
        // Safe for a terminal: a snapshot's task and variant are whatever its writer chose.
        out.printf("model        %s (%,d buckets of %d dimensions, %,d pairs trained)%n",
                TerminalText.safe(model.source()), skipGram.spec().buckets(), skipGram.spec().dim(), skipGram.pairs());
        int bucket = skipGram.bucket(token);
        if (!skipGram.shown(token)) {
            out.printf(Locale.ROOT, "note         the stream never showed a token of %s's bucket %d: its vector is still "
                    + "the random start, so its neighbours mean nothing%n", token, bucket);
        }
        if (vocabulary != null) {
            out.printf(Locale.ROOT, "nearest      %s (bucket %d) among the %,d tokens of %s the stream has shown, by "
                    + "cosine%n", token, bucket, vocabulary.size(), vocabularyName);
            int rank = 1;
            for (SkipGram.Neighbour n : skipGram.nearest(token, k, vocabulary)) {
                out.printf(Locale.ROOT, "%3d  %-24s %.4f%n", rank++, n.token(), n.cosine());
            }
        } else {
            out.printf(Locale.ROOT, "nearest      buckets to %s's bucket %d, by cosine, among the buckets the stream has "
                    + "shown: the model keeps vectors per bucket, not tokens (--vocabulary FILE names them)%n", token,
                    bucket);
            int rank = 1;
            for (Scored s : skipGram.nearest(token, k)) {
                out.printf(Locale.ROOT, "%3d  bucket %-17d %.4f%n", rank++, s.id(), s.score());
            }
        }
        out.flush();
    }
}
