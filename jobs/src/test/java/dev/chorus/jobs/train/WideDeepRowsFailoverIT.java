package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WideDeepFailoverIT} with the model's rows apart ({@code --hashed-state rows}: the wide part's and the
 * embedding tables' rows in blocks of map state) on RocksDB with incremental checkpoints: two killed TaskManagers,
 * and still exactly one committed prediction per example and a model bit-identical to an uninterrupted run (its own
 * class: the kills need a MiniCluster of its own).
 */
class WideDeepRowsFailoverIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.restarts(20));

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void killedTaskManagersCostAWideDeepTaskWithItsRowsApartOnIncrementalRocksDbNothing(
            @InjectMiniCluster MiniCluster cluster, @TempDir Path checkpoints) throws Exception {
        List<Example> clicks = ClickExamples.stream(HashedFailoverIT.TASK, HashedFailoverIT.N, 23);
        ModelSnapshot last = HashedFailoverIT.trainThroughTwoKills(cluster, KAFKA.broker(),
                "wide-deep-rows-failover-it", WideDeepClicks.SPEC, clicks, TrainSettings.HashedState.ROWS,
                HashedRowsFailoverIT.incrementalRocksDb(checkpoints));
        assertThat(JobTestSupport.bytes(last.getParameters())).as("bit-identical to an uninterrupted run")
                .isEqualTo(WideDeepClicks.reference(WideDeepClicks.SPEC, clicks, false).model().toBytes());
    }
}
