package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Chorus against a broker with Kafka's standard authorizer ({@code StandardAuthorizer}, KRaft): the job's user
 * {@code chorus} (SASL/SCRAM over TLS) holds exactly the minimal ACLs that README.md's "Minimal ACLs" lists, and
 * both jobs work with them, the train job exactly once; with one of them missing, {@code chorus train} exits 1
 * with one line naming the missing permission. The broker's own PLAINTEXT listener, whose principal is the super
 * user {@code User:ANONYMOUS}, creates topics and ACLs.
 */
class KafkaAclIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    static final String PRINCIPAL = "User:" + SecuredKafkaIT.USER;
    static final int EXAMPLES = 300;
    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,"seed":7}""";

    static Path dir;
    static EmbeddedKafkaBroker kafka;
    static Admin superUser;
    static Map<String, String> client;

    @BeforeAll
    static void startKafkaWithTheStandardAuthorizer() throws IOException, InterruptedException {
        dir = Files.createTempDirectory("chorus-acl-kafka-");
        Path keystore = SecuredKafkaIT.makeCertificates(dir);
        kafka = EmbeddedKafkaBroker.builder()
                .saslSslListener(keystore, SecuredKafkaIT.KEYSTORE_PASSWORD)
                .saslUser(SecuredKafkaIT.USER, SecuredKafkaIT.PASSWORD)
                .brokerProperty("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .brokerProperty("super.users", "User:ANONYMOUS")
                .build()
                .start();
        superUser = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
        client = new LinkedHashMap<>();
        client.put("security.protocol", "SASL_SSL");
        client.put("sasl.mechanism", "SCRAM-SHA-512");
        client.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + SecuredKafkaIT.USER + "\" password=\"" + SecuredKafkaIT.PASSWORD + "\";");
        client.put("ssl.truststore.type", "PKCS12");
        client.put("ssl.truststore.location", dir.resolve("truststore.p12").toString());
        client.put("ssl.truststore.password", SecuredKafkaIT.TRUSTSTORE_PASSWORD);
    }

    @AfterAll
    static void stopKafka() throws IOException {
        if (superUser != null) {
            superUser.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void bothJobsWorkWithExactlyTheMinimalAcls() throws Exception {
        TrainSettings train = trainSettings("acl-train", "acl-train.predictions");
        createTopics(train);
        grant(trainAcls(train, ""));
        produceExamples(train.examplesTopic());
        // A control record the job refuses (its spec does not parse): read under the job's READ, refused under its
        // WRITE on the refusals topic; it changes no variant, so the predictions below are the default's alone.
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            producer.sendRaw(train.specsTopic().name(), "blobs/unreadable", train.specsTopic().codec().encode(
                    VariantSpecRecord.newBuilder().setTask("blobs").setVariant("unreadable")
                            .setStatus(VariantStatus.LIVE).setSpec("{").setUpdatedAt(0L).setSource("KafkaAclIT")
                            .build())).get();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, train);
        env.execute("acl-train");
        // The job's last transactions are committed, but their markers may not have reached the topics yet. Asked,
        // like the reads below, by the super user: the job's user may not read its own output.
        for (String topic : List.of(train.specRefusalsTopic().name(), train.predictionsTopic().name(),
                train.modelsTopic().name())) {
            assertThat(TopicReader.awaitSettled(kafka.bootstrapServers(), Map.of(), topic, JobTestSupport.PATIENCE))
                    .as("%s settled", topic).isTrue();
        }

        // The control source commits its offset to the job's group as the examples source does (`chorus specs list`
        // reads it), under the same one group ACL (Read): the job's user can commit there. (Whether the bounded job's
        // sources committed at their end is left to Flink's timing: a split's last offsets are committed with the
        // checkpoint after it finished, if one completes before the job does.)
        Map<String, Object> asJob = new HashMap<>(client);
        asJob.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.saslSslBootstrapServers());
        asJob.put(ConsumerConfig.GROUP_ID_CONFIG, train.groupId());
        TopicPartition specs = new TopicPartition(train.specsTopic().name(), 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(asJob, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(specs));
            consumer.commitSync(Map.of(specs, new OffsetAndMetadata(1)));
        }
        assertThat(superUser.listConsumerGroupOffsets(train.groupId()).partitionsToOffsetAndMetadata()
                .get(60, TimeUnit.SECONDS).get(specs)).extracting(OffsetAndMetadata::offset).isEqualTo(1L);
        assertThat(TopicReader.readAll(kafka.bootstrapServers(), Map.of(), train.specRefusalsTopic().name(),
                train.specRefusalsTopic().codec()::decode)).singleElement()
                .extracting(DeadLetter::getReason).asString().contains("spec");

        List<Prediction> trained = TopicReader.readAll(kafka.bootstrapServers(), Map.of(),
                train.predictionsTopic().name(), train.predictionsTopic().codec()::decode);
        // Read back by the super user: the job's user may not read its own output.
        assertThat(trained).hasSize(EXAMPLES);
        assertThat(trained.stream().map(Prediction::getId).collect(Collectors.toSet())).hasSize(EXAMPLES);
        List<ModelSnapshot> models = TopicReader.readAll(kafka.bootstrapServers(), Map.of(),
                train.modelsTopic().name(), train.modelsTopic().codec()::decode);
        assertThat(models.stream().mapToLong(ModelSnapshot::getExamplesSeen).max().orElseThrow()).isEqualTo(EXAMPLES);

        // The serve job answers the same examples with the model the train job published, exactly once too.
        ServeSettings serve = new ServeSettings()
                .bootstrapServers(kafka.saslSslBootstrapServers())
                .kafkaProperties(client)
                .groupId("acl-serve")
                .examplesTopic(train.examplesTopic())
                .modelsTopic(train.modelsTopic())
                .predictionsTopic(new Topic<>("acl-serve.predictions", Prediction.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>("acl-serve.dead-letters", DeadLetter.class, WireFormat.AVRO))
                .checkpointIntervalMs(500)
                .parallelism(2);
        superUser.createTopics(List.of(ChorusTopic.PREDICTIONS.newTopic(serve.predictionsTopic().name(), 2),
                ChorusTopic.DEAD_LETTERS.newTopic(serve.deadLetterTopic().name(), 1))).all().get(60, TimeUnit.SECONDS);
        grant(serveAcls(serve));
        StreamExecutionEnvironment serveEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(serveEnv, serve);
        JobClient job = serveEnv.executeAsync("acl-serve");
        try {
            List<Prediction> served = List.of();
            Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
            while (served.size() < EXAMPLES && Instant.now().isBefore(deadline)
                    && !job.getJobStatus().get().isGloballyTerminalState()) {
                Thread.sleep(500);
                served = TopicReader.readAll(kafka.bootstrapServers(), Map.of(), serve.predictionsTopic().name(),
                        serve.predictionsTopic().codec()::decode);
            }
            assertThat(served).as("committed predictions of the serve job (status %s)", job.getJobStatus().get())
                    .hasSize(EXAMPLES);
            assertThat(served.stream().map(Prediction::getId).collect(Collectors.toSet())).hasSize(EXAMPLES);
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * One ACL of the minimal set left out at a time: {@code chorus train} stops, exits 1, and says on one line
     * which permission is missing and how to grant it.
     */
    @ParameterizedTest(name = "without {0}")
    @CsvSource(delimiter = '|', value = {
            "topic-write | Kafka denied WRITE on topic acl-topic-write.predictions to User:chorus: grant it with "
                    + "kafka-acls.sh --bootstrap-server {servers} --add --allow-principal User:chorus --operation Write "
                    + "--topic acl-topic-write.predictions",
            "group-read | Kafka denied READ on group acl-group-read to User:chorus: grant it with kafka-acls.sh "
                    + "--bootstrap-server {servers} --add --allow-principal User:chorus --operation Read "
                    + "--group acl-group-read",
            "transactional-id | Kafka denied WRITE on transactional ids prefixed acl-transactional-id- to "
                    + "User:chorus: grant it with kafka-acls.sh --bootstrap-server {servers} --add --allow-principal "
                    + "User:chorus --operation Write --transactional-id acl-transactional-id- "
                    + "--resource-pattern-type prefixed"})
    void aMissingAclFailsTheCommandWithOneLineNamingIt(String missing, String expected) throws Exception {
        String group = "acl-" + missing;
        TrainSettings train = trainSettings(group, group + ".predictions");
        createTopics(train);
        grant(trainAcls(train, missing));
        produceExamples(train.examplesTopic());
        SecuredKafkaIT.Run run = SecuredKafkaIT.Run.of(train(train));

        assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("chorus train: " + expected.replace("{servers}",
                kafka.saslSslBootstrapServers()) + System.lineSeparator());
    }

    /**
     * Without Write on the control topic, {@code --allowed-tasks} cannot seed it, before the job starts: {@code chorus
     * train} says so on one line, with both operations the job needs there (Kafka does not say which one it denied).
     */
    @Test
    void seedingWithoutWriteOnTheControlTopicFailsTheCommandWithOneLineNamingIt() throws Exception {
        TrainSettings train = trainSettings("acl-specs-write", "acl-specs-write.predictions");
        createTopics(train);
        grant(trainAcls(train, "specs-write"));

        SecuredKafkaIT.Run run = SecuredKafkaIT.Run.of(train(train, "--allowed-tasks", "blobs"));

        assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("chorus train: Kafka denied READ or WRITE on topic acl-specs-write.specs to "
                + "User:chorus: grant both with kafka-acls.sh --bootstrap-server " + kafka.saslSslBootstrapServers()
                + " --add --allow-principal User:chorus --operation Read --operation Write --topic acl-specs-write.specs"
                + System.lineSeparator());
    }

    /** The arguments of {@code chorus train} for {@code s}'s group and topics, bounded, then {@code more}. */
    private static String[] train(TrainSettings s, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("--config", configFile(s.groupId()).toString(), "train", "--spec",
                SPEC, "--group-id", s.groupId(), "--examples-topic", s.examplesTopic().name(),
                "--predictions-topic", s.predictionsTopic().name(), "--models-topic", s.modelsTopic().name(),
                "--dead-letter-topic", s.deadLetterTopic().name(), "--annotators-topic", s.annotatorsTopic().name(),
                "--consensus-topic", s.consensusTopic().name(), "--champions-topic", s.championsTopic().name(),
                "--specs-topic", s.specsTopic().name(), "--spec-refusals-topic", s.specRefusalsTopic().name(),
                "--bounded", "--checkpoint-interval-ms", "500", "--batch-timeout-ms", "0", "--slots", "2"));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** The serve job without Read on the models topic it serves from: {@code chorus serve} says so on one line. */
    @Test
    void serveWithoutReadOnTheModelsTopicFailsTheCommandWithOneLineNamingIt() throws Exception {
        TrainSettings topics = trainSettings("acl-serve-denied", "acl-serve-denied.predictions");
        createTopics(topics);
        ServeSettings serve = new ServeSettings()
                .groupId("acl-serve-denied")
                .examplesTopic(topics.examplesTopic())
                .modelsTopic(topics.modelsTopic())
                .predictionsTopic(topics.predictionsTopic())
                .deadLetterTopic(topics.deadLetterTopic());
        List<AclBinding> acls = new ArrayList<>(serveAcls(serve));
        acls.removeIf(acl -> acl.pattern().name().equals(serve.modelsTopic().name()));
        assertThat(acls).hasSize(serveAcls(serve).size() - 1);
        grant(acls);
        produceExamples(serve.examplesTopic());

        SecuredKafkaIT.Run run = SecuredKafkaIT.Run.of("--config", configFile("acl-serve-denied").toString(), "serve",
                "--group-id", serve.groupId(), "--examples-topic", serve.examplesTopic().name(),
                "--models-topic", serve.modelsTopic().name(), "--predictions-topic", serve.predictionsTopic().name(),
                "--dead-letter-topic", serve.deadLetterTopic().name(), "--slots", "2");

        assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("chorus serve: Kafka denied READ on topic acl-serve-denied.models to "
                + "User:chorus: grant it with kafka-acls.sh --bootstrap-server " + kafka.saslSslBootstrapServers()
                + " --add --allow-principal User:chorus --operation Read --topic acl-serve-denied.models"
                + System.lineSeparator());
    }

    // ------------------------------------------------------------------------------------------------------

    /** A CLI configuration file with the SASL_SSL address and the job user's settings as {@code kafka.*} lines. */
    static Path configFile(String name) throws IOException {
        Path config = dir.resolve(name + ".properties");
        StringBuilder text = new StringBuilder("bootstrap-servers=" + kafka.saslSslBootstrapServers() + "\n");
        client.forEach((k, v) -> text.append("kafka.").append(k).append('=').append(v.replace("\\", "\\\\"))
                .append('\n'));
        Files.writeString(config, text, StandardCharsets.UTF_8);
        return config;
    }

    static TrainSettings trainSettings(String group, String predictionsTopic) {
        return new TrainSettings()
                .bootstrapServers(kafka.saslSslBootstrapServers())
                .kafkaProperties(client)
                .groupId(group)
                .examplesTopic(new Topic<>(group + ".examples", Example.class, WireFormat.AVRO))
                .predictionsTopic(new Topic<>(predictionsTopic, Prediction.class, WireFormat.AVRO))
                .modelsTopic(new Topic<>(group + ".models", ModelSnapshot.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>(group + ".dead-letters", DeadLetter.class, WireFormat.AVRO))
                .annotatorsTopic(new Topic<>(group + ".annotators", dev.chorus.schemas.AnnotatorModel.class,
                        WireFormat.AVRO))
                .consensusTopic(new Topic<>(group + ".consensus", dev.chorus.schemas.Consensus.class, WireFormat.AVRO))
                .championsTopic(new Topic<>(group + ".champions", dev.chorus.schemas.Champion.class, WireFormat.AVRO))
                .specsTopic(new Topic<>(group + ".specs", dev.chorus.schemas.VariantSpecRecord.class, WireFormat.AVRO))
                .specRefusalsTopic(new Topic<>(group + ".specs.refusals", DeadLetter.class, WireFormat.AVRO))
                .specs(TaskSpecs.ofDefault(SPEC))
                .checkpointIntervalMs(500)
                .snapshotEveryBatches(5)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .bounded(true)
                .parallelism(2);
    }

    static void createTopics(TrainSettings s) throws Exception {
        superUser.createTopics(ChorusTopic.newTopics(s, 2)).all().get(60, TimeUnit.SECONDS);
    }

    /**
     * README's minimal ACLs of the train job, but for {@code missing} (topic-write, specs-write, group-read,
     * transactional-id).
     */
    static List<AclBinding> trainAcls(TrainSettings s, String missing) {
        List<AclBinding> acls = new ArrayList<>();
        acls.add(allow(ResourceType.TOPIC, s.examplesTopic().name(), PatternType.LITERAL, AclOperation.READ));
        acls.add(allow(ResourceType.TOPIC, s.specsTopic().name(), PatternType.LITERAL, AclOperation.READ));
        for (String output : List.of(s.predictionsTopic().name(), s.modelsTopic().name(), s.deadLetterTopic().name(),
                s.annotatorsTopic().name(), s.consensusTopic().name(), s.championsTopic().name(),
                s.specsTopic().name(), s.specRefusalsTopic().name())) {
            if (!(missing.equals("topic-write") && output.equals(s.predictionsTopic().name()))
                    && !(missing.equals("specs-write") && output.equals(s.specsTopic().name()))) {
                acls.add(allow(ResourceType.TOPIC, output, PatternType.LITERAL, AclOperation.WRITE));
            }
        }
        if (!missing.equals("group-read")) {
            acls.add(allow(ResourceType.GROUP, s.groupId(), PatternType.LITERAL, AclOperation.READ));
        }
        if (!missing.equals("transactional-id")) {
            acls.add(allow(ResourceType.TRANSACTIONAL_ID, s.groupId() + "-", PatternType.PREFIXED, AclOperation.WRITE));
        }
        return acls;
    }

    /** README's minimal ACLs of the serve job. */
    static List<AclBinding> serveAcls(ServeSettings s) {
        return List.of(
                allow(ResourceType.TOPIC, s.examplesTopic().name(), PatternType.LITERAL, AclOperation.READ),
                allow(ResourceType.TOPIC, s.modelsTopic().name(), PatternType.LITERAL, AclOperation.READ),
                allow(ResourceType.TOPIC, s.predictionsTopic().name(), PatternType.LITERAL, AclOperation.WRITE),
                allow(ResourceType.TOPIC, s.deadLetterTopic().name(), PatternType.LITERAL, AclOperation.WRITE),
                allow(ResourceType.GROUP, s.groupId(), PatternType.LITERAL, AclOperation.READ),
                allow(ResourceType.GROUP, s.groupId() + "-models", PatternType.LITERAL, AclOperation.READ),
                allow(ResourceType.TRANSACTIONAL_ID, s.groupId() + "-", PatternType.PREFIXED, AclOperation.WRITE));
    }

    static AclBinding allow(ResourceType type, String name, PatternType pattern, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry(PRINCIPAL, "*", operation, AclPermissionType.ALLOW));
    }

    static void grant(List<AclBinding> acls) throws Exception {
        superUser.createAcls(acls).all().get(60, TimeUnit.SECONDS);
        // ACLs reach the broker's authorizer through the metadata log: wait until it lists them all.
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        while (!superUser.describeAcls(org.apache.kafka.common.acl.AclBindingFilter.ANY).values()
                .get(60, TimeUnit.SECONDS).containsAll(acls)) {
            assertThat(Instant.now()).as("ACLs visible").isBefore(deadline);
            Thread.sleep(100);
        }
    }

    /** The examples, written by the super user: the job's user may only read them. */
    static void produceExamples(Topic<Example> topic) {
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            producer.send(topic, SyntheticBlobs.generate(EXAMPLES, 8, 3, 11), "blobs", "blobs", 0L, n -> {});
        }
    }
}
