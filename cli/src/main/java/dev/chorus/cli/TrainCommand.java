package dev.chorus.cli;

import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.JobOptions;
import dev.chorus.jobs.kafka.BoundedEnd;
import dev.chorus.jobs.select.ChampionSelectionFunction;
import dev.chorus.jobs.train.SpecSeeding;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.VariantRouter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
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

    /**
     * The topics the job reads and those it writes (every sink of {@link TrainJob#build}): the control topic is both,
     * read by its source and written by its decisions' sink and by {@link SpecSeeding} before the job starts.
     */
    @Override
    KafkaDenied kafkaDenied() {
        TrainSettings s = settings();
        // Set.copyOf: two options may name one topic.
        return new KafkaDenied(s.bootstrapServers(), s.kafkaProperties(),
                Set.copyOf(List.of(s.examplesTopic().name(), s.specsTopic().name())),
                Set.copyOf(List.of(s.predictionsTopic().name(), s.modelsTopic().name(), s.deadLetterTopic().name(),
                        s.annotatorsTopic().name(), s.consensusTopic().name(), s.championsTopic().name(),
                        s.specsTopic().name(), s.specRefusalsTopic().name())), s.groupId() + "-");
    }

    /**
     * What every run reads or writes, the annotators and consensus topics when a {@code --spec} has a label model
     * (only label models write them: one a control record adds later finds them missing only as its job restarts),
     * and the specs a bounded run reads.
     */
    @Override
    List<String> requiredTopics() {
        TrainSettings s = settings();
        List<String> topics = new ArrayList<>(List.of(s.examplesTopic().name(), s.predictionsTopic().name(),
                s.modelsTopic().name(), s.championsTopic().name(), s.deadLetterTopic().name(),
                s.specRefusalsTopic().name()));
        if (trainsALabelModel(s.specs())) {
            topics.addAll(List.of(s.annotatorsTopic().name(), s.consensusTopic().name()));
        }
        if (s.bounded()) {
            topics.add(s.specsTopic().name());
        }
        return topics;
    }

    /** Whether the default spec or a task's own has a label model. */
    private static boolean trainsALabelModel(TaskSpecs specs) {
        // "" is no task's name (a task has at least one character), so it is given the default spec, if any.
        return Stream.concat(specs.configuredTasks().stream(), Stream.of("")).map(specs::specFor)
                .anyMatch(spec -> spec != null && spec.labelModel() != null);
    }

    @Override
    String outputs() {
        TrainSettings s = settings();
        return "predictions on " + s.predictionsTopic().name() + ", models on " + s.modelsTopic().name()
                + ", dead letters on " + s.deadLetterTopic().name()
                + " (chorus tail TOPIC reads them, chorus models lists the models)";
    }

    /** A bounded run that trained on nothing: how many examples it read, from where, and the likely causes. */
    @Override
    Optional<String> hint(Map<String, Object> accumulators) {
        long read = count(accumulators, DecodeRecords.readAccumulator("examples"));
        if (count(accumulators, VariantRouter.ROUTED_ACCUMULATOR) > 0) {
            long decided = count(accumulators, ChampionSelectionFunction.DECISIONS_ACCUMULATOR);
            TrainSettings s = settings();
            return decided == 0 || !s.bounded() ? Optional.empty() : Optional.of(jobName() + " decided " + decided
                    + " control record" + (decided == 1 ? "" : "s") + " (a search's retirements, drift reactions) "
                    + "and wrote " + (decided == 1 ? "it" : "them") + " to " + s.specsTopic().name() + ", but a "
                    + "bounded run reads that topic only up to where it ended when the run started: the variants it "
                    + "retired trained to its end, and no fork, reset or rewarm started. The next run starts from "
                    + (decided == 1 ? "it" : "them") + " (chorus specs list).");
        }
        TrainSettings s = settings();
        String from = " from " + s.examplesTopic().name() + " at " + s.bootstrapServers();
        if (read == 0) {
            return Optional.of(jobName() + " read 0 examples" + from + ", so it trained nothing. Likely causes: "
                    + "nothing was produced there yet (chorus produce), the producer used another topic "
                    + "(--examples-topic) or broker (--bootstrap-servers), or group " + s.groupId()
                    + " has already committed past every example (a run starts at its group's committed offsets; "
                    + "another --group-id starts from the beginning).");
        }
        String deadLetters = s.deadLetterTopic().name();
        return Optional.of(jobName() + " read " + read + " examples" + from + " but trained on none: each went to "
                + deadLetters + " (chorus tail " + deadLetters + " says why). Likely causes: a --format other than "
                + "the producer's, examples that do not fit their task's spec (--spec, or the control topic's: their "
                + "features' size, their label), or "
                + "tasks whose variants are all retired.");
    }

    private static long count(Map<String, Object> accumulators, String name) {
        return accumulators.get(name) instanceof Long n ? n : 0L;
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
    BoundedEnd build(StreamExecutionEnvironment env) {
        SpecSeeding.seed(settings());
        return TrainJob.build(env, settings());
    }

    @Override
    TrainSettings settings() {
        if (settings == null) {
            settings = options.toSettings();
        }
        return settings;
    }
}
