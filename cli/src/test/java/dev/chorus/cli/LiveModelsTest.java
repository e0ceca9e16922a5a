package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.ModelSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What a models topic holds live: a key's tombstone ends its snapshots, chunks and manifests before it; and what reading
 * it holds in memory: each task/variant's newest snapshot and the chunks that may complete it, whatever the versions.
 */
class LiveModelsTest {

    static ModelSnapshot snapshot(String variant, long version) {
        ModelSnapshot s = ChunkedModelsTest.snapshot(version, 10);
        s.setVariant(variant);
        return s;
    }

    private static LiveModels live(ModelsTopicRecords topic, LiveModels.Keep keep) {
        return LiveModels.of(topic.records(), null, null, keep);
    }

    private static Map<String, Long> versions(LiveModels live) {
        return live.newest().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                e -> e.getValue().getVersion()));
    }

    @Test
    void aTombstoneEndsItsKeysSnapshotsAndChunksButNotOtherKeys() {
        ModelsTopicRecords topic = new ModelsTopicRecords()
                .add(List.of(snapshot("default", 40), snapshot("slow", 9)))
                .add(SnapshotChunks.split(ChunkedModelsTest.snapshot(41, 250), 100))
                .raw("clicks/default", "not a snapshot".getBytes(StandardCharsets.UTF_8))
                .tombstone("clicks/default")
                .add(List.of(snapshot("default", 0), snapshot("default", 1)));

        LiveModels live = live(topic, LiveModels.Keep.PARAMETERS);

        assertThat(versions(live)).containsExactlyInAnyOrderEntriesOf(Map.of("clicks/slow", 9L, "clicks/default", 1L));
        assertThat(live.records()).as("slow@9, default@0, default@1").isEqualTo(3);
        assertThat(live.undecodable()).as("the undecodable record went with its key's tombstone").isZero();
    }

    @Test
    void aTombstoneWithNothingAfterItLeavesTheKeyEmptyAndRecordsAfterItCount() {
        ModelsTopicRecords topic = new ModelsTopicRecords().add(List.of(snapshot("default", 3)))
                .tombstone("clicks/default").raw("clicks/slow", "not a snapshot".getBytes(StandardCharsets.UTF_8));

        LiveModels live = live(topic, LiveModels.Keep.PARAMETERS);

        assertThat(live.newest()).isEmpty();
        assertThat(live.undecodable()).isEqualTo(1);
    }

    @Test
    void everyVersionOfAKeyBeforeCompactionLeavesOneSnapshotHeld() {
        ModelsTopicRecords topic = new ModelsTopicRecords();
        for (long v = 0; v < 1000; v++) {
            topic.add(List.of(snapshot("default", v), snapshot("slow", v)));
        }

        LiveModels live = live(topic, LiveModels.Keep.PARAMETERS);

        assertThat(live.held()).as("one snapshot per task/variant of 2000 records").isEqualTo(2);
        assertThat(versions(live)).containsExactlyInAnyOrderEntriesOf(Map.of("clicks/default", 999L,
                "clicks/slow", 999L));
        assertThat(live.records()).isEqualTo(2000);
        LiveModels slow = LiveModels.of(topic.records(), "clicks", "slow", LiveModels.Keep.PARAMETERS);
        assertThat(slow.held()).as("a reader of one variant").isEqualTo(1);
        assertThat(slow.newest()).containsOnlyKeys("clicks/slow");
    }

    @Test
    void everyChunkedVersionLeavesTheNewestManifestAndItsChunksHeld() {
        ModelsTopicRecords topic = new ModelsTopicRecords();
        for (long v = 0; v < 20; v++) {
            topic.add(SnapshotChunks.split(WarmStartModelsTest.snapshot(v, WarmStartModelsTest.counting(250, (int) v)),
                    100));
        }

        LiveModels live = live(topic, LiveModels.Keep.PARAMETERS);

        assertThat(live.held()).as("version 19's manifest and 3 chunks of 80 records").isEqualTo(4);
        ModelSnapshot newest = live.newest().get("clicks/default");
        assertThat(newest.getVersion()).isEqualTo(19L);
        assertThat(live.parameters(newest, "clicks/default")).isEqualTo(WarmStartModelsTest.counting(250, 19));

        topic.add(List.of(snapshot("default", 20)));
        assertThat(live(topic, LiveModels.Keep.PARAMETERS).held()).as("a whole version 20 supersedes the chunks")
                .isEqualTo(1);
    }

    @Test
    void theChunksOfOneVersionAboveTheNewestWaitForItsManifest() {
        List<ModelSnapshot> six = SnapshotChunks.split(WarmStartModelsTest.snapshot(6,
                WarmStartModelsTest.counting(250, 6)), 100);
        ModelsTopicRecords topic = new ModelsTopicRecords()
                .add(SnapshotChunks.split(WarmStartModelsTest.snapshot(3, WarmStartModelsTest.counting(250, 3)), 100))
                .add(SnapshotChunks.split(WarmStartModelsTest.snapshot(5, WarmStartModelsTest.counting(250, 5)), 100)
                        .subList(0, 3))
                .add(six.subList(0, 3));

        LiveModels waiting = live(topic, LiveModels.Keep.PARAMETERS);
        assertThat(waiting.newest().get("clicks/default").getVersion()).isEqualTo(3L);
        assertThat(waiting.held()).as("version 3's manifest and chunks, version 6's chunks; not version 5's")
                .isEqualTo(7);

        LiveModels complete = live(topic.add(six.subList(3, 4)), LiveModels.Keep.PARAMETERS);
        assertThat(complete.held()).isEqualTo(4);
        assertThat(complete.parameters(complete.newest().get("clicks/default"), "clicks/default"))
                .isEqualTo(WarmStartModelsTest.counting(250, 6));
    }

    @Test
    void forSizesOnlyTheParametersAreNotHeld() {
        ModelsTopicRecords topic = new ModelsTopicRecords().add(List.of(snapshot("slow", 4)))
                .add(SnapshotChunks.split(ChunkedModelsTest.snapshot(7, 250), 100));

        LiveModels live = live(topic, LiveModels.Keep.SIZES);

        assertThat(live.newest().values()).allSatisfy(m -> assertThat(m.getParameters().remaining()).isZero());
        assertThat(live.parameterBytes(live.newest().get("clicks/slow"))).isEqualTo(10);
        assertThat(live.parameterBytes(live.newest().get("clicks/default"))).isEqualTo(250);
    }
}
