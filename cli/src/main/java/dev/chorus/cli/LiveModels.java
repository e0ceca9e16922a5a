package dev.chorus.cli;

import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.WarmStarts;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.codec.RecordDecodingException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What a compacted models topic holds live, taken one record at a time in offset order and keeping only what a reader
 * needs: a models topic holds every version of every model until compaction runs, far more than any command shows.
 * Per {@code task/variant}, it keeps the newest snapshot (a whole one or a manifest: the highest version, the later of
 * two of one version) and the chunks that may complete it or a newer manifest: those of its version, and those of the
 * newest version above it. As the serve job's assembly ({@code SnapshotAssembly}) does, the chunks of one version above
 * it wait at a time: a chunk of a newer version drops them, one of an older version is not kept. The train job writes
 * each version's chunks, then its manifest, in one transaction and in increasing versions, so nothing it writes is
 * dropped; older versions are, as the newest supersedes them.
 *
 * <p>A tombstone ({@code chorus models reset}, a variant's reset or revival, whose fresh model's versions restart at 0)
 * ends everything of its key before it, the chunks (keyed {@code task/variant#k}) included, so a reader never takes the
 * old model's higher versions or completes a fresh manifest with an old chunk. The models topic has one partition
 * ({@code ChorusTopic.MODELS}), so a key's tombstone and its chunks are in one order. {@link #undecodable} counts the
 * live records that are no ModelSnapshot.
 */
final class LiveModels {

    /** What is kept of the parameters: all of them (to reassemble a model), or their size only (to show it). */
    enum Keep { PARAMETERS, SIZES }

    private static final ByteBuffer NONE = ByteBuffer.allocate(0);

    /** A chunk: its size, and its parameters when they are kept. */
    private record Chunk(int bytes, ByteBuffer parameters) {}

    /** What is kept of one task/variant since its last tombstone. */
    private static final class Model {
        ModelSnapshot newest;
        /** The newest's parameter bytes: of a whole snapshot; 0 for a manifest, whose chunks hold them. */
        long newestBytes;
        /** By version, then index: the newest's version and at most one above it. */
        final TreeMap<Long, TreeMap<Integer, Chunk>> chunks = new TreeMap<>();
        /** The live ModelSnapshot records (whole ones, chunks and manifests) and their highest version. */
        int records;
        long highestVersion = -1;

        int held() {
            return (newest == null ? 0 : 1) + chunks.values().stream().mapToInt(Map::size).sum();
        }
    }

    private final String task;
    private final String variant;
    private final Keep keep;
    private final RecordDecoder decoder = new RecordDecoder();
    private final Map<String, Model> models = new HashMap<>();
    private final Map<String, Integer> undecodable = new HashMap<>();

    /** A reader of the models of {@code task} and {@code variant} (each null: any). */
    LiveModels(String task, String variant, Keep keep) {
        this.task = task;
        this.variant = variant;
        this.keep = keep;
    }

    /** The models topic read to its end (committed records only), one record at a time. */
    static LiveModels read(KafkaOptions kafka, String modelsTopic, String task, String variant, Keep keep) {
        return read(kafka.bootstrapServers, kafka.kafkaProperties, modelsTopic, task, variant, keep);
    }

    /** {@link #read(KafkaOptions, String, String, String, Keep)} with these client settings. */
    static LiveModels read(String bootstrapServers, Map<String, String> kafkaProperties, String modelsTopic,
            String task, String variant, Keep keep) {
        LiveModels live = new LiveModels(task, variant, keep);
        try (TopicReader.Tail tail = TopicReader.tail(bootstrapServers, kafkaProperties, modelsTopic)) {
            tail.readToEnd(live::accept);
        }
        return live;
    }

    /** {@code records} of a models topic, in offset order. */
    static LiveModels of(List<ConsumerRecord<byte[], byte[]>> records, String task, String variant, Keep keep) {
        LiveModels live = new LiveModels(task, variant, keep);
        records.forEach(live::accept);
        return live;
    }

    /** Takes the next record of the topic. */
    void accept(ConsumerRecord<byte[], byte[]> r) {
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) {
            // Models by the snapshots' own task and variant, as the serve job forgets pending parts: a '#' in a
            // variant's name makes a chunk's key ambiguous.
            models.remove(key);
            undecodable.remove(key);
            return;
        }
        ModelSnapshot m;
        try {
            m = (ModelSnapshot) decoder.decode(r.value(), RecordKind.MODEL).record();
        } catch (RecordDecodingException e) {
            undecodable.merge(key, 1, Integer::sum); // counted, unless a tombstone of its key ends it
            return;
        }
        if (task != null && !task.equals(m.getTask()) || variant != null && !variant.equals(m.getVariant())) {
            return;
        }
        Model model = models.computeIfAbsent(m.getTask() + "/" + m.getVariant(), k -> new Model());
        model.records++;
        model.highestVersion = Math.max(model.highestVersion, m.getVersion());
        int bytes = m.getParameters().remaining();
        if (m.getChunk() != null) {
            model.chunks.computeIfAbsent(m.getVersion(), v -> new TreeMap<>())
                    .put(m.getChunk(), new Chunk(bytes, keep == Keep.PARAMETERS ? m.getParameters() : null));
        } else if (model.newest == null || m.getVersion() >= model.newest.getVersion()) {
            if (keep == Keep.SIZES) {
                m.setParameters(NONE);
            }
            model.newest = m;
            model.newestBytes = m.getChunks() == null ? bytes : 0;
        }
        // No chunk below the newest's version completes a manifest that could be newest; of the versions above it,
        // the highest one's chunks wait.
        long floor = model.newest == null ? Long.MIN_VALUE : model.newest.getVersion();
        model.chunks.headMap(floor).clear();
        if (!model.chunks.isEmpty() && model.chunks.lastKey() > floor) {
            model.chunks.subMap(floor, false, model.chunks.lastKey(), false).clear();
        }
    }

    /** The newest snapshot (whole, or a manifest) of each task/variant that has one, by {@code task/variant}. */
    Map<String, ModelSnapshot> newest() {
        Map<String, ModelSnapshot> newest = new TreeMap<>();
        models.forEach((key, model) -> {
            if (model.newest != null) {
                newest.put(key, model.newest);
            }
        });
        return newest;
    }

    /** The parameter bytes of {@code newest} (one of {@link #newest()}): its own, or its version's chunks'. */
    long parameterBytes(ModelSnapshot newest) {
        Model model = models.get(newest.getTask() + "/" + newest.getVariant());
        if (newest.getChunks() == null) {
            return model.newestBytes;
        }
        return model.chunks.getOrDefault(newest.getVersion(), new TreeMap<>()).values().stream()
                .mapToLong(Chunk::bytes).sum();
    }

    /** The live records that are no ModelSnapshot. */
    int undecodable() {
        return undecodable.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The live ModelSnapshot records (whole ones, chunks and manifests) of the task/variants read. */
    int records() {
        return models.values().stream().mapToInt(m -> m.records).sum();
    }

    /** The highest version among those records; -1 when there are none. */
    long highestVersion() {
        return models.values().stream().mapToLong(m -> m.highestVersion).max().orElse(-1);
    }

    /** How many snapshots, manifests and chunks are held: what reading the topic costs in memory. */
    int held() {
        return models.values().stream().mapToInt(Model::held).sum();
    }

    /**
     * The parameters of {@code newest} (one of {@link #newest()}; kept with {@link Keep#PARAMETERS}): its own, or, for a
     * manifest, its version's chunks joined in index order and checked against its SHA-256; {@code name} leads the
     * errors.
     */
    byte[] parameters(ModelSnapshot newest, String name) {
        if (keep != Keep.PARAMETERS) {
            throw new IllegalStateException("the models topic was read for the parameters' sizes only");
        }
        if (newest.getChunks() == null) {
            return WarmStarts.bytes(newest.getParameters());
        }
        TreeMap<Integer, Chunk> chunks = models.get(newest.getTask() + "/" + newest.getVariant()).chunks
                .getOrDefault(newest.getVersion(), new TreeMap<>());
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        for (int i = 0; i < newest.getChunks(); i++) {
            Chunk chunk = chunks.get(i);
            if (chunk == null) {
                throw new IllegalStateException(name + ": chunk " + i + " of " + newest.getChunks() + " is missing");
            }
            whole.writeBytes(WarmStarts.bytes(chunk.parameters()));
        }
        byte[] parameters = whole.toByteArray();
        if (!Arrays.equals(SnapshotChunks.sha256(ByteBuffer.wrap(parameters)), WarmStarts.bytes(newest.getDigest()))) {
            throw new IllegalStateException(name + ": its chunks do not have the manifest's SHA-256");
        }
        return parameters;
    }
}
