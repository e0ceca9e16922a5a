package dev.chorus.jobs.serve;

import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.ModelSnapshot;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * Reassembles a snapshot that travels as chunks and a manifest ({@link SnapshotChunks}) on the serve job's broadcast
 * side, in whatever order its parts arrive. The parts of at most one version per {@code task/variant} wait in
 * {@link #PENDING}: a part of a newer version drops them (that version never completed: it is superseded), a part of
 * an older one is refused. When the manifest and every chunk of its version are there, and the chunks' concatenated
 * parameters have the manifest's SHA-256, they leave pending state as one whole snapshot; until then nothing that is
 * served changes. A part whose count or digest disagrees with its version's other parts is refused and changes
 * nothing; a complete version whose digest does not match is refused and dropped.
 */
final class SnapshotAssembly {

    /** Parts waiting for the rest of their version, by task, variant and chunk index or manifest. */
    static final MapStateDescriptor<String, ModelSnapshot> PENDING =
            new MapStateDescriptor<>("pending-snapshot-parts", Types.STRING, AvroTypes.of(ModelSnapshot.class));

    /**
     * What a part did: completed {@code whole}, or was refused ({@code field}, {@code reason}), or neither (it
     * waits); {@code dropped} counts the parts of an older, incomplete version it dropped.
     */
    record Outcome(ModelSnapshot whole, String field, String reason, int dropped) {
        static Outcome refused(String field, String reason) {
            return new Outcome(null, field, reason, 0);
        }
    }

    /** The most parameter bytes a snapshot assembles into: one Java array. */
    static final int MAX_BYTES = Integer.MAX_VALUE - 8;

    /**
     * The most chunks of a version: chunks of at most {@link SnapshotChunks#MAX_CHUNK_BYTES}, every one but the last
     * full (as the train job cuts them), hold more than {@link #MAX_BYTES} in more, so a version of more is refused on
     * its first part rather than once all of them are held.
     */
    static final int MAX_CHUNKS = Math.min(SnapshotChunks.MAX_CHUNKS,
            (MAX_BYTES - 1) / SnapshotChunks.MAX_CHUNK_BYTES + 1);

    private SnapshotAssembly() {}

    /**
     * Why {@code part} is refused whatever else is pending (its count, index, digest or size), or null: checked before
     * the part takes a place under the serve job's bounds.
     */
    static Outcome malformed(ModelSnapshot part) {
        Integer count = part.getChunks();
        String name = name(part);
        if (count == null || count < 1 || count > MAX_CHUNKS) {
            return Outcome.refused("chunks", name + ": field 'chunks': expected a count in [1, " + MAX_CHUNKS
                    + "] (chunks of at most " + SnapshotChunks.MAX_CHUNK_BYTES + " bytes, every one but the last full,"
                    + " assemble into at most " + MAX_BYTES + " bytes), got " + count);
        }
        if (part.getChunk() != null && part.getParameters().remaining() > SnapshotChunks.MAX_CHUNK_BYTES) {
            return Outcome.refused("parameters", name + ": field 'parameters': expected at most "
                    + SnapshotChunks.MAX_CHUNK_BYTES + " bytes in a chunk, got " + part.getParameters().remaining());
        }
        if (part.getChunk() != null && (part.getChunk() < 0 || part.getChunk() >= count)) {
            return Outcome.refused("chunk", name + ": field 'chunk': expected an index in [0, " + count + "), got "
                    + part.getChunk());
        }
        if (part.getDigest() == null || part.getDigest().remaining() != SnapshotChunks.DIGEST_BYTES) {
            return Outcome.refused("digest", name + ": field 'digest': expected " + SnapshotChunks.DIGEST_BYTES
                    + " bytes (SHA-256), got " + (part.getDigest() == null ? "null" : part.getDigest().remaining()));
        }
        if (part.getChunk() == null && part.getParameters().remaining() != 0) {
            return Outcome.refused("parameters", name + ": field 'parameters': expected none on a manifest, got "
                    + part.getParameters().remaining() + " bytes");
        }
        return null;
    }

    private static String name(ModelSnapshot part) {
        return "model " + ExampleValidator.quoted(part.getTask() + "/" + part.getVariant())
                + (part.getChunk() == null ? "" : " chunk " + part.getChunk() + " of " + part.getChunks()) + " version "
                + part.getVersion();
    }

    static Outcome offer(BroadcastState<String, ModelSnapshot> pending, ModelSnapshot part) throws Exception {
        Outcome malformed = malformed(part);
        if (malformed != null) {
            return malformed;
        }
        String base = part.getTask() + "/" + part.getVariant();
        Integer count = part.getChunks();
        String name = name(part);
        Map<String, ModelSnapshot> parts = new HashMap<>();
        for (Map.Entry<String, ModelSnapshot> entry : pending.entries()) {
            if (entry.getValue().getTask().equals(part.getTask())
                    && entry.getValue().getVariant().equals(part.getVariant())) {
                parts.put(entry.getKey(), entry.getValue());
            }
        }
        int dropped = 0;
        ModelSnapshot other = parts.values().stream().findAny().orElse(null);
        if (other != null && other.getVersion() > part.getVersion()) {
            return Outcome.refused("version", name + ": field 'version': expected " + other.getVersion()
                    + " (pending) or newer, got " + part.getVersion() + "; dropped");
        } else if (other != null && other.getVersion() < part.getVersion()) {
            dropped = parts.size();
            remove(pending, parts);
            parts.clear();
        } else if (other != null && !other.getChunks().equals(count)) {
            return Outcome.refused("chunks", name + ": field 'chunks': expected " + other.getChunks()
                    + " as the version's other parts say, got " + count);
        } else if (other != null && !other.getDigest().equals(part.getDigest())) {
            return Outcome.refused("digest", name + ": field 'digest': expected " + hex(other.getDigest())
                    + " as the version's other parts say, got " + hex(part.getDigest()));
        }
        String key = pendingKey(part, part.getChunk());
        pending.put(key, part);
        parts.put(key, part);
        ModelSnapshot manifest = parts.get(pendingKey(part, null));
        if (manifest == null || parts.size() < count + 1) {
            return new Outcome(null, null, null, dropped);
        }
        remove(pending, parts);
        long size = 0;
        for (int k = 0; k < count; k++) {
            size += parts.get(pendingKey(part, k)).getParameters().remaining();
        }
        if (size > MAX_BYTES) {
            return Outcome.refused("chunks", "model " + ExampleValidator.quoted(base) + " version " + part.getVersion()
                    + ": field 'chunks': expected at most " + MAX_BYTES + " bytes of parameters in all, got " + size);
        }
        ByteBuffer whole = ByteBuffer.allocate((int) size);
        for (int k = 0; k < count; k++) {
            whole.put(parts.get(pendingKey(part, k)).getParameters().duplicate());
        }
        whole.flip();
        byte[] digest = SnapshotChunks.sha256(whole.duplicate());
        if (!ByteBuffer.wrap(digest).equals(manifest.getDigest())) {
            return Outcome.refused("digest", "model " + ExampleValidator.quoted(base) + " version " + part.getVersion()
                    + ": field 'digest': expected the SHA-256 of the " + count + " chunks' parameters, got "
                    + hex(manifest.getDigest()) + " for chunks whose SHA-256 is " + HexFormat.of().formatHex(digest)
                    + "; version dropped");
        }
        return new Outcome(ModelSnapshot.newBuilder(manifest).setParameters(whole).setChunk(null).setChunks(null)
                .setDigest(null).build(), null, null, dropped);
    }

    /** Drops the pending parts of {@code task/variant} {@code key} (its tombstone forgot the model); how many. */
    static int forget(BroadcastState<String, ModelSnapshot> pending, String key) throws Exception {
        return forget(pending, key, Long.MAX_VALUE);
    }

    /**
     * Drops the pending parts of {@code stored}'s key of its version or older: that snapshot is stored, so they can
     * never be served (compaction may have kept an older chunked version's chunks without its manifest); how many.
     */
    static int forgetUpTo(BroadcastState<String, ModelSnapshot> pending, ModelSnapshot stored) throws Exception {
        return forget(pending, stored.getTask() + "/" + stored.getVariant(), stored.getVersion());
    }

    private static int forget(BroadcastState<String, ModelSnapshot> pending, String key, long upTo) throws Exception {
        Map<String, ModelSnapshot> parts = new HashMap<>();
        for (Map.Entry<String, ModelSnapshot> entry : pending.entries()) {
            ModelSnapshot part = entry.getValue();
            if ((part.getTask() + "/" + part.getVariant()).equals(key) && part.getVersion() <= upTo) {
                parts.put(entry.getKey(), part);
            }
        }
        remove(pending, parts);
        return parts.size();
    }

    /**
     * Where a part waits: unlike the topic's keys, unambiguous whatever the names hold ({@code /} in a task,
     * {@code #} in a variant), as the task's length leads and only a chunk index or {@code m} follows the last {@code #}.
     */
    private static String pendingKey(ModelSnapshot part, Integer chunk) {
        return part.getTask().length() + ":" + part.getTask() + "/" + part.getVariant() + "#"
                + (chunk == null ? "m" : chunk);
    }

    private static void remove(BroadcastState<String, ModelSnapshot> pending, Map<String, ModelSnapshot> parts)
            throws Exception {
        for (String key : parts.keySet()) {
            pending.remove(key);
        }
    }

    private static String hex(ByteBuffer bytes) {
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        return HexFormat.of().formatHex(copy);
    }
}
