package dev.chorus.cli;

import dev.chorus.runtime.LocalFlinkCluster;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Option;

/** A command that runs one Chorus job on a local Flink MiniCluster until it ends or Ctrl-C. */
abstract class LocalJobCommand implements Callable<Integer> {

    @Option(names = "--slots", defaultValue = "2", description = "Task slots of the local cluster (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--web-ui-port", defaultValue = "0", description = "Flink web UI port; 0 picks a free one from 8081.")
    int webUiPort;

    /** The job's name on the cluster. */
    abstract String jobName();

    /** The job's configured parallelism, or a value <= 0 to use every slot. */
    abstract int parallelism();

    /** Adds the job to {@code env}. */
    abstract void build(StreamExecutionEnvironment env);

    @Override
    public Integer call() throws Exception {
        try (LocalFlinkCluster flink = LocalFlinkCluster.start(slots, webUiPort)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(parallelism() > 0 ? parallelism() : slots);
            build(env);
            JobID job = flink.submit(env, jobName());
            System.out.printf("%s %s running; Flink web UI at %s (Ctrl-C stops it)%n", jobName(), job, flink.webUi());
            flink.await(job);
        }
        return 0;
    }
}
