package dev.chorus.cli;

import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where Kafka is and how to talk to it, for the commands that read or write topics. The option names are
 * those of the jobs' options, so one configuration file key (and one {@code kafka.*} setting) serves both.
 */
final class KafkaOptions {

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = {"-X", "--kafka-property"}, paramLabel = "KEY=VALUE",
            description = "Kafka client setting for every consumer and producer, e.g. -X security.protocol=SSL "
                    + "(also kafka.KEY=VALUE in the config file). Consumers read isolation.level=read_committed "
                    + "unless one sets it.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Mixin
    KafkaCheckTimeout checkTimeout = new KafkaCheckTimeout();

    /** How long a check or a metadata request waits for the cluster ({@code --kafka-check-timeout-ms}). */
    Duration checkTimeout() {
        return checkTimeout.timeout();
    }

    /**
     * Fails fast, with {@link KafkaUnreachableException}, when the cluster does not answer, and with a message
     * naming the topic when one of {@code topics} does not exist.
     */
    void requireReachable(String... topics) {
        requireReachable(bootstrapServers, kafkaProperties, checkTimeout(), topics);
    }

    /**
     * Asks the cluster to describe itself, within {@code timeout}: a command that needs Kafka then fails with one
     * clear line, naming the setting of that timeout, instead of hanging in a client's retries.
     *
     * Then checks that {@code topics} exist, since producing to a missing topic would block for a minute.
     *
     * @throws KafkaUnreachableException if it does not answer in time, refuses the client, or authentication
     *     (SASL or TLS) fails
     * @throws IllegalStateException naming the first missing topic
     */
    static void requireReachable(String bootstrapServers, Map<String, String> kafkaProperties, Duration timeout,
            String... topics) {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        String timeoutMs = Long.toString(timeout.toMillis());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        String where = "cannot reach Kafka at " + bootstrapServers;
        Admin admin;
        try {
            admin = Admin.create(props);
        } catch (KafkaException e) {
            throw new KafkaUnreachableException(where + ": " + rootMessage(e), e);
        }
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .clusterId().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            if (topics.length > 0) {
                requireTopics(admin, bootstrapServers, List.of(topics), timeout);
            }
        } catch (TimeoutException e) {
            throw new KafkaUnreachableException(KafkaCheckTimeout.timedOut(where, timeout), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw new KafkaUnreachableException(KafkaCheckTimeout.timedOut(where, timeout), e.getCause());
            }
            if (e.getCause() instanceof AuthenticationException) {
                // SASL credentials refused, or a TLS handshake that failed: Kafka answered, so not "cannot reach".
                throw new KafkaUnreachableException("authentication with Kafka at " + bootstrapServers
                        + " failed (check the kafka.sasl.* and kafka.ssl.* settings): " + rootMessage(e.getCause()),
                        e.getCause());
            }
            throw new KafkaUnreachableException(where + ": " + rootMessage(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnreachableException(where + ": interrupted", e);
        } finally {
            // Nothing is left to wait for: an unreachable cluster would only delay the exit.
            admin.close(Duration.ZERO);
        }
    }

    private static void requireTopics(Admin admin, String bootstrapServers, List<String> topics, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> existing = admin.listTopics(new ListTopicsOptions().timeoutMs((int) timeout.toMillis()))
                .names().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        for (String topic : topics) {
            if (!existing.contains(topic)) {
                throw new IllegalStateException("topic '" + topic + "' does not exist at " + bootstrapServers
                        + " (create it, or run 'chorus kafka' for a local broker with Chorus's topics)");
            }
        }
    }

    /** The innermost message, which for Kafka's "failed to create client" names the setting at fault. */
    private static String rootMessage(Throwable e) {
        Throwable deepest = e;
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                deepest = c;
            }
            if (c instanceof ConfigException) {
                break;
            }
        }
        if (deepest instanceof NoSuchFileException missing) {
            // Its message is the path alone (a truststore or keystore setting's): say what is missing, after what
            // Kafka was loading when it found out.
            String loading = null;
            for (Throwable c = e; c != deepest; c = c.getCause()) {
                loading = c.getMessage() != null ? c.getMessage() : loading;
            }
            return (loading == null ? "" : loading + ": ") + "no such file " + missing.getFile();
        }
        return deepest.getMessage() == null ? deepest.getClass().getSimpleName() : deepest.getMessage();
    }
}
