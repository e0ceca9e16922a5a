package dev.chorus.jobs.kafka;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/** Flink type information for Chorus's Avro records: Flink's Avro serializer, never a Kryo fallback. */
public final class AvroTypes {
    private AvroTypes() {}

    public static <T extends SpecificRecordBase> TypeInformation<T> of(Class<T> type) {
        return new AvroTypeInfo<>(type);
    }
}
