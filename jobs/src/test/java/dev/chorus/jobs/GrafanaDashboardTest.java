package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.select.ChampionSelectionFunction;
import dev.chorus.jobs.select.SelectionSettings;
import dev.chorus.jobs.train.ModelGenerations;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.TrainerHarness;
import dev.chorus.jobs.train.VariantExample;
import dev.chorus.jobs.train.VariantSpecs;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.serve.ServeFunction;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.MinibatchSgdFunction;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana/chorus-dashboard.json is valid JSON with a Prometheus datasource variable, and every metric it
 * queries is one the jobs' operators register, named as Flink's Prometheus reporter names it: the train operator
 * trains a plain task and a label-model task and dead-letters a task past its bound, the champion selection ranks a
 * task's two variants, the serve operator loads a model and serves an example, each in a test harness of its job and
 * operator name whose metric registrations are recorded; a per-task query reads one operator's metrics.
 */
class GrafanaDashboardTest {
    static final Pattern METRIC = Pattern.compile("\\bflink_[a-zA-Z0-9_:]+");
    static final String PLAIN = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":4,"seed":3}""";
    static final String CROWD = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":4,"seed":3,
             "labelModel":{"method":"dawid-skene","maxAnnotators":3}}""";
    static final LabeledDataset DATA = SyntheticBlobs.generate(8, 4, 3, 1);
    /** A metric and its label matchers in a PromQL query: {@code name{label="v",label=~"re",...}}. */
    static final Pattern SELECTOR = Pattern.compile("\\b(flink_[a-zA-Z0-9_:]+)(?:\\{([^}]*)})?");
    static final Pattern MATCHER = Pattern.compile("(\\w+)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
    static final String PER_TASK = "flink_taskmanager_job_task_operator_task_variant_";

    static Path dashboard() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("deploy/grafana/chorus-dashboard.json"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("repository root (with deploy/grafana/chorus-dashboard.json)").isNotNull();
        return dir.resolve("deploy/grafana/chorus-dashboard.json");
    }

    @Test
    void theDashboardQueriesOnlyMetricsTheJobsRegisterThroughAPrometheusDatasourceVariable() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(dashboard().toFile());
        List<JsonNode> variables = new ArrayList<>();
        dashboard.path("templating").path("list").forEach(variables::add);
        assertThat(variables).anySatisfy(v -> {
            assertThat(v.path("name").asText()).isEqualTo("datasource");
            assertThat(v.path("type").asText()).isEqualTo("datasource");
            assertThat(v.path("query").asText()).isEqualTo("prometheus");
        });

        List<String> queries = new ArrayList<>();
        assertThat(dashboard.path("panels")).isNotEmpty().allSatisfy(panel -> {
            assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText())
                    .isEqualTo("${datasource}");
            assertThat(panel.path("targets")).isNotEmpty()
                    .allSatisfy(t -> queries.add(t.path("expr").asText()));
        });
        variables.forEach(v -> queries.add(v.path("definition").asText()));
        Set<String> queried = new TreeSet<>();
        for (String q : queries) {
            Matcher m = METRIC.matcher(q);
            while (m.find()) {
                queried.add(m.group());
            }
        }
        String prefix = "flink_taskmanager_job_task_operator_task_variant_";
        assertThat(queried).contains(prefix + "prequentialAccuracy", prefix + "prequentialLoss",
                prefix + "modelVersion", prefix + "examplesTrained", prefix + "minibatchesRejected",
                prefix + "annotatorsTracked", prefix + "snapshotAgeMs", prefix + "predictions",
                "flink_taskmanager_job_task_operator_field_deadLetters");

        RegisteredMetrics metrics = registered();
        Set<String> registered = metrics.all().stream().map(RegisteredMetrics.Registered::name)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(registered).as("metrics the train and serve operators register").containsAll(queried);
        assertThat(metrics.find(prefix + "examplesTrained", Map.of("task", "crowd", "variant", "default")))
                .as("per-task metrics carry the task and variant labels the dashboard groups by").hasSize(1);
    }

    /**
     * Two operators of the train job register per-task metrics of one name (the trainer's windowed
     * {@code prequentialLoss}, the selection's race mean): a panel that read both would show whichever is larger.
     * Every query of a per-task metric selects the registrations of one operator, and some.
     */
    @Test
    void everyPerTaskQueryReadsTheMetricsOfOneOperator() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(dashboard().toFile());
        List<String> queries = new ArrayList<>();
        dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> queries.add(t.path("expr").asText())));
        dashboard.path("templating").path("list").forEach(v -> queries.add(v.path("definition").asText()));
        RegisteredMetrics metrics = registered();
        assertThat(metrics.find(PER_TASK + "prequentialLoss", Map.of("job_name", "chorus-train")))
                .as("the trainer and the selection both register it")
                .extracting(r -> r.labels().get("operator_name")).contains("minibatch-sgd", "champion-selection");
        int checked = 0;
        for (String query : queries) {
            Matcher m = SELECTOR.matcher(query);
            while (m.find()) {
                if (!m.group(1).startsWith(PER_TASK)) {
                    continue;
                }
                String selector = m.group();
                List<RegisteredMetrics.Registered> read = metrics.all().stream()
                        .filter(r -> r.name().equals(m.group(1)) && matches(m.group(2), r.labels())).toList();
                assertThat(read).as(selector).isNotEmpty();
                assertThat(read.stream().map(r -> r.labels().get("operator_name")).distinct())
                        .as("operators whose metrics " + selector + " reads").hasSize(1);
                checked++;
            }
        }
        assertThat(checked).as("per-task selectors checked").isGreaterThanOrEqualTo(9);
    }

    /** Whether {@code labels} pass the matchers {@code selector} (the braces' content; null: none), $task any. */
    static boolean matches(String selector, Map<String, String> labels) {
        if (selector == null) {
            return true;
        }
        Matcher m = MATCHER.matcher(selector);
        while (m.find()) {
            String value = labels.getOrDefault(m.group(1), "");
            String wanted = m.group(3).replace("$task", ".*");
            boolean pass = switch (m.group(2)) {
                case "=" -> value.equals(wanted);
                case "!=" -> !value.equals(wanted);
                case "=~" -> value.matches(wanted);
                default -> !value.matches(wanted);
            };
            if (!pass) {
                return false;
            }
        }
        return true;
    }

    /** The metrics the train job's trainer and selection and the serve job's operator register, as the jobs name them. */
    static RegisteredMetrics registered() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        train(metrics);
        select(metrics);
        serve(metrics);
        return metrics;
    }

    private static void select(RegisteredMetrics metrics) throws Exception {
        var function = new ChampionSelectionFunction(new TrainSettings().selection(), TaskSpecs.of(PLAIN, Map.of()));
        var operator = new CoBroadcastWithKeyedOperator<>(function,
                List.of(VariantSpecs.DESCRIPTOR, ModelGenerations.DESCRIPTOR));
        try (var h = new KeyedBroadcastHarness<Prediction, SpecChange, Champion>(operator, Prediction::getTask,
                metrics.environment("chorus-train"))) {
            h.getStreamConfig().setOperatorName("champion-selection");
            h.open();
            h.setProcessingTime(0);
            h.processBroadcastElement(new SpecChange("plain", "b", PLAIN), 0);
            for (int i = 0; i < 4; i++) {
                for (String variant : List.of("default", "b")) {
                    h.processElement(Prediction.newBuilder().setId("e" + i).setTask("plain").setVariant(variant)
                            .setModelVersion(i).setPredictedClass(0)
                            .setProbabilities(Float32.pack(new float[] {0.6f, 0.3f, 0.1f})).setLabel(0)
                            .setEventTime(0L).setProducedAt(0L).build(), 0);
                }
            }
            // The standings (and their gauges) go out on the selection's timer.
            h.setProcessingTime(SelectionSettings.DEFAULT_STANDINGS_INTERVAL_MS);
            assertThat(h.extractOutputValues()).as("a champion record with the standings").isNotEmpty();
        }
    }

    private static void train(RegisteredMetrics metrics) throws Exception {
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.of(PLAIN, Map.of("crowd", CROWD)))
                .snapshotEveryBatches(1).snapshotIntervalMs(0).batchTimeoutMs(0)
                .taskBound(new TaskBound(0, List.of("plain", "crowd")));
        try (var h = new TrainerHarness(settings, metrics.environment("chorus-train"))) {
            h.getStreamConfig().setOperatorName("minibatch-sgd");
            h.open();
            for (int i = 0; i < 8; i++) {
                h.processElement(VariantExample.ofDefault(new Sourced<>(ExampleProducer.example(DATA, i, "plain", "p", 0), 0, i)), i);
                Example crowd = ExampleProducer.example(DATA, i, "crowd", "c", 0);
                crowd.setAnnotator("a" + i % 2);
                h.processElement(VariantExample.ofDefault(new Sourced<>(crowd, 0, 100 + i)), i);
            }
            h.processElement(VariantExample.ofDefault(new Sourced<>(ExampleProducer.example(DATA, 0, "unbounded", "u", 0), 0, 200)), 8);
        }
    }

    private static void serve(RegisteredMetrics metrics) throws Exception {
        ServeSettings settings = new ServeSettings();
        OnlineLearner learner = OnlineLearner.create(dev.chorus.core.model.ModelSpec.parse(PLAIN));
        ModelSnapshot snapshot = ModelSnapshot.newBuilder().setTask("plain").setVariant("default").setVersion(1)
                .setAlgorithm("softmax-regression").setSpec(PLAIN).setParametersFormat(OnlineLearner.FORMAT_VERSION)
                .setParameters(ByteBuffer.wrap(learner.toBytes())).setExamplesSeen(0).setMetrics(Map.of())
                .setCreatedAt(0).setProvenance(Map.of()).build();
        KafkaRecord model = new KafkaRecord(settings.modelsTopic().name(), 0, 0, 0,
                "plain/default".getBytes(StandardCharsets.UTF_8), settings.modelsTopic().codec().encode(snapshot));
        var operator = new CoBroadcastWithKeyedOperator<>(new ServeFunction(settings), ServeJob.BROADCAST_STATES);
        // Flink's KeyedBroadcastOperatorTestHarness takes no environment: the same keyed setup, by hand.
        try (var h = new AbstractStreamOperatorTestHarness<Prediction>(operator, metrics.environment("chorus-serve"))) {
            h.getStreamConfig().setOperatorName("serve");
            h.getStreamConfig().setStatePartitioner(0,
                    (KeySelector<Sourced<Example>, String>) e -> e.value().getTask());
            h.getStreamConfig().setStateKeySerializer(StringSerializer.INSTANCE);
            h.getStreamConfig().serializeAllConfigs();
            h.open();
            operator.processElement2(new StreamRecord<>(model));
            StreamRecord<Sourced<Example>> example =
                    new StreamRecord<>(new Sourced<>(ExampleProducer.example(DATA, 0, "plain", "s", 0), 0, 0));
            operator.setKeyContextElement1(example);
            operator.processElement1(example);
            assertThat(h.extractOutputValues()).as("served with the model").hasSize(1);
        }
    }
}
