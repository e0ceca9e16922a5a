package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.snapshots;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.WideExamples;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A hashed FTRL task at 2^22 dimensions saves three floats and an index per row it touched: after one minibatch of
 * {@link WideExamples}, over 16 MiB, more than one record holds, so the train job emits it as chunks of at most {@link SnapshotChunks#MAX_CHUNK_BYTES} in index order and its
 * manifest last, which together hold exactly the model's bytes.
 */
class ChunkedSnapshotTrainTest {

    @Test
    void aSnapshotOverTheBoundIsEmittedAsChunksThenItsManifest() throws Exception {
        List<Example> clicks = WideExamples.stream("clicks", 0, 16);
        ClickExamples.Reference reference = ClickExamples.reference(WideExamples.SPEC, clicks, false);
        byte[] expected = reference.model().toBytes();
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.of(null, Map.of("clicks", WideExamples.SPEC)))
                .snapshotEveryBatches(1).snapshotIntervalMs(0).batchTimeoutMs(0);
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new TrainerHarness(settings, metrics.environment())) {
            h.open();
            for (int i = 0; i < clicks.size(); i++) {
                h.processElement(sourced(clicks.get(i), i), i);
            }
            List<ModelSnapshot> parts = snapshots(h);
            int chunks = (expected.length + SnapshotChunks.MAX_CHUNK_BYTES - 1) / SnapshotChunks.MAX_CHUNK_BYTES;
            assertThat(expected.length).isGreaterThan(16 << 20);
            assertThat(parts.size()).isEqualTo(chunks + 1);
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            for (int k = 0; k < chunks; k++) {
                ModelSnapshot chunk = parts.get(k);
                assertThat(chunk.getChunk()).isEqualTo(k);
                assertThat(chunk.getChunks()).isEqualTo(chunks);
                assertThat(chunk.getVersion()).isEqualTo(1L);
                assertThat(SnapshotChunks.key(chunk)).isEqualTo("clicks/default#" + k);
                assertThat(chunk.getParameters().remaining()).isLessThanOrEqualTo(SnapshotChunks.MAX_CHUNK_BYTES);
                joined.writeBytes(HashedTrainingTest.bytes(chunk.getParameters()));
            }
            assertThat(joined.toByteArray()).isEqualTo(expected);
            ModelSnapshot manifest = parts.get(chunks);
            assertThat(SnapshotChunks.key(manifest)).isEqualTo("clicks/default");
            assertThat(manifest.getChunk()).isNull();
            assertThat(manifest.getChunks()).isEqualTo(chunks);
            assertThat(manifest.getParameters().remaining()).isZero();
            assertThat(manifest.getDigest()).isEqualTo(ByteBuffer.wrap(SnapshotChunks.sha256(ByteBuffer.wrap(expected))));
            Map<String, String> labels = Map.of("task", "clicks", "variant", "default");
            assertThat(metrics.find(TrainMetricsTest.PREFIX + "snapshotBytes", labels)).singleElement()
                    .satisfies(m -> assertThat(m.value()).isEqualTo(expected.length));
            assertThat(metrics.find(TrainMetricsTest.PREFIX + "snapshotChunks", labels)).singleElement()
                    .satisfies(m -> assertThat(m.value()).isEqualTo(chunks));
        }
    }
}
