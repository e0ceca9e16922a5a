package dev.chorus.cli;

import dev.chorus.jobs.JobOptions;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code chorus train}: runs the train job against your Kafka on a local Flink MiniCluster. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Run the train job on a local Flink MiniCluster against your Kafka.",
                "On a Flink cluster, submit the same options with: flink run -c dev.chorus.jobs.train.TrainJob "
                        + "chorus-jobs-<version>-job.jar <options>"})
public final class TrainCommand extends LocalJobCommand {

    @Mixin
    TrainJobOptions options;

    private TrainSettings settings;

    @Override
    String jobName() {
        return "chorus-train";
    }

    @Override
    int parallelism() {
        return settings().parallelism();
    }

    @Override
    KafkaDenied kafkaDenied() {
        TrainSettings s = settings();
        return new KafkaDenied(s.bootstrapServers(), s.kafkaProperties(),
                Set.of(s.examplesTopic().name(), s.specsTopic().name()),
                Set.of(s.predictionsTopic().name(), s.modelsTopic().name(), s.deadLetterTopic().name(),
                        s.annotatorsTopic().name()), s.groupId() + "-");
    }

    /** What every run reads or writes (annotators and consensus only label models write), and the specs a bounded run reads. */
    @Override
    List<String> requiredTopics() {
        TrainSettings s = settings();
        List<String> topics = new ArrayList<>(List.of(s.examplesTopic().name(), s.predictionsTopic().name(),
                s.modelsTopic().name(), s.championsTopic().name(), s.deadLetterTopic().name()));
        if (s.bounded()) {
            topics.add(s.specsTopic().name());
        }
        return topics;
    }

    @Override
    String outputs() {
        TrainSettings s = settings();
        return "predictions on " + s.predictionsTopic().name() + ", models on " + s.modelsTopic().name()
                + ", dead letters on " + s.deadLetterTopic().name()
                + " (chorus tail TOPIC reads them, chorus models lists the models)";
    }

    @Override
    JobOptions jobOptions() {
        return options;
    }

    @Override
    Class<?> mainClass() {
        return TrainJob.class;
    }

    /** Seeds the control topic with {@code --spec} as variant default of the tasks named here, then builds the job. */
    @Override
    void build(StreamExecutionEnvironment env) {
        try {
            SpecsCommand.seed(settings());
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException("cannot seed " + settings().specsTopic().name() + ": " + e.getMessage(), e);
        }
        TrainJob.build(env, settings());
    }

    @Override
    TrainSettings settings() {
        if (settings == null) {
            settings = options.toSettings();
        }
        return settings;
    }
}
