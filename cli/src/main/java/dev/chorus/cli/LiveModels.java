package dev.chorus.cli;

import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.WarmStarts;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.codec.RecordDecodingException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What a compacted models topic holds live, before compaction has run: the snapshots (whole ones, chunks and
 * manifests) written after their {@code task/variant}'s last tombstone, in offset order. A tombstone ({@code chorus
 * models reset}, a variant's reset or revival, whose fresh model's versions restart at 0) ends everything of its
 * key before it, the chunks (keyed {@code task/variant#k}) included, so a reader never takes the old model's higher
 * versions or completes a fresh manifest with an old chunk. The models topic has one partition
 * ({@code ChorusTopic.MODELS}), so a key's tombstone and its chunks are in one order. {@code undecodable} counts
 * the live records that are no ModelSnapshot.
 */
record LiveModels(List<ModelSnapshot> snapshots, int undecodable) {

    /** The models topic read to its end (committed records only). */
    static LiveModels read(KafkaOptions kafka, String modelsTopic) {
        return of(TopicReader.readAllRecords(kafka.bootstrapServers, kafka.kafkaProperties, modelsTopic));
    }

    /** {@code records} of a models topic, in offset order. */
    static LiveModels of(List<ConsumerRecord<byte[], byte[]>> records) {
        record Live(String key, ModelSnapshot snapshot) {}
        RecordDecoder decoder = new RecordDecoder();
        List<Live> live = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) {
                // By the snapshot's own task and variant, as the serve job forgets pending parts: a '#' in a
                // variant's name makes a chunk's key ambiguous.
                live.removeIf(l -> l.snapshot() == null ? l.key() != null && l.key().equals(key)
                        : (l.snapshot().getTask() + "/" + l.snapshot().getVariant()).equals(key));
                continue;
            }
            try {
                live.add(new Live(key, (ModelSnapshot) decoder.decode(r.value(), RecordKind.MODEL).record()));
            } catch (RecordDecodingException e) {
                live.add(new Live(key, null)); // counted below, unless a tombstone of its key ends it
            }
        }
        List<ModelSnapshot> snapshots = live.stream().map(Live::snapshot).filter(s -> s != null).toList();
        return new LiveModels(snapshots, live.size() - snapshots.size());
    }

    /**
     * The parameters of {@code snapshot}: its own, or, for a manifest, its version's live chunks joined in index
     * order and checked against its SHA-256; {@code name} leads the errors.
     */
    byte[] parameters(ModelSnapshot snapshot, String name) {
        if (snapshot.getChunks() == null) {
            return WarmStarts.bytes(snapshot.getParameters());
        }
        TreeMap<Integer, ByteBuffer> chunks = new TreeMap<>();
        for (ModelSnapshot m : snapshots) {
            if (m.getChunk() != null && m.getTask().equals(snapshot.getTask())
                    && m.getVariant().equals(snapshot.getVariant()) && m.getVersion() == snapshot.getVersion()) {
                chunks.put(m.getChunk(), m.getParameters());
            }
        }
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        for (int i = 0; i < snapshot.getChunks(); i++) {
            ByteBuffer chunk = chunks.get(i);
            if (chunk == null) {
                throw new IllegalStateException(name + ": chunk " + i + " of " + snapshot.getChunks() + " is missing");
            }
            whole.writeBytes(WarmStarts.bytes(chunk));
        }
        byte[] parameters = whole.toByteArray();
        if (!Arrays.equals(SnapshotChunks.sha256(ByteBuffer.wrap(parameters)), WarmStarts.bytes(snapshot.getDigest()))) {
            throw new IllegalStateException(name + ": its chunks do not have the manifest's SHA-256");
        }
        return parameters;
    }
}
