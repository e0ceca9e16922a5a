package dev.chorus.jobs.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.cli.ChorusCli;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The serve job against a real Kafka broker and a MiniCluster, exactly once: examples waiting for the first
 * model, an older version rejected, a hot swap to a newer one, and a restart from a savepoint that serves at
 * once with the model restored from state.
 */
class ServeJobIT {

    private static final List<JobClient> STARTED = new java.util.ArrayList<>();

    static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            JobTestSupport.miniCluster(2, METRICS.addToConfiguration(JobTestSupport.failFast()));

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void servesWaitsSwapsAndRestartsFromStateExactlyOnce(@TempDir Path savepoints) throws Exception {
        ServeSettings settings = new ServeSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("serve-it")
                .checkpointIntervalMs(300)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        RecordCodec<ModelSnapshot> models = settings.modelsTopic().codec();

        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            // Examples before any model exists: they wait.
            send(producer, settings, "early", 0, 40);
            JobClient job = start(settings, null);

            // The first model answers every waiting example.
            producer.sendRaw(settings.modelsTopic().name(), "t/default", models.encode(ServeFunctionTest.snapshot("t", 3)));
            producer.flush();
            List<Prediction> early = await(settings, p -> p.getId().startsWith("early-"), 40);
            assertThat(early).extracting(Prediction::getModelVersion).containsOnly(3L);

            // An older version is ignored: later examples still get version 3.
            producer.sendRaw(settings.modelsTopic().name(), "t/default", models.encode(ServeFunctionTest.snapshot("t", 1)));
            send(producer, settings, "after-older", 0, 30);
            assertThat(await(settings, p -> p.getId().startsWith("after-older-"), 30))
                    .extracting(Prediction::getModelVersion).containsOnly(3L);

            // A newer version replaces it without a restart: probe until it answers, then everything is version 8.
            producer.sendRaw(settings.modelsTopic().name(), "t/default", models.encode(ServeFunctionTest.snapshot("t", 8)));
            producer.flush();
            int probes = probeUntilVersion(producer, settings, "probe", 8);
            send(producer, settings, "after-newer", 0, 30);
            assertThat(await(settings, p -> p.getId().startsWith("after-newer-"), 30))
                    .extracting(Prediction::getModelVersion).containsOnly(8L);
            // Per task and variant: each instance serves version 8, and together they made every prediction.
            assertThat(taskMetrics(job, "modelVersion")).hasSize(2)
                    .allSatisfy(m -> assertThat(((Gauge<?>) m).getValue()).isEqualTo(8L));
            assertThat(taskMetrics(job, "predictions").stream().mapToLong(m -> ((Counter) m).getCount()).sum())
                    .isEqualTo(40 + 30 + probes + 30);

            // Stop with a savepoint and restart from it: served at once by the model restored from state.
            String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(),
                    SavepointFormatType.CANONICAL).get();
            send(producer, settings, "after-restart", 0, 30);
            JobClient restarted = start(settings, savepoint);
            assertThat(await(settings, p -> p.getId().startsWith("after-restart-"), 30))
                    .extracting(Prediction::getModelVersion).containsOnly(8L);
            JobTestSupport.cancel(restarted);

            // Exactly once across swaps and the restart: every example id appears once.
            List<Prediction> all = read(settings);
            int expected = 40 + 30 + probes + 30 + 30;
            assertThat(all).hasSize(expected);
            Map<String, Long> counts = all.stream().collect(Collectors.groupingBy(Prediction::getId, Collectors.counting()));
            assertThat(counts).hasSize(expected).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            // Versions never go backwards for the task.
            List<Long> versions = all.stream().sorted((a, b) -> Long.compare(a.getProducedAt(), b.getProducedAt()))
                    .map(Prediction::getModelVersion).toList();
            for (int i = 1; i < versions.size(); i++) {
                assertThat(versions.get(i)).isGreaterThanOrEqualTo(versions.get(i - 1));
            }
        }
    }

    @Test
    void aPoisonedSnapshotIsDeadLetteredAndTheResetCommandUnpinsATaskPinnedByABogusVersion() throws Exception {
        ServeSettings settings = settings("poison").checkpointIntervalMs(300);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        RecordCodec<ModelSnapshot> models = settings.modelsTopic().codec();
        String topic = settings.modelsTopic().name();

        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            JobClient job = start(settings, null);
            producer.sendRaw(topic, "t/default", models.encode(ServeFunctionTest.snapshot("t", 3)));
            send(producer, settings, "before", 0, 10);
            assertThat(await(settings, p -> p.getId().startsWith("before-"), 10))
                    .extracting(Prediction::getModelVersion).containsOnly(3L);

            // A 300-byte snapshot declaring 2e9 weights: a dead letter, once (its spec is beyond the serve job's
            // --max-model-parameters, checked before anything of it is built), and the job keeps serving version 3.
            ModelSnapshot poisoned = ServeFunctionTest.snapshot("t", 9);
            poisoned.setParameters(ByteBuffer.wrap(ServeFunctionTest.forgedHugeDimensions()));
            producer.sendRaw(topic, "t/default", models.encode(poisoned));
            producer.flush();
            DeadLetter rejected = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.deadLetterTopic(),
                    d -> d.getTopic().equals(topic), 1).get(0);
            assertThat(rejected.getField()).isEqualTo("parameters");
            assertThat(rejected.getReason())
                    .startsWith("model \"t/default\" version 9: field 'parameters' does not load: ")
                    .contains("expected a model of at most --max-model-parameters=100,000,000 parameters, "
                            + "got 2,000,002,000");
            send(producer, settings, "after-poison", 0, 10);
            assertThat(await(settings, p -> p.getId().startsWith("after-poison-"), 10))
                    .extracting(Prediction::getModelVersion).containsOnly(3L);

            // A snapshot holding a NaN weight would answer NaN to everything: a dead letter, and version 3 serves on.
            producer.sendRaw(topic, "t/default",
                    models.encode(ServeFunctionTest.withWeights(ServeFunctionTest.snapshot("t", 10), Float.NaN)));
            producer.flush();
            DeadLetter nan = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.deadLetterTopic(),
                    d -> d.getReason().startsWith("model \"t/default\" version 10: "), 1).get(0);
            assertThat(nan.getField()).isEqualTo("parameters");
            assertThat(nan.getReason()).contains("field 'parameters' does not load: expected finite weights and "
                    + "statistics, got a model whose parameter '");
            send(producer, settings, "after-nan", 0, 10);
            assertThat(await(settings, p -> p.getId().startsWith("after-nan-"), 10))
                    .extracting(Prediction::getModelVersion).containsOnly(3L);

            // Finite weights that overflow with the examples' features: the model is served, but every answer it
            // gives is NaN, so each is the example's dead letter, never a prediction; a sound version replaces it.
            producer.sendRaw(topic, "t/default", models.encode(
                    ServeFunctionTest.withWeights(ServeFunctionTest.snapshot("t", 11), Float.MAX_VALUE)));
            producer.flush();
            DeadLetter overflow = probeUntilDeadLetter(producer, settings, "overflow");
            assertThat(overflow.getField()).isEqualTo("prediction");
            assertThat(overflow.getReason()).isEqualTo("field 'prediction': expected finite class probabilities, "
                    + "got NaN for class 0 (model \"t/default\" version 11: its weights and these features overflow "
                    + "float32)");
            producer.sendRaw(topic, "t/default", models.encode(ServeFunctionTest.snapshot("t", 12)));
            producer.flush();
            probeUntilVersion(producer, settings, "recovered", 12);

            // A valid model with version Long.MAX_VALUE pins the task: nothing the train job publishes is newer.
            ModelSnapshot bogus = ServeFunctionTest.snapshot("t", 4);
            bogus.setVersion(Long.MAX_VALUE);
            producer.sendRaw(topic, "t/default", models.encode(bogus));
            producer.flush();
            probeUntilVersion(producer, settings, "pinned", Long.MAX_VALUE);

            // The command writes a tombstone; the serve job forgets the pinned model and takes the next snapshot.
            StringWriter out = new StringWriter();
            CommandLine cli = ChorusCli.commandLine();
            cli.setOut(new PrintWriter(out));
            int exit = cli.execute("models", "reset", "--task", "t", "--models-topic", topic,
                    "--bootstrap-servers", KAFKA.broker().bootstrapServers());
            assertThat(exit).as(out.toString()).isZero();
            assertThat(out.toString()).startsWith("reset t/default: tombstone written to " + topic + "-0@");
            producer.sendRaw(topic, "t/default", models.encode(ServeFunctionTest.snapshot("t", 5)));
            producer.flush();
            // Until the tombstone reaches the serve operator (it may still be on its way when a probe arrives), the
            // pinned model answers; after it, only version 5.
            probeUntilVersion(producer, settings, "unpinned", 5, Long.MAX_VALUE);
            // chorus models reads the topic as compaction will leave it: the pinned version went with its tombstone.
            StringWriter table = new StringWriter();
            cli.setOut(new PrintWriter(table));
            assertThat(cli.execute("models", "--models-topic", topic, "--bootstrap-servers",
                    KAFKA.broker().bootstrapServers())).as(table.toString()).isZero();
            assertThat(table.toString().lines().filter(l -> l.startsWith("t ")).map(l -> l.split("\\s+")[2]))
                    .as(table.toString()).containsExactly("5");
            JobTestSupport.cancel(job);

            List<DeadLetter> deadLetters = JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic());
            assertThat(deadLetters).filteredOn(d -> d.getTopic().equals(topic))
                    .as("one dead letter for each poisoned snapshot, though two subtasks rejected each")
                    .extracting(DeadLetter::getOffset).hasSize(2).doesNotHaveDuplicates();
            // A "recovered" probe may still meet version 11 when version 12 is on its way through the models path (a
            // model record and an example come from different topics): its answer is the same NaN dead letter.
            assertThat(deadLetters).filteredOn(d -> !d.getTopic().equals(topic))
                    .as("the overflowing model's answers, each once").isNotEmpty()
                    .allSatisfy(d -> assertThat(d.getField()).isEqualTo("prediction"))
                    .allSatisfy(d -> assertThat(d.getReason()).contains("(model \"t/default\" version 11: "))
                    .extracting(d -> new String(d.getKey().array(), StandardCharsets.UTF_8)).doesNotHaveDuplicates()
                    .allSatisfy(id -> assertThat(id).matches("(overflow|recovered)-\\d+"))
                    .anySatisfy(id -> assertThat(id).startsWith("overflow-"));
        }
    }

    /**
     * Examples of a task whose model never comes: past the wait bound one is a dead letter at once, the others when
     * the bounded input ends; each letter names the partition and offset its example was read from.
     */
    @Test
    void examplesThatWaitedInVainAreDeadLetteredWithTheirPartitionAndOffset() throws Exception {
        ServeSettings settings = settings("waited").maxWaitingPerTask(2).bounded(true);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        Map<String, String> sentTo = new HashMap<>();
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            var codec = settings.examplesTopic().codec();
            for (int row = 0; row < 3; row++) {
                var example = ExampleProducer.example(ServeFunctionTest.DATA, row, "t", "waited", 0);
                example.setId("waited-" + row);
                var sent = producer.sendRaw(settings.examplesTopic().name(), example.getId(), codec.encode(example))
                        .get();
                sentTo.put(example.getId(), sent.partition() + "@" + sent.offset());
            }
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(env, settings);
        env.execute("serve-waited-it");

        List<DeadLetter> letters = JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic());
        assertThat(letters).hasSize(3).allSatisfy(d -> {
            String id = StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString();
            assertThat(d.getPartition() + "@" + d.getOffset()).as(d.getReason()).isEqualTo(sentTo.get(id));
        });
        assertThat(letters).extracting(DeadLetter::getReason)
                .filteredOn(r -> r.contains("expected at most 2 examples waiting for it")).hasSize(1);
        assertThat(letters).extracting(DeadLetter::getReason)
                .filteredOn(r -> r.contains("arrived before the end of the input")).hasSize(2);
    }

    /**
     * A serve job started without a savepoint (a redeploy after a cancel) with the group of an earlier one, which had
     * committed its offsets on the models topic past the only model there: it still serves that model, since the
     * models topic is state it must read whole.
     */
    @Test
    void aFreshStartServesEveryPublishedModelWhateverItsGroupCommitted() throws Exception {
        ServeSettings settings = settings("fresh").bounded(true);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of());
                Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.broker().bootstrapServers()))) {
            var model = producer.sendRaw(settings.modelsTopic().name(), "t/default",
                    settings.modelsTopic().codec().encode(ServeFunctionTest.snapshot("t", 3))).get();
            send(producer, settings, "fresh", 0, 5);
            admin.alterConsumerGroupOffsets(settings.groupId() + "-models", Map.of(
                    new TopicPartition(model.topic(), model.partition()), new OffsetAndMetadata(model.offset() + 1)))
                    .all().get();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(env, settings);
        env.execute("serve-fresh-it");

        assertThat(JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic())).isEmpty();
        assertThat(read(settings)).hasSize(5).extracting(Prediction::getModelVersion).containsOnly(3L);
    }

    /** Settings at parallelism 2 whose group and topics ({@code prefix.examples}, ...) are this test's own. */
    private static ServeSettings settings(String prefix) {
        return new ServeSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("serve-" + prefix + "-it")
                .examplesTopic(new Topic<>(prefix + ".examples", Example.class, WireFormat.AVRO))
                .predictionsTopic(new Topic<>(prefix + ".predictions", Prediction.class, WireFormat.AVRO))
                .modelsTopic(new Topic<>(prefix + ".models", ModelSnapshot.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>(prefix + ".dead-letters", DeadLetter.class, WireFormat.AVRO))
                .parallelism(2);
    }

    private static JobClient start(ServeSettings settings, String savepoint) throws Exception {
        JobClient job = JobTestSupport.startServe(settings, savepoint, "serve-it");
        STARTED.add(job);
        return job;
    }

    /** A test that fails before it cancels its job would leave it holding the cluster's slots for the next. */
    @AfterEach
    void cancelJobsLeftRunning() {
        for (JobClient job : STARTED) {
            try {
                job.cancel().get(60, TimeUnit.SECONDS);
            } catch (Exception ended) {
                // Cancelled or finished already.
            }
        }
        STARTED.clear();
    }

    /** The serve operator's metrics {@code name} of task t, variant default, one per instance that has them. */
    private static List<Metric> taskMetrics(JobClient job, String name) {
        Map<String, String> labels = Map.of("<job_id>", job.getJobID().toString(), "<task>", "t", "<variant>", "default");
        return METRICS.getMetricsByGroup().entrySet().stream()
                .filter(e -> e.getKey().getAllVariables().entrySet().containsAll(labels.entrySet()))
                .map(e -> e.getValue().get(name)).filter(java.util.Objects::nonNull).toList();
    }

    private static void send(ExampleProducer producer, ServeSettings settings, String prefix, int from, int count) {
        var data = ServeFunctionTest.DATA;
        var codec = settings.examplesTopic().codec();
        for (int row = from; row < from + count; row++) {
            var example = ExampleProducer.example(data, row % data.size(), "t", prefix, 0);
            example.setId(prefix + "-" + row);
            producer.sendRaw(settings.examplesTopic().name(), example.getId(), codec.encode(example));
        }
        producer.flush();
    }

    /**
     * Sends one probe example at a time until a prediction made by {@code version} comes back; returns how many. A
     * probe the model before answers with a dead letter (an overflowing one's NaN) counts as an answer of that model.
     */
    private static int probeUntilVersion(ExampleProducer producer, ServeSettings settings, String prefix,
            long version) throws InterruptedException {
        return probeUntilVersion(producer, settings, prefix, version, -1);
    }

    /** As above, a prediction of version {@code serving} (the model a reset replaces) allowed before it. */
    private static int probeUntilVersion(ExampleProducer producer, ServeSettings settings, String prefix,
            long version, long serving) throws InterruptedException {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        for (int probe = 0; Instant.now().isBefore(deadline); probe++) {
            send(producer, settings, prefix, probe, 1);
            Object answer = answerOf(settings, prefix + "-" + probe, deadline);
            if (answer instanceof Prediction p) {
                if (p.getModelVersion() == version) {
                    return probe + 1;
                }
                if (p.getModelVersion() != serving) {
                    assertThat(p.getModelVersion()).as("no version regression while swapping").isLessThan(version);
                }
            }
        }
        throw new AssertionError("model version " + version + " never answered within " + JobTestSupport.PATIENCE);
    }

    /**
     * Sends probes one at a time until one is answered by a dead letter rather than a prediction (which must be
     * version 3's, the one serving before), and returns that dead letter.
     */
    private static DeadLetter probeUntilDeadLetter(ExampleProducer producer, ServeSettings settings, String prefix)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        for (int probe = 0; Instant.now().isBefore(deadline); probe++) {
            send(producer, settings, prefix, probe, 1);
            Object answer = answerOf(settings, prefix + "-" + probe, deadline);
            if (answer instanceof DeadLetter d) {
                return d;
            }
            if (answer instanceof Prediction p) {
                assertThat(p.getModelVersion()).isEqualTo(3L);
            }
        }
        throw new AssertionError("no dead letter answered a probe within " + JobTestSupport.PATIENCE);
    }

    /** The committed prediction or dead letter of example {@code id}, whichever comes; null past the deadline. */
    private static Object answerOf(ServeSettings settings, String id, Instant deadline) throws InterruptedException {
        while (Instant.now().isBefore(deadline)) {
            List<DeadLetter> letters = JobTestSupport.readNow(KAFKA.broker(), settings.deadLetterTopic()).stream()
                    .filter(d -> d.getKey() != null && id.equals(new String(d.getKey().array(), StandardCharsets.UTF_8)))
                    .toList();
            if (!letters.isEmpty()) {
                return letters.get(0);
            }
            List<Prediction> answers = JobTestSupport.readNow(KAFKA.broker(), settings.predictionsTopic()).stream()
                    .filter(p -> p.getId().equals(id)).toList();
            if (!answers.isEmpty()) {
                assertThat(answers).hasSize(1);
                return answers.get(0);
            }
            Thread.sleep(100); // polling interval while the job commits its next checkpoint
        }
        return null;
    }

    /** Waits until {@code n} committed predictions match, then returns them (fails if more appear than expected). */
    private static List<Prediction> await(ServeSettings settings, Predicate<Prediction> which, int n)
            throws InterruptedException {
        List<Prediction> matching = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(), which, n);
        assertThat(matching).hasSize(n);
        return matching;
    }

    private static List<Prediction> read(ServeSettings settings) {
        return JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
    }
}
