package dev.chorus.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The topics a job run here cannot do without. A Kafka sink whose topic is missing waits a minute for its metadata,
 * fails, and the job restarts into the same wait, forever and without a word on the console; so a missing one stops
 * {@code chorus train} or {@code chorus serve} before the job starts, with one line that says what to create.
 */
final class MissingTopics {

    private MissingTopics() {}

    /**
     * @throws IllegalStateException naming those of {@code topics} that the cluster says do not exist; a topic this
     *     principal may not describe is not among them (the job then reports Kafka's denial, as before)
     */
    static void require(String bootstrapServers, Map<String, String> kafkaProperties, List<String> topics,
            Duration timeout) throws InterruptedException {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        List<String> missing = new ArrayList<>();
        long timeoutMs = timeout.toMillis();
        try (Admin admin = Admin.create(props)) {
            Map<String, KafkaFuture<TopicDescription>> described = admin.describeTopics(topics,
                    new DescribeTopicsOptions().timeoutMs((int) timeoutMs)).topicNameValues();
            for (String topic : topics) {
                try {
                    described.get(topic).get(timeoutMs + 1000, TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        missing.add(topic);
                    }
                } catch (TimeoutException e) {
                    // Not known to be missing: the job's own clients will say what is wrong.
                }
            }
        }
        if (!missing.isEmpty()) {
            String names = missing.size() == 1 ? "topic " + missing.get(0)
                    : "topics " + String.join(", ", missing.subList(0, missing.size() - 1)) + " and "
                            + missing.get(missing.size() - 1);
            throw new IllegalStateException(names + (missing.size() == 1 ? " does" : " do") + " not exist at "
                    + bootstrapServers + ": create " + (missing.size() == 1 ? "it" : "them") + " (deploy/kafka/topics "
                    + "lists every Chorus topic with its configs), or run 'chorus kafka' for a local broker that has "
                    + "them all");
        }
    }
}
