package dev.chorus.cli;

import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Hand-made records of one models-topic partition, in offset order, keyed as the train job keys them. */
final class ModelsTopicRecords {
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();

    /** Each snapshot (a whole one, a chunk or a manifest) under {@link SnapshotChunks#key}. */
    ModelsTopicRecords add(List<ModelSnapshot> snapshots) {
        var codec = WireFormat.AVRO.codec(ModelSnapshot.class);
        snapshots.forEach(s -> raw(SnapshotChunks.key(s), codec.encode(s)));
        return this;
    }

    /** A tombstone for {@code key}, as {@code chorus models reset} and a variant's reset or revival write it. */
    ModelsTopicRecords tombstone(String key) {
        return raw(key, null);
    }

    ModelsTopicRecords raw(String key, byte[] value) {
        records.add(new ConsumerRecord<>("chorus.models", 0, records.size(), key.getBytes(StandardCharsets.UTF_8),
                value));
        return this;
    }

    List<ConsumerRecord<byte[], byte[]>> records() {
        return records;
    }
}
