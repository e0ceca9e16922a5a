package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.SearchState;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --decisions-at-least-once} across a restore: a job decides its search's first rung after the savepoint it is
 * later restored from, and its RETIRED records are on the control topic already. The restored job reads them before
 * it routes what its examples source replays, takes them as its own decision of that rung (not as retirements from
 * outside, which would stop the search), and decides the next rung itself.
 */
class SearchDecisionAdoptedIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void aRestoredJobAdoptsTheRungItsEarlierAttemptDecidedAfterTheSavepoint(@TempDir Path savepoints)
            throws Exception {
        TrainSettings settings = SearchIT.settings(KAFKA, "decision-adopted-it").decisionsAtLeastOnce(true);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        List<String> slow = SearchIT.drawn(true);
        List<String> fast = SearchIT.drawn(false);
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker())) {
            VariantControlIT.control(producer, settings, SearchIT.TASK + "/hp",
                    VariantControlIT.spec(SearchIT.TASK, "hp", VariantStatus.LIVE, SearchIT.SEARCH));
            JobClient first = JobTestSupport.startTrainWithoutCheckpoints(settings, "decision-adopted-it");
            String savepoint;
            List<VariantSpecRecord> leaked;
            try {
                SearchIT.sendInOrder(producer, settings, "rung-", 0, 32);
                // Half of rung 0 at most: the rung is decided after the savepoint, by this attempt alone.
                savepoint = savepoint(first, savepoints);
                SearchIT.sendInOrder(producer, settings, "rung-", 32, 32);
                leaked = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.specsTopic(),
                        r -> "search".equals(r.getSource()), 2);
            } finally {
                JobTestSupport.cancel(first);
            }
            assertThat(leaked).extracting(VariantSpecRecord::getVariant).containsExactlyInAnyOrderElementsOf(slow);
            String rung0 = leaked.get(0).getReason();
            assertThat(rung0).startsWith("search hp rung 0 of 2 over 64 examples: ");

            JobClient restored = JobTestSupport.startTrain(settings.checkpointIntervalMs(300), savepoint,
                    "decision-adopted-it");
            try {
                SearchIT.sendInOrder(producer, settings, "after-", 64, 128);
                List<Champion> finished = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.championsTopic(),
                        c -> c.getSearches().stream().anyMatch(s -> s.getState() == SearchState.FINISHED), 1);

                assertThat(finished.get(0).getSearches()).singleElement().satisfies(s -> {
                    assertThat(s.getDecisions()).hasSize(2);
                    assertThat(s.getDecisions().get(0)).as("the earlier attempt's rung 0").isEqualTo(rung0);
                    assertThat(s.getDecisions().get(1)).startsWith("search hp rung 1 of 2 over 128 examples: ");
                    assertThat(s.getLive()).singleElement().isIn(fast);
                });
                List<VariantSpecRecord> decided = JobTestSupport.read(KAFKA.broker(), settings.specsTopic()).stream()
                        .filter(r -> "search".equals(r.getSource())).toList();
                assertThat(decided).as("rung 0 written once, by the earlier attempt; rung 1 by the restored job")
                        .hasSize(3);
                assertThat(decided.get(2).getVariant()).isIn(fast);
                assertThat(decided.get(2).getReason()).isEqualTo(finished.get(0).getSearches().get(0).getDecisions()
                        .get(1));
                JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                        p -> p.getId().startsWith("after-") && p.getVariant().equals("default"), 128);
                assertThat(JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic()))
                        .filteredOn(p -> p.getId().startsWith("after-")).extracting(Prediction::getVariant)
                        .as("the retired variants predict no more").doesNotContainAnyElementsOf(slow);
            } finally {
                JobTestSupport.cancel(restored);
            }
        }
    }

    /** A savepoint of {@code job}, once it has started all its tasks (until then Flink refuses to take one). */
    private static String savepoint(JobClient job, Path dir) throws Exception {
        long deadline = System.nanoTime() + JobTestSupport.PATIENCE.toNanos();
        while (true) {
            try {
                return job.triggerSavepoint(dir.toUri().toString(), SavepointFormatType.CANONICAL).get();
            } catch (ExecutionException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
                Thread.sleep(200); // retry interval, bounded by the deadline above
            }
        }
    }

}
