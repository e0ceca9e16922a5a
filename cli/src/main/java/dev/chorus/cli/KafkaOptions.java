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
import picocli.CommandLine.Option;

/**
 * Where Kafka is and how to talk to it, for the commands that read or write topics. The option names are
 * those of the jobs' options, so one configuration file key (and one {@code kafka.*} setting) serves both.
 */
final class KafkaOptions {

    /** How long the reachability check waits for the cluster to answer before a command gives up. */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(5);

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = {"-X", "--kafka-property"}, paramLabel = "KEY=VALUE",
            description = "Kafka client setting for every consumer and producer, e.g. -X security.protocol=SSL "
                    + "(also kafka.KEY=VALUE in the config file). Consumers read isolation.level=read_committed "
                    + "unless one sets it.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    /**
     * Fails fast, with {@link KafkaUnreachableException}, when the cluster does not answer, and with a message
     * naming the topic when one of {@code topics} does not exist.
     */
    void requireReachable(String... topics) {
        requireReachable(bootstrapServers, kafkaProperties, topics);
    }

    /**
     * Asks the cluster to describe itself, within {@link #CHECK_TIMEOUT}: a command that needs Kafka then fails
     * in seconds with one clear line instead of hanging in a client's retries.
     *
     * Then checks that {@code topics} exist, since producing to a missing topic would block for a minute.
     *
     * @throws KafkaUnreachableException if it does not answer in time, refuses the client, or authentication
     *     (SASL or TLS) fails
     * @throws IllegalStateException naming the first missing topic
     */
    static void requireReachable(String bootstrapServers, Map<String, String> kafkaProperties, String... topics) {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        String timeoutMs = Long.toString(CHECK_TIMEOUT.toMillis());
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
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) CHECK_TIMEOUT.toMillis()))
                    .clusterId().get(CHECK_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
            if (topics.length > 0) {
                requireTopics(admin, bootstrapServers, List.of(topics));
            }
        } catch (TimeoutException e) {
            throw timedOut(where, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw timedOut(where, e.getCause());
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

    private static void requireTopics(Admin admin, String bootstrapServers, List<String> topics)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> existing = admin.listTopics(new ListTopicsOptions().timeoutMs((int) CHECK_TIMEOUT.toMillis()))
                .names().get(CHECK_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        for (String topic : topics) {
            if (!existing.contains(topic)) {
                throw new IllegalStateException("topic '" + topic + "' does not exist at " + bootstrapServers
                        + " (create it, or run 'chorus kafka' for a local broker with Chorus's topics)");
            }
        }
    }

    private static KafkaUnreachableException timedOut(String where, Throwable cause) {
        return new KafkaUnreachableException(where + " (timed out after " + CHECK_TIMEOUT.toSeconds() + " s)", cause);
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
