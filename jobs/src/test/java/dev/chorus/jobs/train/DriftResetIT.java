package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.VariantControlIT.control;
import static dev.chorus.jobs.train.VariantControlIT.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The drift reaction {@code reset} on a running train job: the champion's labels are permuted mid-stream, its
 * detector fires, and the job retires and revives it through the control topic: its model versions restart at 0,
 * it predicts on, the other variant serves meanwhile, and the champions record gives the event as the reason.
 */
class DriftResetIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TASK = SearchIT.TASK;
    static final String RESETTING = SearchIT.BASE
            + ",\"drift\":{\"detector\":\"page-hinkley\",\"lambda\":20,\"reaction\":\"reset\"}}";

    @Test
    void aDriftOfTheChampionUnderResetRestartsItOnceThroughTheControlTopic() throws Exception {
        TrainSettings settings = SearchIT.settings(KAFKA, "drift-reset-it");
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("drift-reset-it");
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker());
                ExampleProducer examples = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            // default takes the resetting spec before any example; steady, without drift, serves during the reset.
            control(producer, settings, TASK + "/default", spec(TASK, "default", VariantStatus.RETIRED, null));
            control(producer, settings, TASK + "/default", spec(TASK, "default", VariantStatus.LIVE, RESETTING));
            control(producer, settings, TASK + "/steady", spec(TASK, "steady", VariantStatus.LIVE,
                    SearchIT.BASE + "}"));
            VariantProbes.await(KAFKA.broker(), producer, settings, TASK, "steady-", "steady", true);

            send(examples, settings, "x-", 0, 960);
            List<VariantSpecRecord> reset = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.specsTopic(),
                    r -> r.getSource().equals("drift"), 2);
            assertThat(reset).extracting(VariantSpecRecord::getVariant, VariantSpecRecord::getStatus).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("default", VariantStatus.RETIRED),
                    org.assertj.core.groups.Tuple.tuple("default", VariantStatus.LIVE));
            String reason = reset.get(0).getReason();
            assertThat(reason).startsWith("drift event 1 of champion default at ").endsWith("reset to fresh weights");
            assertThat(reset.get(1).getReason()).isEqualTo(reason);
            VariantSpec revived = VariantSpecs.parseVariant(reset.get(1).getSpec(), 16);
            assertThat(revived.revive()).isTrue();
            assertThat(revived.model()).isEqualTo(VariantSpecs.parseVariant(RESETTING, 16).model());

            long before = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic()).stream()
                    .filter(p -> p.getVariant().equals("default") && p.getId().startsWith("x-"))
                    .mapToLong(Prediction::getModelVersion).max().orElseThrow();
            assertThat(before).as("default trained before its reset").isGreaterThan(10);
            awaitFreshDefault(examples, settings);

            send(examples, settings, "after-", 480, 480);
            List<Prediction> after = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                    p -> p.getVariant().equals("default") && p.getId().startsWith("after-"), 480);
            assertThat(after.stream().mapToLong(Prediction::getModelVersion).min().orElseThrow())
                    .as("its versions count from 0 again: below those before the reset").isLessThan(before);

            Champion succession = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.championsTopic(),
                    c -> standing(c, "default").filter(s -> s.getStatus() == StandingStatus.RETIRED).isPresent(), 1)
                    .get(0);
            assertThat(succession.getVariant()).as("steady serves while default restarts").isEqualTo("steady");
            assertThat(standing(succession, "default").orElseThrow().getRetiredReason()).isEqualTo(reason);
            Champion back = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.championsTopic(),
                    c -> c.getUpdatedAt() > succession.getUpdatedAt() && standing(c, "default")
                            .filter(s -> s.getStatus() != StandingStatus.RETIRED && s.getLabelledExamples() > 0)
                            .isPresent(), 1).get(0);
            VariantStanding d = standing(back, "default").orElseThrow();
            assertThat(d.getLastDriftAt()).isNotNull();
            assertThat(d.getRetiredReason()).isNull();
            assertThat(d.getLabelledExamples()).as("its record started again at the revival").isLessThan(960);

            assertThat(JobTestSupport.read(KAFKA.broker(), settings.specsTopic()))
                    .filteredOn(r -> r.getSource().equals("drift")).as("one reset, exactly once").hasSize(2);
        } finally {
            job.cancel().get();
        }
    }

    /**
     * Rows {@code from} on of {@link SearchIT#DATA}, ids with {@code prefix}; from row 480 the concept changes: every
     * class is renamed.
     */
    static void send(ExampleProducer examples, TrainSettings settings, String prefix, int from, int count) {
        for (int row = from; row < from + count; row++) {
            Example e = ExampleProducer.example(SearchIT.DATA, row, TASK, prefix, 0);
            if (row >= 480) {
                e.setLabel((e.getLabel() + 1) % 3);
            }
            examples.send(settings.examplesTopic(), e);
        }
        examples.flush();
    }

    /** Sends unlabelled probes until default, revived, predicts one with a fresh model (version 0). */
    private static void awaitFreshDefault(ExampleProducer examples, TrainSettings settings) throws Exception {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        boolean fresh = false;
        for (int round = 0; !fresh && Instant.now().isBefore(deadline); round++) {
            Example probe = ExampleProducer.example(SearchIT.DATA, 0, TASK, "back-" + round + "-", 0);
            probe.setLabel(null);
            examples.send(settings.examplesTopic(), probe);
            examples.flush();
            Thread.sleep(300);
            fresh = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic()).stream().anyMatch(p ->
                    p.getId().startsWith("back-") && p.getVariant().equals("default") && p.getModelVersion() == 0);
        }
        assertThat(fresh).as("a probe predicted by the revived default at version 0").isTrue();
    }

    private static Optional<VariantStanding> standing(Champion c, String variant) {
        return c.getStandings().stream().filter(s -> s.getVariant().equals(variant)).findFirst();
    }
}
