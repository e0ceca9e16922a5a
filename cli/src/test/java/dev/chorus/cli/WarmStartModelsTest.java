package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.select.WarmStart;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.ModelSnapshot;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** A fork's model: the newest snapshot of the variant, reassembled from its chunks and checked against its digest. */
class WarmStartModelsTest {

    static List<ConsumerRecord<byte[], byte[]>> encoded(List<ModelSnapshot> snapshots) {
        return new ModelsTopicRecords().add(snapshots).records();
    }

    static ModelSnapshot snapshot(long version, byte[] parameters) {
        ModelSnapshot s = ChunkedModelsTest.snapshot(version, parameters.length);
        s.setParameters(ByteBuffer.wrap(parameters));
        return s;
    }

    static byte[] counting(int n, int from) {
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = (byte) (from + i);
        }
        return bytes;
    }

    @Test
    void aWarmStartFileThatIsNotThereIsSaidSo() {
        WarmStart missing = new WarmStart(null, "target/no-such-dir/fashion.model", true);

        assertThatThrownBy(() -> WarmStartModels.read(missing, "fashion", null, "chorus.models"))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessage("cannot read the model file target/no-such-dir/fashion.model: no such file");
    }

    @Test
    void theNewestVersionIsReassembledFromItsChunksInIndexOrder() {
        List<ModelSnapshot> parts = new ArrayList<>(SnapshotChunks.split(snapshot(3, counting(250, 0)), 100));
        parts.add(0, snapshot(2, counting(10, 7)));
        List<ModelSnapshot> shuffled = List.of(parts.get(0), parts.get(3), parts.get(1), parts.get(2), parts.get(4));

        assertThat(WarmStartModels.latest(encoded(shuffled), "clicks", "default", "chorus.models"))
                .isEqualTo(counting(250, 0));
        assertThat(WarmStartModels.latest(encoded(List.of(parts.get(0))), "clicks", "default", "chorus.models"))
                .isEqualTo(counting(10, 7));
    }

    private static final String WAIT_FOR_A_SNAPSHOT = ": the train job publishes a variant's model every "
            + "--snapshot-every-batches minibatches (default 50) and, when it changed, every --snapshot-interval-ms "
            + "(default 30 s); try again then (chorus models lists the snapshots)";

    @Test
    void aMissingChunkOrAVariantWithoutSnapshotsIsSaid() {
        List<ModelSnapshot> parts = new ArrayList<>(SnapshotChunks.split(snapshot(3, counting(250, 0)), 100));
        parts.remove(1);

        assertThatIllegalStateException()
                .isThrownBy(() -> WarmStartModels.latest(encoded(parts), "clicks", "default", "chorus.models"))
                .withMessage("clicks/default version 3 on chorus.models: chunk 1 of 3 is missing");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> WarmStartModels.latest(encoded(parts), "clicks", "slow", "chorus.models"))
                .withMessage("no snapshot of clicks/slow on chorus.models to fork yet" + WAIT_FOR_A_SNAPSHOT);
    }

    @Test
    void aForkAfterAResetTakesTheFreshModelNotTheOldOnesHigherVersions() {
        ModelsTopicRecords topic = new ModelsTopicRecords();
        for (long v = 30; v <= 40; v++) {
            topic.add(List.of(snapshot(v, counting(10, (int) v))));
        }
        topic.add(SnapshotChunks.split(snapshot(41, counting(250, 41)), 100)).tombstone("clicks/default");
        for (long v = 0; v <= 5; v++) {
            topic.add(List.of(snapshot(v, counting(10, 100 + (int) v))));
        }

        assertThat(WarmStartModels.latest(topic.records(), "clicks", "default", "chorus.models"))
                .as("version 5 of the fresh model, written after the tombstone").isEqualTo(counting(10, 105));
    }

    @Test
    void theChunksOfAVersionBeforeATombstoneDoNotCompleteAFreshManifest() {
        ModelsTopicRecords topic = new ModelsTopicRecords()
                .add(SnapshotChunks.split(snapshot(3, counting(250, 0)), 100)).tombstone("clicks/default");
        List<ModelSnapshot> fresh = new ArrayList<>(SnapshotChunks.split(snapshot(3, counting(250, 0)), 100));
        fresh.remove(1);
        topic.add(fresh);

        assertThatIllegalStateException()
                .isThrownBy(() -> WarmStartModels.latest(topic.records(), "clicks", "default", "chorus.models"))
                .withMessage("clicks/default version 3 on chorus.models: chunk 1 of 3 is missing");
    }

    @Test
    void aTombstoneWithNothingAfterItLeavesNothingToFork() {
        ModelsTopicRecords topic = new ModelsTopicRecords().add(List.of(snapshot(7, counting(10, 0))))
                .tombstone("clicks/default");

        assertThatIllegalArgumentException()
                .isThrownBy(() -> WarmStartModels.latest(topic.records(), "clicks", "default", "chorus.models"))
                .withMessage("no snapshot of clicks/default on chorus.models to fork yet" + WAIT_FOR_A_SNAPSHOT);
    }
}
