package dev.chorus.jobs.train;

import dev.chorus.core.tensor.RowsApart;
import dev.chorus.core.tensor.TouchedRows;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.IntSerializer;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.KeyedStateFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;

/**
 * Where the minibatch operator keeps each task's {@link TrainerState}, by {@link TrainSettings.HashedState}:
 * {@code VALUE}, all of it in one value ({@code "trainer"}); {@code ROWS}, a hashed task's model rows apart, in a
 * map state of {@link RowBlock}s ({@code "hashed-rows"}), and the rest of its state, model without rows included
 * ({@link TrainerStateSerializer#serializeWithoutRows}), as bytes in {@code "hashed-trainer"}. Other tasks keep
 * their one value in both.
 *
 * <p>In {@code ROWS}, a RocksDB or ForSt backend reads and writes per record only the small bytes and, per
 * minibatch, the blocks its step changed, and an incremental checkpoint uploads those, not the whole model. As
 * state holds no live model then, the live {@code TrainerState} of each hashed task is kept here (loaded from state
 * the first time its key is seen, so after a restore); it is never what state holds, so the heap backend's
 * asynchronous snapshot never reads what the task thread changes (state gets fresh bytes and fresh blocks).
 *
 * <p>Either layout reads the other's: a {@code VALUE} state found in {@code ROWS} moves to rows on its first access,
 * and rows found in {@code VALUE} are put back into one value, so a savepoint of either restores in both.
 *
 * <p>Used as a {@link ValueState} of the key set by {@link #forKey} (a keyed function cannot ask its context for
 * the key it is called for in every place).
 */
final class HashedRowsState implements ValueState<TrainerState> {
    /**
     * Rows per block: a minibatch of 32 clicks with a few dozen hashed features each dirties a few hundred rows
     * spread at random over 2^20 to 2^24, so nearly each dirty row has a block of its own whatever the block size;
     * the bytes a write-back puts grow with it (16 rows of FTRL's weight, z and n: 192 bytes), and below a dozen rows
     * RocksDB's key and entry overhead (some 30 bytes) would outweigh the rows.
     */
    static final int BLOCK_ROWS = 16;

    private final boolean rows;
    private final ValueStateDescriptor<TrainerState> trainerDescriptor;
    private final ValueStateDescriptor<byte[]> headerDescriptor;
    private final ValueState<TrainerState> trainer;
    private final ValueState<byte[]> headers;
    private final MapState<Integer, RowBlock> blocks;
    /** {@code ROWS}: the live state of each hashed task seen since this instance started. */
    private final Map<String, TrainerState> live = new HashMap<>();
    private final TrainerStateSerializer serializer = new TrainerStateSerializer();
    private final DataOutputSerializer scratch = new DataOutputSerializer(1024);
    private final DataInputDeserializer input = new DataInputDeserializer();
    private final Counter blocksWritten;
    private String key;

    HashedRowsState(RuntimeContext context, TrainSettings.HashedState layout) {
        this.rows = layout == TrainSettings.HashedState.ROWS;
        this.trainerDescriptor = new ValueStateDescriptor<>("trainer", serializer);
        this.headerDescriptor = new ValueStateDescriptor<>("hashed-trainer", BytePrimitiveArraySerializer.INSTANCE);
        this.trainer = context.getState(trainerDescriptor);
        this.headers = context.getState(headerDescriptor);
        this.blocks = context.getMapState(
                new MapStateDescriptor<>("hashed-rows", IntSerializer.INSTANCE, RowBlock.Serializer.INSTANCE));
        this.blocksWritten = context.getMetricGroup().counter("hashedRowBlocksWritten");
    }

    /** This state, for the key the operator is called for. */
    HashedRowsState forKey(String key) {
        this.key = key;
        return this;
    }

    @Override
    public TrainerState value() throws IOException {
        TrainerState s = rows ? live.get(key) : trainer.value();
        if (s != null) {
            return s;
        }
        byte[] header = headers.value();
        if (header != null) {
            input.setBuffer(header);
            s = serializer.deserializeWithoutRows(input);
            for (Map.Entry<Integer, RowBlock> block : entries()) {
                putBack(s.rowsApart(), block.getKey(), block.getValue());
            }
            if (rows) {
                s.rowsApart().changedRows();
                live.put(key, s);
            } else {
                clearRows();
                trainer.update(s);
            }
            return s;
        }
        s = rows ? trainer.value() : null;
        if (s != null && s.rowsApart() != null) {
            update(s);
        }
        return s;
    }

    /**
     * Puts a block read from state back into the model, which refuses one it could not have written (a row of the
     * wrong width or range, optimizer state no step leaves: a slot not finite, or a sum of squares below 0): then the
     * restore of this key fails, naming the key, the block and the model's reason, rather than training on it.
     */
    private void putBack(RowsApart model, int block, RowBlock rows) throws IOException {
        try {
            model.putRows(block * BLOCK_ROWS, rows.rows());
        } catch (IllegalArgumentException e) {
            throw new IOException("hashed rows of " + key + ", block " + block + " (rows from " + block * BLOCK_ROWS
                    + "): " + e.getMessage(), e);
        }
    }

    private Iterable<Map.Entry<Integer, RowBlock>> entries() throws IOException {
        try {
            return blocks.entries();
        } catch (Exception e) {
            throw new IOException("hashed rows of " + key + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code ROWS}: a hashed task's state new to this instance (created, reset or moved from one value) puts every
     * written block afresh; the live one, the blocks of the rows its steps changed since. Then its bytes.
     */
    @Override
    public void update(TrainerState s) throws IOException {
        if (!rows || s.rowsApart() == null) {
            if (live.remove(key) != null) {
                clearRows();
            }
            trainer.update(s);
            return;
        }
        RowsApart model = s.rowsApart();
        TouchedRows changed = model.changedRows();
        if (live.get(key) != s) {
            clearRows();
            trainer.clear();
            for (int row = model.nextWrittenRow(0); row >= 0; ) {
                int block = row / BLOCK_ROWS;
                put(model, block);
                row = model.nextWrittenRow((block + 1) * BLOCK_ROWS);
            }
            live.put(key, s);
        } else {
            changed.sort();
            for (int i = 0, last = -1; i < changed.size(); i++) {
                int block = changed.row(i) / BLOCK_ROWS;
                if (block != last) {
                    put(model, block);
                    last = block;
                }
            }
        }
        changed.clear();
        scratch.clear();
        serializer.serializeWithoutRows(s, scratch);
        headers.update(scratch.getCopyOfBuffer());
    }

    private void put(RowsApart model, int block) throws IOException {
        int from = block * BLOCK_ROWS;
        try {
            blocks.put(block, new RowBlock(model.copyRows(from, Math.min(BLOCK_ROWS, model.rows() - from))));
        } catch (Exception e) {
            throw new IOException("hashed rows of " + key + ", block " + block + ": " + e.getMessage(), e);
        }
        blocksWritten.inc();
    }

    @Override
    public void clear() {
        live.remove(key);
        trainer.clear();
        clearRows();
    }

    private void clearRows() {
        headers.clear();
        blocks.clear();
    }

    /**
     * Applies {@code function} to every task's state (a broadcast change): the one-value states, then the hashed
     * ones in rows, each seen through this state.
     */
    void applyToKeyedState(KeyedBroadcastProcessFunction<String, VariantExample, SpecChange, ?>.Context ctx,
            KeyedStateFunction<String, ValueState<TrainerState>> function) throws Exception {
        ctx.applyToKeyedState(trainerDescriptor, function);
        ctx.applyToKeyedState(headerDescriptor, (k, header) -> function.process(k, forKey(k)));
    }
}
