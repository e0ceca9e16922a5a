package dev.chorus.jobs.train;

import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.schemas.Example;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which model spec each task trains: explicit per-task specs, and an optional default for every other task.
 * Specs travel as JSON (the same JSON the CLI and config file take) and are parsed once per subtask.
 */
public final class TaskSpecs implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String defaultSpecJson;
    private final TreeMap<String, String> specJsonByTask;
    private transient Map<String, ModelSpec> parsed;
    private transient ModelSpec defaultSpec;

    private TaskSpecs(String defaultSpecJson, Map<String, String> specJsonByTask) {
        this.defaultSpecJson = defaultSpecJson;
        this.specJsonByTask = new TreeMap<>(specJsonByTask);
        // Parse eagerly once so that a bad spec fails at job construction, not on the first record.
        specJsonByTask.values().forEach(TaskSpecs::parse);
        if (defaultSpecJson != null) {
            parse(defaultSpecJson);
        }
    }

    /** A spec as the train job takes it: parsed, and its label model, if any, checked against its classifier. */
    static ModelSpec parse(String json) {
        return trainable(ModelSpec.parse(json));
    }

    /** {@code spec} checked as {@link #parse} checks it (a control record's model comes parsed). */
    static ModelSpec trainable(ModelSpec spec) {
        LabelModels.check(spec);
        return spec;
    }

    /** Every task trains the given spec. */
    public static TaskSpecs ofDefault(String specJson) {
        return new TaskSpecs(Objects.requireNonNull(specJson, "specJson"), Map.of());
    }

    /** The given tasks train their own specs; other tasks use {@code defaultSpecJson}, or are rejected if it is null. */
    public static TaskSpecs of(String defaultSpecJson, Map<String, String> specJsonByTask) {
        return new TaskSpecs(defaultSpecJson, specJsonByTask);
    }

    /** The spec for {@code task}, or null when the task is not configured and there is no default. */
    public ModelSpec specFor(String task) {
        if (parsed == null) {
            parsed = new HashMap<>();
            specJsonByTask.forEach((t, json) -> parsed.put(t, parse(json)));
            defaultSpec = defaultSpecJson == null ? null : parse(defaultSpecJson);
        }
        ModelSpec spec = parsed.get(task);
        return spec != null ? spec : defaultSpec;
    }

    /** The spec JSON for {@code task}, as given, or null when {@link #specFor} is null. */
    public String jsonFor(String task) {
        String json = specJsonByTask.get(task);
        return json != null ? json : defaultSpecJson;
    }

    /**
     * The train job's check of each example at decoding, of what holds whichever spec it trains: the record itself,
     * and its task admitted (a spec of its own, or a default). Its fit to a spec, which the control topic may set per
     * variant, is the router's to check ({@link VariantRouter}).
     */
    public DecodeRecords.Check<Example> check() {
        return example -> {
            ExampleValidator.Rejection basic = ExampleValidator.basic(example);
            if (basic != null || specFor(example.getTask()) != null) {
                return basic;
            }
            return new ExampleValidator.Rejection("task", "field 'task': expected " + describeTasks()
                    + ", got " + ExampleValidator.quoted(example.getTask()));
        };
    }

    /**
     * Whether an example admitted by {@link #check} does not fit its task's spec here ({@code --spec}'s): then the
     * router, which checks it against the spec each variant trains, may dead-letter it, and needs its record's bytes.
     * The examples that fit, nearly all of them, reach the router without their bytes.
     */
    public boolean misfits(Example example) {
        ModelSpec spec = specFor(example.getTask());
        return spec == null || ExampleValidator.againstSpec(example, spec) != null;
    }

    /** The first spec (the default, then each task's) larger than {@code bound} allows, as an error, or null. */
    String sizeProblem(ModelSizeBound bound) {
        String problem = defaultSpecJson == null ? null : bound.problem(parse(defaultSpecJson));
        if (problem != null) {
            return "--spec: " + problem;
        }
        for (Map.Entry<String, String> task : specJsonByTask.entrySet()) {
            problem = bound.problem(parse(task.getValue()));
            if (problem != null) {
                return "the spec of task '" + task.getKey() + "': " + problem;
            }
        }
        return null;
    }

    /** Tasks with a spec of their own, which are always admitted. */
    public Set<String> configuredTasks() {
        return Set.copyOf(specJsonByTask.keySet());
    }

    /** The configured task names, for error messages. */
    public String describeTasks() {
        return defaultSpecJson != null ? "any task" : "one of " + specJsonByTask.keySet();
    }
}
