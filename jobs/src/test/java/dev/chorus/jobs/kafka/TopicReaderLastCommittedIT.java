package dev.chorus.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link TopicReader#lastCommittedOffset} on a real broker: the offset a committed reader reads last, past commit
 * markers, aborted transactions longer than its first window, and an open transaction above the last stable offset.
 */
class TopicReaderLastCommittedIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void theLastCommittedRecordIsFoundBelowMarkersAbortedAndOpenTransactions() throws Exception {
        String topic = "last-committed-it";
        String bootstrap = KAFKA.broker().bootstrapServers();
        assertThat(TopicReader.lastCommittedOffset(bootstrap, Map.of(), topic, 0)).as("no such topic").isEqualTo(-1);
        KAFKA.broker().createTopic(topic, 1, Map.of());
        assertThat(TopicReader.lastCommittedOffset(bootstrap, Map.of(), topic, 0)).as("empty").isEqualTo(-1);

        try (KafkaProducer<byte[], byte[]> transactional = producer("last-committed-it")) {
            transactional.initTransactions();
            transactional.beginTransaction();
            transactional.send(record(topic, "aborted-first")).get();
            transactional.abortTransaction();
            assertThat(TopicReader.lastCommittedOffset(bootstrap, Map.of(), topic, 0))
                    .as("only an aborted record and its marker").isEqualTo(-1);

            transactional.beginTransaction();
            long committed = 0;
            for (int i = 0; i < 3; i++) {
                committed = transactional.send(record(topic, "committed-" + i)).get().offset();
            }
            transactional.commitTransaction();
            // The coordinator writes the commit marker after commitTransaction returns; until then the last stable
            // offset is still the transaction's first, and a committed reader sees none of it.
            assertThat(TopicReader.awaitSettled(bootstrap, Map.of(), topic, JobTestSupport.PATIENCE))
                    .as("the commit marker written").isTrue();
            assertThat(TopicReader.lastCommittedOffset(bootstrap, Map.of(), topic, 0)).as("below its commit marker")
                    .isEqualTo(committed);

            transactional.beginTransaction();
            for (int i = 0; i < 100; i++) {
                transactional.send(record(topic, "aborted-" + i));
            }
            transactional.flush();
            transactional.abortTransaction();
            // Once its abort marker is written the last stable offset moves past the 100 aborted records, so the
            // search below must read back over them (before, it would stop short of them and pass without doing so).
            assertThat(TopicReader.awaitSettled(bootstrap, Map.of(), topic, JobTestSupport.PATIENCE))
                    .as("the abort marker written").isTrue();
            transactional.beginTransaction();
            transactional.send(record(topic, "open")).get();
            assertThat(TopicReader.lastCommittedOffset(bootstrap, Map.of(), topic, 0))
                    .as("below 100 aborted records, more than the first window, and an open transaction")
                    .isEqualTo(committed);
            transactional.commitTransaction();
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String value) {
        return new ProducerRecord<>(topic, 0, null, value.getBytes(StandardCharsets.UTF_8));
    }

    private static KafkaProducer<byte[], byte[]> producer(String transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
