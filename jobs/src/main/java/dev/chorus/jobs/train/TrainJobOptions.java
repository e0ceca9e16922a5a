package dev.chorus.jobs.train;

import dev.chorus.core.select.PairedComparison;
import dev.chorus.jobs.JobOptions;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.select.SelectionSettings;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.VariantSpecRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Command-line options of the train job, shared by {@code flink run … TrainJob} and {@code chorus train}. */
public final class TrainJobOptions extends JobOptions {

    @Option(names = "--spec", required = true,
            description = "Model spec for every task: JSON text, or @path to a JSON file. A \"labelModel\" key "
                    + "(e.g. \"dawid-skene\") learns from many annotators.")
    String spec;

    @Option(names = "--snapshot-every-batches", defaultValue = "" + TrainSettings.DEFAULT_SNAPSHOT_EVERY_BATCHES,
            description = "Publish a model snapshot every N minibatch updates (default: ${DEFAULT-VALUE}).")
    int snapshotEveryBatches;

    @Option(names = "--snapshot-interval-ms", defaultValue = "" + TrainSettings.DEFAULT_SNAPSHOT_INTERVAL_MS,
            description = "Also publish a changed model at least this often; 0 disables (default: ${DEFAULT-VALUE}).")
    long snapshotIntervalMs;

    @Option(names = "--batch-timeout-ms", defaultValue = "" + TrainSettings.DEFAULT_BATCH_TIMEOUT_MS,
            description = "Close a partial minibatch this long after its first example; 0 closes by count only (default: ${DEFAULT-VALUE}).")
    long batchTimeoutMs;

    @Option(names = "--annotators-topic", defaultValue = ChorusTopic.DefaultNames.ANNOTATORS,
            description = "Where label-model tasks publish each annotator's model (compacted; default: ${DEFAULT-VALUE}).")
    String annotatorsTopic;

    @Option(names = "--annotators-format", description = "Wire format of the annotators topic (default: --format).")
    String annotatorsFormat;

    @Option(names = "--annotator-publish-interval-ms",
            defaultValue = "" + TrainSettings.DEFAULT_ANNOTATOR_PUBLISH_INTERVAL_MS,
            description = "Publish a changed annotator at most this often; every model snapshot also publishes all "
                    + "of a task's annotators (default: ${DEFAULT-VALUE}).")
    long annotatorPublishIntervalMs;

    @Option(names = "--consensus-topic", defaultValue = ChorusTopic.DefaultNames.CONSENSUS,
            description = "Where label-model tasks publish each item's consensus over its true class (compacted, key "
                    + "task/item; rate-limited by --annotator-publish-interval-ms; default: ${DEFAULT-VALUE}).")
    String consensusTopic;

    @Option(names = "--consensus-format", description = "Wire format of the consensus topic (default: --format).")
    String consensusFormat;

    @Option(names = "--standings-interval-ms", defaultValue = "" + SelectionSettings.DEFAULT_STANDINGS_INTERVAL_MS,
            description = "Publish a task's changed standings to the champions topic at most this often; a champion "
                    + "change goes out at once (default: ${DEFAULT-VALUE}).")
    long standingsIntervalMs;

    @Option(names = "--selection-alpha", defaultValue = "" + PairedComparison.Settings.DEFAULT_ALPHA,
            description = "Bound on the chance that one challenger's comparison with one champion ever promotes it "
                    + "when it is not better by the margin; it starts again at each change of champion or revival "
                    + "(default: ${DEFAULT-VALUE}).")
    double selectionAlpha;

    @Option(names = "--selection-margin", defaultValue = "" + PairedComparison.Settings.DEFAULT_MARGIN,
            description = "How much lower (loss units) a challenger's mean paired loss must be (default: ${DEFAULT-VALUE}).")
    double selectionMargin;

    @Option(names = "--selection-min-examples", defaultValue = "" + PairedComparison.Settings.DEFAULT_MIN_EXAMPLES,
            description = "Paired examples before the first look; looks follow at twice as many each time "
                    + "(default: ${DEFAULT-VALUE}).")
    long selectionMinExamples;

    @Option(names = "--selection-cooldown-examples",
            defaultValue = "" + PairedComparison.Settings.DEFAULT_COOLDOWN_EXAMPLES,
            description = "Paired examples a new champion is not challenged on (default: ${DEFAULT-VALUE}).")
    long selectionCooldownExamples;

    @Option(names = "--selection-max-pending", defaultValue = "" + SelectionSettings.DEFAULT_MAX_PENDING,
            description = "Example ids per task waiting for every variant's loss; beyond it the oldest is evicted "
                    + "and counted selectionUnpaired (default: ${DEFAULT-VALUE}).")
    int selectionMaxPending;
    @Option(names = "--specs-topic", defaultValue = ChorusTopic.DefaultNames.SPECS,
            description = "The control topic: each task's live variants and their specs (compacted, key task/variant; "
                    + "read from the start; default: ${DEFAULT-VALUE}).")
    String specsTopic;

    @Option(names = "--specs-format", description = "Wire format of the specs topic (default: --format).")
    String specsFormat;

    @Option(names = "--spec-refusals-topic", defaultValue = ChorusTopic.DefaultNames.SPEC_REFUSALS,
            description = "Where each control record the job refuses goes too, beside the dead-letter topic, in its "
                    + "format: chorus specs and chorus leaderboard read it (default: ${DEFAULT-VALUE}).")
    String specRefusalsTopic;

    @Option(names = "--max-variants-per-task", defaultValue = "" + TrainSettings.DEFAULT_MAX_VARIANTS_PER_TASK,
            description = "A control record that would give a task more live variants is a dead letter "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxVariantsPerTask;

    @Option(names = "--max-live-variants", defaultValue = "" + TrainSettings.DEFAULT_MAX_LIVE_VARIANTS,
            description = "A control record that would make the control topic hold more live variants, all tasks "
                    + "together, is a dead letter (default: ${DEFAULT-VALUE}).")
    int maxLiveVariants;

    @Option(names = "--max-warm-start-bytes", defaultValue = "" + TrainSettings.DEFAULT_MAX_WARM_START_BYTES,
            description = "A control record whose warm-start model would make those of the live variants add up to "
                    + "more bytes is a dead letter: every router and trainer instance holds them (default: "
                    + "${DEFAULT-VALUE}).")
    long maxWarmStartBytes;

    @Option(names = "--max-retired-variants", defaultValue = "" + TrainSettings.DEFAULT_MAX_RETIRED_VARIANTS,
            description = "A RETIRED control record of a variant never live is a dead letter once the control topic "
                    + "has this many retired variants, all tasks together (a live one's retirement is never refused; "
                    + "default: ${DEFAULT-VALUE}).")
    int maxRetiredVariants;

    @Option(names = "--max-model-parameters", defaultValue = "" + ModelSizeBound.DEFAULT_MAX_PARAMETERS,
            description = "A spec whose model would hold more parameters (weights, biases and tables at full size) "
                    + "is refused: --spec at submission, a control record as a dead letter (default: ${DEFAULT-VALUE}).")
    long maxModelParameters;

    @Option(names = "--hashed-state", defaultValue = "value",
            description = "Where hashed tasks keep their model rows: value (all of a task's state in one value; for "
                    + "the heap backend) or rows (blocks of map state written back as minibatches change them; for "
                    + "RocksDB or ForSt with incremental checkpoints) (default: ${DEFAULT-VALUE}).")
    String hashedState;

    @Option(names = "--decisions-at-least-once",
            description = "Write the job's own control records (a search's retirements, drift reactions) without "
                    + "transactions, though its other outputs are exactly once: they take effect within milliseconds, "
                    + "not after the next checkpoint; after a failure one made since the last checkpoint may be "
                    + "written again or otherwise.")
    boolean decisionsAtLeastOnce;

    /** Parses {@code args} (as given to {@code flink run}) into settings; bad arguments throw with a clear message. */
    public static TrainSettings parse(String[] args) {
        TrainJobOptions options = new TrainJobOptions();
        // --spec @file is read by readSpec; picocli's @-files would split the file's JSON into arguments.
        new CommandLine(options).setExpandAtFiles(false).parseArgs(args);
        return options.toSettings();
    }

    public TrainSettings toSettings() {
        TrainSettings settings = applyTo(new TrainSettings());
        return settings
                .specs(TaskSpecs.ofDefault(readSpec(spec)))
                .snapshotEveryBatches(snapshotEveryBatches)
                .snapshotIntervalMs(snapshotIntervalMs)
                .batchTimeoutMs(batchTimeoutMs)
                .annotatorsTopic(new Topic<>(annotatorsTopic, AnnotatorModel.class,
                        formatOr(annotatorsFormat, wireFormat())))
                .annotatorPublishIntervalMs(annotatorPublishIntervalMs)
                .consensusTopic(new Topic<>(consensusTopic, Consensus.class, formatOr(consensusFormat, wireFormat())))
                .selection(new SelectionSettings(new PairedComparison.Settings(selectionMinExamples, selectionAlpha,
                        selectionMargin, selectionCooldownExamples), selectionMaxPending, standingsIntervalMs))
                .specsTopic(new Topic<>(specsTopic, VariantSpecRecord.class, formatOr(specsFormat, wireFormat())))
                .specRefusalsTopic(new Topic<>(specRefusalsTopic, DeadLetter.class,
                        settings.deadLetterTopic().format()))
                .maxVariantsPerTask(maxVariantsPerTask)
                .maxLiveVariants(maxLiveVariants)
                .maxWarmStartBytes(maxWarmStartBytes)
                .maxRetiredVariants(maxRetiredVariants)
                .maxModelParameters(maxModelParameters)
                .hashedState(TrainSettings.HashedState.of(hashedState))
                .decisionsAtLeastOnce(decisionsAtLeastOnce);
    }

    /** A spec given inline, or {@code @path} to read it from a file. */
    public static String readSpec(String value) {
        if (!value.startsWith("@")) {
            return value;
        }
        Path path = Path.of(value.substring(1));
        try {
            return Files.readString(path);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("cannot read spec file " + path + ": no such file", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spec file " + path + ": " + e.getMessage(), e);
        }
    }
}
