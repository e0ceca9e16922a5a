package dev.chorus.jobs.train;

import dev.chorus.core.io.BinaryState;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A block of {@link HashedRowsState#BLOCK_ROWS} consecutive rows of a hashed, wide and deep or large-output model, as
 * {@link dev.chorus.core.tensor.RowsApart#copyRows} gives them: one value of a task's map state of rows.
 * Never changed once made (each write-back puts a fresh block), so its serializer says it is immutable and the heap
 * backend's copy-on-write shares it instead of copying it.
 */
record RowBlock(float[] rows) {

    /** Writes the number of floats, then the floats ({@link BinaryState#writeFloats}). */
    static final class Serializer extends TypeSerializerSingleton<RowBlock> {
        private static final long serialVersionUID = 1L;
        static final Serializer INSTANCE = new Serializer();

        @Override
        public boolean isImmutableType() {
            return true;
        }

        @Override
        public RowBlock createInstance() {
            return new RowBlock(new float[0]);
        }

        @Override
        public RowBlock copy(RowBlock from) {
            return from;
        }

        @Override
        public RowBlock copy(RowBlock from, RowBlock reuse) {
            return from;
        }

        @Override
        public int getLength() {
            return -1;
        }

        @Override
        public void serialize(RowBlock block, DataOutputView out) throws IOException {
            BinaryState.writeFloats(out, block.rows);
        }

        @Override
        public RowBlock deserialize(DataInputView in) throws IOException {
            int length = in.readInt();
            BinaryState.requireFits(in, length, Float.BYTES, "row block floats");
            float[] rows = new float[length];
            for (int i = 0; i < length; i++) {
                rows[i] = in.readFloat();
            }
            return new RowBlock(rows);
        }

        @Override
        public RowBlock deserialize(RowBlock reuse, DataInputView in) throws IOException {
            return deserialize(in);
        }

        @Override
        public void copy(DataInputView in, DataOutputView out) throws IOException {
            serialize(deserialize(in), out);
        }

        @Override
        public TypeSerializerSnapshot<RowBlock> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Compatible as long as the class is the same. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<RowBlock> {
            public Snapshot() {
                super(() -> INSTANCE);
            }
        }
    }
}
