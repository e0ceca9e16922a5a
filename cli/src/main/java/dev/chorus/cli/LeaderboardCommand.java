package dev.chorus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.SearchState;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.RecordDecodingException;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code chorus leaderboard}: per task, every variant's standing from the champions topic (the champion first),
 * with the hyperparameters that differ between the task's variants; then where each of the task's searches stands
 * (its rung, finished, or stopped and why). A variant's hyperparameters are those of the model spec the train job
 * trains it with: its latest record on the control topic the job took ({@link JudgedSpecs}; for a variant a live
 * search draws, the spec the search draws), so that a tombstone on the models topic ({@code chorus models reset})
 * does not take them away; for a variant the topic retired, the spec its live search draws, if any; else (a
 * {@code --spec} default the topic does not name, a retired variant, no control topic) the spec of its newest snapshot
 * on the models topic, which a board reads only for such variants. With {@code --follow}, each board reads those
 * topics on from where the one before left them ({@link BoardSources}).
 */
@Command(name = "leaderboard", mixinStandardHelpOptions = true,
        description = {"Per task: each variant's status (champion, challenger, retired), labelled examples, "
                + "prequential loss ± standard error, accuracy with its Wilson 95%% interval, model version, last drift "
                + "and the hyperparameters that differ between the task's variants; the champion first. Then each "
                + "search: its rung, finished, or stopped and why.",
            "Reads the champions topic (the train job's selection), the control topic and the train job's refusals "
                    + "of its records (each variant's spec), and the models topic (the spec of a variant the control "
                    + "topic does not name live)."})
final class LeaderboardCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String[] HEADER = {"TASK", "VARIANT", "STATUS", "EXAMPLES", "LOSS", "ACCURACY", "VERSION",
        "LAST DRIFT", "HYPERPARAMETERS"};

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--champions-topic", defaultValue = ChorusTopic.DefaultNames.CHAMPIONS,
            description = "Default: ${DEFAULT-VALUE}.")
    String championsTopic;

    @Option(names = "--models-topic", defaultValue = ChorusTopic.DefaultNames.MODELS,
            description = "Default: ${DEFAULT-VALUE}.")
    String modelsTopic;

    @Option(names = "--specs-topic", defaultValue = ChorusTopic.DefaultNames.SPECS,
            description = "The control topic, where each variant's spec is read (when it exists). Default: "
                    + "${DEFAULT-VALUE}.")
    String specsTopic;

    @Mixin
    RefusalsOptions refusals;

    // Which tasks to show comes from the command line alone: a task= line is produce's (ChorusConfig.FlagOnly).
    @ChorusConfig.FlagOnly
    @Option(names = "--task", description = "Show only this task (a flag only: a configuration file's task= line, "
            + "produce's, is not read here).")
    String task;

    @Option(names = "--json", description = "The same data as one JSON document (one per update with --follow).")
    boolean json;

    @Option(names = "--follow", description = "Print the board again whenever a champion record arrives, until "
            + "interrupted.")
    boolean follow;

    @Override
    public Integer call() throws IOException {
        kafka.requireReachable(championsTopic, modelsTopic);
        PrintWriter out = spec.commandLine().getOut();
        Champions champions = new Champions(task, spec.commandLine().getErr(), "chorus leaderboard");
        try (BoardSources sources = new BoardSources(kafka, modelsTopic, specsTopic, refusals.refusals(), task);
                TopicReader.Tail tail = TopicReader.tail(kafka.bootstrapServers, kafka.kafkaProperties,
                        championsTopic)) {
            tail.readToEnd(champions::accept);
            print(out, champions.byTask, sources);
            while (follow && !Thread.currentThread().isInterrupted()) {
                tail.poll(Duration.ofMillis(100), r -> {
                    if (champions.accept(r)) {
                        printUnchecked(out, champions.byTask, sources);
                    }
                });
            }
        }
        return 0;
    }

    /**
     * The latest champion record of each task (of one task, if given) on the champions topic, committed records
     * only: what {@code chorus leaderboard} prints and {@code chorus specs list} takes a search's state from. Taken one
     * record at a time in offset order, keeping only the newest of each key (the train job keys a record by its task):
     * a compacted topic holds every record of a task until compaction runs, far more than a board shows. A tombstone
     * deletes its task's record.
     */
    static final class Champions {
        final Map<String, Champion> byTask = new TreeMap<>();
        private final RecordDecoder decoder = new RecordDecoder();
        private final String task;
        private final PrintWriter err;
        private final String command;

        /** {@code task}: null for every task; {@code command} names who skipped a record that is no Champion. */
        Champions(String task, PrintWriter err, String command) {
            this.task = task;
            this.err = err;
            this.command = command;
        }

        /** Reads {@code topic} to its end, one record at a time; returns how many records it read. */
        int readAll(KafkaOptions kafka, String topic) {
            try (TopicReader.Tail tail = TopicReader.tail(kafka.bootstrapServers, kafka.kafkaProperties, topic)) {
                return tail.readToEnd(this::accept);
            }
        }

        /** Takes the topic's next record; true when it changed what is shown (a task's newest record, or its end). */
        boolean accept(ConsumerRecord<byte[], byte[]> r) {
            if (r.value() == null) {
                return r.key() != null && byTask.remove(new String(r.key(), StandardCharsets.UTF_8)) != null;
            }
            try {
                Champion c = (Champion) decoder.decode(r.value(), RecordKind.CHAMPION).record();
                if (task == null || task.equals(c.getTask())) {
                    byTask.put(c.getTask(), c);
                    return true;
                }
            } catch (RecordDecodingException e) {
                // The reason may quote the record (the decoder's excerpt escapes C0 controls, not C1 or bidi ones).
                err.println(command + ": skipped a record that is no Champion: " + TerminalText.safe(e.getMessage()));
            }
            return false;
        }
    }

    private void printUnchecked(PrintWriter out, Map<String, Champion> champions, BoardSources sources) {
        try {
            print(out, champions, sources);
        } catch (IOException e) {
            throw new IllegalStateException("reading the models topic " + modelsTopic, e);
        }
    }

    /** Prints the board of {@code champions}, with the specs {@code sources} has read on to the ends of their topics. */
    private void print(PrintWriter out, Map<String, Champion> champions, BoardSources sources) throws IOException {
        Map<String, Map<String, String>> hyper = hyperparameters(champions,
                sources.readToEnd(spec.commandLine().getErr(), "chorus leaderboard"));
        if (json) {
            out.println(TerminalText.jsonSafe(MAPPER.writeValueAsString(toJson(champions, hyper))));
        } else if (champions.isEmpty()) {
            out.println("no champions" + (task == null ? "" : " of task " + task) + " on " + championsTopic + " yet");
        } else {
            printTable(out, champions, hyper);
        }
        out.flush();
    }

    /** Per task/variant, the hyperparameters (flattened spec keys) whose values differ between the task's variants. */
    static Map<String, Map<String, String>> hyperparameters(Map<String, Champion> champions,
            BoardSources.Specs specs) throws IOException {
        Map<String, VariantSpecRecord> control = specs.control();
        Map<String, Map<String, String>> differing = new LinkedHashMap<>();
        for (Champion c : champions.values()) {
            Map<String, Map<String, String>> flat = new LinkedHashMap<>();
            for (VariantStanding s : c.getStandings()) {
                String spec = modelSpec(SpecsCommand.current(c.getTask(), s.getVariant(), control));
                if (spec == null) {
                    // Retired: a live search's draw, else the newest snapshot (the models topic is read for these only).
                    spec = modelSpec(SpecsCommand.drawn(c.getTask(), s.getVariant(), control));
                }
                String snapshotSpec = spec == null ? specs.snapshotSpecs().get().get(c.getTask() + "/" + s.getVariant())
                        : null;
                if (spec == null && snapshotSpec == null) {
                    // Neither live on the control topic nor a snapshot (a search retired it before its first):
                    // nothing to compare, and nothing differs.
                    differing.put(c.getTask() + "/" + s.getVariant(), Map.of());
                    continue;
                }
                Map<String, String> keys = new TreeMap<>();
                flatten("", MAPPER.readTree(spec != null ? spec : snapshotSpec), keys);
                flat.put(s.getVariant(), keys);
            }
            for (Map.Entry<String, Map<String, String>> v : flat.entrySet()) {
                Map<String, String> shown = new TreeMap<>();
                v.getValue().forEach((key, value) -> {
                    if (flat.values().stream().anyMatch(other -> !value.equals(other.get(key)))) {
                        shown.put(key, value);
                    }
                });
                differing.put(c.getTask() + "/" + v.getKey(), shown);
            }
        }
        return differing;
    }

    /**
     * The model spec (canonical JSON, as a snapshot carries it) of a LIVE control record, without its search, drift,
     * warm start or revive; null for none, a retirement, or a spec the job cannot train.
     */
    private static String modelSpec(VariantSpecRecord record) {
        if (record == null || record.getStatus() != VariantStatus.LIVE) {
            return null;
        }
        try {
            return VariantSpecs.parseVariant(record.getSpec(), Integer.MAX_VALUE).model().toJson();
        } catch (IllegalArgumentException refused) {
            // One the job dead-letters once it reads it: it trains nothing with it.
            return null;
        }
    }

    /** {@code optimizer.learningRate}, {@code layers[0].units}: the paths a search space names. */
    private static void flatten(String path, JsonNode node, Map<String, String> into) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                flatten(path.isEmpty() ? field.getKey() : path + "." + field.getKey(), field.getValue(), into);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(path + "[" + i + "]", node.get(i), into);
            }
        } else {
            into.put(path, node.asText());
        }
    }

    private static ArrayNode toJson(Map<String, Champion> champions, Map<String, Map<String, String>> hyper) {
        ArrayNode tasks = MAPPER.createArrayNode();
        for (Champion c : champions.values()) {
            ObjectNode t = tasks.addObject();
            t.put("task", c.getTask());
            t.put("champion", c.getVariant());
            t.put("since", c.getSince());
            t.put("previousVariant", c.getPreviousVariant());
            if (c.getEvidence() != null) {
                ObjectNode e = t.putObject("evidence");
                e.put("test", c.getEvidence().getTest());
                e.put("pairedExamples", c.getEvidence().getPairedExamples());
                e.put("meanDifference", c.getEvidence().getMeanDifference());
                e.put("lowerBound", c.getEvidence().getLowerBound());
                e.put("alpha", c.getEvidence().getAlpha());
                e.put("margin", c.getEvidence().getMargin());
            }
            ArrayNode variants = t.putArray("variants");
            for (VariantStanding s : c.getStandings()) {
                ObjectNode v = variants.addObject();
                v.put("variant", s.getVariant());
                v.put("status", s.getStatus().name().toLowerCase(Locale.ROOT));
                v.put("labelledExamples", s.getLabelledExamples());
                v.put("loss", s.getLossMean());
                v.put("lossStandardError", s.getLossStandardError());
                v.put("accuracy", s.getAccuracy());
                v.put("accuracyLow", s.getAccuracyLow());
                v.put("accuracyHigh", s.getAccuracyHigh());
                v.put("modelVersion", s.getModelVersion());
                v.put("lastDriftAt", s.getLastDriftAt());
                ObjectNode h = v.putObject("hyperparameters");
                hyper.getOrDefault(c.getTask() + "/" + s.getVariant(), Map.of()).forEach(h::put);
            }
            ArrayNode searches = t.putArray("searches");
            for (SearchStanding s : searches(c)) {
                ObjectNode o = searches.addObject();
                o.put("search", s.getSearch());
                o.put("state", s.getState().name().toLowerCase(Locale.ROOT));
                o.put("rung", s.getRung());
                o.put("rungs", s.getRungs());
                s.getLive().forEach(o.putArray("live")::add);
                o.put("stoppedReason", s.getStoppedReason());
                s.getDecisions().forEach(o.putArray("decisions")::add);
            }
        }
        return tasks;
    }

    /** The record's searches; none on records of train jobs from before searches were shown. */
    private static List<SearchStanding> searches(Champion c) {
        return c.getSearches() == null ? List.of() : c.getSearches();
    }

    /** One line per search: where it stands, and what to do about a stopped one. */
    private static String searchLine(String task, SearchStanding s) {
        String head = "search " + s.getSearch() + " of task " + task + ": ";
        if (s.getState() != SearchState.STOPPED) {
            return head + RecordLines.searchState(s);
        }
        return head + RecordLines.searchProgress(s) + "; its variants " + String.join(" ", s.getLive())
                + " train on without rungs. To start it over: chorus specs retire " + task + " " + s.getSearch()
                + ", then chorus specs put it again with --revive";
    }

    /**
     * A hyperparameter's value as the table shows it: a number with a fraction or an exponent (a learning rate a search
     * drew, 0.001970534265309546) to four significant digits (0.001971); anything else as the spec has it. The JSON
     * keeps every digit.
     */
    static String shown(String value) {
        if (value.indexOf('.') < 0 && value.indexOf('e') < 0 && value.indexOf('E') < 0) {
            return value;
        }
        try {
            return new BigDecimal(value).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        } catch (NumberFormatException notANumber) {
            return value;
        }
    }

    static void printTable(PrintWriter out, Map<String, Champion> champions,
            Map<String, Map<String, String>> hyper) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (Champion c : champions.values()) {
            for (VariantStanding s : c.getStandings()) {
                Map<String, String> h = hyper.getOrDefault(c.getTask() + "/" + s.getVariant(), Map.of());
                rows.add(new String[] {c.getTask(), s.getVariant(), s.getStatus().name().toLowerCase(Locale.ROOT),
                    String.format(Locale.ROOT, "%,d", s.getLabelledExamples()),
                    String.format(Locale.ROOT, "%.4f ± %.4f", s.getLossMean(), s.getLossStandardError()),
                    s.getAccuracy() == null ? "-" : String.format(Locale.ROOT, "%.4f [%.4f, %.4f]", s.getAccuracy(),
                            s.getAccuracyLow(), s.getAccuracyHigh()),
                    Long.toString(s.getModelVersion()),
                    s.getLastDriftAt() == null ? "-" : RecordLines.time(s.getLastDriftAt()),
                    h.isEmpty() ? "-" : String.join(" ", h.entrySet().stream()
                            .map(e -> e.getKey() + "=" + shown(e.getValue())).toList())});
            }
        }
        TextTable.print(out, rows);
        for (Champion c : champions.values()) {
            searches(c).forEach(s -> out.println(TerminalText.safe(searchLine(c.getTask(), s))));
        }
    }
}
