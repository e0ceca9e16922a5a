package dev.chorus.jobs.kafka;

import dev.chorus.schemas.Example;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink's serializer for a {@link Sourced} {@link Example} on the edge from the decoder to the trainer: partition,
 * offset, then the example as {@link ExampleSerializer} writes it (instead of Flink's POJO serializer, which
 * created the holder reflectively and wrote a null flag per field).
 */
public final class SourcedExampleSerializer extends TypeSerializerSingleton<Sourced<Example>> {
    private static final long serialVersionUID = 1L;

    public static final SourcedExampleSerializer INSTANCE = new SourcedExampleSerializer();

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public Sourced<Example> createInstance() {
        return new Sourced<>(new Example(), 0, 0);
    }

    @Override
    public Sourced<Example> copy(Sourced<Example> from) {
        return new Sourced<>(ExampleSerializer.INSTANCE.copy(from.value()), from.partition(), from.offset());
    }

    @Override
    public Sourced<Example> copy(Sourced<Example> from, Sourced<Example> reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(Sourced<Example> record, DataOutputView out) throws IOException {
        out.writeInt(record.partition());
        out.writeLong(record.offset());
        ExampleSerializer.write(record.value(), out);
    }

    @Override
    public Sourced<Example> deserialize(DataInputView in) throws IOException {
        int partition = in.readInt();
        long offset = in.readLong();
        return new Sourced<>(ExampleSerializer.read(in), partition, offset);
    }

    @Override
    public Sourced<Example> deserialize(Sourced<Example> reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public TypeSerializerSnapshot<Sourced<Example>> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Its configuration snapshot: the layout has no parameters. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Sourced<Example>> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
