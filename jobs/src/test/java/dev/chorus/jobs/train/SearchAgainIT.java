package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.VariantControlIT.control;
import static dev.chorus.jobs.train.VariantControlIT.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link SearchIT}'s search, its first rung decided, then the train job started again without a savepoint. */
class SearchAgainIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    /**
     * A train job started again without a savepoint on the same topics reads the control topic from its start: it
     * expands the search again (fresh models) and then meets the first job's rung retirements. The search resumes as
     * they say: the retired stay retired, the survivors train on, and the rungs go on at rung 1 (128 examples), which
     * retires one of the two.
     */
    @Test
    void aFreshJobResumesTheSearchTheControlTopicRecordsAtItsNextRung() throws Exception {
        TrainSettings settings = SearchIT.settings(KAFKA, "search-again-it");
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        List<String> slow = SearchIT.drawn(true);
        List<String> fast = SearchIT.drawn(false);
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker())) {
            JobClient first = SearchIT.start(settings, "search-first");
            try {
                control(producer, settings, SearchIT.TASK + "/hp",
                        spec(SearchIT.TASK, "hp", VariantStatus.LIVE, SearchIT.SEARCH));
                VariantProbes.await(KAFKA.broker(), producer, settings, SearchIT.TASK, "add-", "hp-s3", true);
                SearchIT.sendInOrder(producer, settings, "rung-", 0, 64);
                JobTestSupport.awaitCommitted(KAFKA.broker(), settings.specsTopic(),
                        r -> r.getSource().equals("search"), 2);
                // Else the next job reads again those of the rung's examples whose offsets this one had not
                // committed, maybe before it reads the rung's retirements on the control topic: its search then
                // starts afresh at rung 0 and meets them as retirements from outside, which end it (a CI run).
                JobTestSupport.awaitGroupCaughtUp(KAFKA.broker(), settings.groupId(),
                        settings.examplesTopic().name(), 0);
            } finally {
                JobTestSupport.cancel(first);
            }

            JobClient again = SearchIT.start(settings, "search-again");
            try {
                for (String v : slow) {
                    VariantProbes.await(KAFKA.broker(), producer, settings, SearchIT.TASK, "gone-" + v + "-", v,
                            false);
                }
                for (String v : fast) {
                    VariantProbes.await(KAFKA.broker(), producer, settings, SearchIT.TASK, "kept-" + v + "-", v,
                            true);
                }
                // Rung 1's 128 examples.
                SearchIT.sendInOrder(producer, settings, "again-", 64, 128);
                List<VariantSpecRecord> decided = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.specsTopic(),
                        r -> r.getSource().equals("search"), 3);
                assertThat(decided).hasSize(3);
                assertThat(decided.get(2).getVariant()).isIn(fast);
                assertThat(decided.get(2).getReason()).startsWith("search hp rung 1 of 2 over 128 examples: ");
                assertThat(JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic()))
                        .filteredOn(p -> p.getId().startsWith("again-")).extracting(Prediction::getVariant)
                        .as("the first job's retirements stand").doesNotContainAnyElementsOf(slow)
                        .contains("default", fast.get(0), fast.get(1));
            } finally {
                JobTestSupport.cancel(again);
            }
        }
    }
}
