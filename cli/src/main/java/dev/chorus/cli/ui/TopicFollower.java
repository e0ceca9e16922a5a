package dev.chorus.cli.ui;

import dev.chorus.cli.RecordDecoder;
import dev.chorus.cli.RecordKind;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.codec.RecordDecodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * One of the dashboard's readers: follows one topic from the beginning into the {@link DashboardView}, decoding each
 * record whatever its wire format, and tells the view whether the topic is being read: a topic Kafka does not have
 * is not one Kafka does not answer for, and a poll that brings nothing cannot tell a quiet topic from a Kafka that is
 * gone, so after {@link #QUIET} without records the follower asks Kafka for the topic's end offsets. Every
 * {@link #PARTITIONS_CHECK} it looks the topic up again, and reads a partition added since from its beginning. Not
 * thread-safe: one thread ({@link Dashboard}'s) calls it.
 */
final class TopicFollower {

    /** How long to wait for Kafka to answer a look-up. */
    static final Duration ANSWER = Duration.ofSeconds(10);
    /** How long polls may bring nothing before the follower asks Kafka whether it still answers. */
    static final Duration QUIET = Duration.ofSeconds(30);
    /** How often the follower looks for partitions added to the topic since it last looked. */
    static final Duration PARTITIONS_CHECK = Duration.ofMinutes(1);
    private static final Duration POLL = Duration.ofMillis(200);

    private final DashboardView view;
    private final String bootstrapServers;
    private final String role;
    private final String topic;
    private final RecordKind kind;
    private final Consumer<byte[], byte[]> consumer;
    private final LongSupplier clock;
    private final RecordDecoder decoder = new RecordDecoder();
    private List<TopicPartition> partitions = List.of();
    /** When Kafka last answered this follower (epoch milliseconds), and whether the view says it does not now. */
    private long answered;
    private boolean unanswered;
    /** When the follower last looked the topic's partitions up (epoch milliseconds). */
    private long partitionsLooked;

    /**
     * Follows {@code topic}, the dashboard's {@code role} topic of {@code kind} records, with {@code consumer};
     * {@code clock} tells the time in epoch milliseconds.
     */
    TopicFollower(DashboardView view, String bootstrapServers, String role, String topic, RecordKind kind,
            Consumer<byte[], byte[]> consumer, LongSupplier clock) {
        this.view = view;
        this.bootstrapServers = bootstrapServers;
        this.role = role;
        this.topic = topic;
        this.kind = kind;
        this.consumer = consumer;
        this.clock = clock;
    }

    /**
     * Looks the topic up once: when it exists, reads it from the beginning on and says so; when it does not, the
     * view says why.
     *
     * @return whether the topic is now followed
     */
    boolean locate() {
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(topic, ANSWER);
        } catch (TimeoutException e) {
            view.unavailable(role, topic, "Kafka at " + bootstrapServers + " does not answer (no answer in "
                    + ANSWER.toSeconds() + " s to a look-up of the topic); still trying");
            return false;
        }
        if (infos.isEmpty()) {
            view.unavailable(role, topic, "topic does not exist (yet) at " + bootstrapServers);
            return false;
        }
        List<TopicPartition> found = new ArrayList<>();
        infos.forEach(p -> found.add(new TopicPartition(topic, p.partition())));
        consumer.assign(found);
        consumer.seekToBeginning(found);
        partitions = found;
        answered = clock.getAsLong();
        partitionsLooked = answered;
        view.following(role, topic);
        return true;
    }

    /**
     * Polls once, after {@link #locate}, and hands what came to the view; when polls have brought nothing for
     * {@link #QUIET}, asks Kafka for the topic's end offsets, and the view says whether it answered; every
     * {@link #PARTITIONS_CHECK}, follows the partitions added since.
     */
    void poll() {
        if (clock.getAsLong() - partitionsLooked >= PARTITIONS_CHECK.toMillis()) {
            followAddedPartitions();
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
        for (ConsumerRecord<byte[], byte[]> r : records) {
            accept(r);
        }
        long now = clock.getAsLong();
        if (!records.isEmpty()) {
            answered(now);
        } else if (now - answered >= QUIET.toMillis()) {
            try {
                consumer.endOffsets(partitions, ANSWER);
                answered(now);
            } catch (TimeoutException e) {
                unanswered = true;
                view.unavailable(role, topic, "Kafka at " + bootstrapServers + " has not answered since "
                        + Instant.ofEpochMilli(answered) + " (no answer in " + ANSWER.toSeconds()
                        + " s to a look-up of the topic's end); still trying");
            }
        }
    }

    /**
     * Reads the topic's partitions that are not followed yet from their beginning; the followed ones go on where they
     * are (an assignment keeps the positions of the partitions it keeps). A look-up Kafka does not answer is left to
     * the next one: the quiet check says whether Kafka answers.
     */
    private void followAddedPartitions() {
        partitionsLooked = clock.getAsLong();
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(topic, ANSWER);
        } catch (TimeoutException e) {
            return;
        }
        List<TopicPartition> added = new ArrayList<>();
        for (PartitionInfo p : infos == null ? List.<PartitionInfo>of() : infos) {
            TopicPartition partition = new TopicPartition(topic, p.partition());
            if (!partitions.contains(partition)) {
                added.add(partition);
            }
        }
        if (!added.isEmpty()) {
            List<TopicPartition> all = new ArrayList<>(partitions);
            all.addAll(added);
            consumer.assign(all);
            consumer.seekToBeginning(added);
            partitions = all;
        }
    }

    private void answered(long now) {
        answered = now;
        if (unanswered) {
            unanswered = false;
            view.following(role, topic);
        }
    }

    /** One record of the topic into the view: a record that is none, or one the view refuses, is counted there. */
    void accept(ConsumerRecord<byte[], byte[]> r) {
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        Object record = null;
        if (r.value() != null) {
            try {
                record = decoder.decode(r.value(), kind).record();
            } catch (RecordDecodingException e) {
                view.undecodable(r.topic(), r.partition() + "@" + r.offset(), e.getMessage());
                return;
            }
        }
        switch (kind) {
            case MODEL, ANNOTATOR, CONSENSUS -> {
                try {
                    if (kind == RecordKind.MODEL) {
                        view.model(key, (ModelSnapshot) record);
                    } else if (kind == RecordKind.ANNOTATOR) {
                        view.annotator(key, (AnnotatorModel) record);
                    } else {
                        view.consensus(key, (Consensus) record);
                    }
                } catch (IllegalArgumentException invalid) {
                    // A record the view refuses (a field out of range) is counted like one that is no record.
                    view.undecodable(r.topic(), r.partition() + "@" + r.offset(), invalid.getMessage());
                }
            }
            case DEAD_LETTER -> {
                if (record == null) {
                    view.undecodable(r.topic(), r.partition() + "@" + r.offset(), "a tombstone, not a dead letter");
                } else {
                    view.deadLetter((DeadLetter) record);
                }
            }
            default -> throw new IllegalArgumentException("the dashboard does not read " + kind + " topics");
        }
    }
}
