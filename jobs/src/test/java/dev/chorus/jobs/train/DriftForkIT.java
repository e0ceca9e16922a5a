package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.VariantControlIT.control;
import static dev.chorus.jobs.train.VariantControlIT.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A drift reaction on a running train job: the champion's spec says {@code fork}; its labels are permuted
 * mid-stream, its detector fires, and the job writes two challengers {@code default-f1}, {@code default-f2} with
 * learning rates drawn from the spec's {@code forkSpace} around the champion's spec and other seeds to the control
 * topic, which then train beside it while it keeps serving.
 */
class DriftForkIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TASK = SearchIT.TASK;
    static final String BASE = SearchIT.BASE;
    static final String FORKING = BASE
            + ",\"drift\":{\"detector\":\"page-hinkley\",\"lambda\":20,\"reaction\":\"fork\",\"forkVariants\":2,"
            + "\"forkSpace\":{\"optimizer.learningRate\":{\"logUniform\":[0.005,0.02]}}}}";

    @Test
    void aDriftOfTheChampionForksTwoChallengersFromItsSpaceAroundItsSpec() throws Exception {
        TrainSettings settings = SearchIT.settings(KAFKA, "drift-fork-it");
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("drift-fork-it");
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker());
                ExampleProducer examples = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            // default takes the forking spec (retired, then revived) before any example; a marker variant put
            // after it shows, once live, that the topic was read that far.
            control(producer, settings, TASK + "/default", spec(TASK, "default", VariantStatus.RETIRED, null));
            control(producer, settings, TASK + "/default", spec(TASK, "default", VariantStatus.LIVE,
                    VariantSpecs.revived(FORKING)));
            control(producer, settings, TASK + "/marker", spec(TASK, "marker", VariantStatus.LIVE, BASE + "}"));
            VariantProbes.await(KAFKA.broker(), producer, settings, TASK, "marker-", "marker", true);
            control(producer, settings, TASK + "/marker", spec(TASK, "marker", VariantStatus.RETIRED, null));
            VariantProbes.await(KAFKA.broker(), producer, settings, TASK, "no-marker-", "marker", false);

            DriftResetIT.send(examples, settings, "x-", 0, 960);

            List<VariantSpecRecord> forks = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.specsTopic(),
                    r -> r.getSource().equals("drift"), 2);
            assertThat(forks).extracting(VariantSpecRecord::getVariant).containsExactly("default-f1", "default-f2");
            VariantSpec champion = VariantSpecs.parseVariant(FORKING, 16);
            assertThat(forks).allSatisfy(f -> {
                assertThat(f.getStatus()).isEqualTo(VariantStatus.LIVE);
                assertThat(f.getReason()).startsWith("drift event 1 of champion default at ");
                assertThat(VariantSpecs.parseVariant(f.getSpec(), 16).drift()).isEqualTo(champion.drift());
            });
            for (int i = 0; i < 2; i++) {
                ModelSpec fork = VariantSpecs.parseVariant(forks.get(i).getSpec(), 16).model();
                double rate = fork.optimizer().learningRate();
                assertThat(rate).as("drawn from the fork's space").isBetween(0.005, 0.02);
                assertThat(fork.seed()).isEqualTo(7 + i + 1);
                assertThat(fork.toJson()).as("the champion's spec but for the drawn rate and the seed").isEqualTo(
                        champion.model().withSeed(7 + i + 1).toJson().replace("\"learningRate\":0.05,",
                                "\"learningRate\":" + rate + ","));
                assertThat(forks.get(i).getReason()).endsWith("fork " + (i + 1) + " of 2, drawn from drift.forkSpace: "
                        + "{optimizer.learningRate=" + rate + "}");
            }
            assertThat(JobTestSupport.awaitCommitted(KAFKA.broker(), settings.championsTopic(),
                    c -> c.getStandings().stream().anyMatch(s -> s.getLastDriftAt() != null), 1))
                    .first().extracting(Champion::getVariant).isEqualTo("default");

            VariantProbes.await(KAFKA.broker(), producer, settings, TASK, "fork-", "default-f2", true);
            assertThat(JobTestSupport.read(KAFKA.broker(), settings.specsTopic()))
                    .filteredOn(r -> r.getSource().equals("drift")).as("one fork").hasSize(2);
        } finally {
            JobTestSupport.cancel(job);
        }
    }
}
