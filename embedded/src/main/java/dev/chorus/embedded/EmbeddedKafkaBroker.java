package dev.chorus.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Apache Kafka broker (KRaft, combined broker + controller) running inside this JVM.
 *
 * <p>It is Kafka's own server ({@link KafkaRaftServer}) from the Maven-resolved {@code kafka_2.13} jars, not a
 * mock: the log directory is formatted with Kafka's storage tool ({@code kafka.tools.StorageTool}, the code
 * behind {@code kafka-storage.sh format}) and the server is started exactly as {@code kafka-server-start.sh} would
 * start it. Used by {@code chorus demo}, {@code chorus kafka} and the pipeline integration tests.
 *
 * <p>The listeners bind to 127.0.0.1 only: {@code PLAINTEXT} for clients and {@code CONTROLLER} for the
 * KRaft quorum (static single voter, {@code controller.quorum.voters}). {@link Builder#saslSslListener} adds a
 * third, {@code SASL_SSL}, for clients that authenticate with SASL/PLAIN or SCRAM-SHA-512 over TLS; the
 * {@code PLAINTEXT} listener then still carries inter-broker traffic and this class's own admin client.
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

    private static final String HOST = "127.0.0.1";
    private static final String CLIENT_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String SASL_SSL_LISTENER = "SASL_SSL";
    /** Broker-side settings of the SASL_SSL listener are prefixed {@code listener.name.<lower-case name>.}. */
    private static final String SASL_SSL_PREFIX = "listener.name.sasl_ssl.";
    private static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
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
    private final Path saslSslKeyStore;
    private final String saslSslKeyStorePassword;
    private final Map<String, String> saslUsers;

    private State state = State.NEW;
    private Path logDir;
    private boolean deleteLogDirOnClose;
    private int port = -1;
    private int controllerPort = -1;
    private int saslSslPort = -1;
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
        this.saslSslKeyStore = b.saslSslKeyStore;
        this.saslSslKeyStorePassword = b.saslSslKeyStorePassword;
        this.saslUsers = Map.copyOf(b.saslUsers);
        if (saslSslKeyStore == null && !saslUsers.isEmpty()) {
            throw new IllegalStateException("SASL users " + saslUsers.keySet()
                    + " need a SASL_SSL listener: call saslSslListener(keyStore, password) too");
        }
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
                checkPortFree(requestedPort);
            }
            boolean formattedHere = false;
            RuntimeException last = null;
            for (int attempt = 1; attempt <= MAX_BIND_ATTEMPTS; attempt++) {
                port = requestedPort == 0 ? freePort() : requestedPort;
                controllerPort = freePort(port);
                if (saslSslKeyStore != null) {
                    saslSslPort = freePort(port, controllerPort);
                }
                Properties props = brokerProperties();
                if (!isFormatted(logDir)) {
                    format(props);
                    formattedHere = true;
                }
                KafkaConfig config = new KafkaConfig(props, false);
                try {
                    server = new KafkaRaftServer(config, Time.SYSTEM);
                    server.startup();
                    last = null;
                    break;
                } catch (RuntimeException e) {
                    last = e;
                    stopServerQuietly();
                    if (!isBindFailure(e) || attempt == MAX_BIND_ATTEMPTS) {
                        break;
                    }
                    LOG.warn("Embedded Kafka could not bind 127.0.0.1:{} / 127.0.0.1:{} (attempt {}), retrying",
                            port, controllerPort, attempt);
                    if (formattedHere) {
                        // Start again from an empty directory so that nothing of the failed attempt survives.
                        deleteRecursively(logDir);
                        Files.createDirectories(logDir);
                        formattedHere = false;
                    }
                }
            }
            if (last != null) {
                throw new IllegalStateException("Embedded Kafka broker failed to start (log dir " + logDir
                        + ", ports " + port + "/" + controllerPort + "): " + last, last);
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
        if (port <= 0 || server == null) {
            throw new IllegalStateException("Embedded Kafka broker is not running");
        }
        return HOST + ":" + port;
    }

    /**
     * {@code 127.0.0.1:<port>} of the SASL_SSL listener; valid after {@link #start()} of a broker built with
     * {@link Builder#saslSslListener}.
     */
    public String saslSslBootstrapServers() {
        bootstrapServers();
        if (saslSslPort <= 0) {
            throw new IllegalStateException("Embedded Kafka broker has no SASL_SSL listener: build it with "
                    + "saslSslListener(keyStore, password)");
        }
        return HOST + ":" + saslSslPort;
    }

    /** The client (PLAINTEXT) port; valid after {@link #start()}. */
    public int port() {
        bootstrapServers();
        return port;
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
        Admin a = runningAdmin();
        if (topics.isEmpty()) {
            return;
        }
        CreateTopicsResult result = a.createTopics(topics);
        for (Map.Entry<String, KafkaFuture<Void>> e : result.values().entrySet()) {
            try {
                e.getValue().get(ADMIN_CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException ex) {
                if (ex.getCause() instanceof TopicExistsException) {
                    LOG.debug("Topic {} already exists", e.getKey());
                } else {
                    throw new IllegalStateException("Could not create topic " + e.getKey() + ": " + ex.getCause(),
                            ex.getCause());
                }
            } catch (TimeoutException ex) {
                throw new IllegalStateException("Timed out creating topic " + e.getKey(), ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while creating topic " + e.getKey(), ex);
            }
        }
        awaitLeaders(topics.stream().map(NewTopic::name).collect(Collectors.toSet()));
    }

    /** Shuts the broker down, waits for it, and deletes the log directory if this class created it. */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
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
        LOG.info("Embedded Kafka broker on port {} stopped in {} ms", port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    // ------------------------------------------------------------------------------------------------------

    private Properties brokerProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", CLIENT_LISTENER + "://" + HOST + ":" + port + ","
                + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", CLIENT_LISTENER + "://" + HOST + ":" + port);
        p.put("listener.security.protocol.map", CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        if (saslSslKeyStore != null) {
            addSaslSslListener(p);
        }
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", CLIENT_LISTENER);
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", Integer.toString(defaultPartitions));
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("auto.create.topics.enable", "false");
        // Internal topics on one node: replication factor 1, one partition each (quick to create and load).
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // Flink's KafkaSink defaults transaction.timeout.ms to one hour; the broker default cap is 15 minutes.
        p.put("transaction.max.timeout.ms", Long.toString(Duration.ofHours(1).toMillis()));
        // The log cleaner allocates its dedupe buffer eagerly (128 MiB by default); 16 MiB is plenty here.
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
        // Faster registration/unfencing and controlled shutdown on a single node.
        p.put("broker.heartbeat.interval.ms", "500");
        // Bounds KafkaRaftServer.startup() itself (it otherwise waits indefinitely to be unfenced).
        p.put("server.max.startup.time.ms", Long.toString(startupTimeout.toMillis()));
        p.putAll(extraProperties);
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    /**
     * The SASL_SSL listener: TLS with the PKCS12 key store, SASL/PLAIN with the users in the listener's JAAS
     * configuration ({@code user_<name>="<password>"}) and SCRAM-SHA-512 with credentials that {@link #format}
     * writes into the metadata log.
     */
    private void addSaslSslListener(Map<String, String> p) {
        String address = SASL_SSL_LISTENER + "://" + HOST + ":" + saslSslPort;
        p.put("listeners", p.get("listeners") + "," + address);
        p.put("advertised.listeners", p.get("advertised.listeners") + "," + address);
        p.put("listener.security.protocol.map", p.get("listener.security.protocol.map") + ","
                + SASL_SSL_LISTENER + ":SASL_SSL");
        p.put(SASL_SSL_PREFIX + "ssl.keystore.type", "PKCS12");
        p.put(SASL_SSL_PREFIX + "ssl.keystore.location", saslSslKeyStore.toString());
        p.put(SASL_SSL_PREFIX + "ssl.keystore.password", saslSslKeyStorePassword);
        p.put(SASL_SSL_PREFIX + "ssl.key.password", saslSslKeyStorePassword);
        p.put(SASL_SSL_PREFIX + "sasl.enabled.mechanisms", "PLAIN," + SCRAM_MECHANISM);
        StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        new TreeMap<>(saslUsers).forEach((name, password) ->
                plain.append(" user_").append(name).append("=\"").append(password).append('"'));
        p.put(SASL_SSL_PREFIX + "plain.sasl.jaas.config", plain.append(';').toString());
        p.put(SASL_SSL_PREFIX + SCRAM_MECHANISM.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    }

    private Properties adminProperties() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "chorus-embedded-kafka-admin-" + port);
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
     * {@code kafka-storage.sh format --cluster-id <id> --config <file> [--feature name=level]...
     * [--add-scram SCRAM-SHA-512=[name=...,password=...]]...} for this node, run through Kafka's own
     * {@code kafka.tools.StorageTool} (which drives {@code org.apache.kafka.metadata.storage.Formatter}): writes
     * {@code meta.properties} and the bootstrap metadata checkpoint, with the SCRAM credentials of the SASL users.
     * {@code StorageTool.execute} returns an exit code; only its {@code main} exits.
     */
    private void format(Properties props) throws IOException {
        clusterId = Uuid.randomUuid().toString();
        Path configFile = Files.createTempFile("chorus-kafka-format-", ".properties");
        try {
            try (var w = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
                props.store(w, "chorus embedded Kafka broker (format only)");
            }
            List<String> args = new ArrayList<>(List.of("format", "--cluster-id", clusterId,
                    "--config", configFile.toString()));
            new TreeMap<>(featureLevels).forEach((name, level) -> {
                args.add("--feature");
                args.add(name + "=" + level);
            });
            new TreeMap<>(saslUsers).forEach((name, password) -> {
                args.add("--add-scram");
                args.add(SCRAM_MECHANISM + "=[name=" + name + ",password=" + password + "]");
            });
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int rc;
            try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
                rc = StorageTool.execute(args.toArray(String[]::new), ps);
            } catch (RuntimeException e) {
                throw new IllegalStateException("Formatting Kafka log dir " + logDir + " failed: " + e.getMessage()
                        + " " + out.toString(StandardCharsets.UTF_8).trim(), e);
            }
            String output = out.toString(StandardCharsets.UTF_8).trim();
            if (rc != 0 || !isFormatted(logDir)) {
                throw new IllegalStateException("Formatting Kafka log dir " + logDir + " failed (exit code " + rc
                        + "): " + output);
            }
            LOG.debug("Kafka storage format: {}", output);
        } finally {
            Files.deleteIfExists(configFile);
        }
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

    private void awaitLeaders(Set<String> names) {
        long deadline = System.nanoTime() + ADMIN_CALL_TIMEOUT.toNanos();
        Object last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<String, TopicDescription> d = admin.describeTopics(names,
                                new DescribeTopicsOptions().timeoutMs(5_000))
                        .allTopicNames().get(5_000, TimeUnit.MILLISECONDS);
                boolean ready = d.values().stream()
                        .allMatch(t -> t.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                if (ready) {
                    return;
                }
                last = d;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException("describeTopics " + names + " failed: " + e.getCause(), e.getCause());
                }
                last = e.getCause();
            } catch (TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for topic leaders", e);
            }
            pause(50);
        }
        throw new IllegalStateException("Topics " + names + " have no leader after " + ADMIN_CALL_TIMEOUT + ": " + last);
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

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && m.contains("failed to bind")) {
                return true;
            }
        }
        return false;
    }

    /** Fails fast (instead of after Kafka's own bind error and retries) when a fixed port is taken. */
    private static void checkPortFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            s.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("Embedded Kafka broker failed to start: port " + port + " on " + HOST
                    + " is not available (" + e.getMessage() + ")", e);
        }
    }

    private static int freePort(int... avoid) {
        for (int i = 0; i < 10; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
                int p = s.getLocalPort();
                boolean clash = false;
                for (int a : avoid) {
                    clash |= a == p;
                }
                if (!clash) {
                    return p;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not find a free port on " + HOST, e);
            }
        }
        throw new IllegalStateException("Could not find a free port on " + HOST);
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
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
         * the storage tool's {@code --add-scram} syntax.
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
