package dev.chorus.jobs.kafka;

import dev.chorus.schemas.Example;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink's serializer for a {@link Received} {@link Example} on the edge from the decoder to the router: the Kafka
 * record (topic, partition, offset, timestamp, then key and value as a length, {@code -1} for null, and the bytes),
 * then the example as {@link ExampleSerializer} writes it. Not used for state.
 */
public final class ReceivedExampleSerializer extends TypeSerializerSingleton<Received<Example>> {
    private static final long serialVersionUID = 1L;

    public static final ReceivedExampleSerializer INSTANCE = new ReceivedExampleSerializer();

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public Received<Example> createInstance() {
        return new Received<>(new Example(), new KafkaRecord());
    }

    @Override
    public Received<Example> copy(Received<Example> from) {
        KafkaRecord r = from.record();
        return new Received<>(ExampleSerializer.INSTANCE.copy(from.value()), new KafkaRecord(r.topic, r.partition,
                r.offset, r.timestamp, r.key == null ? null : r.key.clone(), r.value == null ? null : r.value.clone()));
    }

    @Override
    public Received<Example> copy(Received<Example> from, Received<Example> reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(Received<Example> received, DataOutputView out) throws IOException {
        KafkaRecord r = received.record();
        out.writeUTF(r.topic);
        out.writeInt(r.partition);
        out.writeLong(r.offset);
        out.writeLong(r.timestamp);
        writeBytes(r.key, out);
        writeBytes(r.value, out);
        ExampleSerializer.write(received.value(), out);
    }

    @Override
    public Received<Example> deserialize(DataInputView in) throws IOException {
        KafkaRecord r = new KafkaRecord(in.readUTF(), in.readInt(), in.readLong(), in.readLong(), readBytes(in),
                readBytes(in));
        return new Received<>(ExampleSerializer.read(in), r);
    }

    @Override
    public Received<Example> deserialize(Received<Example> reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    private static void writeBytes(byte[] bytes, DataOutputView out) throws IOException {
        if (bytes == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }

    private static byte[] readBytes(DataInputView in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    @Override
    public TypeSerializerSnapshot<Received<Example>> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Its configuration snapshot: the layout has no parameters. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Received<Example>> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
