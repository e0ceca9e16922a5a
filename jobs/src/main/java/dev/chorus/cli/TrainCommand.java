package dev.chorus.cli;

import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.runtime.LocalFlinkCluster;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code chorus train}: runs the train job against your Kafka on a local Flink MiniCluster. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Run the train job on a local Flink MiniCluster against your Kafka.",
                "On a Flink cluster, submit the same options with: flink run -c dev.chorus.jobs.train.TrainJob "
                        + "chorus-jobs.jar <options>"})
public final class TrainCommand implements Callable<Integer> {

    @Mixin
    TrainJobOptions options;

    @Option(names = "--slots", defaultValue = "2", description = "Task slots of the local cluster (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--web-ui-port", defaultValue = "0", description = "Flink web UI port; 0 picks a free one from 8081.")
    int webUiPort;

    @Override
    public Integer call() throws Exception {
        TrainSettings settings = options.toSettings();
        try (LocalFlinkCluster flink = LocalFlinkCluster.start(slots, webUiPort)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(settings.parallelism() > 0 ? settings.parallelism() : slots);
            TrainJob.build(env, settings);
            JobID job = flink.submit(env, "chorus-train");
            System.out.printf("chorus-train %s running; Flink web UI at %s (Ctrl-C stops it)%n", job, flink.webUi());
            flink.await(job);
        }
        return 0;
    }
}
