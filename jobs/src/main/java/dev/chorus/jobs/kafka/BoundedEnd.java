package dev.chorus.jobs.kafka;

import dev.chorus.jobs.JobSettings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where a bounded job's source of a topic stops, looked up once when the job is built (each partition's end as a
 * committed reader sees it, its last stable offset), and the way to mark that much read for the source's consumer
 * group once the job has finished. A Kafka source commits its offsets when a checkpoint completes, and a bounded
 * source that reaches its end before the job's first checkpoint commits none (its reader has finished by the final
 * one): the next run of the group would read everything again. The job's client commits them instead, after the
 * job succeeded, so a finished run's outputs (committed by its final checkpoint) and its offsets agree.
 */
public record BoundedEnd(String bootstrapServers, Map<String, String> kafkaProperties, String group,
        Map<TopicPartition, Long> stop) {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BoundedEnd.class);

    /** Where the source of {@code topic} for group {@code settings.groupId() + groupSuffix} stops, now. */
    public static BoundedEnd of(JobSettings<?> settings, String topic, String groupSuffix) {
        Map<String, String> properties = new HashMap<>(settings.kafkaProperties());
        Map<TopicPartition, Long> stop = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                TopicReader.committedReader(settings.bootstrapServers(), properties), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, java.time.Duration.ofSeconds(30));
            List<TopicPartition> all = partitions == null ? List.of()
                    : partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            stop.putAll(consumer.endOffsets(all, java.time.Duration.ofSeconds(30)));
        }
        return new BoundedEnd(settings.bootstrapServers(), Map.copyOf(properties), settings.groupId() + groupSuffix,
                Map.copyOf(stop));
    }

    /**
     * After a run that waited for its job ({@code result} not detached: {@code flink run} without {@code -d}, or a
     * local cluster), commits {@code end} (null for an unbounded job), logging what it could not do.
     */
    public static void commitAfter(org.apache.flink.api.common.JobExecutionResult result, BoundedEnd end) {
        if (end != null && result.isJobExecutionResult()) {
            String problem = end.commit();
            if (problem != null) {
                LOG.warn("The bounded run finished, but its next run may read again what it read: {}", problem);
            }
        }
    }

    /**
     * After the job finished: commits {@link #stop} as the group's offsets where it committed less (never moving an
     * offset back). Returns what it could not do, or null.
     */
    public String commit() {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(props)) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> ahead = new HashMap<>();
            stop.forEach((tp, offset) -> {
                OffsetAndMetadata now = committed.get(tp);
                if (now == null || now.offset() < offset) {
                    ahead.put(tp, new OffsetAndMetadata(offset));
                }
            });
            if (!ahead.isEmpty()) {
                admin.alterConsumerGroupOffsets(group, ahead).all().get(30, TimeUnit.SECONDS);
            }
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return "could not commit group " + group + "'s offsets " + stop + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted committing group " + group + "'s offsets";
        }
    }
}
