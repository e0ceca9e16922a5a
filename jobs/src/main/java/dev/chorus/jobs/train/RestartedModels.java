package dev.chorus.jobs.train;

import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.io.IOException;
import java.util.List;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.types.Either;

/**
 * What the trainer instance that owns a variant's key writes to the models topic when the variant's model restarts
 * from version 0 (a reset in place or a revival, {@link VariantSpecs#restarts}): in one step, on one output, so in
 * this order and in one exactly-once transaction,
 * <ol>
 *   <li>a tombstone for {@code task/variant}: serve jobs forget the old model, whose versions were higher;</li>
 *   <li>a tombstone for each chunk key {@code task/variant#k} the old model's snapshots wrote, k below the most chunks
 *       any of them had since the key's chunks were last tombstoned (keyed state {@link #PUBLISHED_CHUNKS}, kept when
 *       the variant retires, so a revival finds it): once compaction has removed the tombstones, no old chunk of a
 *       higher version is left on the topic to refuse the fresh model's chunked versions;</li>
 *   <li>the fresh model's snapshot at version 0 (fresh or warm-started weights), so a serve job swaps to it at once
 *       instead of holding the variant's examples until the fresh model's first update is published; it carries the
 *       restart's generation ({@link ModelGenerations}), which a serve job holding it asks of a champion record.</li>
 * </ol>
 * The most chunks are counted from the snapshots published since this state existed: a job restored from a savepoint
 * taken before it knows only those. A chunked version 0 is counted apart ({@link RestartChunks}), as the key may have
 * no keyed state to count it in, and the next restart tombstones its chunk keys too: else a fresh version 0 in fewer
 * chunks would leave the old one's higher chunks on the topic, parts of a version 0 with another digest.
 */
final class RestartedModels {
    /** Variant key → the most chunks of one snapshot it published since its chunk keys were last tombstoned. */
    static final ValueStateDescriptor<Integer> PUBLISHED_CHUNKS =
            new ValueStateDescriptor<>("published-chunks", Types.INT);

    private final ValueState<Integer> publishedChunks;
    private final RestartChunks restartChunks;
    private final String sourceTopic;
    private final String blasBackend;
    private final Counter snapshots;

    RestartedModels(RuntimeContext runtime, RestartChunks restartChunks, String sourceTopic, String blasBackend,
            Counter snapshots) {
        this.publishedChunks = runtime.getState(PUBLISHED_CHUNKS);
        this.restartChunks = restartChunks;
        this.sourceTopic = sourceTopic;
        this.blasBackend = blasBackend;
        this.snapshots = snapshots;
    }

    /** In the variant's keyed context: one snapshot went out as {@code parts} records (one whole, or chunks and a manifest). */
    void published(List<ModelSnapshot> parts) throws IOException {
        int chunks = parts.size() - 1;
        Integer most = publishedChunks.value();
        if (chunks > 0 && (most == null || most < chunks)) {
            publishedChunks.update(chunks);
        }
    }

    /** Writes the restart of {@code task/variant}, whose fresh state is {@code fresh}, to {@code output}. */
    void restart(KeyedBroadcastProcessFunction<String, VariantExample, SpecChange, Prediction>.Context ctx,
            String task, String variant, TrainerState fresh) throws Exception {
        String key = Variants.key(task, variant);
        String topicKey = Variants.topicKey(task, variant);
        int[] chunks = {0};
        ctx.applyToKeyedState(PUBLISHED_CHUNKS, (k, most) -> {
            if (k.equals(key) && most.value() != null) {
                chunks[0] = most.value();
                most.clear();
            }
        });
        // No prediction of the fresh model yet: its prequential loss is NaN, as its accuracy is.
        ModelSnapshot first = TrainRecords.snapshot(fresh, task, variant, Double.NaN, sourceTopic, blasBackend,
                ctx.currentProcessingTime());
        first.setGeneration(ModelGenerations.of(ctx.getBroadcastState(ModelGenerations.DESCRIPTOR), task, variant));
        List<ModelSnapshot> parts = SnapshotChunks.split(first, SnapshotChunks.MAX_CHUNK_BYTES);
        int tombstones = Math.max(chunks[0], restartChunks.replace(key, parts.size() - 1));
        ctx.output(MinibatchSgdFunction.MODEL_SNAPSHOTS, Either.Left(topicKey));
        for (int k = 0; k < tombstones; k++) {
            ctx.output(MinibatchSgdFunction.MODEL_SNAPSHOTS, Either.Left(SnapshotChunks.chunkKey(topicKey, k)));
        }
        for (ModelSnapshot part : parts) {
            ctx.output(MinibatchSgdFunction.MODEL_SNAPSHOTS, Either.Right(part));
        }
        snapshots.inc();
    }
}
