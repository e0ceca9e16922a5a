package dev.chorus.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.JobEnvironment;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.KafkaIO;
import dev.chorus.jobs.serve.ServeJobOptions;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Static checks of what {@code deploy/} and {@code docker-compose.yml} hand to Docker, Kubernetes, Flink and Kafka:
 * the files parse, images follow the versions in the parent pom, ports and addresses agree with the Flink config and
 * {@code deploy/local-cluster}, topics agree with the jobs' defaults, the main classes exist, the job arguments parse
 * with the jobs' own option parsers, and every Flink configuration key is one Flink knows.
 */
class DeployConfigTest {

    private static final String DOCKERFILE_JAR = "/opt/flink/usrlib/chorus-jobs-job.jar";

    private static Path root;
    private static Map<String, String> pom;
    private static Map<String, String> flinkConfig;
    private static Set<String> knownFlinkKeys;
    private static Set<String> prometheusReporterKeys;

    @BeforeAll
    static void load() throws Exception {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("deploy/flink/config.yaml"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("repository root (with deploy/flink/config.yaml) above the working directory").isNotNull();
        root = dir;
        pom = pomProperties(root.resolve("pom.xml"));
        Configuration conf = GlobalConfiguration.loadConfiguration(root.resolve("deploy/flink").toString());
        flinkConfig = conf.toMap();
        knownFlinkKeys = knownFlinkKeys();
        prometheusReporterKeys = optionKeys(Class.forName(
                "org.apache.flink.metrics.prometheus.PrometheusPushGatewayReporterOptions"));
    }

    // --- Flink configuration ----------------------------------------------------------------------------------

    @Test
    void flinkConfigParsesAndUsesOnlyKnownKeys() throws IOException {
        Set<String> keys = topLevelKeys(root.resolve("deploy/flink/config.yaml"));
        assertThat(keys).isNotEmpty().isEqualTo(flinkConfig.keySet());
        assertThat(keys).as("keys of deploy/flink/config.yaml that no Flink ConfigOption defines")
                .allMatch(DeployConfigTest::isFlinkKey, "a known Flink configuration key");
    }

    /**
     * A key some Flink ConfigOption defines, or a metric reporter's: {@code metrics.reporter.<name>.<option>} with a
     * generic reporter option ({@code factory.class}, {@code interval}, ...), a Prometheus reporter ConfigOption
     * ({@code filterLabelValueCharacters}, ...) or its {@code port} (read by its factory, which has no ConfigOption).
     */
    private static boolean isFlinkKey(String key) {
        Matcher reporter = Pattern.compile("metrics\\.reporter\\.[A-Za-z0-9_-]+\\.(.+)").matcher(key);
        return knownFlinkKeys.contains(key) || reporter.matches() && (knownFlinkKeys.contains(reporter.group(1))
                || prometheusReporterKeys.contains(reporter.group(1)) || reporter.group(1).equals("port"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void thePrometheusReporterIsEnabledOnAPortThatTheImageComposeAndManifestsExpose() throws Exception {
        String factory = flinkConfig.get("metrics.reporter.prom.factory.class");
        assertThat(factory).as("metrics.reporter.prom.factory.class in deploy/flink/config.yaml").isNotNull();
        assertThat(MetricReporterFactory.class.isAssignableFrom(Class.forName(factory)))
                .as(factory + " is a MetricReporterFactory on the local cluster's classpath").isTrue();
        assertThat(flinkConfig).containsEntry("metrics.reporter.prom.port", "9249-9260")
                .as("task names as they are in the task label").containsEntry(
                        "metrics.reporter.prom.filterLabelValueCharacters", "false");
        assertThat(Files.readString(root.resolve("deploy/Dockerfile")))
                .contains("flink-metrics-prometheus-" + pom.get("flink.version") + ".jar")
                .contains("/opt/flink/plugins/metrics-prometheus/").containsPattern("(?m)^EXPOSE 8081 9249$");

        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>)
                yaml(root.resolve("docker-compose.yml")).get("services");
        assertThat((List<String>) services.get("jobmanager").get("ports")).contains("127.0.0.1:9249:9249");
        assertThat((List<String>) services.get("taskmanager").get("ports")).containsExactly("127.0.0.1:9250:9249");

        for (String file : List.of("train.yaml", "serve.yaml")) {
            Map<String, Object> spec = (Map<String, Object>) yaml(root.resolve("deploy/kubernetes/" + file)).get("spec");
            assertThat((Map<String, Object>) spec.get("flinkConfiguration")).as(file)
                    .containsEntry("metrics.reporter.prom.factory.class", factory)
                    .containsEntry("metrics.reporter.prom.port", "9249");
            Map<String, Object> pod = (Map<String, Object>) spec.get("podTemplate");
            assertThat((Map<String, Object>) ((Map<String, Object>) pod.get("metadata")).get("annotations")).as(file)
                    .containsEntry("prometheus.io/scrape", "true").containsEntry("prometheus.io/port", "9249");
            Map<String, Object> container = ((List<Map<String, Object>>) ((Map<String, Object>) pod.get("spec"))
                    .get("containers")).get(0);
            assertThat((List<Map<String, Object>>) container.get("ports")).as(file)
                    .contains(Map.of("name", "metrics", "containerPort", 9249, "protocol", "TCP"));
        }
    }

    @Test
    void flinkConfigChoosesDurableStateHashmapAndARestartStrategy() {
        assertThat(flinkConfig).containsEntry(StateBackendOptions.STATE_BACKEND.key(), "hashmap")
                .containsEntry(CheckpointingOptions.CHECKPOINT_STORAGE.key(), "filesystem")
                .containsKey(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key())
                .containsKey(CheckpointingOptions.SAVEPOINT_DIRECTORY.key())
                .containsKey(RestartStrategyOptions.RESTART_STRATEGY.key());
        assertThat(flinkConfig.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key())).startsWith("file:///opt/flink/data/");
        assertThat(flinkConfig.get(CoreOptions.FLINK_JVM_OPTIONS.key()))
                .contains("--add-modules=jdk.incubator.vector", "--add-opens=java.base/java.util=ALL-UNNAMED");
    }

    // --- Dockerfile -----------------------------------------------------------------------------------------

    @Test
    void dockerfileBuildsOnTheOfficialFlinkImageWithOpenBlasTheJarAndTheConfig() throws IOException {
        String dockerfile = Files.readString(root.resolve("deploy/Dockerfile"));
        List<String> from = matches(dockerfile, "(?m)^FROM (\\S+)");
        assertThat(from).contains("flink:" + pom.get("flink.version") + "-java" + pom.get("maven.compiler.release"));
        String flinkStage = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
        assertThat(flinkStage).as("the job jar carries OpenBLAS: no BLAS package").doesNotContain("blas", "apt-get");
        assertThat(dockerfile)
                .as("one OpenBLAS thread per slot").containsPattern("(?m)^ENV OPENBLAS_NUM_THREADS=1$")
                .contains("ARG CHORUS_VERSION=" + pom.get("project.version"))
                .contains("COPY --chown=flink:flink deploy/flink/config.yaml /opt/flink/conf/config.yaml")
                .contains("jobs/target/chorus-jobs-${CHORUS_VERSION}-job.jar " + DOCKERFILE_JAR)
                .contains("COPY deploy/demo/produce_examples.py ");
        assertThat(Files.isRegularFile(root.resolve("deploy/demo/produce_examples.py"))).isTrue();
    }

    // --- docker-compose.yml ------------------------------------------------------------------------------------

    @Test
    @SuppressWarnings("unchecked")
    void composeRunsKafkaTopicsFlinkBothJobsAndTheProducer() throws IOException {
        Map<String, Object> compose = yaml(root.resolve("docker-compose.yml"));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        assertThat(services).containsKeys("kafka", "kafka-topics", "jobmanager", "taskmanager", "submit-train",
                "submit-serve", "producer");

        String kafkaImage = "apache/kafka:" + pom.get("kafka.version");
        assertThat(services.get("kafka")).containsEntry("image", kafkaImage);
        assertThat(services.get("kafka-topics")).containsEntry("image", kafkaImage);
        assertThat((List<String>) services.get("kafka-topics").get("entrypoint"))
                .contains("/chorus/kafka/create-topics.sh", "kafka:19092");

        String flinkImage = "chorus-flink:" + pom.get("project.version");
        for (String s : List.of("jobmanager", "taskmanager", "submit-train", "submit-serve")) {
            assertThat(services.get(s)).as(s).containsEntry("image", flinkImage);
        }
        assertThat((Map<String, Object>) services.get("jobmanager").get("build"))
                .containsEntry("dockerfile", "deploy/Dockerfile");
        assertThat((Map<String, Object>) services.get("producer").get("build"))
                .containsEntry("dockerfile", "deploy/Dockerfile").containsEntry("target", "demo-producer");

        // Ports: the REST port of the Flink config, Kafka's client port; both bound to the loopback interface.
        assertThat((List<String>) services.get("jobmanager").get("ports"))
                .contains("127.0.0.1:" + flinkConfig.get(RestOptions.PORT.key()) + ":8081");
        assertThat(flinkConfig.get(RestOptions.PORT.key())).isEqualTo("8081");
        assertThat((List<String>) services.get("kafka").get("ports")).containsExactly("127.0.0.1:9092:9092");
        Map<String, Object> kafkaEnv = (Map<String, Object>) services.get("kafka").get("environment");
        assertThat(kafkaEnv.get("KAFKA_LISTENERS").toString()).contains("INTERNAL://0.0.0.0:19092", "EXTERNAL://0.0.0.0:9092");
        assertThat(kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS").toString())
                .contains("INTERNAL://kafka:19092", "EXTERNAL://localhost:9092");

        List<String> train = assertFlinkRun(stringList(services.get("submit-train").get("command")),
                "dev.chorus.jobs.train.TrainJob");
        JobSettings<?> trainSettings = TrainJobOptions.parse(jobArgs(train).toArray(String[]::new));
        assertThat(trainSettings.bootstrapServers()).isEqualTo("kafka:19092");
        assertDefaultTopics(trainSettings);

        List<String> serve = assertFlinkRun(stringList(services.get("submit-serve").get("command")),
                "dev.chorus.jobs.serve.ServeJob");
        JobSettings<?> serveSettings = ServeJobOptions.parse(jobArgs(serve).toArray(String[]::new));
        assertThat(serveSettings.bootstrapServers()).isEqualTo("kafka:19092");
        assertDefaultTopics(serveSettings);

        assertThat(stringList(services.get("producer").get("command"))).containsSequence("--bootstrap-servers", "kafka:19092");
    }

    /**
     * Each compose submit service submits its job only when the cluster runs no job of that name (the names TrainJob
     * and ServeJob execute under, those deploy/local-cluster awaits): a second {@code docker compose up} starts the
     * one-shot container again, and a second job of the same group id would fence the first one's transactions. The
     * script runs here as Compose hands it to bash (its $$ unescaped), against a stub {@code flink} that lists the
     * given jobs and prints what it is asked to run.
     */
    @Test
    @SuppressWarnings("unchecked")
    void composeSubmitsEachJobOnlyWhenTheClusterRunsNoneOfItsName(@TempDir Path bin) throws Exception {
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) yaml(
                root.resolve("docker-compose.yml")).get("services");
        Path flink = bin.resolve("flink");
        Files.writeString(flink, """
                #!/usr/bin/env bash
                if [ "$1" = list ]; then printf '%s' "$FLINK_LIST"; else echo "SUBMITTED $*"; fi
                """);
        assertThat(flink.toFile().setExecutable(true)).isTrue();
        String running = "------------------ Running/Restarting Jobs -------------------\n"
                + "07.12.2026 19:00:00 : 4f6c1b2e9d0a7c3b5e8f1a2d3c4b5a69 : %s (%s)\n"
                + "--------------------------------------------------------------\n";
        Map<String, String> jobs = Map.of("submit-train", "chorus-train", "submit-serve", "chorus-serve");
        for (Map.Entry<String, String> service : jobs.entrySet()) {
            List<String> command = stringList(services.get(service.getKey()).get("command")).stream()
                    .map(DeployConfigTest::composeInterpolated).toList();
            assertThat(command.get(3)).as(service.getKey() + ": the job name the script looks for")
                    .isEqualTo(service.getValue());
            String other = service.getValue().equals("chorus-train") ? "chorus-serve" : "chorus-train";
            String submitted = "SUBMITTED " + String.join(" ", command.subList(5, command.size()));

            assertThat(run(command, bin, "No running jobs.\n")).as(service.getKey() + ", no job running")
                    .contains(submitted);
            assertThat(run(command, bin, running.formatted(other, "RUNNING"))).as(service.getKey() + ", " + other
                    + " running").contains(submitted);
            for (String state : List.of("RUNNING", "RESTARTING")) {
                assertThat(run(command, bin, running.formatted(service.getValue(), state)))
                        .as(service.getKey() + ", " + service.getValue() + " " + state)
                        .doesNotContain("SUBMITTED").contains(service.getValue() + " runs already");
            }
        }
    }

    /** A Compose value as Compose hands it on: $$ is a literal $, and any other $ would be interpolated. */
    private static String composeInterpolated(String value) {
        assertThat(value.replace("$$", "")).as("a $ Compose would interpolate (or refuse) in " + value)
                .doesNotContain("$");
        return value.replace("$$", "$");
    }

    private static String run(List<String> command, Path bin, String flinkList) throws Exception {
        ProcessBuilder process = new ProcessBuilder(command).redirectErrorStream(true);
        process.environment().put("PATH", bin + java.io.File.pathSeparator + System.getenv("PATH"));
        process.environment().put("FLINK_LIST", flinkList);
        Process p = process.start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("exit status of " + command + ": " + output).isZero();
        return output;
    }

    @Test
    void localClusterScriptUsesTheSamePortsAndTheSharedConfigAndTopics() throws IOException {
        String script = Files.readString(root.resolve("deploy/local-cluster"));
        assertThat(script).contains("CHORUS_KAFKA_PORT:-9092", "CHORUS_FLINK_REST_PORT:-" + flinkConfig.get(RestOptions.PORT.key()),
                "CHORUS_FLINK_RPC_PORT:-" + flinkConfig.get(JobManagerOptions.PORT.key()),
                "$root/deploy/flink/config.yaml", "$root/deploy/kafka/topics",
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "kafka.Kafka", "kafka.tools.StorageTool");
        assertThat(script).doesNotContain("0.0.0.0");
    }

    // --- Kafka topics ---------------------------------------------------------------------------------------

    @Test
    void topicsFileIsTheTopicDefinition() throws IOException {
        Map<String, TopicDef> expected = new LinkedHashMap<>();
        for (ChorusTopic role : ChorusTopic.values()) {
            expected.put(role.defaultName(), new TopicDef(role.deployPartitions(), role.deployConfigs()));
        }
        assertThat(topicsFile()).as("deploy/kafka/topics against ChorusTopic").isEqualTo(expected);
        assertThat(expected.get("chorus.models").configs()).as("compacted, as the readers of models expect")
                .containsEntry("cleanup.policy", "compact");
        assertThat(expected.get("chorus.predictions").configs()).doesNotContainKey("cleanup.policy")
                .containsEntry("max.message.bytes", String.valueOf(KafkaIO.MAX_RECORD_BYTES));
    }

    private static final String SERVE_TOPICS = "deploy/kafka/serve-topics";
    private static final String SERVE_PREDICTIONS = "chorus.serve-predictions";
    private static final String SERVE_DEAD_LETTERS = "chorus.serve-dead-letters";

    /** The serve job's own topics are made as the predictions and dead-letter topics they stand in for. */
    @Test
    void serveTopicsFileDefinesTheServeJobsTopicsAsThePredictionsAndDeadLetterTopics() throws IOException {
        assertThat(topicsFile(SERVE_TOPICS)).containsExactly(
                Map.entry(SERVE_PREDICTIONS, new TopicDef(ChorusTopic.PREDICTIONS.deployPartitions(),
                        ChorusTopic.PREDICTIONS.deployConfigs())),
                Map.entry(SERVE_DEAD_LETTERS, new TopicDef(ChorusTopic.DEAD_LETTERS.deployPartitions(),
                        ChorusTopic.DEAD_LETTERS.deployConfigs())));
        assertThat(Files.readString(root.resolve("deploy/kafka/create-topics.sh")))
                .as("create-topics.sh creates the serve job's topics too").contains("\"$here/serve-topics\"");
    }

    /**
     * Nothing in a prediction or a dead letter names the job that wrote it, so the train and serve jobs of each
     * deployment write no topic in common (on one predictions topic most example ids would get two predictions, an
     * undecodable example two dead letters of one key), do not share a group id (the consumer group and the
     * transactional-id prefix), and every topic they write is one the deployment creates. docker-compose.yml gives
     * the serve job the topics deploy/local-cluster's e2e gives it.
     */
    @Test
    @SuppressWarnings("unchecked")
    void eachDeploymentsJobsWriteTopicsOfTheirOwn() throws IOException {
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) yaml(
                root.resolve("docker-compose.yml")).get("services");
        JobSettings<?> composeTrain = TrainJobOptions.parse(
                jobArgs(stringList(services.get("submit-train").get("command"))).toArray(String[]::new));
        JobSettings<?> composeServe = ServeJobOptions.parse(
                jobArgs(stringList(services.get("submit-serve").get("command"))).toArray(String[]::new));
        assertOwnOutputs("docker-compose.yml", composeTrain, composeServe, createdTopics().keySet());

        Set<String> strimzi = new TreeSet<>();
        for (Map<String, Object> doc : yamlAll(root.resolve("deploy/kubernetes/topics.yaml"))) {
            strimzi.add((String) ((Map<String, Object>) doc.get("spec")).get("topicName"));
        }
        assertOwnOutputs("deploy/kubernetes", kubernetesJob("train.yaml"), kubernetesJob("serve.yaml"), strimzi);

        assertThat(List.of(composeServe.predictionsTopic().name(), composeServe.deadLetterTopic().name()))
                .containsExactly(SERVE_PREDICTIONS, SERVE_DEAD_LETTERS);
        String script = Files.readString(root.resolve("deploy/local-cluster"));
        assertThat(script).contains("driver create-topics \"$bootstrap\" \"$root/" + SERVE_TOPICS + "\"")
                .containsPattern("submit serve [^\\n]*\\\\\\s+[^\\n]*--predictions-topic " + SERVE_PREDICTIONS
                        + "\\s*\\\\\\s+--dead-letter-topic " + SERVE_DEAD_LETTERS);
    }

    private static void assertOwnOutputs(String deployment, JobSettings<?> train, JobSettings<?> serve,
            Set<String> created) {
        Set<String> trainOutputs = outputTopics(train);
        Set<String> serveOutputs = outputTopics(serve);
        assertThat(serveOutputs).as(deployment + ": topics both the train job " + trainOutputs + " and the serve job "
                + "write").doesNotContainAnyElementsOf(trainOutputs);
        assertThat(serve.groupId()).as(deployment + ": group ids").isNotEqualTo(train.groupId());
        assertThat(created).as(deployment + ": the topics it creates hold every topic its jobs write")
                .containsAll(trainOutputs).containsAll(serveOutputs);
    }

    /**
     * docs/OPERATIONS.md's "Topics first" names every topic the deploy files create, and says which are compacted
     * and how many partitions the data topics take.
     */
    @Test
    void operationsDescribesEveryTopicTheDeployFilesCreate() throws IOException {
        String operations = Files.readString(root.resolve("docs/OPERATIONS.md"));
        int start = operations.indexOf("**Topics first.**");
        assertThat(start).as("the \"Topics first\" paragraph of docs/OPERATIONS.md").isNotNegative();
        String paragraph = operations.substring(start, operations.indexOf("\n\n", start));
        for (String topic : createdTopics().keySet()) {
            assertThat(paragraph).as("Topics first names " + topic).contains("`" + topic + "`");
        }
        for (ChorusTopic role : ChorusTopic.values()) {
            String name = "`" + role.defaultName() + "`";
            if (role.compacted()) {
                // Named in a list that the word "compacted" closes, before the next list's closing parenthesis.
                String after = paragraph.substring(paragraph.indexOf(name));
                assertThat(after.substring(0, after.indexOf(")"))).as(role + " said to be compacted")
                        .contains("compacted");
            }
        }
        assertThat(paragraph).contains("(" + ChorusTopic.EXAMPLES.deployPartitions() + " partitions");
    }

    @Test
    void jobOptionsDefaultToTheDefinedTopicNames() {
        var train = new picocli.CommandLine(new TrainJobOptions()).getCommandSpec();
        Map<String, String> defaults = new LinkedHashMap<>();
        for (String option : List.of("--examples-topic", "--predictions-topic", "--models-topic", "--annotators-topic",
                "--consensus-topic", "--champions-topic", "--specs-topic", "--dead-letter-topic",
                "--spec-refusals-topic")) {
            defaults.put(option, train.findOption(option).defaultValue());
        }
        assertThat(defaults).containsExactly(Map.entry("--examples-topic", "chorus.examples"),
                Map.entry("--predictions-topic", "chorus.predictions"), Map.entry("--models-topic", "chorus.models"),
                Map.entry("--annotators-topic", "chorus.annotators"),
                Map.entry("--consensus-topic", "chorus.consensus"),
                Map.entry("--champions-topic", "chorus.champions"), Map.entry("--specs-topic", "chorus.specs"),
                Map.entry("--dead-letter-topic", "chorus.dead-letters"),
                Map.entry("--spec-refusals-topic", "chorus.specs.refusals"));
        assertThat(List.copyOf(defaults.values())).isEqualTo(
                Arrays.stream(ChorusTopic.values()).map(ChorusTopic::defaultName).toList());
    }

    @Test
    @SuppressWarnings("unchecked")
    void strimziTopicsMatchTheTopicsFiles() throws IOException {
        Map<String, TopicDef> topics = createdTopics();
        Map<String, TopicDef> strimzi = new LinkedHashMap<>();
        for (Map<String, Object> doc : yamlAll(root.resolve("deploy/kubernetes/topics.yaml"))) {
            assertThat(doc).containsEntry("apiVersion", "kafka.strimzi.io/v1beta2").containsEntry("kind", "KafkaTopic");
            Map<String, Object> meta = (Map<String, Object>) doc.get("metadata");
            assertThat((Map<String, Object>) meta.get("labels")).containsKey("strimzi.io/cluster");
            Map<String, Object> spec = (Map<String, Object>) doc.get("spec");
            Map<String, String> configs = new HashMap<>();
            ((Map<String, Object>) spec.get("config")).forEach((k, v) -> configs.put(k, String.valueOf(v)));
            configs.remove("min.insync.replicas");
            strimzi.put((String) spec.get("topicName"), new TopicDef((Integer) spec.get("partitions"), configs));
        }
        assertThat(strimzi).isEqualTo(topics);
    }

    // --- Kubernetes (Flink Kubernetes Operator) -----------------------------------------------------------------

    @Test
    void trainDeploymentIsAnApplicationWithSavepointUpgradesAndValidArgs() throws IOException {
        Map<String, Object> train = flinkDeployment("train.yaml", "dev.chorus.jobs.train.TrainJob");
        List<String> args = stringList(job(train).get("args"));
        // The spec comes from the ConfigMap in spec.yaml, mounted at /opt/chorus/spec.
        String specArg = args.get(args.indexOf("--spec") + 1);
        assertThat(specArg).startsWith("@/opt/chorus/spec/");
        String specText = configMapData(root.resolve("deploy/kubernetes/spec.yaml"), "chorus-model-spec")
                .get(specArg.substring("@/opt/chorus/spec/".length()));
        assertThat(specText).as("model spec in deploy/kubernetes/spec.yaml").isNotNull();
        List<String> inline = withMountedKafkaConfig(args);
        inline.set(args.indexOf("--spec") + 1, specText);
        assertDefaultTopics(TrainJobOptions.parse(inline.toArray(String[]::new)));
    }

    /**
     * The Flink settings that decide how a job checkpoints, fails over and reports are the same on Kubernetes as in
     * deploy/flink/config.yaml (the operator writes the configuration itself, so each manifest repeats them); what
     * differs by design is where things are (addresses, ports, directories) and how big (memory, slots).
     */
    @Test
    @SuppressWarnings("unchecked")
    void theManifestsCarryTheSharedConfigsBehaviourSettings() throws IOException {
        Set<String> whereAndHowBig = Set.of("jobmanager.rpc.address", "jobmanager.rpc.port", "jobmanager.bind-host",
                "taskmanager.bind-host", "rest.port", "rest.address", "rest.bind-address",
                "jobmanager.memory.process.size", "taskmanager.memory.process.size", "taskmanager.numberOfTaskSlots",
                "parallelism.default", "execution.checkpointing.dir", "execution.checkpointing.savepoint-dir",
                "metrics.reporter.prom.port");
        for (String file : List.of("train.yaml", "serve.yaml")) {
            Map<String, Object> conf = (Map<String, Object>) ((Map<String, Object>) yaml(
                    root.resolve("deploy/kubernetes/" + file)).get("spec")).get("flinkConfiguration");
            for (Map.Entry<String, String> setting : flinkConfig.entrySet()) {
                if (!whereAndHowBig.contains(setting.getKey())) {
                    assertThat(conf).as(file + ": " + setting.getKey())
                            .containsKey(setting.getKey());
                    assertThat(String.valueOf(conf.get(setting.getKey()))).as(file + ": " + setting.getKey())
                            .isEqualTo(setting.getValue());
                }
            }
        }
    }

    /**
     * Both deployments' pods are fit for the "restricted" Pod Security Standard, running as the flink image's user
     * (uid 9999, home /opt/flink), on a read-only root filesystem: every path Flink and Chorus write is on a writable
     * emptyDir. Those paths: io.tmp.dirs (Flink's blob cache, working directories, RocksDB's local files);
     * java.io.tmpdir (the JVM's hsperfdata and the native libraries netlib and the Kafka client's codecs extract to
     * temporary files); Flink's log directory (kubernetes.flink.log.dir, /opt/flink/log unless set); JavaCPP's cache
     * (~/.javacpp/cache unless org.bytedeco.javacpp.cachedir is set), where the job jar's OpenBLAS is unpacked; and any
     * other directory the configuration names that is not remote (a checkpoint directory, web.tmpdir, ...). No ENABLE_BUILT_IN_PLUGINS either: the image's
     * entrypoint would link the plugins into the read-only plugins/ at start, fail, and go on without them.
     */
    @Test
    @SuppressWarnings("unchecked")
    void thePodsAreFitForTheRestrictedPodSecurityStandardWithAReadOnlyRoot() throws IOException {
        for (String file : List.of("train.yaml", "serve.yaml")) {
            Map<String, Object> spec = (Map<String, Object>) yaml(root.resolve("deploy/kubernetes/" + file)).get("spec");
            Map<String, String> conf = new HashMap<>();
            ((Map<String, Object>) spec.get("flinkConfiguration")).forEach((k, v) -> conf.put(k, String.valueOf(v)));
            Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) spec.get("podTemplate")).get("spec");
            assertThat((Map<String, Object>) pod.get("securityContext")).as(file)
                    .containsEntry("runAsNonRoot", true).containsEntry("runAsUser", FLINK_UID)
                    .containsEntry("seccompProfile", Map.of("type", "RuntimeDefault"));
            Map<String, Map<String, Object>> volumes = new HashMap<>();
            for (Map<String, Object> volume : (List<Map<String, Object>>) pod.get("volumes")) {
                volumes.put((String) volume.get("name"), volume);
            }

            List<String> written = new ArrayList<>();
            assertThat(conf).as(file + ": io.tmp.dirs, set where a volume takes it").containsKey("io.tmp.dirs");
            written.addAll(List.of(conf.get("io.tmp.dirs").split("[,:]")));
            String jvmOptions = String.join(" ", conf.getOrDefault("env.java.opts.all", ""),
                    conf.getOrDefault("env.java.opts.jobmanager", ""), conf.getOrDefault("env.java.opts.taskmanager", ""));
            written.addAll(systemProperty(jvmOptions, "java.io.tmpdir", "/tmp"));
            written.addAll(systemProperty(jvmOptions, "org.bytedeco.javacpp.cachedir", FLINK_HOME + "/.javacpp/cache"));
            written.add(conf.getOrDefault("kubernetes.flink.log.dir", FLINK_HOME + "/log"));
            // Every other directory the configuration names on the pod's own filesystem (web.tmpdir,
            // blob.storage.directory, process.working-dir, state.backend.rocksdb.localdir, a file: checkpoint
            // directory, ...); remote ones (s3://) write nothing locally, and conf/ is the operator's ConfigMap.
            conf.forEach((key, value) -> {
                if (key.matches("(?i).*(dir|dirs|directory)") && !key.equals("kubernetes.flink.conf.dir")) {
                    for (String dir : value.split(",")) {
                        String path = dir.strip().replaceFirst("^file:(//)?", "");
                        if (path.startsWith("/")) {
                            written.addAll(List.of(path.split(":")));
                        }
                    }
                }
            });

            for (Map<String, Object> container : (List<Map<String, Object>>) pod.get("containers")) {
                String where = file + " container " + container.get("name");
                assertThat((Map<String, Object>) container.get("securityContext")).as(where)
                        .containsEntry("readOnlyRootFilesystem", true).containsEntry("runAsNonRoot", true)
                        .containsEntry("allowPrivilegeEscalation", false)
                        .containsEntry("capabilities", Map.of("drop", List.of("ALL")));
                assertThat(String.valueOf(container.get("env"))).as(where).doesNotContain("ENABLE_BUILT_IN_PLUGINS");
                List<Map<String, Object>> mounts = (List<Map<String, Object>>) container.get("volumeMounts");
                for (String path : written) {
                    assertThat(mounts).as(where + ": a writable emptyDir holding " + path).anySatisfy(mount -> {
                        String at = (String) mount.get("mountPath");
                        assertThat(path.equals(at) || path.startsWith(at + "/")).isTrue();
                        assertThat(mount.get("readOnly")).isNotEqualTo(true);
                        assertThat(volumes.get((String) mount.get("name"))).containsKey("emptyDir");
                    });
                }
            }
        }
    }

    private static final int FLINK_UID = 9999;
    private static final String FLINK_HOME = "/opt/flink";

    /** The value of {@code -Dname=...} in {@code jvmOptions}, or {@code otherwise} when none is given. */
    private static List<String> systemProperty(String jvmOptions, String name, String otherwise) {
        List<String> values = matches(jvmOptions, "(?:^|\\s)-D" + Pattern.quote(name) + "=(\\S+)");
        return values.isEmpty() ? List.of(otherwise) : values;
    }

    /**
     * Every deployment's checkpoints commit a sink's transaction before the broker aborts it for age: the checkpoint
     * interval its job is given plus the checkpoint timeout times one more than the tolerable failures stays below
     * the sinks' transaction timeout (the jobs refuse settings that do not; this catches it before a deploy).
     */
    @Test
    @SuppressWarnings("unchecked")
    void everyDeploymentsCheckpointsCommitBeforeTheTransactionsExpire() throws IOException {
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) yaml(
                root.resolve("docker-compose.yml")).get("services");
        List<String> composeTrain = jobArgs(stringList(services.get("submit-train").get("command")));
        List<String> composeServe = jobArgs(stringList(services.get("submit-serve").get("command")));
        Map<String, Map<String, String>> configs = new LinkedHashMap<>();
        Map<String, List<String>> args = new LinkedHashMap<>();
        configs.put("docker-compose train", flinkConfig);
        args.put("docker-compose train", composeTrain);
        configs.put("docker-compose serve", flinkConfig);
        args.put("docker-compose serve", composeServe);
        for (String file : List.of("train.yaml", "serve.yaml")) {
            Map<String, Object> spec = (Map<String, Object>) yaml(root.resolve("deploy/kubernetes/" + file)).get("spec");
            Map<String, String> conf = new HashMap<>();
            ((Map<String, Object>) spec.get("flinkConfiguration")).forEach((k, v) -> conf.put(k, String.valueOf(v)));
            configs.put(file, conf);
            args.put(file, stringList(((Map<String, Object>) spec.get("job")).get("args")));
        }
        for (String deployment : configs.keySet()) {
            Configuration conf = Configuration.fromMap(configs.get(deployment));
            List<String> jobArgs = args.get(deployment);
            int at = jobArgs.indexOf("--checkpoint-interval-ms");
            Duration interval = Duration.ofMillis(at < 0 ? JobSettings.DEFAULT_CHECKPOINT_INTERVAL_MS
                    : Long.parseLong(jobArgs.get(at + 1)));
            assertThat(conf.getOptional(CheckpointingOptions.CHECKPOINTING_TIMEOUT)).as(deployment).isPresent();
            assertThat(JobEnvironment.checkpointsCommitInTime(conf.get(CheckpointingOptions.CHECKPOINTING_TIMEOUT),
                    conf.get(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER), interval)).as(deployment).isNull();
        }
    }

    @Test
    void serveDeploymentIsAnApplicationWithSavepointUpgradesAndValidArgs() throws IOException {
        Map<String, Object> serve = flinkDeployment("serve.yaml", "dev.chorus.jobs.serve.ServeJob");
        assertDefaultTopics(ServeJobOptions.parse(
                withMountedKafkaConfig(stringList(job(serve).get("args"))).toArray(String[]::new)));
    }

    /**
     * Kafka credentials reach both jobs from the Secret of kafka-client.yaml, mounted as a file and read with
     * --kafka-config; no job argument anywhere in deploy/ or docker-compose.yml carries a secret.
     */
    @Test
    @SuppressWarnings("unchecked")
    void kafkaCredentialsComeFromASecretAndNoArgumentLooksSecret() throws IOException {
        Map<String, String> secretSettings = kafkaClientSecret();
        assertThat(secretSettings).containsKeys("security.protocol", "sasl.mechanism", "sasl.jaas.config");
        Map<String, List<String>> argsByFile = new LinkedHashMap<>();
        for (String file : List.of("train.yaml", "serve.yaml")) {
            Map<String, Object> deployment = yaml(root.resolve("deploy/kubernetes").resolve(file));
            List<String> args = stringList(job(deployment).get("args"));
            argsByFile.put(file, args);
            assertThat(args).as(file).containsSequence("--kafka-config", KAFKA_CONFIG_MOUNT + "/kafka.properties");
            Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                    deployment.get("spec")).get("podTemplate")).get("spec");
            assertThat(pod.get("volumes").toString()).as(file)
                    .contains("secret={secretName=" + KAFKA_CLIENT_SECRET + "}");
            Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).get(0);
            assertThat((List<Map<String, Object>>) container.get("volumeMounts")).as(file)
                    .anySatisfy(mount -> assertThat(mount).containsEntry("mountPath", KAFKA_CONFIG_MOUNT)
                            .containsEntry("readOnly", true));
            JobSettings<?> settings = file.equals("serve.yaml")
                    ? ServeJobOptions.parse(withMountedKafkaConfig(args).toArray(String[]::new))
                    : TrainJobOptions.parse(withMountedKafkaConfig(args).stream()
                            .map(a -> a.startsWith("@/opt/chorus/spec/") ? "{\"algorithm\":\"softmax-regression\","
                                    + "\"inputDim\":4,\"numClasses\":3}" : a).toArray(String[]::new));
            assertThat(settings.kafkaProperties()).as(file).containsAllEntriesOf(secretSettings);
        }
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>)
                yaml(root.resolve("docker-compose.yml")).get("services");
        services.forEach((name, service) -> {
            Object command = service.get("command");
            if (command != null) {
                argsByFile.put("docker-compose.yml " + name,
                        command instanceof List<?> ? stringList(command) : List.of(command.toString()));
            }
        });
        argsByFile.forEach((where, args) -> assertThat(args).as("arguments of " + where)
                .noneMatch(DeployConfigTest::looksSecret));
    }

    private static final String KAFKA_CLIENT_SECRET = "chorus-kafka-client";
    private static final String KAFKA_CONFIG_MOUNT = "/opt/chorus/kafka";
    private static final Pattern SECRET_LOOKING = Pattern.compile(
            "(?i)password|secret|credential|jaas|private key|BEGIN [A-Z ]*KEY|ssl\\.keystore\\.key|token");

    private static boolean looksSecret(String arg) {
        return SECRET_LOOKING.matcher(arg).find();
    }

    /** The kafka.properties of the Secret in kafka-client.yaml, as the jobs read it. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> kafkaClientSecret() throws IOException {
        Map<String, Object> secret = yaml(root.resolve("deploy/kubernetes/kafka-client.yaml"));
        assertThat(secret).containsEntry("apiVersion", "v1").containsEntry("kind", "Secret");
        assertThat((Map<String, Object>) secret.get("metadata")).containsEntry("name", KAFKA_CLIENT_SECRET);
        String text = ((Map<String, String>) secret.get("stringData")).get("kafka.properties");
        assertThat(text).as("kafka.properties in kafka-client.yaml").isNotNull();
        java.util.Properties properties = new java.util.Properties();
        properties.load(new java.io.StringReader(text));
        Map<String, String> settings = new LinkedHashMap<>();
        properties.forEach((k, v) -> settings.put(k.toString(), v.toString()));
        return settings;
    }

    /** {@code args} with the --kafka-config path, which exists in the pod, replaced by a copy of the Secret's file. */
    @SuppressWarnings("unchecked")
    private static List<String> withMountedKafkaConfig(List<String> args) throws IOException {
        List<String> local = new ArrayList<>(args);
        int at = local.indexOf("--kafka-config");
        if (at >= 0) {
            Map<String, Object> secret = yaml(root.resolve("deploy/kubernetes/kafka-client.yaml"));
            String name = local.get(at + 1).substring(KAFKA_CONFIG_MOUNT.length() + 1);
            Path copy = Files.createTempFile("chorus-kafka-client-", ".properties");
            copy.toFile().deleteOnExit();
            Files.writeString(copy, ((Map<String, String>) secret.get("stringData")).get(name));
            local.set(at + 1, copy.toString());
        }
        return local;
    }

    // --- helpers --------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static Map<String, Object> flinkDeployment(String file, String entryClass) throws IOException {
        Map<String, Object> d = yaml(root.resolve("deploy/kubernetes").resolve(file));
        assertThat(d).containsEntry("apiVersion", "flink.apache.org/v1beta1").containsEntry("kind", "FlinkDeployment");
        Map<String, Object> spec = (Map<String, Object>) d.get("spec");
        String[] version = pom.get("flink.version").split("\\.");
        assertThat(spec).containsEntry("flinkVersion", "v" + version[0] + "_" + version[1]);
        assertThat((String) spec.get("image")).endsWith("/chorus-flink:" + pom.get("project.version"));
        assertThat(((Map<String, Object>) spec.get("jobManager")).get("resource")).isNotNull();
        assertThat(((Map<String, Object>) spec.get("taskManager")).get("resource")).isNotNull();

        Map<String, Object> job = (Map<String, Object>) spec.get("job");
        assertThat(job).containsEntry("jarURI", "local://" + DOCKERFILE_JAR).containsEntry("entryClass", entryClass)
                .containsEntry("upgradeMode", "savepoint").containsEntry("state", "running");
        assertMainClass(entryClass);

        Map<String, Object> conf = (Map<String, Object>) spec.get("flinkConfiguration");
        assertThat(conf.keySet()).as("flinkConfiguration keys of " + file + " that no Flink ConfigOption defines")
                .allMatch(k -> isFlinkKey(k) || k.startsWith("kubernetes.operator."),
                        "a known Flink key (or an operator key)");
        assertThat(conf).containsEntry("state.backend.type", "hashmap")
                .containsEntry("env.java.opts.all", flinkConfig.get(CoreOptions.FLINK_JVM_OPTIONS.key()));
        assertThat((String) conf.get("execution.checkpointing.dir")).startsWith("s3://");

        // s3:// needs Presto's S3 filesystem in plugins/: the image has it, as the entrypoint cannot link it there under
        // the read-only root filesystem (thePodsAreFitForTheRestrictedPodSecurityStandardWithAReadOnlyRoot).
        String s3Plugin = "flink-s3-fs-presto-" + pom.get("flink.version") + ".jar";
        assertThat(Files.readString(root.resolve("deploy/Dockerfile"))).contains(
                "jar=" + s3Plugin, "ln -s /opt/flink/opt/$jar /opt/flink/plugins/s3-fs-presto/$jar");
        return d;
    }

    /** The settings a deployment's job runs with: its args, the spec from spec.yaml, the Secret's Kafka config. */
    private static JobSettings<?> kubernetesJob(String file) throws IOException {
        List<String> args = withMountedKafkaConfig(stringList(job(yaml(root.resolve("deploy/kubernetes")
                .resolve(file))).get("args")));
        int spec = args.indexOf("--spec");
        if (spec >= 0) {
            String specArg = args.get(spec + 1);
            assertThat(specArg).startsWith("@/opt/chorus/spec/");
            String specText = configMapData(root.resolve("deploy/kubernetes/spec.yaml"), "chorus-model-spec")
                    .get(specArg.substring("@/opt/chorus/spec/".length()));
            assertThat(specText).as("model spec in deploy/kubernetes/spec.yaml").isNotNull();
            args.set(spec + 1, specText);
        }
        return file.equals("serve.yaml") ? ServeJobOptions.parse(args.toArray(String[]::new))
                : TrainJobOptions.parse(args.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> job(Map<String, Object> deployment) {
        return (Map<String, Object>) ((Map<String, Object>) deployment.get("spec")).get("job");
    }

    /**
     * A compose submit service's command: {@code bash -c SUBMIT_ONCE jobName flink run -d -c mainClass jar args...};
     * returns the {@code flink run} command line.
     */
    private static List<String> assertFlinkRun(List<String> command, String mainClass) {
        assertThat(command.subList(0, 2)).containsExactly("bash", "-c");
        int flink = command.indexOf("flink");
        assertThat(flink).as("flink run after bash -c SCRIPT NAME in " + command).isEqualTo(4);
        List<String> flinkRun = command.subList(flink, command.size());
        assertThat(flinkRun.subList(0, 3)).containsExactly("flink", "run", "-d");
        assertThat(flinkRun).containsSequence("-c", mainClass, DOCKERFILE_JAR);
        assertMainClass(mainClass);
        return flinkRun;
    }

    private static List<String> jobArgs(List<String> flinkRun) {
        return flinkRun.subList(flinkRun.indexOf(DOCKERFILE_JAR) + 1, flinkRun.size());
    }

    private static void assertDefaultTopics(JobSettings<?> s) throws IOException {
        Set<String> created = createdTopics().keySet();
        assertThat(List.of(s.examplesTopic().name(), s.predictionsTopic().name(), s.modelsTopic().name(),
                s.deadLetterTopic().name())).allMatch(created::contains,
                        "a topic of deploy/kafka/topics or deploy/kafka/serve-topics");
    }

    private static void assertMainClass(String name) {
        try {
            Method main = Class.forName(name).getMethod("main", String[].class);
            assertThat(Modifier.isStatic(main.getModifiers())).as(name + ".main is static").isTrue();
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new AssertionError("main class " + name + " named in deploy/ is missing: " + e, e);
        }
    }

    /** Every key (and fallback or deprecated key) of every ConfigOption in Flink's configuration *Options classes. */
    private static Set<String> knownFlinkKeys() throws IOException, URISyntaxException, IllegalAccessException {
        Set<Class<?>> classes = new java.util.LinkedHashSet<>(List.of(CheckpointingOptions.class,
                StateBackendOptions.class, RestartStrategyOptions.class, CoreOptions.class, JobManagerOptions.class,
                TaskManagerOptions.class, RestOptions.class));
        Path flinkCore = Path.of(CoreOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (JarFile jar = new JarFile(flinkCore.toFile())) {
            for (String entry : jar.stream().map(e -> e.getName())
                    .filter(n -> n.matches("org/apache/flink/configuration/[A-Za-z]+Options\\.class")).toList()) {
                try {
                    classes.add(Class.forName(entry.replace('/', '.').replace(".class", "")));
                } catch (ClassNotFoundException | LinkageError e) {
                    throw new AssertionError("cannot load " + entry + " from " + flinkCore, e);
                }
            }
        }
        Set<String> keys = optionKeys(classes.toArray(Class<?>[]::new));
        assertThat(keys).as("ConfigOption keys found in " + flinkCore).hasSizeGreaterThan(300);
        return keys;
    }

    /** The keys (and fallback or deprecated keys) of the public static ConfigOptions of {@code classes}. */
    private static Set<String> optionKeys(Class<?>... classes) throws IllegalAccessException {
        Set<String> keys = new TreeSet<>();
        for (Class<?> c : classes) {
            for (Field f : c.getFields()) {
                if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                    ConfigOption<?> option = (ConfigOption<?>) f.get(null);
                    keys.add(option.key());
                    StreamSupport.stream(option.fallbackKeys().spliterator(), false).map(FallbackKey::getKey)
                            .forEach(keys::add);
                }
            }
        }
        return keys;
    }

    record TopicDef(int partitions, Map<String, String> configs) {}

    private static Map<String, TopicDef> topicsFile() throws IOException {
        return topicsFile("deploy/kafka/topics");
    }

    private static Map<String, TopicDef> topicsFile(String file) throws IOException {
        Map<String, TopicDef> topics = new LinkedHashMap<>();
        for (LocalClusterDriver.TopicLine t : LocalClusterDriver.readTopics(root.resolve(file))) {
            topics.put(t.name(), new TopicDef(t.partitions(), t.configs()));
        }
        return topics;
    }

    /** What create-topics.sh creates (docker-compose.yml): deploy/kafka/topics, then deploy/kafka/serve-topics. */
    private static Map<String, TopicDef> createdTopics() throws IOException {
        Map<String, TopicDef> topics = new LinkedHashMap<>(topicsFile());
        topicsFile(SERVE_TOPICS).forEach((name, def) -> assertThat(topics.put(name, def)).as(name + " listed twice")
                .isNull());
        return topics;
    }

    /** The topics a job's sinks write. */
    private static Set<String> outputTopics(JobSettings<?> s) {
        Set<String> topics = new TreeSet<>(List.of(s.predictionsTopic().name(), s.deadLetterTopic().name()));
        if (s instanceof TrainSettings t) {
            topics.addAll(List.of(t.modelsTopic().name(), t.annotatorsTopic().name(), t.consensusTopic().name(),
                    t.championsTopic().name(), t.specsTopic().name(), t.specRefusalsTopic().name()));
        }
        return topics;
    }

    /** Top-level keys of a flat YAML file (Flink's config.yaml as Chorus writes it), for an independent check. */
    private static Set<String> topLevelKeys(Path file) throws IOException {
        Map<String, Object> doc = yaml(file);
        return flatten("", doc).keySet();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> flatten(String prefix, Map<String, Object> map) {
        Map<String, Object> flat = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m) {
                flat.putAll(flatten(prefix + k + ".", (Map<String, Object>) m));
            } else {
                flat.put(prefix + k, v);
            }
        });
        return flat;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> configMapData(Path file, String name) throws IOException {
        Map<String, Object> cm = yaml(file);
        assertThat(cm).containsEntry("kind", "ConfigMap");
        assertThat((Map<String, Object>) cm.get("metadata")).containsEntry("name", name);
        return (Map<String, String>) cm.get("data");
    }

    private static Map<String, Object> yaml(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return newYaml().load(in);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> yamlAll(Path file) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            for (Object doc : newYaml().loadAll(in)) {
                if (doc != null) {
                    docs.add((Map<String, Object>) doc);
                }
            }
        }
        assertThat(docs).as(file + " documents").isNotEmpty();
        return docs;
    }

    /** SnakeYAML: YAML 1.1 with merge keys, as Docker Compose and kubectl read these files. */
    private static Yaml newYaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    private static List<String> stringList(Object value) {
        assertThat(value).isInstanceOf(List.class);
        return ((List<?>) value).stream().map(String::valueOf).collect(Collectors.toList());
    }

    private static List<String> matches(String text, String regex) {
        List<String> found = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    /** project.version and the properties of the parent pom. */
    private static Map<String, String> pomProperties(Path pomFile) throws Exception {
        Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pomFile.toFile())
                .getDocumentElement();
        Map<String, String> props = new HashMap<>();
        for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals("version")) {
                props.put("project.version", e.getTextContent().trim());
            }
            if (n instanceof Element e && e.getTagName().equals("properties")) {
                for (Node p = e.getFirstChild(); p != null; p = p.getNextSibling()) {
                    if (p instanceof Element prop) {
                        props.put(prop.getTagName(), prop.getTextContent().trim());
                    }
                }
            }
        }
        assertThat(props).containsKeys("project.version", "flink.version", "kafka.version", "maven.compiler.release");
        return props;
    }
}
