package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.ModelSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a models topic holds live: a key's tombstone ends its snapshots, chunks and manifests before it. */
class LiveModelsTest {

    static ModelSnapshot snapshot(String variant, long version) {
        ModelSnapshot s = ChunkedModelsTest.snapshot(version, 10);
        s.setVariant(variant);
        return s;
    }

    @Test
    void aTombstoneEndsItsKeysSnapshotsAndChunksButNotOtherKeys() {
        ModelsTopicRecords topic = new ModelsTopicRecords()
                .add(List.of(snapshot("default", 40), snapshot("slow", 9)))
                .add(SnapshotChunks.split(ChunkedModelsTest.snapshot(41, 250), 100))
                .raw("clicks/default", "not a snapshot".getBytes(StandardCharsets.UTF_8))
                .tombstone("clicks/default")
                .add(List.of(snapshot("default", 0), snapshot("default", 1)));

        LiveModels live = LiveModels.of(topic.records());

        assertThat(live.snapshots()).extracting(m -> m.getVariant() + "@" + m.getVersion())
                .containsExactly("slow@9", "default@0", "default@1");
        assertThat(live.undecodable()).as("the undecodable record went with its key's tombstone").isZero();
    }

    @Test
    void aTombstoneWithNothingAfterItLeavesTheKeyEmptyAndRecordsAfterItCount() {
        ModelsTopicRecords topic = new ModelsTopicRecords().add(List.of(snapshot("default", 3)))
                .tombstone("clicks/default").raw("clicks/slow", "not a snapshot".getBytes(StandardCharsets.UTF_8));

        LiveModels live = LiveModels.of(topic.records());

        assertThat(live.snapshots()).isEmpty();
        assertThat(live.undecodable()).isEqualTo(1);
    }
}
