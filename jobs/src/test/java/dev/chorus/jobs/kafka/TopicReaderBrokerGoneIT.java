package dev.chorus.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A committed reader whose broker goes away while it reads a topic to its end gives up, naming the topic and where it
 * stopped, once no partition has moved for its patience (before, it polled for good: `chorus specs list`, `models`,
 * `leaderboard` and `--fork-from` hung). The test's timeout only keeps a regression from hanging the build.
 */
class TopicReaderBrokerGoneIT {

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aReaderWhoseBrokerWentAwayMidReadGivesUp() throws Exception {
        String topic = "broker-gone-it";
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start();
        try {
            broker.createTopic(topic, 1, Map.of());
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                for (int i = 0; i < 50; i++) {
                    // One batch per record, so that a fetch of at most one byte per partition brings one record.
                    producer.send(new ProducerRecord<>(topic, ("r" + i).getBytes(StandardCharsets.UTF_8))).get();
                }
            }
            // Small fetches: most of the topic is still on the broker when it goes away.
            Map<String, String> smallFetches = Map.of(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "1",
                    ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1");
            List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
            try (TopicReader.Tail tail = TopicReader.tail(broker.bootstrapServers(), smallFetches, topic)) {
                assertThatThrownBy(() -> tail.readToEnd(r -> {
                    if (read.isEmpty()) {
                        broker.close();
                    }
                    read.add(r);
                }, Duration.ofSeconds(5))).isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith("cannot read topic broker-gone-it to its end: 1 of its partitions have "
                                + "not moved for 5 s (partition 0 at offset ")
                        .hasMessageEndingWith(", expected to read up to 50); is Kafka reachable?");
            }
            assertThat(read).as("what was read before the broker went away").isNotEmpty().hasSizeLessThan(50);
        } finally {
            broker.close();
        }
    }
}
