package dev.chorus.jobs.kafka;

import dev.chorus.schemas.Example;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The Flink type of records that one of Chorus's own stateless serializers writes: {@link #EXAMPLE},
 * {@link #SOURCED_EXAMPLE} and {@link #RECEIVED_EXAMPLE}, for the network edges that carry decoded examples.
 */
public final class SerializerTypeInfo<T> extends TypeInformation<T> {
    private static final long serialVersionUID = 1L;

    public static final TypeInformation<Example> EXAMPLE =
            new SerializerTypeInfo<>(Example.class, ExampleSerializer.INSTANCE);

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static final TypeInformation<Sourced<Example>> SOURCED_EXAMPLE =
            new SerializerTypeInfo<>((Class) Sourced.class, SourcedExampleSerializer.INSTANCE);

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static final TypeInformation<Received<Example>> RECEIVED_EXAMPLE =
            new SerializerTypeInfo<>((Class) Received.class, ReceivedExampleSerializer.INSTANCE);

    /** The type of records {@code serializer} writes, for other stateless serializers of the jobs' edges. */
    public static <T> TypeInformation<T> of(Class<T> type, TypeSerializer<T> serializer) {
        return new SerializerTypeInfo<>(type, serializer);
    }

    private final Class<T> type;
    private final TypeSerializer<T> serializer;

    private SerializerTypeInfo(Class<T> type, TypeSerializer<T> serializer) {
        this.type = type;
        this.serializer = serializer;
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return type;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return serializer;
    }

    @Override
    public String toString() {
        return type.getSimpleName() + " (" + serializer.getClass().getSimpleName() + ")";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SerializerTypeInfo<?> that && that.canEqual(this) && type.equals(that.type)
                && serializer.getClass().equals(that.serializer.getClass());
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, serializer.getClass());
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof SerializerTypeInfo<?>;
    }
}
