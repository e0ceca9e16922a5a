package dev.chorus.embedded;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidMetadataException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Topic creation on an {@link EmbeddedKafkaBroker}: idempotent, and done only once every partition has a leader. */
final class BrokerTopics {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerTopics.class);

    private BrokerTopics() {
    }

    /**
     * Creates topics (those that already exist are left as they are) and waits until every partition of
     * every requested topic has a leader, so callers can produce at once. Each step is bounded by
     * {@code timeout}.
     */
    static void create(Admin admin, Collection<NewTopic> topics, Duration timeout) {
        if (topics.isEmpty()) {
            return;
        }
        CreateTopicsResult result = admin.createTopics(topics);
        for (Map.Entry<String, KafkaFuture<Void>> e : result.values().entrySet()) {
            try {
                e.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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
        awaitLeaders(admin, topics.stream().map(NewTopic::name).collect(Collectors.toSet()), timeout);
    }

    private static boolean leadersServe(Admin admin, Map<String, TopicDescription> topics)
            throws InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        topics.values().forEach(t -> t.partitions().forEach(
                p -> partitions.put(new TopicPartition(t.name(), p.partition()), OffsetSpec.latest())));
        try {
            admin.listOffsets(partitions).all().get(5_000, TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof InvalidMetadataException) {
                return false;
            }
            throw new IllegalStateException("listOffsets " + partitions.keySet() + " failed: " + e.getCause(),
                    e.getCause());
        }
    }

    private static void awaitLeaders(Admin admin, Set<String> names, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Object last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<String, TopicDescription> d = admin.describeTopics(names,
                                new DescribeTopicsOptions().timeoutMs(5_000))
                        .allTopicNames().get(5_000, TimeUnit.MILLISECONDS);
                boolean ready = d.values().stream()
                        .allMatch(t -> t.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                // The metadata can name a leader a moment before that broker's replica manager serves as one; a
                // produce in that window fails NOT_LEADER_OR_FOLLOWER, and its idempotent retry can then hit
                // OutOfOrderSequenceException (seen on a loaded machine). Listing offsets needs the leader itself.
                if (ready && leadersServe(admin, d)) {
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
            EmbeddedKafkaBroker.pause(50);
        }
        throw new IllegalStateException("Topics " + names + " have no leader after " + timeout + ": " + last);
    }
}
