package dev.chorus.jobs.kafka;

import dev.chorus.schemas.Example;
import java.util.Map;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/** Flink type information for Chorus's Avro records: Flink's Avro serializer, never a Kryo fallback. */
public final class AvroTypes {
    /**
     * The state type of a {@link Sourced} example: the record's fields by name, the example in Avro's serializer (its
     * schema still evolves; the network's {@link SourcedExampleSerializer} does not, so state never uses it).
     */
    public static final TypeInformation<Sourced<Example>> SOURCED_EXAMPLE = sourcedExample();

    private AvroTypes() {}

    public static <T extends SpecificRecordBase> TypeInformation<T> of(Class<T> type) {
        return new AvroTypeInfo<>(type);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static TypeInformation<Sourced<Example>> sourcedExample() {
        return (TypeInformation) Types.POJO(Sourced.class, Map.of("value", of(Example.class),
                "partition", Types.INT, "offset", Types.LONG));
    }
}
