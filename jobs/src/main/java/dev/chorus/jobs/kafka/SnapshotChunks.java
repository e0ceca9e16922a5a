package dev.chorus.jobs.kafka;

import dev.chorus.schemas.ModelSnapshot;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * How a model snapshot too big for one Kafka record travels on the compacted models topic: its parameters are cut
 * into chunks of at most {@link #MAX_CHUNK_BYTES}, each a {@link ModelSnapshot} with the whole snapshot's fields, its
 * slice as parameters, {@code chunk} = its index, {@code chunks} = their count and {@code digest} = SHA-256 of the
 * whole parameters, keyed {@code task/variant#chunk} so that compaction keeps each index's newest chunk; then a
 * manifest, the same fields with empty parameters and no {@code chunk}, keyed {@code task/variant} like a whole
 * snapshot, so that the newest manifest is what compaction keeps of the key and a reset tombstone deletes it. The
 * train job writes all of them through one transactional sink in one checkpoint's transaction, so a read_committed
 * reader sees all of one version or none. See docs/ARCHITECTURE.md.
 */
public final class SnapshotChunks {

    /** Parameters up to this size travel whole; above, in chunks of this size: well within 16 MiB records. */
    public static final int MAX_CHUNK_BYTES = 8 << 20;
    /** At most this many chunks per snapshot (32 GiB of parameters), so that a reader's pending chunks are bounded. */
    public static final int MAX_CHUNKS = 4096;
    /** Length of the SHA-256 digest. */
    public static final int DIGEST_BYTES = 32;

    private SnapshotChunks() {}

    /** The models topic key of {@code record}: {@code task/variant}, or {@code task/variant#chunk} for a chunk. */
    public static String key(ModelSnapshot record) {
        String base = record.getTask() + "/" + record.getVariant();
        return record.getChunk() == null ? base : chunkKey(base, record.getChunk());
    }

    /** The key of chunk {@code chunk} of the model whose key is {@code base} ({@code task/variant}). */
    public static String chunkKey(String base, int chunk) {
        return base + "#" + chunk;
    }

    /** Whether {@code record} is part of a chunked snapshot (a chunk or a manifest), not a whole snapshot. */
    public static boolean isPart(ModelSnapshot record) {
        return record.getChunk() != null || record.getChunks() != null;
    }

    /** How {@code chorus models} and {@code chorus tail} name a part: {@code chunk 2 of 6}, {@code manifest of 6}. */
    public static String describe(ModelSnapshot record) {
        String count = record.getChunks() == null ? "?" : String.valueOf(record.getChunks());
        return record.getChunk() == null ? "manifest of " + count + " chunks" : "chunk " + record.getChunk() + " of "
                + count;
    }

    /**
     * {@code whole} as the models topic should get it, in order: itself if its parameters fit in {@code maxChunkBytes},
     * else its chunks by index and the manifest last.
     */
    public static List<ModelSnapshot> split(ModelSnapshot whole, int maxChunkBytes) {
        ByteBuffer parameters = whole.getParameters().duplicate();
        int size = parameters.remaining();
        if (size <= maxChunkBytes) {
            return List.of(whole);
        }
        int count = (int) ((size + (long) maxChunkBytes - 1) / maxChunkBytes);
        if (count > MAX_CHUNKS) {
            throw new IllegalArgumentException("model " + whole.getTask() + "/" + whole.getVariant() + " version "
                    + whole.getVersion() + ": expected at most " + MAX_CHUNKS + " chunks of " + maxChunkBytes
                    + " bytes, got " + size + " bytes of parameters");
        }
        ByteBuffer digest = ByteBuffer.wrap(sha256(parameters.duplicate()));
        List<ModelSnapshot> parts = new ArrayList<>(count + 1);
        for (int k = 0; k < count; k++) {
            ByteBuffer slice = parameters.duplicate();
            slice.position(parameters.position() + k * maxChunkBytes);
            slice.limit(Math.min(parameters.limit(), slice.position() + maxChunkBytes));
            parts.add(ModelSnapshot.newBuilder(whole).setParameters(slice.slice()).setChunk(k).setChunks(count)
                    .setDigest(digest.duplicate()).build());
        }
        parts.add(ModelSnapshot.newBuilder(whole).setParameters(ByteBuffer.allocate(0)).setChunk(null)
                .setChunks(count).setDigest(digest.duplicate()).build());
        return parts;
    }

    /** SHA-256 of the bytes remaining in {@code bytes} (consumes them). */
    public static byte[] sha256(ByteBuffer bytes) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(bytes);
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
