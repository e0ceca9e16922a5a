package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.VariantControlIT.control;
import static dev.chorus.jobs.train.VariantControlIT.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A serve job of one variant ({@code --variant fixed}) beside the train job, on a real broker: the variant is reset in
 * place (a LIVE record with {@code "revive":true}, what a drift reset writes), then retired and revived; after each,
 * its fresh model's snapshots count from version 0 again, and the serve job, which held a higher version of the old
 * model, serves the fresh one (the train job tombstones the variant's key in the step that restarts it, and publishes
 * the fresh model's version 0 right after). The serve job reads its own examples topic, which gets every example the
 * train job gets once the old model is served: with {@code --max-waiting-per-task} 8, an example waiting on a missing
 * model across a restart (the fresh model's first update takes 10 minibatches) would be a dead letter; none is, and
 * every example on its topic is served exactly once. Each snapshot carries its model's generation, the offset of the
 * control record that started it, and the champion records after the revival name the revival's.
 */
class ResetServeIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(4, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TASK = SearchIT.TASK;
    static final String VARIANT = "fixed";
    static final String SPEC = SearchIT.BASE + "}";
    static final String REVIVE = SearchIT.BASE + ",\"revive\":true}";

    @Test
    void aServeJobOfAResetOrRevivedVariantServesItsFreshModel() throws Exception {
        TrainSettings train = SearchIT.settings(KAFKA, "reset-serve-it");
        ServeSettings serve = new ServeSettings().bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("reset-serve-it-serve").variant(VARIANT).checkpointIntervalMs(300).parallelism(2)
                .maxWaitingPerTask(8)
                .examplesTopic(new Topic<>("served.examples", Example.class, train.examplesTopic().format()))
                .predictionsTopic(new Topic<>("served.predictions", Prediction.class,
                        train.predictionsTopic().format()))
                .deadLetterTopic(new Topic<>("served.dead-letters", DeadLetter.class,
                        train.deadLetterTopic().format()));
        JobTestSupport.createTopics(KAFKA.broker(), train, 2);
        JobTestSupport.createTopics(KAFKA.broker(), serve, 2);
        StreamExecutionEnvironment trainEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(trainEnv, train);
        JobClient trainJob = trainEnv.executeAsync("reset-serve-it-train");
        JobClient serveJob = null;
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker());
                ExampleProducer examples = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            long created = control(producer, train, TASK + "/" + VARIANT,
                    spec(TASK, VARIANT, VariantStatus.LIVE, SPEC));
            VariantProbes.await(KAFKA.broker(), producer, train, TASK, "probe-", VARIANT, true);

            // 30 minibatches of 16: snapshots 10, 20 and 30 of the old model; the serve job starts on them and
            // answers with 30.
            SearchIT.send(examples, train, "a-", 0, 480);
            JobTestSupport.awaitCommitted(KAFKA.broker(), train.modelsTopic(),
                    m -> m.getVariant().equals(VARIANT) && m.getVersion() == 30, 1);
            StreamExecutionEnvironment serveEnv = StreamExecutionEnvironment.getExecutionEnvironment();
            ServeJob.build(serveEnv, serve);
            serveJob = serveEnv.executeAsync("reset-serve-it-serve");
            serveUntil(serve, examples, "old", v -> v == 30);

            long reset = control(producer, train, TASK + "/" + VARIANT,
                    spec(TASK, VARIANT, VariantStatus.LIVE, REVIVE));
            trainFreshModel(train, serve, examples, "b");
            assertThat(serveUntil(serve, examples, "reset", v -> v < 30)).as("the reset model's version 0 or its "
                    + "first trained snapshot").isIn(0L, 10L);

            // Retired, then revived: its first trained snapshot is 10 again, so the reset model first grows to 20.
            send(train, serve, examples, "c-", 0, 192);
            serveUntil(serve, examples, "grown", v -> v >= 20);
            control(producer, train, TASK + "/" + VARIANT, spec(TASK, VARIANT, VariantStatus.RETIRED, null));
            VariantProbes.await(KAFKA.broker(), producer, train, TASK, "gone-", VARIANT, false);
            long revived = control(producer, train, TASK + "/" + VARIANT,
                    spec(TASK, VARIANT, VariantStatus.LIVE, REVIVE));
            trainFreshModel(train, serve, examples, "d");
            assertThat(serveUntil(serve, examples, "revived", v -> v < 20)).as("the revived model's version 0 or its "
                    + "first trained snapshot").isIn(0L, 10L);

            int sent = JobTestSupport.read(KAFKA.broker(), serve.examplesTopic()).size();
            List<Prediction> served = JobTestSupport.awaitCommitted(KAFKA.broker(), serve.predictionsTopic(),
                    p -> true, sent);
            assertThat(served.stream().collect(Collectors.groupingBy(Prediction::getId, Collectors.counting())))
                    .as("every example served exactly once").hasSize(sent)
                    .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            assertThat(JobTestSupport.read(KAFKA.broker(), serve.deadLetterTopic())).as("serve dead letters")
                    .isEmpty();
            var codec = train.modelsTopic().codec();
            List<ModelSnapshot> models = TopicReader.readAll(KAFKA.broker().bootstrapServers(), Map.of(),
                    train.modelsTopic().name(), v -> v == null ? null : codec.decode(v)).stream()
                    .filter(m -> m != null && m.getVariant().equals(VARIANT)).toList();
            assertThat(models).extracting(ModelSnapshot::getGeneration).as("one generation per start of the model")
                    .isSorted().containsOnly(created, reset, revived);
            assertThat(models).filteredOn(m -> m.getVersion() == 0).extracting(ModelSnapshot::getGeneration)
                    .as("each restart's version 0").containsExactly(reset, revived);
            JobTestSupport.awaitCommitted(KAFKA.broker(), train.championsTopic(), c -> c.getGenerations() != null
                    && Long.valueOf(revived).equals(c.getGenerations().get(VARIANT)), 1);
        } finally {
            if (serveJob != null) {
                JobTestSupport.cancel(serveJob);
            }
            JobTestSupport.cancel(trainJob);
        }
    }

    /** Rows {@code from..from+count-1} ({@code prefix}) to the train job's examples topic and to the serve job's. */
    private static void send(TrainSettings train, ServeSettings serve, ExampleProducer examples, String prefix,
            int from, int count) {
        SearchIT.send(examples, train, prefix, from, count);
        for (int row = from; row < from + count; row++) {
            examples.send(serve.examplesTopic(), ExampleProducer.example(SearchIT.DATA, row, TASK, prefix, 0));
        }
        examples.flush();
    }

    /**
     * Streams labelled rows ({@code prefix}) to both jobs, 16 every 100 ms until the trainer predicts one with model
     * version 0 (its restart reached it), then 160 more: the fresh model's first trained snapshot, version 10, and not
     * 20; meanwhile the serve job answers them with the fresh model's version 0.
     */
    private static void trainFreshModel(TrainSettings train, ServeSettings serve, ExampleProducer examples,
            String prefix) throws Exception {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        int round = 0;
        while (JobTestSupport.read(KAFKA.broker(), train.predictionsTopic()).stream().noneMatch(p ->
                p.getVariant().equals(VARIANT) && p.getId().startsWith(prefix) && p.getModelVersion() == 0)) {
            assertThat(Instant.now()).as("the trainer restarts " + VARIANT).isBefore(deadline);
            send(train, serve, examples, prefix + round + "-", 16 * (round % 30), 16);
            round++;
            Thread.sleep(100);
        }
        send(train, serve, examples, prefix + "-fresh-", 0, 160);
    }

    /**
     * Sends one unlabelled example at a time until the serve job answers one with a version {@code wanted}; returns
     * that version.
     */
    private static long serveUntil(ServeSettings serve, ExampleProducer examples, String prefix, LongPredicate wanted)
            throws Exception {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        long last = -1;
        for (int probe = 0; Instant.now().isBefore(deadline); probe++) {
            Example example = ExampleProducer.example(SearchIT.DATA, probe, TASK, prefix, 0);
            example.setLabel(null);
            examples.send(serve.examplesTopic(), example);
            examples.flush();
            String id = example.getId();
            last = JobTestSupport.awaitCommitted(KAFKA.broker(), serve.predictionsTopic(), p -> p.getId().equals(id), 1)
                    .get(0).getModelVersion();
            if (wanted.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the serve job of " + VARIANT + " answered " + prefix + " probes with version " + last
                + " until " + JobTestSupport.PATIENCE + " passed, never with the version wanted");
    }
}
