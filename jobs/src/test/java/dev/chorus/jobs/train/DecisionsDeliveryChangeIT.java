package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --decisions-at-least-once} turned on, then off again, across savepoints of a job running a search: the
 * spec-decisions sink keeps its uid while its delivery changes, each run restores the one before, every example is
 * predicted exactly once by each variant live when it was routed, and each rung's retirements are written once and
 * applied before the restored job routes its next example.
 */
class DecisionsDeliveryChangeIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void theDecisionsDeliveryMayChangeAcrossSavepointsBothWays(@TempDir Path savepoints) throws Exception {
        TrainSettings settings = SearchIT.settings(KAFKA, "decisions-delivery-it");
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        List<String> slow = SearchIT.drawn(true);
        List<String> fast = SearchIT.drawn(false);
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker())) {
            VariantControlIT.control(producer, settings, SearchIT.TASK + "/hp",
                    VariantControlIT.spec(SearchIT.TASK, "hp", VariantStatus.LIVE, SearchIT.SEARCH));

            // Exactly once: rung 0 (64 examples) retires the slow half.
            JobClient job = JobTestSupport.startTrain(settings.decisionsAtLeastOnce(false), null,
                    "decisions-delivery-it");
            SearchIT.sendInOrder(producer, settings, "rung-", 0, 64);
            awaitDecisions(settings, 2);
            String savepoint = stop(job, savepoints.resolve("exactly-once"));

            // At least once: rung 1 (128 examples) retires one of the fast half.
            job = JobTestSupport.startTrain(settings.decisionsAtLeastOnce(true), savepoint, "decisions-delivery-it");
            SearchIT.sendInOrder(producer, settings, "after-", 64, 128);
            List<VariantSpecRecord> decided = awaitDecisions(settings, 3);
            savepoint = stop(job, savepoints.resolve("at-least-once"));
            String loser = decided.get(2).getVariant();
            assertThat(loser).isIn(fast);
            String winner = fast.get(0).equals(loser) ? fast.get(1) : fast.get(0);

            // Exactly once again.
            job = JobTestSupport.startTrain(settings.decisionsAtLeastOnce(false), savepoint, "decisions-delivery-it");
            try {
                SearchIT.sendInOrder(producer, settings, "late-", 192, 64);
                JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                        p -> p.getId().startsWith("late-"), 2 * 64);
            } finally {
                JobTestSupport.cancel(job);
            }

            List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
            assertThat(predictions.stream().collect(Collectors.groupingBy(p -> p.getId() + " " + p.getVariant(),
                    Collectors.counting()))).as("no example predicted twice by a variant").allSatisfy(
                            (key, n) -> assertThat(n).as(key).isEqualTo(1));
            Map<String, Long> rung = count(predictions, "rung-");
            Map<String, Long> after = count(predictions, "after-");
            Map<String, Long> late = count(predictions, "late-");
            assertThat(rung).isEqualTo(Map.of("default", 64L, "hp-s0", 64L, "hp-s1", 64L, "hp-s2", 64L, "hp-s3", 64L));
            assertThat(after).as("the slow half retired before the restored job routed an example")
                    .isEqualTo(Map.of("default", 128L, fast.get(0), 128L, fast.get(1), 128L));
            assertThat(late).isEqualTo(Map.of("default", 64L, winner, 64L));
            assertThat(JobTestSupport.read(KAFKA.broker(), settings.specsTopic()))
                    .filteredOn(r -> "search".equals(r.getSource())).extracting(VariantSpecRecord::getVariant)
                    .as("each rung's retirements written once").containsExactlyInAnyOrder(slow.get(0), slow.get(1),
                            loser);
        }
    }

    private static List<VariantSpecRecord> awaitDecisions(TrainSettings settings, int n) throws Exception {
        return JobTestSupport.awaitCommitted(KAFKA.broker(), settings.specsTopic(),
                r -> "search".equals(r.getSource()), n);
    }

    private static Map<String, Long> count(List<Prediction> predictions, String prefix) {
        return predictions.stream().filter(p -> p.getId().startsWith(prefix))
                .collect(Collectors.groupingBy(Prediction::getVariant, TreeMap::new, Collectors.counting()));
    }

    private static String stop(JobClient job, Path dir) throws Exception {
        return job.stopWithSavepoint(false, dir.toUri().toString(), SavepointFormatType.CANONICAL).get();
    }

}
