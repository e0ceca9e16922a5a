package dev.chorus.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link TopicReader#awaitSettled} on a real broker: a topic with an open transaction has not settled (a committed
 * reader stops before it), and once the transaction is committed it settles and the reader sees all of it.
 */
class TopicReaderSettledIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void anOpenTransactionKeepsATopicUnsettledAndItsCommitSettlesIt() throws Exception {
        String topic = "settle-it";
        KAFKA.broker().createTopic(topic, 2, Map.of());
        String bootstrap = KAFKA.broker().bootstrapServers();
        assertThat(TopicReader.awaitSettled(bootstrap, Map.of(), topic, Duration.ofSeconds(30)))
                .as("an empty topic").isTrue();
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "settle-it");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
            assertThat(TopicReader.awaitSettled(bootstrap, Map.of(), topic, Duration.ofMillis(500)))
                    .as("a topic with an open transaction").isFalse();
            assertThat(TopicReader.readAll(bootstrap, Map.of(), topic, v -> v)).as("what a committed reader sees")
                    .isEmpty();
            producer.commitTransaction();
        }
        assertThat(TopicReader.awaitSettled(bootstrap, Map.of(), topic, Duration.ofSeconds(30)))
                .as("the topic once its transaction is committed").isTrue();
        assertThat(TopicReader.readAll(bootstrap, Map.of(), topic, v -> new String(v, StandardCharsets.UTF_8)))
                .hasSize(10);
    }
}
