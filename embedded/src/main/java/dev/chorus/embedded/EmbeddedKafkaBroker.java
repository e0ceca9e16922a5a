package dev.chorus.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.coordinator.group.GroupCoordinatorConfig;
import org.apache.kafka.coordinator.share.ShareCoordinatorConfig;
import org.apache.kafka.coordinator.transaction.TransactionLogConfig;
import org.apache.kafka.coordinator.transaction.TransactionStateManagerConfig;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.config.KRaftConfigs;
import org.apache.kafka.server.config.ReplicationConfigs;
import org.apache.kafka.server.config.ServerLogConfigs;
import org.apache.kafka.storage.internals.log.CleanerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Apache Kafka broker (KRaft, combined broker + controller) running inside this JVM.
 *
 * <p>It is Kafka's own server ({@link KafkaRaftServer}) from the Maven-resolved {@code kafka_2.13} jars, not a
 * mock: the log directory is formatted with Kafka's storage {@link Formatter} (the code behind
 * {@code kafka-storage.sh format}) and the server is started exactly as {@code kafka-server-start.sh} would
 * start it. Used by {@code chorus demo}, {@code chorus kafka} and the pipeline integration tests.
 *
 * <p>The listeners ({@link BrokerListeners}) bind to 127.0.0.1 only: {@code PLAINTEXT} for clients and
 * {@code CONTROLLER} for the KRaft quorum (static single voter, {@code controller.quorum.voters}).
 * {@link Builder#saslSslListener} adds a third, {@code SASL_SSL}, for clients that authenticate with SASL/PLAIN or
 * SCRAM-SHA-512 over TLS; the {@code PLAINTEXT} listener then still carries inter-broker traffic and this class's
 * own admin client.
 *
 * <p>The defaults make transactions and consumer groups work on one node (internal topics with replication
 * factor 1 and one partition, no initial rebalance delay, a one hour {@code transaction.max.timeout.ms} to admit
 * Flink's default one hour producer transaction timeout) and disable topic auto-creation, since Chorus creates
 * its topics explicitly.
 *
 * <p>Process exit behaviour (Kafka 4.2.0, as read from its bytecode): ordinary startup failures — a port
 * already in use, an unformatted or foreign log directory, a startup timeout — are thrown as exceptions from
 * the {@link KafkaRaftServer} constructor or {@code startup()} (BrokerServer/ControllerServer catch, shut
 * themselves down and rethrow), and {@link #start()} turns them into an {@link IllegalStateException} after
 * shutting down whatever had started. Kafka does however terminate the JVM through
 * {@code org.apache.kafka.common.utils.Exit} ({@code Runtime.halt}/{@code System.exit} by default) on faults it
 * deems fatal at runtime: fatal metadata/controller faults ({@code StandardFaultHandlerFactory} →
 * {@code ProcessTerminatingFaultHandler}), no usable log directory left ({@code LogManager}), failure of the
 * metadata log directory ({@code ReplicaManager}), and a {@code FatalExitError} in a request handler or a
 * {@code ShutdownableThread}. This class does not override {@code Exit}'s procedures, which are JVM-global;
 * it pre-creates and checks the log directory so that the "no usable log directory" halt cannot be reached
 * from a bad path. Callers that must survive such faults can call {@code Exit.setHaltProcedure} /
 * {@code Exit.setExitProcedure} themselves. No JVM shutdown hook is registered here.
 *
 * <p>Instances are single use: {@code start()} once, {@code close()} any number of times.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    private static final int NODE_ID = 1;
    private static final int MAX_BIND_ATTEMPTS = 3;
    private static final Duration ADMIN_CALL_TIMEOUT = Duration.ofSeconds(30);

    private enum State { NEW, STARTING, RUNNING, CLOSED }

    private final int requestedPort;
    private final Path requestedLogDir;
    private final int defaultPartitions;
    private final Map<String, String> extraProperties;
    private final Map<String, Short> featureLevels;
    private final Duration startupTimeout;
    /** Null without a SASL_SSL listener. */
    private final BrokerListeners.SaslSsl saslSsl;

    private State state = State.NEW;
    private Path logDir;
    private boolean deleteLogDirOnClose;
    private BrokerListeners listeners;
    private String clusterId;
    private KafkaRaftServer server;
    private Admin admin;

    private EmbeddedKafkaBroker(Builder b) {
        this.requestedPort = b.port;
        this.requestedLogDir = b.logDir;
        this.defaultPartitions = b.defaultPartitions;
        this.extraProperties = Map.copyOf(b.extraProperties);
        this.featureLevels = Map.copyOf(b.featureLevels);
        this.startupTimeout = b.startupTimeout;
        if (b.saslSslKeyStore == null && !b.saslUsers.isEmpty()) {
            throw new IllegalStateException("SASL users " + b.saslUsers.keySet()
                    + " need a SASL_SSL listener: call saslSslListener(keyStore, password) too");
        }
        this.saslSsl = b.saslSslKeyStore == null ? null
                : new BrokerListeners.SaslSsl(b.saslSslKeyStore, b.saslSslKeyStorePassword, b.saslUsers);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Formats the log directory (unless it already holds a formatted node), starts the broker and returns
     * once an AdminClient {@code describeCluster} sees it, or throws {@link IllegalStateException}.
     */
    public synchronized EmbeddedKafkaBroker start() {
        if (state != State.NEW) {
            throw new IllegalStateException("EmbeddedKafkaBroker can be started once; state is " + state);
        }
        state = State.STARTING;
        long t0 = System.nanoTime();
        try {
            prepareLogDir();
            if (requestedPort != 0) {
                BrokerListeners.checkPortFree(requestedPort);
            }
            boolean formattedHere = false;
            Set<String> beforeFormatting = Set.of();
            RuntimeException last = null;
            for (int attempt = 1; attempt <= MAX_BIND_ATTEMPTS; attempt++) {
                listeners = BrokerListeners.pick(requestedPort, saslSsl);
                KafkaConfig config = brokerConfig();
                if (!isFormatted(logDir)) {
                    beforeFormatting = entryNames(logDir);
                    format(config);
                    formattedHere = true;
                }
                try {
                    server = new KafkaRaftServer(config, Time.SYSTEM);
                    server.startup();
                    last = null;
                    break;
                } catch (RuntimeException e) {
                    last = e;
                    stopServerQuietly();
                    if (!BrokerListeners.isBindFailure(e) || attempt == MAX_BIND_ATTEMPTS) {
                        break;
                    }
                    LOG.warn("Embedded Kafka could not bind {}:{} / {}:{} (attempt {}), retrying", BrokerListeners.HOST,
                            listeners.clientPort, BrokerListeners.HOST, listeners.controllerPort, attempt);
                    if (formattedHere) {
                        // Start again from the directory as it was before formatting, so that nothing of the failed
                        // attempt survives; `chorus kafka --log-dir` may have named a directory with files in it.
                        removeEntriesNotIn(logDir, beforeFormatting);
                        formattedHere = false;
                    }
                }
            }
            if (last != null) {
                throw new IllegalStateException("Embedded Kafka broker failed to start (log dir " + logDir
                        + ", ports " + listeners.clientPort + "/" + listeners.controllerPort + "): " + last, last);
            }
            admin = Admin.create(adminProperties());
            awaitClusterReady(t0);
            state = State.RUNNING;
            LOG.info("Embedded Kafka broker {} (cluster {}) started in {} ms, log dir {}", bootstrapServers(),
                    clusterId, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), logDir);
            return this;
        } catch (IOException e) {
            closeQuietly();
            throw new UncheckedIOException("Embedded Kafka broker failed to start (log dir " + logDir + ")", e);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    /** {@code 127.0.0.1:<port>}; valid after {@link #start()}. */
    public String bootstrapServers() {
        if (listeners == null || server == null) {
            throw new IllegalStateException("Embedded Kafka broker is not running");
        }
        return BrokerListeners.HOST + ":" + listeners.clientPort;
    }

    /**
     * {@code 127.0.0.1:<port>} of the SASL_SSL listener; valid after {@link #start()} of a broker built with
     * {@link Builder#saslSslListener}.
     */
    public String saslSslBootstrapServers() {
        bootstrapServers();
        if (listeners.saslSslPort <= 0) {
            throw new IllegalStateException("Embedded Kafka broker has no SASL_SSL listener: build it with "
                    + "saslSslListener(keyStore, password)");
        }
        return BrokerListeners.HOST + ":" + listeners.saslSslPort;
    }

    /** The client (PLAINTEXT) port; valid after {@link #start()}. */
    public int port() {
        bootstrapServers();
        return listeners.clientPort;
    }

    /** The log directory (data and KRaft metadata log); valid after {@link #start()}. */
    public Path logDir() {
        return logDir;
    }

    public String clusterId() {
        return clusterId;
    }

    /** Creates a topic with replication factor 1; an existing topic of that name is left as it is. */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        NewTopic topic = new NewTopic(name, partitions, (short) 1);
        if (configs != null && !configs.isEmpty()) {
            topic.configs(configs);
        }
        createTopics(List.of(topic));
    }

    /**
     * Creates topics (those that already exist are left as they are) and waits until every partition of
     * every requested topic has a leader, so callers can produce at once.
     */
    public void createTopics(Collection<NewTopic> topics) {
        BrokerTopics.create(runningAdmin(), topics, ADMIN_CALL_TIMEOUT);
    }

    /** Shuts the broker down, waits for it, and deletes the log directory if this class created it. */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        boolean wasRunning = state == State.RUNNING;
        state = State.CLOSED;
        long t0 = System.nanoTime();
        if (admin != null) {
            try {
                admin.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.warn("Closing the embedded Kafka admin client failed", e);
            }
            admin = null;
        }
        stopServerQuietly();
        if (deleteLogDirOnClose && logDir != null) {
            try {
                deleteRecursively(logDir);
            } catch (IOException e) {
                LOG.warn("Could not delete embedded Kafka log dir {}", logDir, e);
            }
        }
        // After a failed start the caller reports the failure; a "stopped" line would only precede and blur it.
        if (wasRunning) {
            LOG.info("Embedded Kafka broker on port {} stopped in {} ms", listeners.clientPort,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }
    }

    // ------------------------------------------------------------------------------------------------------

    private KafkaConfig brokerConfig() {
        try {
            return new KafkaConfig(brokerProperties(), false);
        } catch (ConfigException e) {
            throw new IllegalStateException("Kafka rejects the embedded broker's configuration (log dir " + logDir
                    + "): " + e.getMessage(), e);
        }
    }

    private Properties brokerProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(KRaftConfigs.PROCESS_ROLES_CONFIG, "broker,controller");
        p.put(KRaftConfigs.NODE_ID_CONFIG, Integer.toString(NODE_ID));
        listeners.putInto(p, NODE_ID);
        p.put(ServerLogConfigs.LOG_DIRS_CONFIG, logDir.toString());
        p.put(ServerLogConfigs.NUM_PARTITIONS_CONFIG, Integer.toString(defaultPartitions));
        p.put(ReplicationConfigs.DEFAULT_REPLICATION_FACTOR_CONFIG, "1");
        // The broker-wide default of the topic setting; no server-side constant of its own.
        p.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "1");
        p.put(ServerLogConfigs.AUTO_CREATE_TOPICS_ENABLE_CONFIG, "false");
        // Internal topics on one node: replication factor 1, one partition each (quick to create and load).
        p.put(GroupCoordinatorConfig.OFFSETS_TOPIC_REPLICATION_FACTOR_CONFIG, "1");
        p.put(GroupCoordinatorConfig.OFFSETS_TOPIC_PARTITIONS_CONFIG, "1");
        p.put(TransactionLogConfig.TRANSACTIONS_TOPIC_REPLICATION_FACTOR_CONFIG, "1");
        p.put(TransactionLogConfig.TRANSACTIONS_TOPIC_MIN_ISR_CONFIG, "1");
        p.put(TransactionLogConfig.TRANSACTIONS_TOPIC_PARTITIONS_CONFIG, "1");
        p.put(ShareCoordinatorConfig.STATE_TOPIC_REPLICATION_FACTOR_CONFIG, "1");
        p.put(ShareCoordinatorConfig.STATE_TOPIC_MIN_ISR_CONFIG, "1");
        p.put(ShareCoordinatorConfig.STATE_TOPIC_NUM_PARTITIONS_CONFIG, "1");
        p.put(GroupCoordinatorConfig.GROUP_INITIAL_REBALANCE_DELAY_MS_CONFIG, "0");
        // Flink's KafkaSink defaults transaction.timeout.ms to one hour; the broker default cap is 15 minutes.
        p.put(TransactionStateManagerConfig.TRANSACTIONS_MAX_TIMEOUT_MS_CONFIG,
                Long.toString(Duration.ofHours(1).toMillis()));
        // The log cleaner allocates its dedupe buffer eagerly (128 MiB by default); 16 MiB is plenty here.
        p.put(CleanerConfig.LOG_CLEANER_DEDUPE_BUFFER_SIZE_PROP, Integer.toString(16 * 1024 * 1024));
        // Faster registration/unfencing and controlled shutdown on a single node.
        p.put(KRaftConfigs.BROKER_HEARTBEAT_INTERVAL_MS_CONFIG, "500");
        // Bounds KafkaRaftServer.startup() itself (it otherwise waits indefinitely to be unfenced).
        p.put(KRaftConfigs.SERVER_MAX_STARTUP_TIME_MS_CONFIG, Long.toString(startupTimeout.toMillis()));
        p.putAll(extraProperties);
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    private Properties adminProperties() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "chorus-embedded-kafka-admin-" + listeners.clientPort);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(ADMIN_CALL_TIMEOUT.toMillis()));
        return props;
    }

    private void prepareLogDir() throws IOException {
        if (requestedLogDir == null) {
            logDir = Files.createTempDirectory("chorus-kafka-");
            deleteLogDirOnClose = true;
        } else {
            logDir = requestedLogDir.toAbsolutePath().normalize();
            deleteLogDirOnClose = false;
            Files.createDirectories(logDir);
        }
        // LogManager halts the JVM when no log dir is usable; fail here, with an exception, instead.
        if (!Files.isDirectory(logDir) || !Files.isWritable(logDir)) {
            throw new IOException("Kafka log dir is not a writable directory: " + logDir);
        }
    }

    private static boolean isFormatted(Path dir) {
        return Files.exists(dir.resolve("meta.properties"));
    }

    /**
     * What {@code kafka-storage.sh format --cluster-id <id> --config <file> [--feature name=level]...
     * [--add-scram SCRAM-SHA-512=[name=...,password=...]]...} does for this node, through the {@link Formatter}
     * behind it and with the settings that tool reads from the broker configuration: writes
     * {@code meta.properties} and the bootstrap metadata checkpoint, with the SCRAM credentials of the SASL users.
     */
    private void format(KafkaConfig config) {
        clusterId = Uuid.randomUuid().toString();
        Set<String> directories = new TreeSet<>(config.logDirs());
        directories.add(config.metadataLogDir());
        // Its progress lines would go to System.out, which `chorus kafka` prints to; the outcome is logged below.
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8))
                .setNodeId(config.nodeId())
                .setClusterId(clusterId)
                .setUnstableFeatureVersionsEnabled(config.unstableFeatureVersionsEnabled())
                .setControllerListenerName(config.controllerListenerNames().get(0))
                .setMetadataLogDirectory(config.metadataLogDir())
                .setDirectories(directories);
        featureLevels.forEach(formatter::setFeatureLevel);
        if (saslSsl != null && !saslSsl.users().isEmpty()) {
            formatter.setScramArguments(saslSsl.scramArguments());
        }
        try {
            formatter.run();
        } catch (Exception e) {
            throw new IllegalStateException("Formatting Kafka log dir " + logDir + " failed: " + e.getMessage(), e);
        }
        LOG.debug("Formatted Kafka log dir {} for cluster {} at metadata.version {}, feature levels {}", logDir,
                clusterId, formatter.bootstrapMetadata().metadataVersion(), featureLevels);
    }

    private void awaitClusterReady(long startNanos) {
        long deadline = startNanos + startupTimeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            long remainingMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            int callTimeout = (int) Math.min(remainingMs, 5_000);
            try {
                var cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs(callTimeout));
                Collection<Node> nodes = cluster.nodes().get(callTimeout, TimeUnit.MILLISECONDS);
                String id = cluster.clusterId().get(callTimeout, TimeUnit.MILLISECONDS);
                if (nodes.stream().anyMatch(n -> n.id() == NODE_ID)) {
                    clusterId = id;
                    return;
                }
                last = new IllegalStateException("broker " + NODE_ID + " not yet listed; nodes = " + nodes);
            } catch (ExecutionException e) {
                last = (Exception) Optional.ofNullable(e.getCause()).orElse(e);
            } catch (TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the embedded Kafka broker", e);
            }
            pause(100);
        }
        throw new IllegalStateException("Embedded Kafka broker on " + bootstrapServers()
                + " did not answer describeCluster within " + startupTimeout + ": " + last, last);
    }

    private synchronized Admin runningAdmin() {
        if (state != State.RUNNING || admin == null) {
            throw new IllegalStateException("Embedded Kafka broker is not running (state " + state + ")");
        }
        return admin;
    }

    private void stopServerQuietly() {
        KafkaRaftServer s = server;
        server = null;
        if (s == null) {
            return;
        }
        try {
            s.shutdown();
            s.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("Embedded Kafka broker shutdown failed", e);
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.warn("Cleaning up after a failed embedded Kafka start failed", e);
        }
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    /** The names of the entries directly in {@code dir}. */
    static Set<String> entryNames(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(entry -> entry.getFileName().toString()).collect(Collectors.toUnmodifiableSet());
        }
    }

    /**
     * Deletes the entries directly in {@code dir} whose names are not in {@code keep}, with everything under
     * them: what formatting and a failed start added to a directory that held the entries {@code keep} names.
     * The directory itself stays, so a temporary directory this class created is emptied and a user's keeps
     * what was in it before.
     */
    static void removeEntriesNotIn(Path dir, Set<String> keep) throws IOException {
        List<Path> added;
        try (Stream<Path> entries = Files.list(dir)) {
            added = entries.filter(entry -> !keep.contains(entry.getFileName().toString())).toList();
        }
        for (Path entry : added) {
            deleteRecursively(entry);
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null && !(exc instanceof NoSuchFileException)) {
                    throw exc;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Options for {@link EmbeddedKafkaBroker}. */
    public static final class Builder {
        private int port = 0;
        private Path logDir;
        private int defaultPartitions = 1;
        private final Map<String, String> extraProperties = new LinkedHashMap<>();
        private final Map<String, Short> featureLevels = new LinkedHashMap<>();
        private Duration startupTimeout = Duration.ofSeconds(60);
        private Path saslSslKeyStore;
        private String saslSslKeyStorePassword;
        private final Map<String, String> saslUsers = new LinkedHashMap<>();

        private Builder() {
        }

        /** Client (PLAINTEXT) port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535: " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Log directory (data and KRaft metadata). Kept on close; formatted on first use and reused as it is
         * when it already holds a formatted node. Default: a fresh temporary directory deleted on close.
         */
        public Builder logDir(Path logDir) {
            this.logDir = Objects.requireNonNull(logDir, "logDir");
            return this;
        }

        /** {@code num.partitions} for topics created without an explicit count. Default 1. */
        public Builder defaultPartitions(int partitions) {
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be >= 1: " + partitions);
            }
            this.defaultPartitions = partitions;
            return this;
        }

        /** One broker property, applied after (and so overriding) this class's defaults. */
        public Builder brokerProperty(String key, String value) {
            extraProperties.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        /** Broker properties, applied after (and so overriding) this class's defaults. */
        public Builder brokerProperties(Map<String, String> properties) {
            properties.forEach(this::brokerProperty);
            return this;
        }

        /**
         * A feature level written at format time, like {@code kafka-storage.sh format --feature name=level},
         * e.g. {@code ("transaction.version", 1)}. Default: Kafka's defaults for its latest production
         * metadata version. Has no effect on an already formatted log dir.
         */
        public Builder featureLevel(String feature, short level) {
            featureLevels.put(Objects.requireNonNull(feature), level);
            return this;
        }

        /** Bound on {@link EmbeddedKafkaBroker#start()}. Default 60 s. */
        public Builder startupTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive: " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /**
         * Adds a {@code SASL_SSL} listener on a free port of 127.0.0.1
         * ({@link EmbeddedKafkaBroker#saslSslBootstrapServers()}): TLS with the key pair and certificate chain in
         * {@code keyStore} (PKCS12, the key under the store's password), SASL mechanisms PLAIN and SCRAM-SHA-512
         * for the users of {@link #saslUser}. Clients must trust the certificate and authenticate; no authorizer
         * is configured, so any authenticated user may do anything.
         */
        public Builder saslSslListener(Path keyStore, String keyStorePassword) {
            this.saslSslKeyStore = Objects.requireNonNull(keyStore, "keyStore").toAbsolutePath();
            this.saslSslKeyStorePassword = Objects.requireNonNull(keyStorePassword, "keyStorePassword");
            return this;
        }

        /**
         * A user of the SASL_SSL listener, for both PLAIN and SCRAM-SHA-512. The SCRAM credential is written when
         * the log directory is formatted, so a reused log directory keeps the users it was formatted with.
         * Names and passwords are restricted to {@code [A-Za-z0-9._-]+}, which needs no quoting in JAAS or in
         * the storage formatter's {@code --add-scram} syntax.
         */
        public Builder saslUser(String name, String password) {
            saslUsers.put(plainToken("SASL user name", name), plainToken("password of SASL user " + name, password));
            return this;
        }

        private static String plainToken(String what, String value) {
            if (value == null || !value.matches("[A-Za-z0-9._-]+")) {
                // The value itself is not repeated: it may be a password.
                throw new IllegalArgumentException(what + ": expected one or more of A-Z a-z 0-9 . _ -, got "
                        + (value == null ? "null" : "another character"));
            }
            return value;
        }

        public EmbeddedKafkaBroker build() {
            return new EmbeddedKafkaBroker(this);
        }
    }
}
