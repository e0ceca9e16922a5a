package dev.chorus.cli;

import dev.chorus.jobs.JobOptions;
import dev.chorus.jobs.kafka.BoundedEnd;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeJobOptions;
import dev.chorus.jobs.serve.ServeSettings;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code chorus serve}: runs the serve job against your Kafka on a local Flink MiniCluster. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the serve job on a local Flink MiniCluster against your Kafka.",
                "On a Flink cluster, submit the same options with: flink run -c dev.chorus.jobs.serve.ServeJob "
                        + "chorus-jobs-<version>-job.jar <options>"})
public final class ServeCommand extends LocalJobCommand {

    @Mixin
    ServeJobOptions options;

    private ServeSettings settings;

    @Override
    String jobName() {
        return "chorus-serve";
    }

    @Override
    int parallelism() {
        return settings().parallelism();
    }

    /** The topics the job reads (the champions too when it follows them) and those it writes. */
    @Override
    KafkaDenied kafkaDenied() {
        ServeSettings s = settings();
        Set<String> inputs = new HashSet<>(List.of(s.examplesTopic().name(), s.modelsTopic().name()));
        if (s.followsChampion()) {
            inputs.add(s.championsTopic().name());
        }
        return new KafkaDenied(s.bootstrapServers(), s.kafkaProperties(), inputs,
                Set.copyOf(List.of(s.predictionsTopic().name(), s.deadLetterTopic().name())), s.groupId() + "-");
    }

    /** What every run reads or writes, and the champions when it follows them. */
    @Override
    List<String> requiredTopics() {
        ServeSettings s = settings();
        List<String> topics = new ArrayList<>(List.of(s.examplesTopic().name(), s.predictionsTopic().name(),
                s.modelsTopic().name(), s.deadLetterTopic().name()));
        if (s.followsChampion()) {
            topics.add(s.championsTopic().name());
        }
        return topics;
    }

    @Override
    String outputs() {
        ServeSettings s = settings();
        return "predictions on " + s.predictionsTopic().name() + ", dead letters on " + s.deadLetterTopic().name()
                + " (chorus tail TOPIC reads them)";
    }

    @Override
    JobOptions jobOptions() {
        return options;
    }

    @Override
    Class<?> mainClass() {
        return ServeJob.class;
    }

    @Override
    BoundedEnd build(StreamExecutionEnvironment env) {
        return ServeJob.build(env, settings());
    }

    @Override
    ServeSettings settings() {
        if (settings == null) {
            settings = options.toSettings();
        }
        return settings;
    }
}
