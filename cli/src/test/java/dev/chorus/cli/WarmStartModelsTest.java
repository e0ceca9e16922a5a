package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A fork's model: the newest snapshot of the variant, reassembled from its chunks and checked against its digest. */
class WarmStartModelsTest {

    static List<byte[]> encoded(List<ModelSnapshot> snapshots) {
        var codec = WireFormat.AVRO.codec(ModelSnapshot.class);
        List<byte[]> values = new ArrayList<>();
        snapshots.forEach(s -> values.add(codec.encode(s)));
        return values;
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
    void theNewestVersionIsReassembledFromItsChunksInIndexOrder() {
        List<ModelSnapshot> parts = new ArrayList<>(SnapshotChunks.split(snapshot(3, counting(250, 0)), 100));
        parts.add(0, snapshot(2, counting(10, 7)));
        List<ModelSnapshot> shuffled = List.of(parts.get(0), parts.get(3), parts.get(1), parts.get(2), parts.get(4));

        assertThat(WarmStartModels.latest(encoded(shuffled), "clicks", "default", "chorus.models"))
                .isEqualTo(counting(250, 0));
        assertThat(WarmStartModels.latest(encoded(List.of(parts.get(0))), "clicks", "default", "chorus.models"))
                .isEqualTo(counting(10, 7));
    }

    @Test
    void aMissingChunkOrAVariantWithoutSnapshotsIsSaid() {
        List<ModelSnapshot> parts = new ArrayList<>(SnapshotChunks.split(snapshot(3, counting(250, 0)), 100));
        parts.remove(1);

        assertThatIllegalStateException()
                .isThrownBy(() -> WarmStartModels.latest(encoded(parts), "clicks", "default", "chorus.models"))
                .withMessage("clicks/default version 3 on chorus.models: chunk 1 of 3 is missing");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> WarmStartModels.latest(encoded(parts), "clicks", "slow", "chorus.models"))
                .withMessage("no snapshot of clicks/slow on chorus.models to fork yet");
    }
}
