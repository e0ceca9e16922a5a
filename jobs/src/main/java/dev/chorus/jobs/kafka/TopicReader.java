package dev.chorus.jobs.kafka;

import dev.chorus.jobs.kafka.ConsumerProperties;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a whole topic from the beginning with {@code isolation.level=read_committed} (unless the user's settings
 * say otherwise, see {@link ConsumerProperties}): only what a transactional producer committed. Used by the demo,
 * the CLI and the integration tests.
 */
public final class TopicReader {
    private TopicReader() {}

    /** Consumer settings for reading committed data from the beginning, without a consumer group. */
    public static Properties committedReader(String bootstrapServers, Map<String, String> kafkaProperties) {
        Properties props = ConsumerProperties.readCommitted(kafkaProperties);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return props;
    }

    /**
     * Reads every committed record of {@code topic} up to its end offsets at the time of the call, decoding each
     * value with {@code decode} (a tombstone's value is null).
     */
    public static <T> List<T> readAll(String bootstrapServers, Map<String, String> kafkaProperties, String topic,
            Function<byte[], T> decode) {
        List<T> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readAllRecords(bootstrapServers, kafkaProperties, topic)) {
            out.add(decode.apply(r.value()));
        }
        return out;
    }

    /** {@link #readAll}, as whole records (partition, offset, key, value), in each partition's order. */
    public static List<ConsumerRecord<byte[], byte[]>> readAllRecords(String bootstrapServers,
            Map<String, String> kafkaProperties, String topic) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (Tail tail = tail(bootstrapServers, kafkaProperties, topic)) {
            tail.readToEnd(out::add);
        }
        return out;
    }

    /** A {@link Tail} of {@code topic}, at its beginning. */
    public static Tail tail(String bootstrapServers, Map<String, String> kafkaProperties, String topic) {
        return new Tail(fromBeginning(bootstrapServers, kafkaProperties, topic));
    }

    /**
     * A committed reader of every partition of a topic that stays open, so that a reader who keeps what it needs of a
     * topic reads each record once: {@link #readToEnd} hands over what arrived since the last call.
     */
    public static final class Tail implements AutoCloseable {
        /**
         * How long {@link #readToEnd} waits for a partition short of its end to move before it gives up: a reader of a
         * topic whose broker went away mid-read would otherwise poll for good.
         */
        public static final Duration PATIENCE = Duration.ofSeconds(60);

        private final KafkaConsumer<byte[], byte[]> consumer;

        private Tail(KafkaConsumer<byte[], byte[]> consumer) {
            this.consumer = consumer;
        }

        /**
         * Hands {@code sink} every committed record from this tail's position up to the topic's end offsets at the
         * time of the call, in each partition's order; returns how many.
         *
         * @throws IllegalStateException when no partition short of its end moves for {@link #PATIENCE} (the broker
         *     went away while the end was being read: a consumer's poll waits for it rather than fail)
         */
        public int readToEnd(Consumer<ConsumerRecord<byte[], byte[]>> sink) {
            return readToEnd(sink, PATIENCE);
        }

        /** {@link #readToEnd(Consumer)}, giving up after {@code patience} without progress. */
        public int readToEnd(Consumer<ConsumerRecord<byte[], byte[]>> sink, Duration patience) {
            List<TopicPartition> partitions = new ArrayList<>(consumer.assignment());
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Map<TopicPartition, Long> remaining = new HashMap<>(end);
            remaining.keySet().removeIf(tp -> consumer.position(tp) >= end.get(tp));
            int read = 0;
            Map<TopicPartition, Long> positions = positions();
            long movedAt = System.nanoTime();
            while (!remaining.isEmpty()) {
                read += poll(Duration.ofMillis(200), sink);
                remaining.keySet().removeIf(tp -> consumer.position(tp) >= end.get(tp));
                Map<TopicPartition, Long> now = positions();
                if (!now.equals(positions)) {
                    positions = now;
                    movedAt = System.nanoTime();
                } else if (System.nanoTime() - movedAt >= patience.toNanos()) {
                    TopicPartition stuck = remaining.keySet().iterator().next();
                    throw new IllegalStateException("cannot read topic " + stuck.topic() + " to its end: "
                            + remaining.size() + " of its partitions have not moved for " + patience.toSeconds()
                            + " s (partition " + stuck.partition() + " at offset " + consumer.position(stuck)
                            + ", expected to read up to " + end.get(stuck) + "); is Kafka reachable?");
                }
            }
            return read;
        }

        /** Hands {@code sink} what one poll, waiting at most {@code timeout}, returns; returns how many. */
        public int poll(Duration timeout, Consumer<ConsumerRecord<byte[], byte[]>> sink) {
            int read = 0;
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
                sink.accept(r);
                read++;
            }
            return read;
        }

        /** Where the next read starts, per partition. */
        public Map<TopicPartition, Long> positions() {
            Map<TopicPartition, Long> positions = new HashMap<>();
            consumer.assignment().forEach(tp -> positions.put(tp, consumer.position(tp)));
            return positions;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    /**
     * Waits, at most {@code patience}, until every partition of {@code topic} has its last stable offset at its high
     * watermark: no transaction is open or waiting for its commit markers, which the transaction coordinator writes
     * after {@code commitTransaction} returns. Call it after a bounded job has finished, before reading what it wrote,
     * so a committed reader does not stop short of its last transaction; a topic some producer keeps writing to
     * transactionally may not settle, so this returns after {@code patience} either way.
     *
     * @return whether the topic settled
     */
    public static boolean awaitSettled(String bootstrapServers, Map<String, String> kafkaProperties, String topic,
            Duration patience) {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        long deadline = System.nanoTime() + patience.toNanos();
        try (Admin admin = Admin.create(props)) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (TopicPartitionInfo p : admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
                    .partitions()) {
                latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
            }
            while (!endOffsets(admin, latest, IsolationLevel.READ_COMMITTED)
                    .equals(endOffsets(admin, latest, IsolationLevel.READ_UNCOMMITTED))) {
                if (System.nanoTime() - deadline >= 0) {
                    return false;
                }
                Thread.sleep(50); // polling interval while the coordinator writes the markers
            }
            return true;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the end offsets of topic " + topic + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, Map<TopicPartition, OffsetSpec> latest,
            IsolationLevel isolation) throws ExecutionException, InterruptedException {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin.listOffsets(latest, new ListOffsetsOptions(isolation)).all().get()
                .forEach((tp, info) -> offsets.put(tp, info.offset()));
        return offsets;
    }

    /** Whether {@code topic} exists; asking does not create it where the broker creates topics on demand. */
    public static boolean exists(String bootstrapServers, Map<String, String> kafkaProperties, String topic) {
        Map<String, String> noAutoCreate = new HashMap<>(kafkaProperties);
        noAutoCreate.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(committedReader(bootstrapServers,
                noAutoCreate), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            return partitions != null && !partitions.isEmpty();
        }
    }

    /**
     * The offset of the last committed record of partition {@code partition} of {@code topic} below its last stable
     * offset at the time of the call, or -1 when it has none or the topic does not exist: what a committed reader from
     * the beginning would read last. It is read back from the end in growing windows, as the offsets just below the
     * end may be commit markers or an aborted transaction's records, which a committed reader never sees.
     *
     * @throws IllegalStateException when the partition cannot be read to its end within two minutes
     */
    public static long lastCommittedOffset(String bootstrapServers, Map<String, String> kafkaProperties, String topic,
            int partition) {
        TopicPartition tp = new TopicPartition(topic, partition);
        // Asking must not create the topic where the broker creates topics on demand.
        Map<String, String> noAutoCreate = new HashMap<>(kafkaProperties);
        noAutoCreate.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(committedReader(bootstrapServers,
                noAutoCreate), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (partitions == null || partitions.stream().noneMatch(p -> p.partition() == partition)) {
                return -1;
            }
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long begin = consumer.beginningOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            for (long window = 64; ; window *= 8) {
                long from = Math.max(begin, end - window);
                consumer.seek(tp, from);
                long last = -1;
                while (consumer.position(tp) < end) {
                    if (System.nanoTime() - deadline >= 0) {
                        throw new IllegalStateException("cannot read " + tp + " from offset " + from + " to its last "
                                + "stable offset " + end + " within 2 minutes: at " + consumer.position(tp));
                    }
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        if (r.offset() < end) {
                            last = Math.max(last, r.offset());
                        }
                    }
                }
                if (last >= 0 || from == begin) {
                    return last;
                }
            }
        }
    }

    /**
     * The offset consumer group {@code group} has committed on partition {@code partition} of {@code topic}, the next
     * it reads; -1 when it has committed none there, or its offsets cannot be read (no such group, or no Describe on
     * it).
     */
    public static long committedOffset(String bootstrapServers, Map<String, String> kafkaProperties, String group,
            String topic, int partition) {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        TopicPartition tp = new TopicPartition(topic, partition);
        try (Admin admin = Admin.create(props)) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).get(tp);
            return offset == null ? -1 : offset.offset();
        } catch (ExecutionException | TimeoutException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * What a compacted topic (models, annotators) says now: the latest committed value of each key, decoded, in
     * the order the keys were first written. A tombstone (null value) deletes its key, as compaction will.
     */
    public static <T> Map<String, T> readLatest(String bootstrapServers, Map<String, String> kafkaProperties,
            String topic, Function<byte[], T> decode) {
        Map<String, T> latest = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readAllRecords(bootstrapServers, kafkaProperties, topic)) {
            String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) {
                latest.remove(key);
            } else {
                latest.put(key, decode.apply(r.value()));
            }
        }
        return latest;
    }

    /** Follows {@code topic} from the beginning, handing each committed value to {@code sink}, until {@code stop} says so. */
    public static void follow(String bootstrapServers, Map<String, String> kafkaProperties, String topic,
            Consumer<byte[]> sink, BooleanSupplier stop) {
        followRecords(bootstrapServers, kafkaProperties, topic, r -> sink.accept(r.value()), stop);
    }

    /** {@link #follow}, handing over whole records (partition, offset, key, value) instead of values. */
    public static void followRecords(String bootstrapServers, Map<String, String> kafkaProperties, String topic,
            Consumer<ConsumerRecord<byte[], byte[]>> sink, BooleanSupplier stop) {
        try (Tail tail = tail(bootstrapServers, kafkaProperties, topic)) {
            while (!stop.getAsBoolean()) {
                tail.poll(Duration.ofMillis(100), sink);
            }
        }
    }

    /** A committed reader assigned every partition of {@code topic}, positioned at the beginning. */
    private static KafkaConsumer<byte[], byte[]> fromBeginning(String bootstrapServers,
            Map<String, String> kafkaProperties, String topic) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(committedReader(bootstrapServers,
                kafkaProperties), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            return consumer;
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(topic, p.partition()));
        }
        if (partitions.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " has no partitions (does it exist?)");
        }
        return partitions;
    }
}
