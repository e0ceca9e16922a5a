package dev.chorus.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.saved.ModelWarmStart;
import dev.chorus.core.select.SearchRun;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.ModelSizeBound;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.jobs.train.Variants;
import dev.chorus.jobs.train.WarmStarts;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code chorus specs}: the train job's control topic (compacted, key {@code task/variant}), which says which variants
 * each task trains. {@code put} makes a variant live, {@code retire} retires it (a RETIRED record, which compaction
 * keeps, so that a later {@code put} revives it only with {@code --revive}), {@code reset} restarts a live one from
 * fresh weights in place, {@code list} shows the latest record of each key (the topic read to its end, committed
 * records only) as the job judged it ({@link JudgedSpecs}). Records are checked here as the job checks them, so a
 * mistake fails at once instead of becoming a dead letter; one written past these checks that the job refuses is
 * listed as REFUSED.
 */
@Command(name = "specs", mixinStandardHelpOptions = true,
        description = "Manage the variants the train job trains, on its control topic (key task/variant).",
        subcommands = {SpecsCommand.Put.class, SpecsCommand.ListSpecs.class, SpecsCommand.Retire.class,
            SpecsCommand.Reset.class})
final class SpecsCommand {

    /** Options every subcommand takes: Kafka, the topic and its wire format. */
    static final class Topic {
        @Mixin
        KafkaOptions kafka;

        @Option(names = "--specs-topic", defaultValue = ChorusTopic.DefaultNames.SPECS,
                description = "Default: ${DEFAULT-VALUE}.")
        String topic;

        @Option(names = "--format", paramLabel = "avro|json", defaultValue = "avro",
                converter = ProduceCommand.WireFormatConverter.class, description = "Wire format of the records put, "
                        + "retire and reset write (default: ${DEFAULT-VALUE}); list reads either.")
        WireFormat format;

        /** Where the train job's refusals are read: list shows them, put, retire and reset go by what it took. */
        @Mixin
        RefusalsOptions refusals;

        @Option(names = "--train-group-id", defaultValue = "chorus-train",
                description = "The train job's --group-id: the offset it commits on the control topic at each "
                        + "checkpoint says which records it has read; list shows the later ones as PENDING. Default: "
                        + "${DEFAULT-VALUE}.")
        String trainGroupId;

        /** The control topic as the train job judged it ({@link JudgedSpecs}): what put, retire and reset go by. */
        JudgedSpecs judged() {
            return JudgedSpecs.read(kafka, topic, refusals.refusals());
        }

        /** {@link #judged}, with the records the job has not read yet as pending: what list shows. */
        JudgedSpecs judgedAndPending() {
            return JudgedSpecs.read(kafka, topic, refusals.refusals(trainGroupId));
        }

        /**
         * The latest VariantSpecRecord of each key, whatever the job made of it; tombstoned keys are gone, and a value
         * that is no VariantSpecRecord changes nothing (the job dead-letters it and goes by the key's record before).
         */
        Map<String, VariantSpecRecord> latest() {
            return JudgedSpecs.of(TopicReader.readAllRecords(kafka.bootstrapServers, kafka.kafkaProperties, topic),
                    List.of(), topic, List.of()).taken();
        }

        RecordMetadata write(VariantSpecRecord record) throws InterruptedException, ExecutionException {
            try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers, kafka.kafkaProperties)) {
                return producer.sendRaw(topic, record.getTask() + "/" + record.getVariant(),
                        format.codec(VariantSpecRecord.class).encode(record)).get();
            }
        }
    }

    static VariantSpecRecord record(String task, String variant, String spec, String source) {
        return record(task, variant, spec, source, null);
    }

    static VariantSpecRecord record(String task, String variant, String spec, String source, byte[] initialModel) {
        return VariantSpecRecord.newBuilder().setTask(task).setVariant(variant)
                .setStatus(spec == null ? VariantStatus.RETIRED : VariantStatus.LIVE).setSpec(spec)
                .setUpdatedAt(System.currentTimeMillis()).setSource(source)
                .setInitialModel(initialModel == null ? null : ByteBuffer.wrap(initialModel)).build();
    }

    /** What put, retire and reset share: the topic, the key's task and variant, and the line saying what was written. */
    abstract static class KeyCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Topic topic;
        @Parameters(index = "0", paramLabel = "TASK")
        String task;
        @Parameters(index = "1", paramLabel = "VARIANT")
        String variant;

        /**
         * Rejects names the job would dead-letter in a record that makes the variant {@code live}, with its reason:
         * a usage error (exit 2).
         */
        void checkNames(boolean live) {
            ExampleValidator.Rejection bad = Variants.checkNames(task, variant, live);
            if (bad != null) {
                throw new ParameterException(spec.commandLine(), bad.reason());
            }
        }

        int written(String what, VariantSpecRecord record) throws InterruptedException, ExecutionException {
            RecordMetadata written = topic.write(record);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%s/%s %s: written to %s-%d@%d%n", task, variant, what, written.topic(), written.partition(),
                    written.offset());
            out.flush();
            return 0;
        }
    }

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = {"Make variant VARIANT of task TASK live with a spec (JSON text, or @file). A live variant's "
                    + "spec never changes: put the new one under another variant name, or retire this one first.",
                "The train job starts training it on the task's next examples: from scratch, or from a saved model "
                        + "with a warmStart (--warm-start-file, --fork-from), which goes with the record."})
    static final class Put extends KeyCommand {
        @Parameters(index = "2", paramLabel = "SPEC-JSON|@FILE")
        String specJson;
        @Option(names = "--revive", description = "Make a retired variant live again (it starts from scratch): "
                + "adds \"revive\":true to the spec, which the train job asks of a retired key; a variant that is "
                + "not retired is put as without it.")
        boolean revive;
        // Where the variant starts from comes from the command line alone (ChorusConfig.FlagOnly): a line left in the
        // configuration file would start every variant put afterwards from that model.
        @ChorusConfig.FlagOnly
        @Option(names = "--warm-start-file", paramLabel = "MODEL", description = "Start the variant from this Chorus "
                + "model file (chorus fit writes one): adds \"warmStart\":{\"from\":\"file:MODEL\"} to the spec. "
                + "A flag only, never from the configuration file.")
        Path warmStartFile;
        @ChorusConfig.FlagOnly
        @Option(names = "--fork-from", paramLabel = "VARIANT", description = "Start the variant from the latest "
                + "snapshot of VARIANT of the same task, read from --models-topic: adds "
                + "\"warmStart\":{\"from\":\"variant:VARIANT\"} to the spec. A flag only, never from the "
                + "configuration file.")
        String forkFrom;
        @Option(names = "--warm-start-optimizer", paramLabel = "carry|reset",
                description = "With --warm-start-file or --fork-from: carry the saved optimizer state, or start it "
                        + "afresh (default: carry, or what the spec's own warmStart says).")
        String warmStartOptimizer;
        @Option(names = "--models-topic", defaultValue = ChorusTopic.DefaultNames.MODELS,
                description = "Where --fork-from reads snapshots. Default: ${DEFAULT-VALUE}.")
        String modelsTopic;
        @Option(names = "--max-model-parameters", defaultValue = "" + ModelSizeBound.DEFAULT_MAX_PARAMETERS,
                description = "The train job's bound (its option of that name): a spec whose model, or one its search "
                        + "draws, would have more parameters is refused here. Default: ${DEFAULT-VALUE}.")
        long maxModelParameters;
        @Option(names = "--max-variants-per-task", defaultValue = "" + TrainSettings.DEFAULT_MAX_VARIANTS_PER_TASK,
                description = "The train job's bound (its option of that name): a search or drift fork of more "
                        + "variants is refused here. Default: ${DEFAULT-VALUE}.")
        int maxVariantsPerTask;

        @Override
        public Integer call() throws InterruptedException, ExecutionException {
            String json;
            VariantSpec parsed;
            try {
                checkNames(true);
                if (warmStartFile != null && forkFrom != null) {
                    throw new IllegalArgumentException("--warm-start-file and --fork-from: give one of the two");
                }
                json = WarmStartModels.withWarmStart(TrainJobOptions.readSpec(specJson), warmStartFile, forkFrom,
                        warmStartOptimizer);
                // The job's own check of a control record's spec: a bad one fails here, with the reason.
                parsed = VariantSpecs.parseVariant(json, maxVariantsPerTask);
                String tooLarge = new ModelSizeBound(maxModelParameters).problem(parsed, variant);
                if (tooLarge != null) {
                    throw new IllegalArgumentException(tooLarge.substring(tooLarge.indexOf(':') + 2));
                }
            } catch (IllegalArgumentException | UncheckedIOException e) {
                // The arguments, not Kafka: a usage error (exit 2), as the same spec given to train --spec is.
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            topic.kafka.requireReachable(topic.topic);
            JudgedSpecs judged = topic.judged();
            byte[] initialModel;
            try {
                Verdict verdict = verdict(task, variant, json, parsed, revive, judged.states(), judged.tombstoned());
                if (verdict.json() == null) {
                    PrintWriter out = spec.commandLine().getOut();
                    out.println(verdict.said());
                    out.flush();
                    return 0;
                }
                json = verdict.json();
                initialModel = parsed.warmStart().isEmpty() ? null
                        : WarmStartModels.read(parsed.warmStart().get(), task, topic.kafka, modelsTopic);
                String problem = WarmStarts.check(parsed, initialModel == null ? null
                        : ByteBuffer.wrap(initialModel), new ModelSizeBound(maxModelParameters));
                if (problem != null) {
                    throw new IllegalArgumentException(problem.substring(problem.indexOf(':') + 2));
                }
            } catch (IllegalArgumentException | UncheckedIOException e) {
                // What the job would refuse given the key's state, or a warm start that does not fit: the
                // arguments still, a usage error (exit 2).
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            return written(initialModel == null ? "live" : "live, from a " + initialModel.length + "-byte model",
                    record(task, variant, json, "cli", initialModel));
        }
    }

    /** What put does: write {@code json}, or, when it is null, nothing, and say {@code said}. */
    record Verdict(String json, String said) {}

    /**
     * What put does with {@code json} (parsed: {@code parsed}, with {@code --revive} or not) for {@code task/variant},
     * judged as the train job's check-specs judges it against the key's state ({@code states}, {@link
     * JudgedSpecs#states}; {@code tombstoned}, the keys whose last record is a tombstone): for a retired key (a
     * variant its retired search drew included, and a key that ends with a tombstone, whose live record compaction
     * may have removed) it writes the spec with {@code "revive":true}; for a key live with the same variant
     * ({@link VariantSpec#sameVariantAs}, the same text included) nothing; else the spec as it is.
     *
     * @throws IllegalArgumentException what the job would refuse: a spec for a retired key without {@code --revive}
     *     or {@code "revive":true}, or with {@code "reset":true} (a reset never revives), another spec for a live key,
     *     or a search that draws a variant live with another spec
     */
    static Verdict verdict(String task, String variant, String json, VariantSpec parsed, boolean revive,
            Map<String, VariantSpecRecord> states, Set<String> tombstoned) {
        String key = task + "/" + variant;
        VariantSpecRecord held = states.get(key);
        boolean tombstone = tombstoned.contains(key) && (held == null || held.getStatus() == VariantStatus.RETIRED);
        if (tombstone || held != null && held.getStatus() == VariantStatus.RETIRED) {
            String retired = key + " is retired" + (tombstone ? " (a tombstone)" : "");
            if (parsed.reset()) {
                throw new IllegalArgumentException(retired + ", and the spec's field 'reset' is true (a reset "
                        + "record's, as chorus specs list shows one): a reset never revives a retired variant; "
                        + "remove \"reset\" and put the spec with --revive");
            }
            if (!revive && !parsed.revive()) {
                throw new IllegalArgumentException(retired + ": add --revive to make it live again (from scratch)");
            }
            // The job takes a spec for a retired key only with "revive":true (SpecControl).
            json = VariantSpecs.revived(json);
        } else if (held != null) {
            VariantSpec live = VariantSpecs.parseVariant(held.getSpec(), Integer.MAX_VALUE);
            if (live.sameVariantAs(parsed)) {
                // The live spec, or it written another way, or as a revival or a reset wrote it (with revive: the
                // same again would reset the variant), or with another warm start: one says only how a variant
                // starts.
                return new Verdict(null, key + " is live with this spec already"
                        + (live.warmStart().equals(parsed.warmStart()) ? ""
                                : " (a warm start applies only when a variant starts)") + ": nothing written");
            }
            throw new IllegalArgumentException(key + " is live with another spec, which never changes: put this one "
                    + "under another variant name, or retire " + variant + " first");
        }
        if (parsed.search().isPresent() && (held == null || held.getStatus() == VariantStatus.RETIRED)) {
            for (String name : SearchRun.variantNames(variant, parsed.variants())) {
                VariantSpecRecord now = states.get(task + "/" + name);
                String drawn = VariantSpecs.drawnSpec(task, variant, json, name);
                if (now != null && now.getStatus() == VariantStatus.LIVE && !drawn.equals(now.getSpec())) {
                    throw new IllegalArgumentException("the search draws variant " + name + " of task " + task
                            + ", which is live with another spec (" + now.getSpec() + "): retire it first, or put "
                            + "the search under another name");
                }
            }
        }
        return new Verdict(json, null);
    }

    @Command(name = "retire", mixinStandardHelpOptions = true,
            description = {"Retire variant VARIANT of task TASK: the train job stops training it and drops its state.",
                "A key on neither the control topic nor --models-topic (or when that topic is missing) is retired all the "
                    + "same, with a warning. A variant the control topic never had live is refused, as the train "
                    + "job would refuse it, once the topic holds --max-retired-variants retired variants (all tasks)."})
    static final class Retire extends KeyCommand {
        @Option(names = "--models-topic", defaultValue = ChorusTopic.DefaultNames.MODELS,
                description = "Where a key without a spec may have models. Default: ${DEFAULT-VALUE}.")
        String modelsTopic;
        @Option(names = "--max-retired-variants", defaultValue = "" + TrainSettings.DEFAULT_MAX_RETIRED_VARIANTS,
                description = "The train job's bound (its option of that name): the retirement of a variant the "
                        + "control topic never had live is refused here once the topic holds this many retired "
                        + "variants, all tasks together. Default: ${DEFAULT-VALUE}.")
        int maxRetiredVariants;

        @Override
        public Integer call() throws InterruptedException, ExecutionException {
            checkNames(false);
            topic.kafka.requireReachable(topic.topic);
            JudgedSpecs judged = topic.judged();
            String refused = neverLiveRetirementProblem(task, variant, judged.states(), judged.tombstoned(),
                    maxRetiredVariants);
            if (refused != null) {
                // What the job would refuse given the topic's retired variants: the arguments, a usage error (exit 2).
                throw new ParameterException(spec.commandLine(), refused);
            }
            Map<String, VariantSpecRecord> latest = judged.taken();
            if (current(task, variant, latest) == null) {
                String warning = unknownKeyWarning(task, variant, latest, modelKeys(), topic.topic, modelsTopic);
                if (warning != null) {
                    spec.commandLine().getErr().println(warning);
                    spec.commandLine().getErr().flush();
                }
            }
            return written("retired", record(task, variant, null, "cli"));
        }

        /** The keys on the models topic, or null when it does not exist. */
        private Set<String> modelKeys() {
            try {
                topic.kafka.requireReachable(modelsTopic);
            } catch (IllegalStateException missing) {
                // Kafka answered for the control topic just before, so this says the models topic is missing.
                return null;
            }
            // Keys only, one record at a time: the topic holds every version of every model until compaction.
            Set<String> keys = new TreeSet<>();
            try (TopicReader.Tail tail = TopicReader.tail(topic.kafka.bootstrapServers, topic.kafka.kafkaProperties,
                    modelsTopic)) {
                tail.readToEnd(r -> keys.add(r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8)));
            }
            return keys;
        }
    }

    /**
     * What the train job's check-specs would refuse in a RETIRED record of {@code task/variant}, judged against the
     * key states it holds ({@code states}, {@link JudgedSpecs#states}: retired keys included), else null: a key it
     * holds no state for (never live, nor retired before) once it holds {@code maxRetiredVariants} retired keys, all
     * tasks together ({@code ControlTopicBudget.neverLiveRetirementProblem}). A key whose last record is a tombstone
     * ({@code tombstoned}; its live record may have been compacted away) and a task's {@code default} variant (live
     * without a record where the job's {@code --spec} gives the task one) are never refused: the job may hold them live.
     */
    static String neverLiveRetirementProblem(String task, String variant, Map<String, VariantSpecRecord> states,
            Set<String> tombstoned, int maxRetiredVariants) {
        String key = Variants.topicKey(task, variant);
        if (states.containsKey(key) || tombstoned.contains(key) || JobSettings.DEFAULT_VARIANT.equals(variant)) {
            return null;
        }
        long retired = states.values().stream().filter(r -> r.getStatus() == VariantStatus.RETIRED).count();
        if (retired < maxRetiredVariants) {
            return null;
        }
        return key + " was never live on the control topic, which holds " + grouped(retired) + " retired variants "
                + "(all tasks): the train job keeps at most --max-retired-variants=" + grouped(maxRetiredVariants)
                + " and would refuse this retirement (a dead letter, field 'variant'); a live or once-live variant's "
                + "retirement is never refused";
    }

    private static String grouped(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /**
     * Null if {@code task/variant} has a record on the control topic ({@code latest}), is drawn by a live search there,
     * or has a record on the models topic (keys {@code modelKeys}: a snapshot's, a chunk's {@code task/variant#k} or a
     * tombstone's; null when that topic was not found); else the warning that it may be a typo.
     */
    static String unknownKeyWarning(String task, String variant, Map<String, VariantSpecRecord> latest,
            Set<String> modelKeys, String specsTopic, String modelsTopic) {
        String key = task + "/" + variant;
        if (current(task, variant, latest) != null) {
            return null;
        }
        if (modelKeys == null) {
            return "warning: " + key + " is not on " + specsTopic + " (no spec, no variant a live search draws) and "
                    + "topic " + modelsTopic + " was not found, so whether it has a model is unknown: retired all "
                    + "the same, but check the name (chorus specs list) and --models-topic";
        }
        if (modelKeys.stream().anyMatch(k -> k.equals(key) || k.startsWith(key + "#"))) {
            return null;
        }
        return "warning: " + key + " is on neither " + specsTopic + " nor " + modelsTopic + " (no spec, no variant a "
                + "live search draws, no model): retired all the same, but check the name (chorus specs list, "
                + "chorus models)";
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Restart live variant VARIANT of task TASK from fresh weights at model version 0, in place: "
                    + "it stays live and keeps its spec (what a drift reaction reset writes); with --rewarm, from its "
                    + "own weights (what a drift reaction rewarm writes).")
    static final class Reset extends KeyCommand {
        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, kept in the record's reason.")
        String reason;
        @Option(names = "--rewarm", description = "Keep the variant's weights, standardiser statistics and layer "
                + "state; restart only its optimizer's moments and step count (so its learning-rate schedule) and its "
                + "model version. Not for a label model or a skip-gram.")
        boolean rewarm;

        @Override
        public Integer call() throws InterruptedException, ExecutionException {
            checkNames(true);
            topic.kafka.requireReachable(topic.topic);
            VariantSpecRecord record;
            try {
                record = resetRecord(task, variant, topic.judged().states().get(task + "/" + variant), reason, rewarm);
            } catch (IllegalArgumentException e) {
                // A key the job resets nothing of: the arguments, a usage error (exit 2).
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            return written("reset", record);
        }
    }

    /**
     * What the control topic ({@code latest}: its keys' latest records) says {@code task/variant} is: its own record,
     * else, for a variant a live search of the task draws (whose key only a reset or retirement writes), a LIVE record
     * of the spec the job trains it with, as a drift reset reads it from the job's state; null when neither.
     */
    static VariantSpecRecord current(String task, String variant, Map<String, VariantSpecRecord> latest) {
        VariantSpecRecord own = latest.get(task + "/" + variant);
        return own != null ? own : drawn(task, variant, latest);
    }

    /** The LIVE record of the spec a live search of {@code task} on {@code latest} draws for {@code variant}, or null. */
    static VariantSpecRecord drawn(String task, String variant, Map<String, VariantSpecRecord> latest) {
        for (VariantSpecRecord r : latest.values()) {
            if (!r.getTask().equals(task) || r.getStatus() != VariantStatus.LIVE) {
                continue;
            }
            try {
                String drawn = VariantSpecs.drawnSpec(task, r.getVariant(), r.getSpec(), variant);
                if (drawn != null) {
                    return record(task, variant, drawn, r.getSource());
                }
            } catch (IllegalArgumentException refused) {
                // A spec the job dead-lettered: it draws nothing.
            }
        }
        return null;
    }

    /**
     * The LIVE record that resets {@code task/variant}, whose latest record is {@code current}: the record a drift
     * reset writes ({@link VariantSpecs#resetSpec}), or with {@code rewarm} a drift rewarm ({@link
     * VariantSpecs#rewarmSpec}), from source {@code cli}.
     *
     * @throws IllegalArgumentException when {@code current} is absent, retired or a search, or with {@code rewarm} of a
     *     kind that cannot rewarm ({@link ModelWarmStart#cannotRewarm})
     */
    static VariantSpecRecord resetRecord(String task, String variant, VariantSpecRecord current, String reason,
            boolean rewarm) {
        String key = task + "/" + variant;
        if (current == null) {
            throw new IllegalArgumentException(key + " is not on the control topic (no record the train job took): "
                    + "only a live variant can be reset");
        }
        if (current.getStatus() != VariantStatus.LIVE) {
            throw new IllegalArgumentException(key + " is retired: only a live variant can be reset (chorus specs put "
                    + "--revive makes it live again, from scratch)");
        }
        if (VariantSpecs.parseVariant(current.getSpec(), Integer.MAX_VALUE).search().isPresent()) {
            throw new IllegalArgumentException(key + " is a search, not a variant: only a variant put under its own "
                    + "key can be reset");
        }
        String cannot = ModelWarmStart.cannotRewarm(VariantSpecs.parseVariant(current.getSpec(), Integer.MAX_VALUE)
                .model());
        if (rewarm && cannot != null) {
            throw new IllegalArgumentException(key + " cannot restart from its own weights (its spec has " + cannot
                    + "): only a dense learner, a hashed linear, a wide and deep or a large-softmax model can be "
                    + "rewarmed; without --rewarm it restarts from fresh weights");
        }
        VariantSpecRecord record = record(task, variant, rewarm ? VariantSpecs.rewarmSpec(current.getSpec(), variant)
                : VariantSpecs.resetSpec(current.getSpec()), "cli");
        record.setReason(reason != null ? reason : rewarm
                ? "chorus specs reset --rewarm: its own weights, optimizer and schedule restarted"
                : "chorus specs reset: fresh weights");
        return record;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"Show the latest record of every task/variant on the control topic, as the train job "
                    + "judged it: a record the job refused (a dead letter on --spec-refusals-topic names it) is shown "
                    + "as REFUSED with the dead letter's reason, after the key's latest record the job took, if any; "
                    + "one that is no VariantSpecRecord likewise, under its key, as UNREADABLE with the reason until "
                    + "the job has refused it; one the job has not read as of its last checkpoint (its group's "
                    + "offset on the control topic, --train-group-id) as PENDING.",
                "A live search's row ends with where the search stands (its rung and live variants, finished, or "
                        + "stopped and why), from the task's latest record on --champions-topic, as chorus "
                        + "leaderboard shows it."})
    static final class ListSpecs implements Callable<Integer> {
        private static final ObjectMapper MAPPER = new ObjectMapper();

        @Spec
        CommandSpec spec;
        @Mixin
        Topic topic;
        // Which variants to show comes from the command line alone: a task= line is produce's (ChorusConfig.FlagOnly).
        @ChorusConfig.FlagOnly
        @Option(names = "--task", description = "Show only this task's variants (a flag only: a configuration file's "
                + "task= line, produce's, is not read here).")
        String task;
        @Option(names = "--json", description = "One JSON record per line instead of a table (the records alone, a "
                + "pending one with \"pending\":true, a "
                + "refused one with \"refused\":{\"reason\",\"field\",\"at\"}, one that is no VariantSpecRecord as "
                + "its \"key\" with \"unreadable\":{\"reason\",\"partition\",\"offset\"}: chorus leaderboard --json "
                + "has the searches' states).")
        boolean json;
        @Option(names = "--champions-topic", defaultValue = ChorusTopic.DefaultNames.CHAMPIONS,
                description = "Where a search's state is read. Default: ${DEFAULT-VALUE}.")
        String championsTopic;

        @Override
        public Integer call() {
            topic.kafka.requireReachable(topic.topic);
            PrintWriter out = spec.commandLine().getOut();
            JudgedSpecs judged = topic.judgedAndPending();
            judged.warnings().forEach(w -> spec.commandLine().getErr().println("chorus specs list: " + w));
            List<JudgedSpecs.Key> keys = judged.keys().values().stream()
                    .filter(k -> task == null || task.equals(k.task())).toList();
            if (json) {
                keys.forEach(k -> jsonLines(k).forEach(out::println));
            } else if (keys.isEmpty()) {
                out.println("no variants" + (task == null ? "" : " of task " + task) + " on " + topic.topic);
            } else {
                Map<String, String> searches = searchStates(keys.stream().map(JudgedSpecs.Key::taken)
                        .filter(Objects::nonNull).toList());
                out.printf("%-20s %-16s %-8s %-24s %-6s %s%n", "TASK", "VARIANT", "STATUS", "UPDATED", "SOURCE", "SPEC");
                for (JudgedSpecs.Key k : keys) {
                    if (k.taken() != null) {
                        VariantSpecRecord r = k.taken();
                        out.println(k.pending() ? row(r, "PENDING", " pending: not read by the train job (group "
                                + topic.trainGroupId + ") as of its last checkpoint; it goes by the record "
                                + "before until it has")
                                : row(r, searches.get(r.getTask() + "/" + r.getVariant())));
                    }
                    if (k.refused() != null) {
                        out.println(row(k, k.refused()));
                    }
                }
            }
            out.flush();
            return 0;
        }

        /**
         * A key's lines of {@code --json}: its taken record, then its refused one with the dead letter's verdict; an
         * unreadable one is its key and {@code "unreadable":{"reason","partition","offset"}} instead of a record.
         */
        private static List<String> jsonLines(JudgedSpecs.Key k) {
            var codec = WireFormat.JSON.codec(VariantSpecRecord.class);
            List<String> lines = new ArrayList<>();
            try {
                if (k.taken() != null) {
                    ObjectNode line = (ObjectNode) MAPPER.readTree(codec.encode(k.taken()));
                    lines.add(TerminalText.jsonSafe(MAPPER.writeValueAsString(k.pending() ? line.put("pending", true)
                            : line)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("re-reading the JSON just encoded", e);
            }
            if (k.refused() != null) {
                try {
                    JudgedSpecs.Unreadable unreadable = k.refused().unreadable();
                    ObjectNode line = unreadable == null ? (ObjectNode) MAPPER.readTree(codec.encode(
                            k.refused().record())) : MAPPER.createObjectNode().put("key", k.name())
                            .put("task", k.task()).put("variant", k.variant());
                    if (unreadable != null) {
                        line.putObject("unreadable").put("reason", unreadable.reason())
                                .put("partition", unreadable.partition()).put("offset", unreadable.offset());
                    }
                    DeadLetter d = k.refused().deadLetter();
                    if (d != null) {
                        line.putObject("refused").put("reason", d.getReason()).put("field", d.getField())
                                .put("at", d.getTime());
                    }
                    lines.add(TerminalText.jsonSafe(MAPPER.writeValueAsString(line)));
                } catch (IOException e) {
                    throw new UncheckedIOException("re-reading the JSON just encoded", e);
                }
            }
            return lines;
        }

        /** Per live search's key, where the search stands by its task's latest champion record. */
        private Map<String, String> searchStates(List<VariantSpecRecord> records) {
            List<VariantSpecRecord> searches = records.stream().filter(ListSpecs::isLiveSearch).toList();
            Map<String, String> states = new HashMap<>();
            if (searches.isEmpty()) {
                return states;
            }
            LeaderboardCommand.Champions champions = new LeaderboardCommand.Champions(task,
                    spec.commandLine().getErr(), "chorus specs list");
            String missing = null;
            try {
                topic.kafka.requireReachable(championsTopic);
                champions.readAll(topic.kafka, championsTopic);
            } catch (IllegalStateException notFound) {
                // Kafka answered for the control topic just before, so this says the champions topic is missing.
                missing = "state unknown: topic " + championsTopic + " not found (--champions-topic)";
            }
            for (VariantSpecRecord r : searches) {
                Champion c = champions.byTask.get(r.getTask());
                SearchStanding standing = c == null || c.getSearches() == null ? null : c.getSearches().stream()
                        .filter(s -> s.getSearch().equals(r.getVariant())).findFirst().orElse(null);
                states.put(r.getTask() + "/" + r.getVariant(), standing != null ? RecordLines.searchState(standing)
                        : missing != null ? missing
                        : c != null && c.getSearches() == null ? "state unknown: the task's latest record on "
                                + championsTopic + " is of a train job from before champion records carried searches"
                        : "not on " + championsTopic + " yet (the train job has not ranked its variants)");
            }
            return states;
        }

        private static boolean isLiveSearch(VariantSpecRecord r) {
            if (r.getStatus() != VariantStatus.LIVE) {
                return false;
            }
            try {
                return VariantSpecs.parseVariant(r.getSpec(), Integer.MAX_VALUE).search().isPresent();
            } catch (IllegalArgumentException refused) {
                // A spec the job dead-lettered: no search runs.
                return false;
            }
        }

        /**
         * A table row: the spec, if any, then the reason the record carries, if any (a search's rung and its evidence,
         * a drift reaction's event), then, for a live search, {@code searchState}: where it stands.
         */
        static String row(VariantSpecRecord r, String searchState) {
            return row(r, r.getStatus().name(), searchState == null ? "" : " search: " + searchState);
        }

        /**
         * The row of a record of key {@code k} the train job refused: status REFUSED, and after its spec the dead
         * letter's reason. An unreadable record's row has its key's task and variant (the key itself when it is no
         * {@code task/variant}), and, while no dead letter refuses it, status UNREADABLE and the decoder's reason.
         */
        static String row(JudgedSpecs.Key k, JudgedSpecs.Refusal refused) {
            if (refused.record() != null) {
                return row(refused.record(), "REFUSED", " refused: " + refused.reason());
            }
            JudgedSpecs.Unreadable u = refused.unreadable();
            String where = "partition " + u.partition() + " offset " + u.offset() + ", no VariantSpecRecord";
            return TerminalText.safe(String.format("%-20s %-16s %-8s %-24s %-6s %s",
                    k.task() != null ? k.task() : k.shownName(), k.task() != null ? k.variant() : "-",
                    refused.status(), "-", "-", refused.deadLetter() != null
                            ? "(" + where + ") refused: " + refused.reason() : "(" + where + "): " + refused.reason()));
        }

        private static String row(VariantSpecRecord r, String status, String tail) {
            String detail = Objects.toString(r.getSpec(), "") + (r.getReason() == null ? ""
                    : (r.getSpec() == null ? "" : " ") + "reason: " + r.getReason()) + tail;
            // Record content (a spec, a reason) printed safe for a terminal: anyone may write the control topic.
            return TerminalText.safe(String.format("%-20s %-16s %-8s %-24s %-6s %s", r.getTask(), r.getVariant(),
                    status, RecordLines.time(r.getUpdatedAt()), r.getSource(), detail));
        }
    }
}
