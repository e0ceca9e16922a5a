package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.io.ByteArrayInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The Kafka commands against a real broker (KRaft, in-process), run in-process exactly as a user types them. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ChorusCliIT {

    private static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":3}""";

    private static EmbeddedKafkaBroker broker;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static Path images;

    @BeforeAll
    static void startBroker() throws IOException {
        broker = EmbeddedKafkaBroker.builder().build().start();
        for (String topic : List.of("it.avro.examples", "it.json.examples", "it.small.examples", "it.crowd.examples",
                "it.fields.examples")) {
            broker.createTopic(topic, 2, Map.of());
        }
        broker.createTopic("it.models", 1, Map.of("cleanup.policy", "compact"));
        images = writeIdx(dir);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /** Three 2×2 images with labels 2, 0, 1, as {@code tiny-images-idx3-ubyte} and {@code tiny-labels-idx1-ubyte}. */
    private static Path writeIdx(Path dir) throws IOException {
        Path images = dir.resolve("tiny-images-idx3-ubyte");
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(images))) {
            out.writeInt(0x00000803);
            out.writeInt(3);
            out.writeInt(2);
            out.writeInt(2);
            out.write(new byte[] {0, (byte) 255, 0, 0, 0, 0, (byte) 255, 0, 0, 0, 0, (byte) 255});
        }
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(dir.resolve("tiny-labels-idx1-ubyte")))) {
            out.writeInt(0x00000801);
            out.writeInt(3);
            out.write(new byte[] {2, 0, 1});
        }
        return images;
    }

    private static CliRun chorus(String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--bootstrap-servers";
        all[args.length + 1] = broker.bootstrapServers();
        return CliRun.run(all);
    }

    private static List<JsonNode> jsonLines(String out) {
        return out.lines().map(line -> {
            try {
                return JSON.readTree(line);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + line, e);
            }
        }).toList();
    }

    @Test
    void producedIdxExamplesInEitherFormatAreWhatTailPrints() {
        for (String format : List.of("avro", "json")) {
            String topic = "it." + format + ".examples";
            CliRun produced = chorus("produce", images.toString(), "--examples-topic", topic, "--format", format,
                    "--task", "tiny", "--repeat", "2", "--no-progress");
            assertThat(produced.exitCode()).as(produced.err()).isZero();
            assertThat(produced.out()).contains("sent 6 examples (task tiny)", topic, "(" + format + ")");

            CliRun tail = chorus("tail", topic, "--json", "--no-follow");
            assertThat(tail.exitCode()).as(tail.err()).isZero();
            List<JsonNode> examples = jsonLines(tail.out());
            assertThat(examples).hasSize(6);
            assertThat(examples).extracting(e -> e.get("id").asText())
                    .containsOnly("tiny-0", "tiny-1", "tiny-2");
            JsonNode first = examples.stream().filter(e -> e.get("id").asText().equals("tiny-0")).findFirst().get();
            assertThat(first.get("task").asText()).isEqualTo("tiny");
            assertThat(first.get("label").asInt()).isEqualTo(2);
            assertThat(first.get("features").toString()).isEqualTo("[0.0,1.0,0.0,0.0]");

            CliRun readable = chorus("tail", topic, "--no-follow", "--limit", "2");
            assertThat(readable.out().lines()).hasSize(2)
                    .allMatch(l -> l.matches("\\d@\\d+ example tiny id=tiny-\\d label=\\d features=4 dense eventTime=.*"));
        }
    }

    /**
     * {@code tail --last N}: each partition's last N committed records, counted past the commit markers and the aborted
     * records that take offsets too; with fewer, all of them.
     */
    @Test
    void tailLastStartsAtEachPartitionsLastCommittedRecords() {
        String topic = "it.tail";
        broker.createTopic(topic, 2, Map.of());
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tail-it");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (String key : List.of("k0", "k1", "k2")) {
                producer.send(new ProducerRecord<>(topic, 0, key, null));
            }
            producer.send(new ProducerRecord<>(topic, 1, "k5", null));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, "aborted0", null));
            producer.send(new ProducerRecord<>(topic, 0, "aborted1", null));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, "k3", null));
            producer.send(new ProducerRecord<>(topic, 0, "k4", null));
            producer.commitTransaction();
        }

        CliRun three = chorus("tail", topic, "--last", "3", "--no-follow");
        assertThat(three.exitCode()).as(three.err()).isZero();
        assertThat(keys(three.out(), "0@")).containsExactly("k2", "k3", "k4");
        assertThat(keys(three.out(), "1@")).containsExactly("k5");
        assertThat(keys(chorus("tail", topic, "--last", "1", "--no-follow").out(), "0@")).containsExactly("k4");
        assertThat(keys(chorus("tail", topic, "--last", "10", "--no-follow").out(), "")).as("fewer: all of them")
                .containsExactlyInAnyOrder("k0", "k1", "k2", "k3", "k4", "k5");

        CliRun none = chorus("tail", topic, "--last", "0");
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).contains("--last: expected N in 1..1000000, got 0");
        CliRun both = chorus("tail", topic, "--last", "2", "--from-end");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("--last and --from-end: expected one of them, got both");
    }

    /** The keys of {@code tail}'s tombstone lines that start with {@code prefix}, in order. */
    private static List<String> keys(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix) && l.contains(" tombstone key="))
                .map(l -> l.substring(l.indexOf(" tombstone key=") + " tombstone key=".length())).toList();
    }

    @Test
    void produceLabelsItemsWithSimulatedAnnotators() {
        CliRun produced = chorus("produce", images.toString(), "--examples-topic", "it.crowd.examples", "--task", "tiny",
                "--annotators", "fashion-mnist", "--labels-per-item", "3", "--annotator-seed", "7", "--no-progress");
        assertThat(produced.exitCode()).as(produced.err()).isZero();
        List<JsonNode> examples = jsonLines(chorus("tail", "it.crowd.examples", "--json", "--no-follow").out());
        // Three items, three labels each, from three different simulated annotators per item.
        assertThat(examples).hasSize(9);
        var byItem = examples.stream().collect(java.util.stream.Collectors.groupingBy(e -> e.get("id").asText()));
        assertThat(byItem.keySet()).containsExactlyInAnyOrder("tiny-0", "tiny-1", "tiny-2");
        byItem.forEach((item, labelings) -> {
            assertThat(labelings).hasSize(3);
            assertThat(labelings.stream().map(e -> e.get("annotator").asText()).distinct()).hasSize(3);
            assertThat(labelings).allSatisfy(e -> assertThat(e.get("label").asInt()).isBetween(0, 9));
        });

        CliRun corrupted = chorus("produce", images.toString(), "--examples-topic", "it.crowd.examples", "--task",
                "tiny", "--annotators", "corruption:1.5", "--no-progress");
        assertThat(corrupted.exitCode()).isEqualTo(2);
        assertThat(corrupted.err()).contains("--annotators: expected corruption:P with P in [0, 1], got 'corruption:1.5'");
    }

    @Test
    void trainPrintsTheFlinkRunCommandForAClusterWithSecretsInAFileNotInItsArguments() throws IOException {
        String spec = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}";
        String jaas = "x required username=\"u\" password=\"hunter2\";";
        Path secretsFile = dir.resolve("flink-run").resolve("train-kafka.properties");
        CliRun run = chorus("train", "--flink-run", "--spec", spec, "--format", "json", "--snapshot-every-batches", "7",
                "-X", "sasl.jaas.config=" + jaas, "-X", "ssl.keystore.key=-----BEGIN PRIVATE KEY-----\nAbC\n-----END "
                        + "PRIVATE KEY-----", "-X", "sasl.mechanism=PLAIN", "--kafka-config-out", secretsFile.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        String command = run.out().strip();
        assertThat(command).startsWith("flink run -d -c dev.chorus.jobs.train.TrainJob ").contains("-job.jar ")
                .doesNotContain("hunter2").doesNotContain("sasl.jaas.config").doesNotContain("ssl.keystore.key")
                .doesNotContain("AbC").contains("-X sasl.mechanism=PLAIN")
                .contains("--kafka-config " + secretsFile.toAbsolutePath()).doesNotContain("--kafka-config-out");
        assertThat(Files.getPosixFilePermissions(secretsFile)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        // What follows the jar is exactly what the job's main parses (quotes as a shell would remove them).
        var settings = dev.chorus.jobs.train.TrainJobOptions.parse(run.jobArguments());
        assertThat(settings.snapshotEveryBatches()).isEqualTo(7);
        assertThat(settings.examplesTopic().format()).isEqualTo(dev.chorus.schemas.codec.WireFormat.JSON);
        assertThat(settings.bootstrapServers()).isEqualTo(broker.bootstrapServers());
        assertThat(settings.kafkaProperties()).containsEntry("sasl.jaas.config", jaas)
                .containsEntry("ssl.keystore.key", "-----BEGIN PRIVATE KEY-----\nAbC\n-----END PRIVATE KEY-----")
                .containsEntry("sasl.mechanism", "PLAIN");

        CliRun both = chorus("train", "--flink-run", "--spec", spec, "-X", "sasl.jaas.config=" + jaas,
                "--kafka-config", secretsFile.toString(), "--kafka-config-out", secretsFile.toString());
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("[sasl.jaas.config]", "move them into the --kafka-config file")
                .doesNotContain("hunter2");
    }

    @Test
    void produceReadsJsonLinesOfNamedFields() throws IOException {
        Path clicks = Files.writeString(dir.resolve("clicks.jsonl"), """
                {"id":"c1","fields":{"user":"u1","country":"FR","words":["free","money"],"amount":12.5},"label":1}
                {"id":"c2","task":"ads","fields":{"user":"u2"},"label":0}
                """);
        CliRun produced = chorus("produce", clicks.toString(), "--examples-topic", "it.fields.examples", "--format",
                "json", "--no-progress");
        assertThat(produced.exitCode()).as(produced.err()).isZero();
        assertThat(produced.out()).contains("sent 2 examples (task clicks)");

        List<JsonNode> examples = jsonLines(chorus("tail", "it.fields.examples", "--json", "--no-follow").out());
        assertThat(examples).hasSize(2);
        JsonNode first = examples.stream().filter(e -> e.get("id").asText().equals("c1")).findFirst().orElseThrow();
        JsonNode second = examples.stream().filter(e -> e.get("id").asText().equals("c2")).findFirst().orElseThrow();
        assertThat(first.get("task").asText()).isEqualTo("clicks");
        assertThat(first.get("fields")).isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"user\":\"u1\",\"country\":\"FR\",\"words\":[\"free\",\"money\"],\"amount\":12.5}"));
        assertThat(first.get("features").toString()).isEqualTo("[]");
        assertThat(second.get("task").asText()).isEqualTo("ads");
        assertThat(second.get("label").asInt()).isZero();
    }

    /** {@code --skip N}: the first pass starts at row N, so a dataset goes out in parts; later passes start at 0. */
    @Test
    void produceSkipsTheFirstPassesFirstRows() {
        String topic = "it.skip.examples";
        broker.createTopic(topic, 1, Map.of());
        CliRun first = chorus("produce", images.toString(), "--examples-topic", topic, "--task", "tiny", "--limit",
                "1", "--no-progress");
        CliRun rest = chorus("produce", images.toString(), "--examples-topic", topic, "--task", "tiny", "--skip", "1",
                "--repeat", "2", "--no-progress");
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(rest.exitCode()).as(rest.err()).isZero();
        assertThat(rest.out()).contains("sent 5 examples (task tiny)");
        assertThat(jsonLines(chorus("tail", topic, "--json", "--no-follow").out()))
                .extracting(e -> e.get("id").asText())
                .containsExactly("tiny-0", "tiny-1", "tiny-2", "tiny-0", "tiny-1", "tiny-2");

        CliRun past = chorus("produce", images.toString(), "--examples-topic", topic, "--task", "tiny", "--skip", "3",
                "--no-progress");
        assertThat(past.exitCode()).isEqualTo(2);
        assertThat(past.err()).contains("--skip: expected N below the 3 examples a pass of ", " sends, got 3");
    }

    @Test
    void produceReadsCsvAndSparseLibSvm() throws IOException {
        Path csv = Files.writeString(dir.resolve("points.csv"), "x,y,class\n0.5,1.5,1\n2.5,3.5,0\n");
        Path svm = Files.writeString(dir.resolve("points.svm"), "1 2:0.5 4:1.5\n0 1:2.5\n");
        assertThat(chorus("produce", csv.toString(), "--header", "--label-column", "class", "--examples-topic",
                "it.json.examples", "--format", "json", "--no-progress").exitCode()).isZero();
        assertThat(chorus("produce", svm.toString(), "--examples-topic", "it.json.examples", "--format", "json",
                "--no-progress").exitCode()).isZero();

        List<JsonNode> examples = jsonLines(chorus("tail", "it.json.examples", "--json", "--no-follow").out());
        JsonNode dense = examples.stream().filter(e -> e.get("id").asText().equals("points-0")).findFirst().get();
        assertThat(dense.get("features").toString()).isEqualTo("[0.5,1.5]");
        assertThat(dense.get("label").asInt()).isEqualTo(1);
        JsonNode sparse = examples.stream().filter(e -> e.get("task").asText().equals("points")
                && e.get("indices").isArray() && e.get("label").asInt() == 1).findFirst().get();
        assertThat(sparse.get("indices").toString()).isEqualTo("[1,3]");
        assertThat(sparse.get("features").toString()).isEqualTo("[0.5,1.5]");
    }

    @Test
    void produceHonoursLimitAndRateAndTheFileKafkaSettings() throws IOException {
        long t0 = System.nanoTime();
        CliRun limited = chorus("produce", images.toString(), "--examples-topic", "it.small.examples",
                "--repeat", "0", "--limit", "5", "--rate", "10", "--no-progress");
        assertThat(limited.exitCode()).as(limited.err()).isZero();
        assertThat(limited.out()).contains("sent 5 examples");
        assertThat(System.nanoTime() - t0).as("5 examples at 10/s").isGreaterThan(400_000_000L);

        Path config = Files.writeString(dir.resolve("tiny-request.properties"), "kafka.max.request.size=64\n");
        CliRun tooSmall = CliRun.run("--config", config.toString(), "produce", images.toString(),
                "--examples-topic", "it.small.examples", "--no-progress", "--bootstrap-servers",
                broker.bootstrapServers());
        assertThat(tooSmall.exitCode()).isEqualTo(1);
        assertThat(tooSmall.err()).as("the producer got max.request.size from the file").contains("max.request.size");
    }

    @Test
    void inspectDecodesRecordsFromATopicAndFromBytes() throws IOException {
        assertThat(chorus("produce", images.toString(), "--examples-topic", "it.avro.examples", "--no-progress",
                "--limit", "1").exitCode()).isZero();

        CliRun fromTopic = chorus("inspect", "--topic", "it.avro.examples", "--partition", partitionWithData(),
                "--offset", "0");
        assertThat(fromTopic.exitCode()).as(fromTopic.err()).isZero();
        assertThat(fromTopic.out()).contains("type         Example (example)", "format       avro",
                "fingerprint  " + RecordKind.hex(RecordKind.EXAMPLE.fingerprint()));
        assertThat(JSON.readTree(lastLine(fromTopic.out())).get("features").size()).isEqualTo(4);

        Prediction prediction = Prediction.newBuilder().setId("x-1").setTask("t").setVariant("default")
                .setModelVersion(7).setPredictedClass(1).setProbabilities(Float32.pack(new float[] {0.2f, 0.8f}))
                .setLabel(1).setEventTime(1).setProducedAt(2).build();
        byte[] avro = WireFormat.AVRO.codec(Prediction.class).encode(prediction);
        Path file = Files.write(dir.resolve("prediction.avro"), avro);
        CliRun fromFile = CliRun.run("inspect", "--file", file.toString());
        assertThat(fromFile.out()).contains("type         Prediction", "format       avro",
                "fingerprint  " + RecordKind.hex(RecordKind.PREDICTION.fingerprint()));
        assertThat(JSON.readTree(lastLine(fromFile.out())).get("modelVersion").asInt()).isEqualTo(7);

        CliRun fromHex = CliRun.run("inspect", "--hex", HexFormat.of().formatHex(avro));
        assertThat(lastLine(fromHex.out())).isEqualTo(lastLine(fromFile.out()));

        CommandLine cli = ChorusCli.commandLine(CliRun.noConfig());
        InspectCommand inspect = cli.getSubcommands().get("inspect").getCommand();
        inspect.stdin = new ByteArrayInputStream(WireFormat.JSON.codec(Prediction.class).encode(prediction));
        CliRun fromStdin = CliRun.run(cli, "inspect", "--file", "-");
        assertThat(fromStdin.out()).contains("type         Prediction", "format       json", "fingerprint  none");
        assertThat(lastLine(fromStdin.out())).isEqualTo(lastLine(fromFile.out()));
    }

    @Test
    void modelsShowsTheLatestVersionOfEachTaskAndVariant() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            var codec = WireFormat.AVRO.codec(ModelSnapshot.class);
            for (long version : new long[] {2, 5}) {
                producer.send(new ProducerRecord<>("it.models", "blobs/default", codec.encode(snapshot("blobs", version))));
            }
            producer.send(new ProducerRecord<>("it.models", "other/default",
                    WireFormat.JSON.codec(ModelSnapshot.class).encode(snapshot("other", 1))));
        }

        CliRun models = chorus("models", "--models-topic", "it.models");
        assertThat(models.exitCode()).as(models.err()).isZero();
        List<String> lines = models.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("TASK").contains("VERSION", "METRICS");
        assertThat(lines.get(1)).matches("blobs\\s+default\\s+5\\s+softmax-regression\\s+40\\s+[\\d,]+ B\\s+.*accuracy=0.9");
        assertThat(lines.get(2)).matches("other\\s+default\\s+1\\s+.*");

        CliRun tail = chorus("tail", "it.models", "--no-follow");
        assertThat(tail.out().lines()).hasSize(3).allMatch(l -> l.matches(".* parameters=[\\d,]+ bytes \\(format \\d+\\).*"));
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void trainAndServeSayWhichOfTheirTopicsAreMissingInsteadOfRetryingForever() {
        CliRun train = chorus("train", "--spec", SPEC, "--examples-topic", "it.small.examples",
                "--models-topic", "it.models");
        assertThat(train.exitCode()).isEqualTo(1);
        assertThat(train.err()).startsWith("chorus train: topics chorus.predictions, chorus.champions, "
                + "chorus.dead-letters and chorus.specs.refusals do not exist at " + broker.bootstrapServers()
                + ": create them");

        CliRun serve = chorus("serve", "--examples-topic", "it.small.examples", "--predictions-topic", "it.models",
                "--models-topic", "it.models");
        assertThat(serve.exitCode()).isEqualTo(1);
        assertThat(serve.err()).startsWith("chorus serve: topic chorus.dead-letters does not exist at "
                + broker.bootstrapServers() + ": create it");
        CliRun champion = chorus("serve", "--variant", "champion", "--examples-topic", "it.small.examples",
                "--predictions-topic", "it.models", "--models-topic", "it.models");
        assertThat(champion.err()).startsWith("chorus serve: topics chorus.dead-letters and chorus.champions do not "
                + "exist at " + broker.bootstrapServers() + ": create them");
    }

    @Test
    void kafkaRunsABrokerWithChorusTopicsUntilInterrupted(@TempDir Path logDir) throws Exception {
        // --port 0: the broker takes free ports itself (and tries others if one is taken as it binds), where a port
        // found free here could be taken before it binds.
        // The command says it runs once its broker answers and its topics exist: that line is what the test waits for.
        CompletableFuture<Void> running = new CompletableFuture<>();
        StringWriter out = new StringWriter() {
            @Override
            public void flush() {
                if (toString().contains("Ctrl-C stops it.")) {
                    running.complete(null);
                }
            }
        };
        StringWriter err = new StringWriter();
        CommandLine cli = ChorusCli.commandLine(CliRun.noConfig());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int[] exit = new int[1];
        Thread kafka = new Thread(() -> {
            exit[0] = cli.execute("kafka", "--port", "0", "--log-dir", logDir.toString(),
                    "--partitions", "2", "--consensus-topic", "my.consensus", "--champions-topic", "my.champions",
                    "--specs-topic", "my.specs");
            running.completeExceptionally(new AssertionError("chorus kafka ended, exit code " + exit[0] + ": " + err));
        });
        kafka.start();
        running.get(90, TimeUnit.SECONDS);
        Matcher printed = Pattern.compile("bootstrap servers: (127\\.0\\.0\\.1:(\\d+))").matcher(out.toString());
        assertThat(printed.find()).as("the bootstrap servers line, in: %s", out).isTrue();
        assertThat(Integer.parseInt(printed.group(2))).as("the port taken").isPositive();
        String bootstrap = printed.group(1);
        CliRun models = CliRun.run("models", "--bootstrap-servers", bootstrap);
        assertThat(models.out()).as(models.err()).isEqualTo("no models on chorus.models yet\n");
        assertThat(CliRun.run("tail", "chorus.annotators", "--no-follow", "--bootstrap-servers", bootstrap).exitCode())
                .isZero();
        // Every topic the train job writes or reads: without consensus or champions its sinks retry forever.
        List<String> named = List.of("my.consensus", "my.champions", "my.specs");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).containsAll(named).containsAll(
                    Arrays.stream(ChorusTopic.values()).map(ChorusTopic::defaultName)
                            .filter(name -> !name.matches("chorus\\.(consensus|champions|specs)")).toList())
                    .doesNotContain(ChorusTopic.DefaultNames.CONSENSUS, ChorusTopic.DefaultNames.CHAMPIONS,
                            ChorusTopic.DefaultNames.SPECS);
            var configs = admin.describeConfigs(named.stream()
                    .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList()).all()
                    .get(30, TimeUnit.SECONDS);
            configs.forEach((topic, config) -> assertThat(config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
                    .as("cleanup.policy of %s", topic.name()).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT));
            // --partitions is for the data topics: the control topic is read and judged by one instance.
            var partitions = admin.describeTopics(List.of("chorus.examples", "my.specs")).allTopicNames()
                    .get(30, TimeUnit.SECONDS);
            assertThat(partitions.get("chorus.examples").partitions()).as("chorus.examples").hasSize(2);
            assertThat(partitions.get("my.specs").partitions()).as("my.specs").hasSize(1);
        }

        kafka.interrupt();
        kafka.join(60_000);
        assertThat(exit[0]).as(err.toString()).isZero();
        assertThat(out.toString()).contains("bootstrap servers: " + bootstrap, "log dir: " + logDir, "(kept)",
                "chorus.models (compacted)", "my.champions (compacted)", "my.consensus (compacted)",
                "my.specs (compacted)", "Kafka stopped.");
        assertThat(logDir.resolve("meta.properties")).as("a given log dir is kept").exists();
    }

    private static String partitionWithData() {
        for (int p = 0; p < 2; p++) {
            CliRun run = chorus("inspect", "--topic", "it.avro.examples", "--partition", Integer.toString(p),
                    "--offset", "0");
            if (run.exitCode() == 0) {
                return Integer.toString(p);
            }
        }
        throw new AssertionError("no record at offset 0 of either partition of it.avro.examples");
    }

    private static String lastLine(String text) {
        List<String> lines = text.lines().toList();
        return lines.get(lines.size() - 1);
    }

    /** A model trained for {@code updates} minibatches, with that many as its version (as ServeFunctionTest builds them). */
    private static ModelSnapshot snapshot(String task, long updates) {
        OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(SPEC));
        return ModelSnapshot.newBuilder().setTask(task).setVariant("default").setVersion(updates)
                .setAlgorithm("softmax-regression").setSpec(SPEC).setParametersFormat(OnlineLearner.FORMAT_VERSION)
                .setParameters(ByteBuffer.wrap(learner.toBytes())).setExamplesSeen(updates * 8)
                .setMetrics(Map.of("accuracy", 0.9)).setCreatedAt(0).setProvenance(Map.of()).build();
    }
}
