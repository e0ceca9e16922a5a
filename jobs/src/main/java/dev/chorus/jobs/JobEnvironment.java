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

    /** Exactly-once checkpointing, no Kryo fallback for any type, network buffer timeout, parallelism when set. */
    public static void configure(StreamExecutionEnvironment env, JobSettings<?> settings) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(settings.checkpointIntervalMs()));
        conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
        env.configure(conf);
        env.setBufferTimeout(settings.bufferTimeoutMs());
        if (settings.parallelism() > 0) {
            env.setParallelism(settings.parallelism());
        }
    }
}
