package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.ModelSnapshot;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code chorus tail} names a chunk and a manifest as such; {@code chorus models} counts a chunked version once. */
class ChunkedModelsTest {

    static ModelSnapshot snapshot(long version, int bytes) {
        return ModelSnapshot.newBuilder().setTask("clicks").setVariant("default").setVersion(version)
                .setAlgorithm("logistic-regression").setSpec("{}").setParametersFormat(1)
                .setParameters(ByteBuffer.wrap(new byte[bytes])).setExamplesSeen(version * 16).setMetrics(Map.of())
                .setCreatedAt(1_700_000_123_456L).setProvenance(Map.of()).build();
    }

    @Test
    void tailNamesAChunkAndAManifest() {
        List<ModelSnapshot> parts = SnapshotChunks.split(snapshot(3, 250), 100);

        assertThat(parts).extracting(RecordLines::line).containsExactly(
                "model clicks/default v3 logistic-regression examples=48 parameters=100 bytes (format 1) "
                        + "[chunk 0 of 3] createdAt=2023-11-14T22:15:23.456Z",
                "model clicks/default v3 logistic-regression examples=48 parameters=100 bytes (format 1) "
                        + "[chunk 1 of 3] createdAt=2023-11-14T22:15:23.456Z",
                "model clicks/default v3 logistic-regression examples=48 parameters=50 bytes (format 1) "
                        + "[chunk 2 of 3] createdAt=2023-11-14T22:15:23.456Z",
                "model clicks/default v3 logistic-regression examples=48 parameters=0 bytes (format 1) "
                        + "[manifest of 3 chunks] createdAt=2023-11-14T22:15:23.456Z");
    }

    @Test
    void modelsShowsTheNewestVersionOnceWithItsChunksSize() {
        ModelsTopicRecords topic = new ModelsTopicRecords().add(List.of(snapshot(2, 80)))
                .add(SnapshotChunks.split(snapshot(3, 250), 100));

        ModelsCommand.Newest newest = ModelsCommand.Newest.of(topic.records(), null);

        assertThat(newest.models()).containsOnlyKeys("clicks/default");
        ModelSnapshot shown = newest.models().get("clicks/default");
        assertThat(shown.getVersion()).isEqualTo(3L);
        assertThat(newest.size(shown)).isEqualTo("250 B in 3 chunks");
        assertThat(newest.undecodable()).isZero();
    }

    @Test
    void modelsShowsTheFreshModelAfterATombstoneAndNothingForAKeyEndedByOne() {
        ModelsTopicRecords topic = new ModelsTopicRecords();
        for (long v = 30; v <= 40; v++) {
            topic.add(List.of(snapshot(v, 80)));
        }
        topic.tombstone("clicks/default");
        for (long v = 0; v <= 5; v++) {
            topic.add(List.of(snapshot(v, 80)));
        }
        ModelSnapshot slow = snapshot(7, 80);
        slow.setVariant("slow");
        topic.add(List.of(slow)).tombstone("clicks/slow");

        ModelsCommand.Newest newest = ModelsCommand.Newest.of(topic.records(), null);

        assertThat(newest.models()).containsOnlyKeys("clicks/default");
        assertThat(newest.models().get("clicks/default").getVersion()).as("the fresh model's newest").isEqualTo(5L);
    }

    /** A skip-gram's version 4, with the prequential metrics a model that predicts nothing carries (NaN, 0). */
    static ModelSnapshot skipGram() {
        ModelSnapshot skipGram = snapshot(4, 80);
        skipGram.setAlgorithm("skip-gram");
        skipGram.setMetrics(Map.of("prequentialAccuracy", Double.NaN, "prequentialLoss", Double.NaN,
                "prequentialWindowCount", 0.0, "predictions", 0.0, "pairs", 5120.0));
        return skipGram;
    }

    @Test
    void modelsShowsASkipGramsPairsAndNoAccuracyItDoesNotHave() {
        ModelSnapshot skipGram = skipGram();
        StringWriter text = new StringWriter();

        ModelsCommand.printTable(new PrintWriter(text, true),
                ModelsCommand.Newest.of(new ModelsTopicRecords().add(List.of(skipGram)).records(), null));

        assertThat(text.toString()).contains("pairs=5120").doesNotContain("NaN").doesNotContain("prequential")
                .doesNotContain("predictions");
    }

    @Test
    void tailShowsASkipGramsPairsAsModelsDoes() {
        assertThat(RecordLines.line(skipGram())).isEqualTo("model clicks/default v4 skip-gram examples=64 parameters=80 "
                + "bytes (format 1) pairs=5120 createdAt=2023-11-14T22:15:23.456Z");
    }
}
