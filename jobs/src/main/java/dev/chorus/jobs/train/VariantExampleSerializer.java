package dev.chorus.jobs.train;

import dev.chorus.jobs.kafka.SerializerTypeInfo;
import dev.chorus.jobs.kafka.SourcedExampleSerializer;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Flink's serializer of a {@link VariantExample} on the edge from the router to the trainer: variant, spec or null
 * (both by {@link StringValue#writeString}, which has no length limit: {@code writeUTF}'s 64 KiB failed a longer
 * variant name), {@link #GENERATION_LAYOUT} ({@code -2}), the generation, initial model (length, -1 for null, then its
 * bytes), example. The layout before generations (session 34) had the initial model's length where the marker is, so
 * never a value below -1: {@link #deserialize} reads both, and its snapshot ({@link Snapshot}, version 4; version 3
 * was that layout's) says the new serializer reads the old records as they are. Only the network format between the
 * two operators: no state holds a VariantExample (the router holds the examples it waits with as Kafka records, the
 * trainer its early envelopes as Avro examples, {@link EarlyEnvelopes}). A savepoint, by which a job is upgraded, holds
 * no records in flight; an unaligned checkpoint does, and Flink reads them with the new job's serializer without
 * consulting any serializer snapshot, hence the two layouts read here.
 */
public final class VariantExampleSerializer extends TypeSerializerSingleton<VariantExample> {
    private static final long serialVersionUID = 1L;

    public static final VariantExampleSerializer INSTANCE = new VariantExampleSerializer();
    /** In place of the initial model's length, which is at least -1: the generation follows. */
    static final int GENERATION_LAYOUT = -2;
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
                from.initialModel(), from.generation());
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
        out.writeInt(GENERATION_LAYOUT);
        out.writeLong(record.generation());
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
        long generation = VariantExample.NO_GENERATION;
        if (length == GENERATION_LAYOUT) {
            generation = in.readLong();
            length = in.readInt();
        } else if (length < -1) {
            throw new IOException("VariantExample of variant " + variant + ": expected an initial model's length (-1 "
                    + "for none) or the layout marker " + GENERATION_LAYOUT + ", got " + length);
        }
        byte[] initialModel = length < 0 ? null : new byte[length];
        if (initialModel != null) {
            in.readFully(initialModel);
        }
        return new VariantExample(variant, SourcedExampleSerializer.INSTANCE.deserialize(in), spec, initialModel,
                generation);
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

    /**
     * Its configuration snapshot: the layout has no parameters, only a version. Version 3 (written by Flink's
     * {@code SimpleTypeSerializerSnapshot}, whose version it was) is the layout before generations, 4 this one; this
     * serializer reads records of both, so either is compatible as it is. Any other version is refused by name.
     */
    public static final class Snapshot implements TypeSerializerSnapshot<VariantExample> {
        static final int LAYOUT_WITHOUT_GENERATION = 3;
        static final int CURRENT_VERSION = 4;

        public Snapshot() {}

        @Override
        public int getCurrentVersion() {
            return CURRENT_VERSION;
        }

        @Override
        public void writeSnapshot(DataOutputView out) {}

        @Override
        public void readSnapshot(int version, DataInputView in, ClassLoader classLoader) throws IOException {
            if (version != LAYOUT_WITHOUT_GENERATION && version != CURRENT_VERSION) {
                throw new IOException("VariantExampleSerializer snapshot: expected version "
                        + LAYOUT_WITHOUT_GENERATION + " or " + CURRENT_VERSION + ", got " + version);
            }
        }

        @Override
        public TypeSerializer<VariantExample> restoreSerializer() {
            return INSTANCE;
        }

        @Override
        public TypeSerializerSchemaCompatibility<VariantExample> resolveSchemaCompatibility(
                TypeSerializerSnapshot<VariantExample> oldSnapshot) {
            return oldSnapshot instanceof Snapshot ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                    : TypeSerializerSchemaCompatibility.incompatible();
        }
    }
}
