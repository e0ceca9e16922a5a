package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.DriftResetIT.standing;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.LearnerWarmStart;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.core.select.WarmStart;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The drift reaction {@code rewarm} on a running train job, on the stream of {@link DriftResetIT} (every class renamed
 * mid-stream): the champion's detector fires, the job rewarms it in place through the control topic, and its trainer
 * restarts it from its own weights. On the models topic the variant's key gets its tombstone, then a version 0 whose
 * weights are those of the last snapshot before it (a snapshot per update, so the weights the variant had) and whose
 * optimizer starts afresh: what tells a rewarm from a reset, whose version 0 has fresh weights. Examples keep coming
 * meanwhile: each has one prediction of each variant, and none is a dead letter.
 */
class DriftRewarmIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TASK = SearchIT.TASK;
    static final String REWARMING = SearchIT.BASE
            + ",\"drift\":{\"detector\":\"page-hinkley\",\"lambda\":20,\"reaction\":\"rewarm\"}}";

    @Test
    void aDriftOfTheChampionUnderRewarmRestartsItFromItsOwnWeightsThroughTheControlTopic() throws Exception {
        TrainSettings settings = SearchIT.settings(KAFKA, "drift-rewarm-it").snapshotEveryBatches(1);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("drift-rewarm-it");
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker());
                ExampleProducer examples = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            DriftResetIT.defaultAndSteady(KAFKA.broker(), producer, settings, REWARMING);

            DriftResetIT.send(examples, settings, "x-", 0, 960);
            List<String> during = DriftResetIT.streamThroughTheReset(KAFKA.broker(), examples, settings);
            VariantSpecRecord rewarm = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.specsTopic(),
                    r -> r.getSource().equals("drift"), 1).get(0);
            assertThat(rewarm.getVariant()).isEqualTo("default");
            assertThat(rewarm.getInitialModel()).isNull();
            assertThat(rewarm.getReason()).startsWith("drift event 1 of champion default at ")
                    .endsWith("rewarm: its own weights, optimizer and schedule restarted");
            VariantSpec revived = VariantSpecs.parseVariant(rewarm.getSpec(), 16);
            assertThat(revived.revive()).isTrue();
            assertThat(revived.warmStart()).contains(new WarmStart("default", null, false));
            ModelSpec model = VariantSpecs.parseVariant(REWARMING, 16).model();
            assertThat(revived.model()).isEqualTo(model);

            ModelSnapshot[] restart = awaitRestart(settings);
            assertThat(restart[1].getVersion()).isZero();
            OnlineLearner before = OnlineLearner.fromBytes(JobTestSupport.bytes(restart[0].getParameters()));
            OnlineLearner after = OnlineLearner.fromBytes(JobTestSupport.bytes(restart[1].getParameters()));
            float[] x = SearchIT.DATA.features();
            float[] was = new float[SearchIT.DATA.size() * 3];
            float[] is = new float[SearchIT.DATA.size() * 3];
            before.predictProbaBatch(x, SearchIT.DATA.size(), was);
            after.predictProbaBatch(x, SearchIT.DATA.size(), is);
            assertThat(is).as("version 0 has the weights of the last snapshot before the rewarm").containsExactly(was);
            assertThat(after.toBytes()).as("and its optimizer, schedule and counts from step 0")
                    .isEqualTo(LearnerWarmStart.startFrom(model, before, false).toBytes());
            assertThat(after.steps()).isZero();
            assertThat(after.examplesSeen()).isZero();

            DriftResetIT.assertOnePredictionOfEachVariantAndNoDeadLetter(KAFKA.broker(), settings, during);

            Champion succession = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.championsTopic(),
                    c -> standing(c, "default").filter(s -> s.getStatus() == StandingStatus.RETIRED).isPresent(), 1)
                    .get(0);
            assertThat(standing(succession, "default").orElseThrow().getRetiredReason()).isEqualTo(rewarm.getReason());
        } finally {
            JobTestSupport.cancel(job);
        }
    }

    /**
     * The last snapshot of variant default before the first tombstone of its key that follows a snapshot of version
     * above 10, and the first snapshot after that tombstone: the rewarm's, as the setup's revival tombstones the key
     * after at most a few versions (of probes that reached default before it was retired).
     */
    private static ModelSnapshot[] awaitRestart(TrainSettings settings) throws InterruptedException {
        String key = Variants.topicKey(TASK, "default");
        var codec = settings.modelsTopic().codec();
        long deadline = System.nanoTime() + JobTestSupport.PATIENCE.toNanos();
        while (true) {
            ModelSnapshot last = null;
            boolean tombstoned = false;
            for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAllRecords(KAFKA.broker().bootstrapServers(),
                    Map.of(), settings.modelsTopic().name())) {
                if (!new String(r.key(), StandardCharsets.UTF_8).equals(key)) {
                    continue;
                }
                if (r.value() == null) {
                    tombstoned = last != null && last.getVersion() > 10;
                } else if (tombstoned) {
                    return new ModelSnapshot[] {last, codec.decode(r.value())};
                } else {
                    last = codec.decode(r.value());
                }
            }
            assertThat(System.nanoTime()).as("a version 0 of %s after a tombstone, within %s", key,
                    JobTestSupport.PATIENCE).isLessThan(deadline);
            Thread.sleep(100); // polling interval while the job commits its next checkpoint
        }
    }
}
