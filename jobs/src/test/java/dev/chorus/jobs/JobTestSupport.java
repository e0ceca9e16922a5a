package dev.chorus.jobs;

import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;

/** Shared settings of the MiniClusters that job tests run on. */
public final class JobTestSupport {
    private JobTestSupport() {}

    /**
     * A job that fails in a test should fail the test, not restart forever (the default with checkpointing):
     * two quick restarts, then the job fails.
     */
    public static Configuration failFast() {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        return conf;
    }
}
