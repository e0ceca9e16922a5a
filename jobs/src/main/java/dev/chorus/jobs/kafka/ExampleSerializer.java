package dev.chorus.jobs.kafka;

import dev.chorus.schemas.Example;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Flink's serializer for an {@link Example} crossing a network edge (the decoder to the keyed trainer or server):
 * the fields one after another, the packed features as one block of bytes. Flink's Avro serializer, which it
 * replaces there, resolved every field and union through Avro's generic reader and writer, for one
 * deserialisation per example on the operator that trains or serves. Not used for state, which keeps Avro's
 * serializer and its schema evolution.
 *
 * <p>Layout: id, task; the features' length and bytes; the indices' count ({@code -1} for dense) and values; one
 * byte of flags for label, target, annotator and named fields, then those present; event time; weight. Named fields
 * are their count, then per field its name, a tag (number, string, list) and the value: a double, a string, or a
 * count and that many strings. Strings as {@link #writeText} writes them.
 */
public final class ExampleSerializer extends TypeSerializerSingleton<Example> {
    private static final long serialVersionUID = 1L;

    public static final ExampleSerializer INSTANCE = new ExampleSerializer();

    private static final int HAS_LABEL = 1;
    private static final int HAS_TARGET = 2;
    private static final int HAS_ANNOTATOR = 4;
    private static final int HAS_FIELDS = 8;
    private static final int NUMBER = 0;
    private static final int STRING = 1;
    private static final int STRINGS = 2;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public Example createInstance() {
        return new Example();
    }

    @Override
    public Example copy(Example from) {
        return Example.newBuilder(from).build();
    }

    @Override
    public Example copy(Example from, Example reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(Example example, DataOutputView out) throws IOException {
        write(example, out);
    }

    @Override
    public Example deserialize(DataInputView in) throws IOException {
        return read(in);
    }

    @Override
    public Example deserialize(Example reuse, DataInputView in) throws IOException {
        return read(in);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        write(read(source), target);
    }

    @Override
    public TypeSerializerSnapshot<Example> snapshotConfiguration() {
        return new Snapshot();
    }

    static void write(Example example, DataOutputView out) throws IOException {
        writeText(example.getId(), out);
        writeText(example.getTask(), out);
        ByteBuffer features = example.getFeatures();
        int length = features.remaining();
        out.writeInt(length);
        if (features.hasArray()) {
            out.write(features.array(), features.arrayOffset() + features.position(), length);
        } else {
            byte[] bytes = new byte[length];
            features.duplicate().get(bytes);
            out.write(bytes);
        }
        List<Integer> indices = example.getIndices();
        out.writeInt(indices == null ? -1 : indices.size());
        if (indices != null) {
            for (Integer index : indices) {
                out.writeInt(index);
            }
        }
        Integer label = example.getLabel();
        Double target = example.getTarget();
        String annotator = example.getAnnotator();
        Map<String, Object> fields = example.getFields();
        out.writeByte((label != null ? HAS_LABEL : 0) | (target != null ? HAS_TARGET : 0)
                | (annotator != null ? HAS_ANNOTATOR : 0) | (fields != null ? HAS_FIELDS : 0));
        if (label != null) {
            out.writeInt(label);
        }
        if (target != null) {
            out.writeDouble(target);
        }
        if (annotator != null) {
            writeText(annotator, out);
        }
        if (fields != null) {
            writeFields(fields, out);
        }
        out.writeLong(example.getEventTime());
        out.writeFloat(example.getWeight());
    }

    static Example read(DataInputView in) throws IOException {
        Example example = new Example();
        example.setId(readText(in));
        example.setTask(readText(in));
        byte[] features = new byte[in.readInt()];
        in.readFully(features);
        example.setFeatures(ByteBuffer.wrap(features));
        int count = in.readInt();
        if (count >= 0) {
            List<Integer> indices = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                indices.add(in.readInt());
            }
            example.setIndices(indices);
        }
        int flags = in.readByte();
        example.setLabel((flags & HAS_LABEL) != 0 ? in.readInt() : null);
        example.setTarget((flags & HAS_TARGET) != 0 ? in.readDouble() : null);
        example.setAnnotator((flags & HAS_ANNOTATOR) != 0 ? readText(in) : null);
        example.setFields((flags & HAS_FIELDS) != 0 ? readFields(in) : null);
        example.setEventTime(in.readLong());
        example.setWeight(in.readFloat());
        return example;
    }

    private static void writeFields(Map<String, Object> fields, DataOutputView out) throws IOException {
        out.writeInt(fields.size());
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            writeText(field.getKey(), out);
            Object value = field.getValue();
            if (value instanceof Double number) {
                out.writeByte(NUMBER);
                out.writeDouble(number);
            } else if (value instanceof CharSequence text) {
                out.writeByte(STRING);
                writeText(text, out);
            } else {
                List<?> strings = (List<?>) value;
                out.writeByte(STRINGS);
                out.writeInt(strings.size());
                for (Object text : strings) {
                    writeText((CharSequence) text, out);
                }
            }
        }
    }

    private static Map<String, Object> readFields(DataInputView in) throws IOException {
        int count = in.readInt();
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int f = 0; f < count; f++) {
            String name = readText(in);
            int tag = in.readByte();
            if (tag == NUMBER) {
                fields.put(name, in.readDouble());
            } else if (tag == STRING) {
                fields.put(name, readText(in));
            } else {
                int size = in.readInt();
                List<String> strings = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    strings.add(readText(in));
                }
                fields.put(name, strings);
            }
        }
        return fields;
    }

    /**
     * Latin-1 text as its length and one byte a char: read back without {@link StringValue#readString}, which
     * looks up a thread-local buffer for every string, the first cost of the train job's operators behind this
     * edge. Other text: -1, then {@link StringValue}'s encoding, which keeps every char (a lone surrogate too).
     */
    private static void writeText(CharSequence text, DataOutputView out) throws IOException {
        String string = text.toString();
        for (int i = 0; i < string.length(); i++) {
            if (string.charAt(i) > 0xFF) {
                out.writeInt(-1);
                StringValue.writeString(string, out);
                return;
            }
        }
        out.writeInt(string.length());
        out.write(string.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String readText(DataInputView in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return StringValue.readString(in);
        }
        byte[] latin1 = new byte[length];
        in.readFully(latin1);
        return new String(latin1, StandardCharsets.ISO_8859_1);
    }

    /** Its configuration snapshot: the layout has no parameters. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Example> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
