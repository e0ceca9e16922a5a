package dev.chorus.jobs.select;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.select.SearchRun;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** Writes a {@link SearchRun} in model-core's own versioned layout (no Kryo, no reflection). */
public final class SearchRunSerializer extends CoreStateSerializer<SearchRun> {
    private static final long serialVersionUID = 1L;

    @Override
    public SearchRun copy(SearchRun from) {
        if (from == null) {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            from.writeTo(new DataOutputStream(bytes));
            return SearchRun.readFrom(new BinaryState.Bytes(bytes.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException("copying a search run through its own state format", e);
        }
    }

    @Override
    public void serialize(SearchRun run, DataOutputView out) throws IOException {
        run.writeTo(out);
    }

    @Override
    public SearchRun deserialize(DataInputView in) throws IOException {
        return SearchRun.readFrom(in);
    }

    @Override
    public TypeSerializerSnapshot<SearchRun> snapshotConfiguration() {
        return new Snapshot();
    }

    /** No configuration to write: the layout version is inside the state. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<SearchRun> {
        public Snapshot() {
            super(SearchRunSerializer::new);
        }
    }
}
