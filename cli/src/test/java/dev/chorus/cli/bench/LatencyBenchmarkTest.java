package dev.chorus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.codec.WireFormat;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class LatencyBenchmarkTest {

    @Test
    void examplesProducerSendsAtOnceAndBatchesWhatQueues() {
        // As large as the pacer's: 784 features, the longest id of a 10 s run at 10,000/s.
        int exampleBytes = WireFormat.AVRO.codec(Example.class).encode(Example.newBuilder().setId("m-99999")
                .setTask(LatencyBenchmark.TASK).setFeatures(Float32.pack(new float[LatencyBenchmark.DIM]))
                .setEventTime(System.currentTimeMillis()).build()).length;
        Properties props = LatencyBenchmark.producerProperties("127.0.0.1:9092");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        // What the producer will use, Kafka's defaults included.
        ProducerConfig config = new ProducerConfig(props);

        assertThat(config.getLong(ProducerConfig.LINGER_MS_CONFIG)).isZero();
        // Five requests in flight to the one broker, each with a batch per partition: with 16 KiB batches they
        // carried 50 examples, fewer than 10,000/s brings in the 7 ms a request took on a busy machine.
        assertThat(config.getInt(ProducerConfig.BATCH_SIZE_CONFIG) / exampleBytes).as("examples a batch holds (%d bytes each)", exampleBytes)
                .isGreaterThanOrEqualTo(64);
    }

    @Test
    void samplesGiveTheSmallestValueAtOrAboveTheQuantile() {
        LatencyBenchmark.Samples samples = new LatencyBenchmark.Samples();
        assertThat(samples.percentile(0.5)).isNaN();
        for (int i = 2_000; i >= 1; i--) {
            samples.add(i);
        }
        assertThat(samples.percentile(0.50)).isEqualTo(1_000);
        assertThat(samples.percentile(0.99)).isEqualTo(1_980);
        assertThat(samples.percentile(1.0)).isEqualTo(2_000);
        assertThat(samples.percentile(0.0)).isEqualTo(1);
    }
}
