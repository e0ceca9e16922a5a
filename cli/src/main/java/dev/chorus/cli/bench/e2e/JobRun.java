package dev.chorus.cli.bench.e2e;

import dev.chorus.embedded.LocalFlinkCluster;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A bounded job that ran to its end: when it was submitted and finished, this JVM's CPU time at submission, and the
 * values of the job's accumulators.
 */
record JobRun(long submitted, long finished, double cpuAtSubmit, Map<String, Object> accumulators) {

    JobRun(long submitted, long finished, double cpuAtSubmit) {
        this(submitted, finished, cpuAtSubmit, Map.of());
    }

    /** Submits the job defined on {@code env}, without restarts, and waits for its end; throws if it failed. */
    static JobRun runToEnd(LocalFlinkCluster flink, StreamExecutionEnvironment env, String name) throws Exception {
        env.configure(noRestarts());
        double cpu = processCpuSeconds();
        long submitted = System.currentTimeMillis();
        JobResult result = flink.await(flink.submit(env, name));
        long finished = System.currentTimeMillis();
        return new JobRun(submitted, finished, cpu, result.toJobExecutionResult(
                Thread.currentThread().getContextClassLoader()).getAllAccumulatorResults());
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
