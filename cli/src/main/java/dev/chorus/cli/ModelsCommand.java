package dev.chorus.cli;

import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.schemas.ModelSnapshot;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code chorus models}: the latest model of every task and variant, as a table, from the compacted models
 * topic (read to its end, committed records only).
 */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "Show the latest model version and metrics of every task/variant on the models topic.",
        subcommands = ModelsCommand.Reset.class)
final class ModelsCommand implements Callable<Integer> {

    private static final String[] HEADER = {"TASK", "VARIANT", "VERSION", "ALGORITHM", "EXAMPLES", "PARAMETERS",
        "CREATED", "METRICS"};

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--models-topic", defaultValue = ChorusTopic.DefaultNames.MODELS,
            description = "Default: ${DEFAULT-VALUE}.")
    String modelsTopic;

    // Which models to show comes from the command line alone: a task= line is produce's (ChorusConfig.FlagOnly).
    @ChorusConfig.FlagOnly
    @Option(names = "--task", description = "Show only this task's models (a flag only: a configuration file's "
            + "task= line, produce's, is not read here).")
    String task;

    @Override
    public Integer call() {
        kafka.requireReachable(modelsTopic);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Newest newest = Newest.read(kafka, modelsTopic, task);
        Map<String, ModelSnapshot> latest = newest.models();
        int undecodable = newest.undecodable();
        if (latest.isEmpty()) {
            out.println("no models" + (task == null ? "" : " of task " + task) + " on " + modelsTopic + " yet");
        } else {
            printTable(out, newest);
        }
        if (undecodable > 0) {
            err.printf("chorus models: %d record(s) on %s are no ModelSnapshot and were skipped "
                    + "(chorus tail %s shows why)%n", undecodable, modelsTopic, modelsTopic);
        }
        out.flush();
        return 0;
    }

    /**
     * The newest snapshot of each task/variant on a models topic (of one task, unless null), sorted by key, without
     * its parameters: {@code parameterBytes} holds their size by {@code task/variant}, for a snapshot in chunks (which
     * counts by its manifest) the sum of its version's chunks that arrived.
     */
    record Newest(Map<String, ModelSnapshot> models, int undecodable, Map<String, Long> parameterBytes) {
        /** The models topic read to its end, keeping of each task/variant only its newest snapshot's fields and size. */
        static Newest read(KafkaOptions kafka, String modelsTopic, String task) {
            return of(LiveModels.read(kafka, modelsTopic, task, null, LiveModels.Keep.SIZES));
        }

        /** {@code records} of a models topic, in offset order. */
        static Newest of(List<ConsumerRecord<byte[], byte[]>> records, String task) {
            return of(LiveModels.of(records, task, null, LiveModels.Keep.SIZES));
        }

        private static Newest of(LiveModels live) {
            Map<String, ModelSnapshot> newest = live.newest();
            Map<String, Long> bytes = new HashMap<>();
            newest.forEach((key, m) -> bytes.put(key, live.parameterBytes(m)));
            return new Newest(newest, live.undecodable(), bytes);
        }

        /** The parameters' size: of a whole snapshot, or of the chunks that arrived of a manifest's version. */
        String size(ModelSnapshot m) {
            long bytes = parameterBytes.getOrDefault(m.getTask() + "/" + m.getVariant(), 0L);
            return m.getChunks() == null ? String.format(Locale.ROOT, "%,d B", bytes)
                    : String.format(Locale.ROOT, "%,d B in %d chunks", bytes, m.getChunks());
        }
    }

    static void printTable(PrintWriter out, Newest newest) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (ModelSnapshot m : newest.models().values()) {
            rows.add(new String[] {m.getTask(), m.getVariant(), Long.toString(m.getVersion()), m.getAlgorithm(),
                String.format(Locale.ROOT, "%,d", m.getExamplesSeen()), newest.size(m),
                RecordLines.time(m.getCreatedAt()), RecordLines.metrics(RecordLines.measured(m))});
        }
        TextTable.print(out, rows);
    }

    /**
     * {@code chorus models reset}: a tombstone for {@code task/variant} on the models topic. The serve job then
     * forgets the model it serves for that key, so that the next snapshot of any version is served (the way out
     * of a bogus version such as {@code Long.MAX_VALUE}, which would otherwise pin the task), and compaction
     * removes the key's earlier records.
     */
    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = {"Make the serve job forget the model of one task/variant, whatever its version: writes a "
                    + "tombstone for task/variant to the models topic. The next snapshot the train job publishes "
                    + "(of any version) is then served; examples of the task wait for it (--max-waiting-per-task).",
                "Use it when a snapshot with a bogus version (e.g. Long.MAX_VALUE) pins a task."})
    static final class Reset implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        KafkaOptions kafka;

        @Option(names = "--models-topic", defaultValue = ChorusTopic.DefaultNames.MODELS,
                description = "Default: ${DEFAULT-VALUE}.")
        String modelsTopic;

        // The key to tombstone comes from the command line alone: a task= or variant= line is another command's.
        @ChorusConfig.FlagOnly
        @Option(names = "--task", required = true, description = "The task whose model to forget.")
        String task;

        @ChorusConfig.FlagOnly
        @Option(names = "--variant", defaultValue = JobSettings.DEFAULT_VARIANT,
                description = "Its variant. Default: ${DEFAULT-VALUE}.")
        String variant;

        @Override
        public Integer call() throws InterruptedException, ExecutionException {
            kafka.requireReachable(modelsTopic);
            String key = task + "/" + variant;
            String warning = noModelWarning(task, variant, Newest.read(kafka, modelsTopic, task), modelsTopic);
            RecordMetadata written;
            try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers, kafka.kafkaProperties)) {
                written = producer.sendRaw(modelsTopic, key, null).get();
            }
            if (warning != null) {
                spec.commandLine().getErr().println(warning);
                spec.commandLine().getErr().flush();
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("reset %s: tombstone written to %s-%d@%d; the serve job now serves the next snapshot of any "
                    + "version%n", key, written.topic(), written.partition(), written.offset());
            out.flush();
            return 0;
        }

        /**
         * Null if {@code newest} (the models topic's live snapshots) has a model of {@code task/variant}; else the
         * warning that the name may be a typo (or the key was reset already), with the task's variants that have one.
         */
        static String noModelWarning(String task, String variant, Newest newest, String modelsTopic) {
            String key = task + "/" + variant;
            if (newest.models().containsKey(key)) {
                return null;
            }
            List<String> variants = newest.models().values().stream().filter(m -> m.getTask().equals(task))
                    .map(ModelSnapshot::getVariant).toList();
            // Safe for a terminal: the variants' names come from the topic's records.
            return TerminalText.safe("warning: " + key + " has no model on " + modelsTopic + " (task " + task + " has "
                    + (variants.isEmpty() ? "none" : "models of variants " + String.join(", ", variants))
                    + "): tombstone written all the same, but check the name (chorus models)");
        }
    }
}
