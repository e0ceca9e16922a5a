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
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * One of the dashboard's readers: follows one topic from the beginning into the {@link DashboardView}, decoding each
 * record whatever its wire format, and tells the view whether the topic is being read. Not thread-safe: one thread
 * ({@link Dashboard}'s) calls it.
 */
final class TopicFollower {

    /** How long to wait for Kafka to answer a look-up. */
    static final Duration ANSWER = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(200);

    private final DashboardView view;
    private final String bootstrapServers;
    private final String role;
    private final String topic;
    private final RecordKind kind;
    private final Consumer<byte[], byte[]> consumer;
    private final RecordDecoder decoder = new RecordDecoder();

    /** Follows {@code topic}, the dashboard's {@code role} topic of {@code kind} records, with {@code consumer}. */
    TopicFollower(DashboardView view, String bootstrapServers, String role, String topic, RecordKind kind,
            Consumer<byte[], byte[]> consumer) {
        this.view = view;
        this.bootstrapServers = bootstrapServers;
        this.role = role;
        this.topic = topic;
        this.kind = kind;
        this.consumer = consumer;
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
            infos = List.of();
        }
        if (infos.isEmpty()) {
            view.unavailable(role, topic, "topic does not exist (yet) at " + bootstrapServers);
            return false;
        }
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        view.following(role, topic);
        return true;
    }

    /** Polls once, after {@link #locate}, and hands what came to the view. */
    void poll() {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
            accept(r);
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
            case MODEL -> view.model(key, (ModelSnapshot) record);
            case ANNOTATOR, CONSENSUS -> {
                try {
                    if (kind == RecordKind.ANNOTATOR) {
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
