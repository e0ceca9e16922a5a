package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.kafka.SnapshotChunks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo's summary reads the models topic as compaction leaves it: a reset's tombstone ends the old model. */
class DemoModelsSeenTest {

    @Test
    void aTombstoneIsSkippedAndTheOldModelsHigherVersionsNoLongerCount() {
        ModelsTopicRecords topic = new ModelsTopicRecords()
                .add(List.of(LiveModelsTest.snapshot("default", 40)))
                .add(SnapshotChunks.split(ChunkedModelsTest.snapshot(41, 250), 100))
                .tombstone("clicks/default")
                .add(List.of(LiveModelsTest.snapshot("default", 0), LiveModelsTest.snapshot("default", 3)));

        DemoCommand.ModelsSeen seen = DemoCommand.ModelsSeen.of(LiveModels.of(topic.records(), null, null,
                LiveModels.Keep.SIZES));

        assertThat(seen.version()).as("the fresh model's newest").isEqualTo(3);
        assertThat(seen.records()).as("the fresh model's records, after the tombstone").isEqualTo(2);
    }

    @Test
    void anEmptyTopicHasNoVersion() {
        assertThat(DemoCommand.ModelsSeen.of(LiveModels.of(List.of(), null, null, LiveModels.Keep.SIZES)))
                .isEqualTo(new DemoCommand.ModelsSeen(-1, 0));
    }
}
