package dev.chorus.jobs;

import java.time.Duration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** How every Chorus job configures its environment. */
public final class JobEnvironment {
    private JobEnvironment() {}

    /**
     * Exactly-once checkpointing, no Kryo fallback for any type, object reuse, network buffer timeout, parallelism
     * when set.
     *
     * <p>Object reuse: without it, every record passed between two chained operators is deep-copied through its
     * serializer, which for the train job was each Kafka record's bytes (3 KB for 784 features) between the source
     * and the decoder, and each prediction between the trainer and its sink. No Chorus function keeps or changes a
     * record it was given after it returns (decoders build new records, the trainer copies features into its
     * minibatch, the Kafka sinks serialise at once), and records that arrive over the network are always fresh
     * objects, so the copies protected nothing.
     */
    public static void configure(StreamExecutionEnvironment env, JobSettings<?> settings) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(PipelineOptions.OBJECT_REUSE, true);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(settings.checkpointIntervalMs()));
        conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
        env.configure(conf);
        env.setBufferTimeout(settings.bufferTimeoutMs());
        if (settings.parallelism() > 0) {
            env.setParallelism(settings.parallelism());
        }
    }
}
