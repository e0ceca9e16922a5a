package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Which tasks {@code --spec} seeds: those whose {@code task/default} key holds no record the job would take. */
class SpecSeedingTest {
    private static final RecordCodec<VariantSpecRecord> CODEC = WireFormat.AVRO.codec(VariantSpecRecord.class);
    private final List<ConsumerRecord<byte[], byte[]>> control = new ArrayList<>();

    @Test
    void aKeyWithARecordOrATombstoneIsLeftAndAnotherVariantOrAnUnreadableValueDoesNotCount() {
        put("live/default", record("live", "default", VariantStatus.LIVE));
        put("retired/default", record("retired", "default", VariantStatus.RETIRED));
        put("gone/default", null);
        put("other/fast", record("other", "fast", VariantStatus.LIVE));
        put("junk/default", "not avro".getBytes(StandardCharsets.UTF_8));

        assertThat(SpecSeeding.absent(Set.of("live", "retired", "gone", "other", "junk", "new"), control, CODEC))
                .containsExactly("junk", "new", "other");
        assertThat(SpecSeeding.absent(Set.of(), control, CODEC)).isEmpty();
    }

    /** Bytes the JSON codec once failed on with an UncheckedIOException, which stopped the job before it started. */
    @Test
    void aValueJacksonTakesForUtf32DoesNotCountOnAJsonControlTopic() {
        put("junk/default", new byte[] {0, 0, (byte) 0xFF, (byte) 0xFE});

        assertThat(SpecSeeding.absent(Set.of("junk"), control, WireFormat.JSON.codec(VariantSpecRecord.class)))
                .containsExactly("junk");
    }

    private void put(String key, byte[] value) {
        control.add(new ConsumerRecord<>("chorus.specs", 0, control.size(), key.getBytes(StandardCharsets.UTF_8),
                value));
    }

    private static byte[] record(String task, String variant, VariantStatus status) {
        return CODEC.encode(VariantSpecRecord.newBuilder().setTask(task).setVariant(variant).setStatus(status)
                .setSpec(status == VariantStatus.LIVE ? "{}" : null).setUpdatedAt(0L).setSource("test").build());
    }
}
