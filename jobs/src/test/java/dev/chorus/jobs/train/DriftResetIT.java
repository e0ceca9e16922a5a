package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.VariantControlIT.control;
import static dev.chorus.jobs.train.VariantControlIT.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.VariantSpec;
import dev.chorus.embedded.EmbeddedKafkaBroker;
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
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The drift reaction {@code reset} on a running train job: the champion's labels are permuted mid-stream, its
 * detector fires, and the job resets it in place through the control topic: its model versions restart at 0,
 * it predicts on, the other variant serves meanwhile, and the champions record gives the event as the reason. Examples
 * keep coming while the reset is applied: none is a dead letter, and each has one prediction of each variant. The
 * drift is reset once: the old model's predictions still on their way when the reset reaches the race are not the
 * fresh record's, so the fresh detector never sees the fresh model's first, wrong, minibatches as a rise.
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
    void aDriftOfTheChampionUnderResetRestartsItInPlaceThroughTheControlTopic() throws Exception {
        TrainSettings settings = SearchIT.settings(KAFKA, "drift-reset-it");
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("drift-reset-it");
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker());
                ExampleProducer examples = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            defaultAndSteady(KAFKA.broker(), producer, settings, RESETTING);

            send(examples, settings, "x-", 0, 960);
            List<String> during = streamThroughTheReset(KAFKA.broker(), examples, settings);
            List<VariantSpecRecord> reset = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.specsTopic(),
                    r -> r.getSource().equals("drift"), 1);

            long before = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic()).stream()
                    .filter(p -> p.getVariant().equals("default") && p.getId().startsWith("x-"))
                    .mapToLong(Prediction::getModelVersion).max().orElseThrow();
            assertThat(before).as("default trained before its reset").isGreaterThan(10);
            // Its versions count from 0 again: the fresh model's first minibatch, of rows sent during the reset.
            assertThat(JobTestSupport.readNow(KAFKA.broker(), settings.predictionsTopic()))
                    .anyMatch(DriftResetIT::freshDuring);

            Set<String> sent = assertOnePredictionOfEachVariantAndNoDeadLetter(KAFKA.broker(), settings, during);

            send(examples, settings, "after-", 480, 480);
            JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                    p -> p.getVariant().equals("default") && p.getId().startsWith("after-"), 480);

            assertThat(reset.get(0)).satisfies(r -> {
                assertThat(r.getVariant()).isEqualTo("default");
                assertThat(r.getStatus()).isEqualTo(VariantStatus.LIVE);
            });
            String reason = reset.get(0).getReason();
            assertThat(reason).startsWith("drift event 1 of champion default at ").endsWith("reset to fresh weights");
            VariantSpec revived = VariantSpecs.parseVariant(reset.get(0).getSpec(), 16);
            assertThat(revived.revive()).isTrue();
            assertThat(revived.model()).isEqualTo(VariantSpecs.parseVariant(RESETTING, 16).model());

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
            assertThat(d.getLabelledExamples()).as("its record started again at the revival")
                    .isLessThan(sent.size() + 480);

            JobTestSupport.awaitCommitted(KAFKA.broker(), settings.championsTopic(), c -> standing(c, "default")
                    .filter(s -> s.getStatus() != StandingStatus.RETIRED && s.getLabelledExamples() >= 480).isPresent(),
                    1);
            Long drifted = standing(succession, "default").orElseThrow().getLastDriftAt();
            assertThat(JobTestSupport.read(KAFKA.broker(), settings.championsTopic()))
                    .filteredOn(c -> c.getUpdatedAt() >= succession.getUpdatedAt())
                    .extracting(c -> standing(c, "default").orElseThrow().getLastDriftAt())
                    .as("no drift of default's fresh model").containsOnly(drifted);
            assertThat(JobTestSupport.read(KAFKA.broker(), settings.specsTopic()))
                    .filteredOn(r -> r.getSource().equals("drift")).extracting(VariantSpecRecord::getReason)
                    .as("one drift, one reset, exactly once").containsExactly(reason);
        } finally {
            JobTestSupport.cancel(job);
        }
    }

    /**
     * Gives default {@code spec} before any example (retired, then revived with it) and puts steady, without drift, which
     * serves while default restarts; returns once steady predicts.
     */
    static void defaultAndSteady(EmbeddedKafkaBroker kafka, KafkaProducer<byte[], byte[]> producer,
            TrainSettings settings, String spec) throws Exception {
        control(producer, settings, TASK + "/default", spec(TASK, "default", VariantStatus.RETIRED, null));
        control(producer, settings, TASK + "/default", spec(TASK, "default", VariantStatus.LIVE,
                VariantSpecs.revived(spec)));
        control(producer, settings, TASK + "/steady", spec(TASK, "steady", VariantStatus.LIVE, SearchIT.BASE + "}"));
        VariantProbes.await(kafka, producer, settings, TASK, "steady-", "steady", true);
    }

    /**
     * The ids sent, rows 0 to 960 and {@code during}, once each variant, steady and default, has predicted each of them
     * exactly once, and none of them is a dead letter (the setup's probes are, sent while default was retired).
     */
    static Set<String> assertOnePredictionOfEachVariantAndNoDeadLetter(EmbeddedKafkaBroker kafka,
            TrainSettings settings, List<String> during) throws InterruptedException {
        Set<String> sent = new HashSet<>(during);
        IntStream.range(0, 960).forEach(row -> sent.add("x--" + row));
        for (String variant : List.of("steady", "default")) {
            assertThat(JobTestSupport.awaitCommitted(kafka, settings.predictionsTopic(),
                    p -> p.getVariant().equals(variant) && sent.contains(p.getId()), sent.size()))
                    .extracting(Prediction::getId).as("%s predicts each example once, through the restart", variant)
                    .doesNotHaveDuplicates().hasSize(sent.size());
        }
        assertThat(JobTestSupport.read(kafka, settings.deadLetterTopic()))
                .filteredOn(d -> !new String(JobTestSupport.bytes(d.getKey()), StandardCharsets.UTF_8)
                        .startsWith("steady-"))
                .as("no example is a dead letter of the restart").isEmpty();
        return sent;
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

    /**
     * Sends rows of the changed concept, 32 every 100 ms, until default's fresh model has predicted one of them: a
     * committed prediction of a {@code during} row by default at version 0, which only a minibatch closed after the
     * restart gives (the model had trained on the 960 rows before, and a full minibatch alone closes one), so that
     * examples keep coming while the job applies the drift's restart and the fresh model predicts on; returns their
     * ids.
     */
    static List<String> streamThroughTheReset(EmbeddedKafkaBroker kafka, ExampleProducer examples,
            TrainSettings settings) throws Exception {
        List<String> ids = new ArrayList<>();
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        boolean restarted = false;
        for (int round = 0; !restarted && Instant.now().isBefore(deadline); round++) {
            send(examples, settings, "during" + round + "-", 480 + 32 * (round % 15), 32);
            for (int row = 480 + 32 * (round % 15); row < 512 + 32 * (round % 15); row++) {
                ids.add("during" + round + "--" + row);
            }
            Thread.sleep(100);
            restarted = round % 5 == 4 && JobTestSupport.readNow(kafka, settings.predictionsTopic()).stream()
                    .anyMatch(DriftResetIT::freshDuring);
        }
        assertThat(restarted).as("a prediction of default's fresh model, version 0, of a row sent during the "
                + "restart, committed within %s", JobTestSupport.PATIENCE).isTrue();
        return ids;
    }

    /** Whether {@code p} is default's prediction, at version 0, of a row sent by {@link #streamThroughTheReset}. */
    static boolean freshDuring(Prediction p) {
        return p.getVariant().equals("default") && p.getId().startsWith("during") && p.getModelVersion() == 0;
    }

    static Optional<VariantStanding> standing(Champion c, String variant) {
        return c.getStandings().stream().filter(s -> s.getVariant().equals(variant)).findFirst();
    }
}
