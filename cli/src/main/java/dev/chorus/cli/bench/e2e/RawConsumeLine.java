package dev.chorus.cli.bench.e2e;

import dev.chorus.jobs.kafka.TopicReader;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** The ceiling every line's rate is divided by: reading the examples topic with a plain byte consumer. */
final class RawConsumeLine {

    private RawConsumeLine() {}

    /** Reads the topic until the rate settles ({@link SettlePolicy}); the median warm run's figures. */
    static Map<String, Object> untilSettled(String bootstrap, String topic, long n, int minRuns, int maxRuns)
            throws Exception {
        return SettlePolicy.medianWarmRunFigures(SettlePolicy.untilSettled(minRuns, maxRuns,
                SteadyRate.EXAMPLES_PER_S, run -> run(bootstrap, topic, n)));
    }

    /** Reads the whole topic with a plain byte consumer: the I/O ceiling, timed from the first record. */
    static Map<String, Object> run(String bootstrap, String topic, long n) {
        Map<TopicPartition, Long> end = E2eTopics.endOffsets(bootstrap, topic);
        long bytes = 0;
        int records = 0;
        long[] arrivals = new long[Math.toIntExact(n)];
        double cpuBefore = JobRun.processCpuSeconds();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                TopicReader.committedReader(bootstrap, Map.of()), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(end.keySet());
            consumer.seekToBeginning(end.keySet());
            while (records < n) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                long arrived = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    bytes += r.value().length;
                    arrivals[records++] = arrived;
                }
            }
        }
        Map<String, Object> figures = SteadyRate.ofArrivals(arrivals);
        figures.put("mb_per_s", (double) figures.get("examples_per_s") * bytes / records / 1e6);
        SteadyRate.putCpu(figures, JobRun.processCpuSeconds() - cpuBefore, records);
        figures.put("value_bytes", bytes);
        return figures;
    }
}
