package dev.chorus.jobs.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Properties;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.transformations.SinkTransformation;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

/** The producer settings of the serve job's sinks, read from the topology {@link ServeJob#build} makes. */
class ServeJobSinkTest {

    private static Properties producerConfig(ServeSettings settings, String uid) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(env, settings);
        SinkTransformation<?, ?> sink = env.getTransformations().stream()
                .filter(SinkTransformation.class::isInstance).map(t -> (SinkTransformation<?, ?>) t)
                .filter(t -> uid.equals(t.getUid())).findFirst().orElseThrow();
        // The connector keeps the producer's configuration to itself.
        Method config = KafkaSink.class.getDeclaredMethod("getKafkaProducerConfig");
        config.setAccessible(true);
        return (Properties) config.invoke(sink.getSink());
    }

    @Test
    void predictionsLeaveWithoutLingering() throws Exception {
        // Kafka 4's producer lingers 5 ms to fill batches: at 10,000/s that was the whole p50 from a prediction to
        // its append (4-6 ms), beside the job's 5 ms network buffer timeout.
        for (boolean exactlyOnce : new boolean[] {false, true}) {
            Properties props = producerConfig(new ServeSettings().exactlyOnce(exactlyOnce),
                    ServeJob.UID_PREDICTIONS_SINK);
            assertThat(props.getProperty(ProducerConfig.LINGER_MS_CONFIG)).as("exactly once: %s", exactlyOnce)
                    .isEqualTo("0");
        }
    }

    @Test
    void theOperatorsKafkaPropertiesStillDecide() throws Exception {
        Properties props = producerConfig(new ServeSettings().kafkaProperty(ProducerConfig.LINGER_MS_CONFIG, "20"),
                ServeJob.UID_PREDICTIONS_SINK);
        assertThat(props.getProperty(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo("20");
    }
}
