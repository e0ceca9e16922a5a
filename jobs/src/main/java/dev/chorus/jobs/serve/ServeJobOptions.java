package dev.chorus.jobs.serve;

import dev.chorus.jobs.train.ModelSizeBound;

import dev.chorus.jobs.JobOptions;
import dev.chorus.jobs.JobSettings;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Command-line options of the serve job, shared by {@code flink run … ServeJob} and {@code chorus serve}. */
public final class ServeJobOptions extends JobOptions {

    @Option(names = "--variant", defaultValue = JobSettings.DEFAULT_VARIANT,
            description = "Model variant that answers, or 'champion': each task's current champion from the "
                    + "champions topic (default: ${DEFAULT-VALUE}).")
    String variant;

    @Option(names = "--max-waiting-per-task", defaultValue = "" + ServeSettings.DEFAULT_MAX_WAITING_PER_TASK,
            description = "Examples of a task with no model yet wait, at most this many; more go to the dead-letter "
                    + "topic (default: ${DEFAULT-VALUE}).")
    int maxWaitingPerTask;

    @Option(names = "--max-variants-per-task", defaultValue = "" + ServeSettings.DEFAULT_MAX_VARIANTS_PER_TASK,
            description = "With --variant champion, models of at most this many variants per task are kept; more "
                    + "go to the dead-letter topic (default: ${DEFAULT-VALUE}).")
    int maxVariantsPerTask;

    @Option(names = "--max-model-parameters", defaultValue = "" + ModelSizeBound.DEFAULT_MAX_PARAMETERS,
            description = "A model record whose spec declares a larger model (the train job's option of that name) is "
                    + "a dead letter, read no further (default: ${DEFAULT-VALUE}).")
    long maxModelParameters;

    /** Parses {@code args} (as given to {@code flink run}) into settings; bad arguments throw with a clear message. */
    public static ServeSettings parse(String[] args) {
        ServeJobOptions options = new ServeJobOptions();
        // As chorus serve parses them (ChorusCli): picocli's @-files would replace an @value with the file's words.
        new CommandLine(options).setExpandAtFiles(false).parseArgs(args);
        return options.toSettings();
    }

    public ServeSettings toSettings() {
        return applyTo(new ServeSettings()).variant(variant).maxWaitingPerTask(maxWaitingPerTask)
                .maxVariantsPerTask(maxVariantsPerTask).maxModelParameters(maxModelParameters);
    }
}
