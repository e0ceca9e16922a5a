package dev.chorus.jobs.train;

import dev.chorus.jobs.kafka.SerializerTypeInfo;
import dev.chorus.jobs.kafka.SourcedExampleSerializer;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Flink's serializer of a {@link VariantExample} on the edge from the router to the trainer: variant, spec or null
 * (both by {@link StringValue#writeString}, which has no length limit: {@code writeUTF}'s 64 KiB failed a longer
 * variant name), initial model (length, -1 for null, then its bytes), example. Only the network format between the
 * two operators: no state holds a VariantExample (the router holds the examples it waits with as Kafka records), and a
 * savepoint, by which a job is upgraded, holds no records in flight.
 */
public final class VariantExampleSerializer extends TypeSerializerSingleton<VariantExample> {
    private static final long serialVersionUID = 1L;

    public static final VariantExampleSerializer INSTANCE = new VariantExampleSerializer();
    public static final TypeInformation<VariantExample> TYPE = SerializerTypeInfo.of(VariantExample.class, INSTANCE);

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public VariantExample createInstance() {
        return new VariantExample("", SourcedExampleSerializer.INSTANCE.createInstance(), null);
    }

    @Override
    public VariantExample copy(VariantExample from) {
        return new VariantExample(from.variant(), SourcedExampleSerializer.INSTANCE.copy(from.input()), from.spec(),
                from.initialModel());
    }

    @Override
    public VariantExample copy(VariantExample from, VariantExample reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(VariantExample record, DataOutputView out) throws IOException {
        StringValue.writeString(record.variant(), out);
        StringValue.writeString(record.spec(), out);
        out.writeInt(record.initialModel() == null ? -1 : record.initialModel().length);
        if (record.initialModel() != null) {
            out.write(record.initialModel());
        }
        SourcedExampleSerializer.INSTANCE.serialize(record.input(), out);
    }

    @Override
    public VariantExample deserialize(DataInputView in) throws IOException {
        String variant = StringValue.readString(in);
        String spec = StringValue.readString(in);
        int length = in.readInt();
        byte[] initialModel = length < 0 ? null : new byte[length];
        if (initialModel != null) {
            in.readFully(initialModel);
        }
        return new VariantExample(variant, SourcedExampleSerializer.INSTANCE.deserialize(in), spec, initialModel);
    }

    @Override
    public VariantExample deserialize(VariantExample reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public TypeSerializerSnapshot<VariantExample> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Its configuration snapshot: the layout has no parameters. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<VariantExample> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
