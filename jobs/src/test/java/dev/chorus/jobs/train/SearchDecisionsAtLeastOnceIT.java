package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --decisions-at-least-once}: an exactly-once train job whose first checkpoint is ten minutes away writes its
 * search's RETIRED records outside its transactions, so they are on the control topic for every committed reader (the
 * job's own control source included) while none of its predictions is yet. Without the setting they would wait for
 * that checkpoint, and the retired variants would train on until then.
 */
class SearchDecisionsAtLeastOnceIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void aRungsRetirementsAreCommittedBeforeTheJobsFirstCheckpoint() throws Exception {
        TrainSettings settings = SearchIT.settings(KAFKA, "decisions-alo-it").decisionsAtLeastOnce(true);
        assertThat(settings.exactlyOnce()).isTrue();
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        List<String> slow = SearchIT.drawn(true);
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker())) {
            // On the topic before the job starts: a fresh job routes its first example once it has read it.
            VariantControlIT.control(producer, settings, SearchIT.TASK + "/hp",
                    VariantControlIT.spec(SearchIT.TASK, "hp", VariantStatus.LIVE, SearchIT.SEARCH));
            JobClient job = JobTestSupport.startTrainWithoutCheckpoints(settings, "decisions-alo-it");
            try {
                SearchIT.sendInOrder(producer, settings, "rung-", 0, 64);

                List<VariantSpecRecord> decided = JobTestSupport.awaitCommitted(KAFKA.broker(),
                        settings.specsTopic(), r -> "search".equals(r.getSource()), 2);
                assertThat(decided).extracting(VariantSpecRecord::getVariant)
                        .containsExactlyInAnyOrderElementsOf(slow);
                assertThat(decided).allSatisfy(r -> {
                    assertThat(r.getStatus()).isEqualTo(VariantStatus.RETIRED);
                    assertThat(r.getReason()).startsWith("search hp rung 0 of 2 over 64 examples: ");
                });
                assertThat(TopicReader.readAll(KAFKA.broker().bootstrapServers(), Map.of(),
                        settings.predictionsTopic().name(), b -> b))
                        .as("the predictions wait for the checkpoint, exactly once").isEmpty();
            } finally {
                JobTestSupport.cancel(job);
            }
        }
    }
}
