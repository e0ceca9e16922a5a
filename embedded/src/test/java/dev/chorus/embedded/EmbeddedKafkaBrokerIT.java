package dev.chorus.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EmbeddedKafkaBrokerIT {

    private static EmbeddedKafkaBroker broker;
    private static long startMillis;

    @BeforeAll
    static void startBroker() {
        long t0 = System.nanoTime();
        broker = EmbeddedKafkaBroker.builder().port(0).build().start();
        startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.println("EmbeddedKafkaBroker.start() took " + startMillis + " ms");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void startsOnLoopbackWithAFreePort() {
        assertThat(broker.bootstrapServers()).matches("127\\.0\\.0\\.1:\\d+");
        assertThat(broker.port()).isPositive();
        assertThat(broker.clusterId()).isNotBlank();
    }

    @Test
    void readCommittedConsumerSeesOnlyCommittedTransactionalRecords() throws Exception {
        String topic = "tx-" + UUID.randomUUID();
        broker.createTopic(topic, 3, Map.of());
        broker.createTopic(topic, 3, Map.of()); // idempotent

        try (Admin admin = admin()) {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(topic);
            assertThat(d.partitions()).hasSize(3);
        }

        try (KafkaProducer<String, String> producer = transactionalProducer()) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "committed-" + i));
            }
            producer.commitTransaction();

            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "a" + i, "aborted-" + i));
            }
            producer.flush(); // the aborted records really reach the log
            producer.abortTransaction();
        }

        List<String> values = new ArrayList<>();
        List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
                new TopicPartition(topic, 2));
        try (KafkaConsumer<String, String> consumer = readCommittedConsumer("group-" + topic)) {
            // For read_committed, endOffsets is the last stable offset: past the abort markers.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!caughtUp(consumer, end)) {
                assertThat(System.nanoTime()).as("consumer caught up before the deadline").isLessThan(deadline);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
            consumer.commitSync(Duration.ofSeconds(30)); // the group coordinator works on one node
        }
        assertThat(values).hasSize(100).allMatch(v -> v.startsWith("committed-"));
        assertThat(Set.copyOf(values)).hasSize(100);
    }

    @Test
    void compactedTopicConfigRoundTrip() throws Exception {
        String topic = "compacted-" + UUID.randomUUID();
        broker.createTopic(topic, 1, Map.of("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0.1"));
        try (Admin admin = admin()) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(config.get("min.cleanable.dirty.ratio").value()).isEqualTo("0.1");
        }
    }

    @Test
    void createTopicsWithoutAutoCreation() throws Exception {
        broker.createTopics(List.of(new NewTopic("batch-a", 2, (short) 1), new NewTopic("batch-b", 1, (short) 1)));
        try (Admin admin = admin()) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("batch-a", "batch-b");
            var cfg = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.BROKER, "1")))
                    .all().get(30, TimeUnit.SECONDS).values().iterator().next();
            assertThat(cfg.get("auto.create.topics.enable").value()).isEqualTo("false");
            assertThat(Long.parseLong(cfg.get("transaction.max.timeout.ms").value()))
                    .isGreaterThanOrEqualTo(TimeUnit.MINUTES.toMillis(15));
        }
    }

    @Test
    void theOneNodeDefaultsReachTheBroker() throws Exception {
        // Spelled as in Kafka's documentation, so that a wrong config-key constant in the broker shows here.
        Map<String, String> expected = new TreeMap<>(Map.ofEntries(
                Map.entry("process.roles", "broker,controller"),
                Map.entry("controller.listener.names", "CONTROLLER"),
                Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                Map.entry("log.dirs", broker.logDir().toString()),
                Map.entry("num.partitions", "1"),
                Map.entry("default.replication.factor", "1"),
                Map.entry("min.insync.replicas", "1"),
                Map.entry("auto.create.topics.enable", "false"),
                Map.entry("offsets.topic.replication.factor", "1"),
                Map.entry("offsets.topic.num.partitions", "1"),
                Map.entry("transaction.state.log.replication.factor", "1"),
                Map.entry("transaction.state.log.min.isr", "1"),
                Map.entry("transaction.state.log.num.partitions", "1"),
                Map.entry("share.coordinator.state.topic.replication.factor", "1"),
                Map.entry("share.coordinator.state.topic.min.isr", "1"),
                Map.entry("share.coordinator.state.topic.num.partitions", "1"),
                Map.entry("group.initial.rebalance.delay.ms", "0"),
                Map.entry("transaction.max.timeout.ms", "3600000"),
                Map.entry("log.cleaner.dedupe.buffer.size", "16777216"),
                Map.entry("broker.heartbeat.interval.ms", "500"),
                Map.entry("server.max.startup.time.ms", "60000")));
        try (Admin admin = admin()) {
            Config config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.BROKER, "1")))
                    .all().get(30, TimeUnit.SECONDS).values().iterator().next();
            Map<String, String> actual = new TreeMap<>();
            expected.keySet().forEach(key -> actual.put(key, config.get(key) == null ? null : config.get(key).value()));
            assertThat(actual).isEqualTo(expected);
        }
    }

    @Test
    void featureLevelsAreWrittenWhenTheLogDirIsFormatted() throws Exception {
        short defaultLevel;
        try (Admin admin = admin()) {
            defaultLevel = admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS)
                    .finalizedFeatures().get("transaction.version").maxVersionLevel();
        }
        short chosen = (short) (defaultLevel - 1);
        try (EmbeddedKafkaBroker older = EmbeddedKafkaBroker.builder().featureLevel("transaction.version", chosen)
                .build().start(); Admin admin = admin(older.bootstrapServers())) {
            assertThat(admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS)
                    .finalizedFeatures().get("transaction.version").maxVersionLevel()).isEqualTo(chosen);
        }
    }

    @Test
    void anUnknownFeatureFailsTheStartWithAnExceptionNamingIt() {
        EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().featureLevel("no.such.feature", (short) 1).build();
        assertThatThrownBy(b::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Formatting Kafka log dir").hasMessageContaining("no.such.feature");
        assertThat(Files.exists(b.logDir())).isFalse();
    }

    @Test
    void aBrokerPropertyKafkaRejectsFailsTheStartWithAnExceptionNamingIt() {
        EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().brokerProperty("num.network.threads", "zero").build();
        assertThatThrownBy(b::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("num.network.threads").hasMessageContaining("zero");
        assertThat(Files.exists(b.logDir())).isFalse();
    }

    @Test
    void twoBrokersRunSideBySideAndCloseRemovesTheLogDir() throws Exception {
        Path dir;
        try (EmbeddedKafkaBroker second = EmbeddedKafkaBroker.builder().defaultPartitions(2)
                .brokerProperty("log.segment.bytes", Integer.toString(8 * 1024 * 1024)).build().start()) {
            assertThat(second.port()).isNotEqualTo(broker.port());
            assertThat(second.logDir()).isNotEqualTo(broker.logDir());
            dir = second.logDir();
            assertThat(dir.resolve("meta.properties")).exists();

            second.createTopic("only-on-second", 2, Map.of());
            try (Admin a1 = admin(); Admin a2 = admin(second.bootstrapServers())) {
                assertThat(a2.listTopics().names().get(30, TimeUnit.SECONDS)).contains("only-on-second");
                assertThat(a1.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain("only-on-second");
            }
            second.close();
            assertThat(Files.exists(dir)).isFalse();
            second.close(); // harmless
        }
        assertThat(Files.exists(dir)).isFalse();
        // The first broker is unaffected.
        broker.createTopic("after-second-closed", 1, Map.of());
    }

    @Test
    void explicitLogDirIsKeptOnCloseAndReusedOnRestart(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("kafka-data");
        EmbeddedKafkaBroker first = EmbeddedKafkaBroker.builder().logDir(dir).build().start();
        String clusterId;
        try {
            assertThat(first.logDir()).isEqualTo(dir.toAbsolutePath().normalize());
            first.createTopic("survives-restart", 2, Map.of());
            clusterId = first.clusterId();
        } finally {
            first.close();
        }
        assertThat(dir.resolve("meta.properties")).exists();
        assertThatThrownBy(first::start).isInstanceOf(IllegalStateException.class);

        // A new instance on the same directory skips formatting and finds the old cluster and topic.
        try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.builder().logDir(dir).build().start();
                Admin admin = admin(again.bootstrapServers())) {
            assertThat(again.clusterId()).isEqualTo(clusterId);
            assertThat(admin.describeTopics(List.of("survives-restart")).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get("survives-restart").partitions()).hasSize(2);
        }
    }

    @Test
    void portInUseFailsWithAnExceptionAndCleansUp() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().port(taken.getLocalPort()).build();
            assertThatThrownBy(b::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("failed to start");
            assertThat(b.logDir()).isNotNull();
            assertThat(Files.exists(b.logDir())).isFalse();
            b.close(); // harmless after a failed start
        }
        // The JVM is still here and the shared broker still serves.
        broker.createTopic("after-failed-start", 1, Map.of());
    }

    @Test
    void aBrokerThatNeverStartedLogsItsStartFailureAndNoStop() throws Exception {
        CapturingAppender logs = CapturingAppender.attach();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            EmbeddedKafkaBroker b = EmbeddedKafkaBroker.builder().port(port).build();
            assertThatThrownBy(b::start)
                    .hasMessageContaining("failed to start")
                    .hasMessageContaining("port " + port);
            b.close();
        } finally {
            logs.detach();
        }
        assertThat(logs.text()).as("what the broker logged").doesNotContain("stopped");
    }

    private static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        return consumer.assignment().containsAll(end.keySet())
                && end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    private static Admin admin() {
        return admin(broker.bootstrapServers());
    }

    private static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(p);
    }

    private static KafkaProducer<String, String> transactionalProducer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-broker-test-" + UUID.randomUUID());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    private static KafkaConsumer<String, String> readCommittedConsumer(String groupId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }
}
