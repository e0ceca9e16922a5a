package dev.chorus.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.flink.util.SerializedThrowable;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * Turns a job failure that Kafka's authorizer caused into one line that names the missing permission and the
 * {@code kafka-acls.sh} command that grants it, such as {@code Kafka denied WRITE on topic chorus.predictions to
 * User:chorus: grant it with kafka-acls.sh --bootstrap-server broker:9092 --add --allow-principal User:chorus
 * --operation Write --topic chorus.predictions}.
 *
 * <p>Kafka's errors name the resource but not the operation, so the job's shape supplies it: topics the job reads
 * need READ, topics it writes WRITE, a topic it both reads and writes (the train job's control topic) both, its
 * consumer groups READ and its transactional ids WRITE (each implies DESCRIBE). The principal is the SASL user name of {@code sasl.jaas.config}, else {@code User:ANONYMOUS} on a
 * connection without SASL or TLS.
 *
 * @param bootstrapServers where the job's Kafka is
 * @param kafkaSettings the job's Kafka client settings
 * @param inputTopics the topics the job reads
 * @param outputTopics the topics the job writes
 * @param transactionalIdPrefix the prefix of every transactional id of the job's sinks
 */
record KafkaDenied(String bootstrapServers, Map<String, String> kafkaSettings, Set<String> inputTopics,
        Set<String> outputTopics, String transactionalIdPrefix) {

    private static final Pattern JAAS_USERNAME = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    /** Whether Kafka's authorizer refused something somewhere in {@code failure}'s cause chain. */
    static boolean isDenial(Throwable failure) {
        return denial(failure).isPresent();
    }

    /** The one-line explanation of the first authorization failure in {@code failure}'s cause chain, if any. */
    Optional<String> explain(Throwable failure) {
        return denial(failure).map(denied -> describe(denied, failure));
    }

    private String describe(AuthorizationException denied, Throwable failure) {
        Optional<String> deniedTopic = denied instanceof TopicAuthorizationException topics
                && !topics.unauthorizedTopics().isEmpty()
                ? topics.unauthorizedTopics().stream().sorted().findFirst()
                : denied instanceof TopicAuthorizationException ? jobTopicNamedIn(failure) : Optional.empty();
        if (deniedTopic.isPresent()) {
            String topic = deniedTopic.get();
            // Kafka does not say which of the two a topic both read and written was denied: grant both.
            List<String> operations = new ArrayList<>();
            if (inputTopics.contains(topic)) {
                operations.add("Read");
            }
            if (outputTopics.contains(topic)) {
                operations.add("Write");
            }
            return line(operations.isEmpty() ? List.of("Describe") : operations, "topic " + topic, "--topic " + topic);
        }
        if (denied instanceof GroupAuthorizationException group && group.groupId() != null) {
            return line(List.of("Read"), "group " + group.groupId(), "--group " + group.groupId());
        }
        if (denied instanceof TransactionalIdAuthorizationException) {
            return line(List.of("Write"), "transactional ids prefixed " + transactionalIdPrefix,
                    "--transactional-id " + transactionalIdPrefix + " --resource-pattern-type prefixed");
        }
        if (denied instanceof ClusterAuthorizationException) {
            return line(List.of("IdempotentWrite"), "the cluster", "--cluster");
        }
        return "Kafka denied " + principal() + " access: " + denied.getMessage().replace('\n', ' ');
    }

    /** The line for {@code operations} (one, or the two a topic both read and written needs) on {@code resource}. */
    private String line(List<String> operations, String resource, String resourceOptions) {
        String principal = principal();
        String denied = operations.stream()
                .map(o -> o.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT))
                .collect(Collectors.joining(" or "));
        String grants = operations.stream().map(o -> " --operation " + o).collect(Collectors.joining());
        return "Kafka denied " + denied + " on " + resource + " to " + principal + ": grant "
                + (operations.size() == 1 ? "it" : "both") + " with kafka-acls.sh --bootstrap-server "
                + bootstrapServers + " --add --allow-principal " + principal + grants + " " + resourceOptions;
    }

    /** The principal Kafka knows this job's clients as, as far as their settings tell. */
    String principal() {
        String jaas = kafkaSettings.get("sasl.jaas.config");
        if (jaas != null) {
            Matcher user = JAAS_USERNAME.matcher(jaas);
            if (user.find()) {
                return "User:" + user.group(1);
            }
        }
        String protocol = kafkaSettings.getOrDefault("security.protocol", "PLAINTEXT");
        return protocol.equalsIgnoreCase("PLAINTEXT") ? "User:ANONYMOUS" : "User:<this job's principal>";
    }

    /**
     * The job's topic that a message along {@code failure}'s chain names: an admin client's describeTopics
     * fails with a {@link TopicAuthorizationException} that names no topic, but the connector's wrapper does.
     */
    private Optional<String> jobTopicNamedIn(Throwable failure) {
        Set<String> topics = new TreeSet<>(inputTopics);
        topics.addAll(outputTopics);
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 64; t = t.getCause(), depth++) {
            String message = t.getMessage();
            if (message == null) {
                continue;
            }
            for (String topic : topics) {
                if (Pattern.compile("(?<![\\w.-])" + Pattern.quote(topic) + "(?![\\w.-])").matcher(message).find()) {
                    return Optional.of(topic);
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<AuthorizationException> denial(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 64; depth++) {
            if (t instanceof SerializedThrowable serialized) {
                // A failure that crossed Flink's RPC: the original is inside.
                Throwable original = serialized.deserializeError(KafkaDenied.class.getClassLoader());
                if (original == serialized) {
                    return Optional.empty();
                }
                t = original;
                continue;
            }
            if (t instanceof AuthorizationException denied) {
                return Optional.of(denied);
            }
            for (Throwable suppressed : t.getSuppressed()) {
                Optional<AuthorizationException> inside = denial(suppressed);
                if (inside.isPresent()) {
                    return inside;
                }
            }
            t = t.getCause();
        }
        return Optional.empty();
    }
}
