package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HashedFailoverIT} with the hashed model's rows apart ({@code --hashed-state rows}, {@link HashedRowsState})
 * on RocksDB with incremental checkpoints: two killed TaskManagers, and still exactly one committed prediction per
 * example and a model bit-identical to an uninterrupted run (its own class: the kills need a MiniCluster of its own).
 */
class HashedRowsFailoverIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.restarts(20));

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void killedTaskManagersCostAHashedTaskWithItsRowsApartOnIncrementalRocksDbNothing(
            @InjectMiniCluster MiniCluster cluster, @TempDir Path checkpoints) throws Exception {
        List<Example> clicks = ClickExamples.stream(HashedFailoverIT.TASK, HashedFailoverIT.N, 22);
        ModelSnapshot last = HashedFailoverIT.trainThroughTwoKills(cluster, KAFKA.broker(), "hashed-rows-failover-it",
                ClickExamples.SPEC, clicks, TrainSettings.HashedState.ROWS, incrementalRocksDb(checkpoints));
        assertThat(JobTestSupport.bytes(last.getParameters())).as("bit-identical to an uninterrupted run")
                .isEqualTo(ClickExamples.reference(ClickExamples.SPEC, clicks, false).model().toBytes());
    }

    /** RocksDB with incremental checkpoints to files under {@code checkpoints}. */
    static Configuration incrementalRocksDb(Path checkpoints) {
        Configuration rocksDb = new Configuration();
        rocksDb.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        rocksDb.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        rocksDb.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        rocksDb.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        return rocksDb;
    }
}
