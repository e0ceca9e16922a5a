package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.cli.ChorusCli;
import dev.chorus.embedded.CapturingAppender;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Chorus against a Kafka broker that only lets clients in over SASL_SSL: the standard Kafka client security
 * settings, given as {@code kafkaProperties} to a job or as {@code kafka.*} lines of the CLI's configuration file,
 * are all it takes, for SASL/PLAIN and SCRAM-SHA-512 alike. Wrong credentials fail fast with a clear message, and
 * no password is ever printed or logged.
 *
 * <p>The broker's TLS certificate is made at test time with the JDK's {@code keytool}: a self-signed CA signs
 * the server's key pair (SAN {@code IP:127.0.0.1,DNS:localhost}); clients trust the CA through a PKCS12
 * truststore.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredKafkaIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    static final String USER = "chorus";
    static final String PASSWORD = "user-pw-Q7x2kd";
    static final String WRONG_PASSWORD = "wrong-pw-Z3v9mp";
    static final String CA_PASSWORD = "ca-pw-R8t1wq";
    static final String KEYSTORE_PASSWORD = "keystore-pw-L9m4fb";
    static final String TRUSTSTORE_PASSWORD = "truststore-pw-H3d8sn";
    static final List<String> SECRETS = List.of(PASSWORD, WRONG_PASSWORD, CA_PASSWORD, KEYSTORE_PASSWORD,
            TRUSTSTORE_PASSWORD);

    static final int EXAMPLES = 600;
    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":7}""";

    /** Loggers raised to INFO while the tests run, so that Kafka's client configuration dumps are captured too. */
    static final List<String> LOUDER_LOGGERS = List.of("org.apache.kafka", "kafka", "org.apache.flink.connector",
            "dev.chorus");

    static Path dir;
    static Path truststore;
    static EmbeddedKafkaBroker kafka;
    static CapturingAppender logs;
    static final Map<String, Level> previousLevels = new LinkedHashMap<>();

    @BeforeAll
    static void startSecuredKafka() throws IOException, InterruptedException {
        logs = CapturingAppender.attach();
        Configuration config = LoggerContext.getContext(false).getConfiguration();
        for (String logger : LOUDER_LOGGERS) {
            previousLevels.put(logger, config.getLoggerConfig(logger).getLevel());
            Configurator.setLevel(logger, Level.INFO);
        }
        dir = Files.createTempDirectory("chorus-secured-kafka-");
        Path keystore = makeCertificates(dir);
        truststore = dir.resolve("truststore.p12");
        kafka = EmbeddedKafkaBroker.builder()
                .saslSslListener(keystore, KEYSTORE_PASSWORD)
                .saslUser(USER, PASSWORD)
                .build()
                .start();
    }

    @AfterAll
    static void stopSecuredKafka() throws IOException {
        if (kafka != null) {
            kafka.close();
        }
        previousLevels.forEach(Configurator::setLevel);
        if (logs != null) {
            logs.detach();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"PLAIN", "SCRAM-SHA-512"})
    void trainJobReadsAndWritesExactlyOnceOverSaslSsl(String mechanism) throws Exception {
        String prefix = "train-" + mechanism.toLowerCase(Locale.ROOT);
        Map<String, String> secured = clientSettings(mechanism, PASSWORD);
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(kafka.saslSslBootstrapServers())
                .kafkaProperties(secured)
                .groupId(prefix)
                .examplesTopic(new Topic<>(prefix + ".examples", Example.class, WireFormat.AVRO))
                .predictionsTopic(new Topic<>(prefix + ".predictions", Prediction.class, WireFormat.AVRO))
                .modelsTopic(new Topic<>(prefix + ".models", ModelSnapshot.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>(prefix + ".dead-letters", DeadLetter.class, WireFormat.AVRO))
                .specs(TaskSpecs.ofDefault(SPEC))
                .checkpointIntervalMs(500)
                .snapshotEveryBatches(10)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .bounded(true)
                .parallelism(2);
        assertThat(settings.exactlyOnce()).isTrue();
        kafka.createTopics(ChorusTopic.newTopics(settings, 2));
        try (ExampleProducer producer = new ExampleProducer(kafka.saslSslBootstrapServers(), secured)) {
            producer.send(settings.examplesTopic(), SyntheticBlobs.generate(EXAMPLES, 8, 3, 11), "blobs", "blobs", 0L,
                    n -> {});
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        env.execute(prefix);

        // The job's last transactions are committed, but their markers may not have reached the topics yet.
        for (String topic : List.of(settings.predictionsTopic().name(), settings.modelsTopic().name())) {
            assertThat(TopicReader.awaitSettled(kafka.saslSslBootstrapServers(), secured, topic,
                    JobTestSupport.PATIENCE)).as("%s settled", topic).isTrue();
        }
        List<Prediction> predictions = TopicReader.readAll(kafka.saslSslBootstrapServers(), secured,
                settings.predictionsTopic().name(), settings.predictionsTopic().codec()::decode);
        List<ModelSnapshot> snapshots = TopicReader.readAll(kafka.saslSslBootstrapServers(), secured,
                settings.modelsTopic().name(), settings.modelsTopic().codec()::decode);
        assertThat(predictions).hasSize(EXAMPLES);
        assertThat(predictions.stream().map(Prediction::getId).collect(Collectors.toSet())).hasSize(EXAMPLES);
        assertThat(snapshots).isNotEmpty();
        assertThat(snapshots.stream().mapToLong(ModelSnapshot::getExamplesSeen).max().orElseThrow())
                .isEqualTo(EXAMPLES);
    }

    @Order(2)
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"PLAIN", "SCRAM-SHA-512"})
    void cliTakesTheSecuritySettingsFromItsConfigFile(String mechanism) throws IOException {
        String topic = "cli-" + mechanism.toLowerCase(Locale.ROOT) + ".examples";
        kafka.createTopic(topic, 1, Map.of());
        LabeledDataset data = SyntheticBlobs.generate(5, 8, 3, 3);
        try (ExampleProducer producer = new ExampleProducer(kafka.saslSslBootstrapServers(),
                clientSettings(mechanism, PASSWORD))) {
            producer.send(new Topic<>(topic, Example.class, WireFormat.AVRO), data, "blobs", "cli", 0L, n -> {});
        }
        Path config = configFile(mechanism + "-good", mechanism, PASSWORD);

        Run tail = Run.of("--config", config.toString(), "tail", "--no-follow", "--json", topic);

        assertThat(tail.exitCode()).as("exit code; stderr: %s", tail.err()).isZero();
        List<String> lines = tail.out().lines().toList();
        assertThat(lines).hasSize(5);
        for (int row = 0; row < 5; row++) {
            assertThat(lines.get(row)).contains("\"id\":\"cli-" + row + "\"").contains("\"task\":\"blobs\"");
        }
    }

    @Order(3)
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"PLAIN", "SCRAM-SHA-512"})
    void wrongCredentialsFailFastSayingAuthenticationFailed(String mechanism) throws IOException {
        Path config = configFile(mechanism + "-wrong", mechanism, WRONG_PASSWORD);

        Run tail = Run.of("--config", config.toString(), "tail", "--no-follow", "chorus.predictions");

        // Failing fast is failing on the broker's answer, not on a timeout (no timed assertion: a slow machine is
        // not a fault).
        assertThat(tail.exitCode()).isEqualTo(1);
        assertThat(tail.err())
                .startsWith("chorus tail: authentication with Kafka at " + kafka.saslSslBootstrapServers() + " failed")
                .contains("Authentication failed")
                .doesNotContain("timed out");
    }

    @Order(3)
    @Test
    void untrustedCertificateFailsFastSayingAuthenticationFailed() throws IOException, InterruptedException {
        keytool(dir, List.of("-genkeypair", "-alias", "other", "-dname", "CN=Some other CA", "-keyalg", "EC",
                "-groupname", "secp256r1", "-validity", "2", "-ext", "bc:c", "-storetype", "PKCS12", "-keystore",
                "other.p12", "-storepass:env", "TRUSTSTORE_PW"));
        Path config = configFile("untrusted", "PLAIN", PASSWORD);
        String text = Files.readString(config).replace(truststore.toString(), dir.resolve("other.p12").toString());
        Files.writeString(config, text);

        Run tail = Run.of("--config", config.toString(), "tail", "--no-follow", "chorus.predictions");

        assertThat(tail.exitCode()).isEqualTo(1);
        assertThat(tail.err())
                .startsWith("chorus tail: authentication with Kafka at " + kafka.saslSslBootstrapServers() + " failed")
                .doesNotContain("timed out");
    }

    @Order(4)
    @Test
    void passwordsAppearNeitherInOutputNorInLogs() throws IOException {
        Path good = configFile("secrets-good", "SCRAM-SHA-512", PASSWORD);
        Path wrong = configFile("secrets-wrong", "PLAIN", WRONG_PASSWORD);
        List<Run> runs = new ArrayList<>();
        runs.add(Run.of("--config", good.toString(), "--help"));
        runs.add(Run.of("--config", good.toString(), "tail", "--help"));
        runs.add(Run.of("--config", good.toString(), "train", "--help"));
        runs.add(Run.of("--config", good.toString(), "models", "--models-topic", "train-scram-sha-512.models",
                "--verbose"));
        runs.add(Run.of("--config", wrong.toString(), "--verbose", "tail", "--no-follow", "chorus.predictions"));
        runs.add(Run.of("--config", wrong.toString(), "tail", "--no-follow", "chorus.predictions",
                "-X", "sasl.jaas.config=" + jaas("PLAIN", WRONG_PASSWORD) + " broken"));

        assertThat(runs.get(0).out()).contains("--config");
        assertThat(runs.get(3).exitCode()).as("models over SCRAM; stderr: %s", runs.get(3).err()).isZero();
        assertThat(runs.get(3).out()).contains("blobs");
        assertThat(runs.get(4).err()).contains("SaslAuthenticationException");
        // The capture works, and Kafka's own configuration dumps mask the secret settings.
        assertThat(logs.text()).contains("sasl.jaas.config = [hidden]").contains("SASL_SSL");
        for (String secret : SECRETS) {
            for (Run run : runs) {
                assertThat(run.out()).as("stdout of %s", run.args()).doesNotContain(secret);
                assertThat(run.err()).as("stderr of %s", run.args()).doesNotContain(secret);
            }
            assertThat(logs.text()).as("log output").doesNotContain(secret);
        }
    }

    // ------------------------------------------------------------------------------------------------------

    /** The Kafka client settings a user writes for this broker: SASL_SSL, the mechanism, the truststore. */
    static Map<String, String> clientSettings(String mechanism, String password) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("security.protocol", "SASL_SSL");
        settings.put("sasl.mechanism", mechanism);
        settings.put("sasl.jaas.config", jaas(mechanism, password));
        settings.put("ssl.truststore.type", "PKCS12");
        settings.put("ssl.truststore.location", truststore.toString());
        settings.put("ssl.truststore.password", TRUSTSTORE_PASSWORD);
        return settings;
    }

    static String jaas(String mechanism, String password) {
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        return module + " required username=\"" + USER + "\" password=\"" + password + "\";";
    }

    /** A CLI configuration file with the broker's SASL_SSL address and the {@code kafka.*} security lines. */
    static Path configFile(String name, String mechanism, String password) throws IOException {
        StringBuilder text = new StringBuilder("bootstrap-servers=" + kafka.saslSslBootstrapServers() + "\n");
        clientSettings(mechanism, password).forEach((key, value) ->
                text.append("kafka.").append(key).append('=').append(value.replace("\\", "\\\\")).append('\n'));
        Path file = dir.resolve(name + ".properties");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    /**
     * A CA, a server key pair with a certificate the CA signed for 127.0.0.1 and localhost (keystore.p12, CA
     * chain included) and the clients' truststore holding the CA (truststore.p12), all PKCS12. Passwords reach
     * keytool through its environment, not its command line.
     */
    static Path makeCertificates(Path dir) throws IOException, InterruptedException {
        String ca = dir.resolve("ca.p12").toString();
        String keystore = dir.resolve("keystore.p12").toString();
        String san = "SAN=IP:127.0.0.1,DNS:localhost";
        keytool(dir,
                List.of("-genkeypair", "-alias", "ca", "-dname", "CN=Chorus test CA", "-keyalg", "EC", "-groupname",
                        "secp256r1", "-validity", "2", "-ext", "bc:c", "-storetype", "PKCS12", "-keystore", ca,
                        "-storepass:env", "CA_PW"),
                List.of("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca, "-storepass:env", "CA_PW",
                        "-file", "ca.crt"),
                List.of("-genkeypair", "-alias", "server", "-dname", "CN=localhost", "-keyalg", "EC", "-groupname",
                        "secp256r1", "-validity", "2", "-ext", san, "-storetype", "PKCS12", "-keystore", keystore,
                        "-storepass:env", "KEYSTORE_PW"),
                List.of("-certreq", "-alias", "server", "-keystore", keystore, "-storepass:env", "KEYSTORE_PW",
                        "-file", "server.csr"),
                List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", ca, "-storepass:env", "CA_PW",
                        "-infile", "server.csr", "-outfile", "server.crt", "-validity", "2", "-ext", san,
                        "-ext", "ku:c=digitalSignature,keyAgreement", "-ext", "eku=serverAuth"),
                List.of("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.crt", "-keystore", keystore,
                        "-storepass:env", "KEYSTORE_PW"),
                List.of("-importcert", "-alias", "server", "-file", "server.crt", "-keystore", keystore,
                        "-storepass:env", "KEYSTORE_PW"),
                List.of("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.crt", "-storetype", "PKCS12",
                        "-keystore", "truststore.p12", "-storepass:env", "TRUSTSTORE_PW"));
        return Path.of(keystore);
    }

    /**
     * Runs the keytool {@code commands} in {@code dir}, in order, in one JVM ({@link KeytoolBatch}: a JVM per command
     * cost about a second each); a failed command fails with keytool's output.
     */
    @SafeVarargs
    static void keytool(Path dir, List<String>... commands) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(),
                "--add-exports=java.base/sun.security.tools.keytool=ALL-UNNAMED", "-cp",
                codeSource(KeytoolBatch.class), KeytoolBatch.class.getName()));
        for (int i = 0; i < commands.length; i++) {
            if (i > 0) {
                command.add(KeytoolBatch.NEXT);
            }
            command.addAll(commands[i]);
        }
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("CA_PW", CA_PASSWORD);
        pb.environment().put("KEYSTORE_PW", KEYSTORE_PASSWORD);
        pb.environment().put("TRUSTSTORE_PW", TRUSTSTORE_PASSWORD);
        Process process = pb.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("keytool " + String.join(" ", command) + " failed: " + output);
        }
    }

    /** The directory or jar {@code type} was loaded from. */
    private static String codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One in-process run of the {@code chorus} command line, with what it printed. */
    record Run(List<String> args, int exitCode, String out, String err) {
        static Run of(String... args) {
            CommandLine cli = ChorusCli.commandLine();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            int exit = cli.execute(args);
            return new Run(List.of(args), exit, out.toString(), err.toString());
        }
    }
}
