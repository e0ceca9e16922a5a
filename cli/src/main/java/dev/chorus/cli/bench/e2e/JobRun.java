package dev.chorus.cli.bench.e2e;

import dev.chorus.embedded.LocalFlinkCluster;
import java.lang.management.ManagementFactory;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** A bounded job that ran to its end: when it was submitted and finished, and this JVM's CPU time at submission. */
record JobRun(long submitted, long finished, double cpuAtSubmit) {

    /** Submits the job defined on {@code env}, without restarts, and waits for its end; throws if it failed. */
    static JobRun runToEnd(LocalFlinkCluster flink, StreamExecutionEnvironment env, String name) throws Exception {
        env.configure(noRestarts());
        double cpu = processCpuSeconds();
        long submitted = System.currentTimeMillis();
        flink.await(flink.submit(env, name));
        return new JobRun(submitted, System.currentTimeMillis(), cpu);
    }

    /** A job that fails here should fail its line, not restart forever (the default with checkpointing). */
    static Configuration noRestarts() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return conf;
    }

    /**
     * CPU time of this JVM so far: the broker, the MiniCluster's jobs and the benchmark's own consumers, which all
     * share the machine's cores; per example it is a cost that the machine's other load changes far less than
     * the throughput.
     */
    static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }
}
