package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import java.util.List;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link HashedFailoverIT} for a wide and deep task: the TaskManager is killed twice while named-field click examples
 * flow; after recovery every example has exactly one committed prediction, and the published model (wide part,
 * embedding tables, network and both optimizers' state) is bit-identical to model-core's {@code WideDeepModel}
 * trained on the same input without interruption, its open minibatch included in every checkpoint.
 */
class WideDeepFailoverIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.restarts(20));

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void killedTaskManagersCostAWideDeepTaskNothing(@InjectMiniCluster MiniCluster cluster) throws Exception {
        List<Example> clicks = ClickExamples.stream(HashedFailoverIT.TASK, HashedFailoverIT.N, 21);
        ModelSnapshot last = HashedFailoverIT.trainThroughTwoKills(cluster, KAFKA.broker(), "wide-deep-failover-it",
                WideDeepClicks.SPEC, clicks);
        assertThat(JobTestSupport.bytes(last.getParameters())).as("bit-identical to an uninterrupted run")
                .isEqualTo(WideDeepClicks.reference(WideDeepClicks.SPEC, clicks, false).model().toBytes());
    }
}
