package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs exactly the commands of the README's "Use Chorus from any Kafka client" section against a real broker:
 * kcat writes JSON examples, the train job runs with the README's arguments, kcat reads JSON predictions.
 * Needs kcat (Debian package kcat); CI installs it and sets CHORUS_REQUIRE_KCAT=true, which turns a missing
 * kcat into a failure instead of a skip.
 */
class KcatReadmeIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    static final Path README = Path.of(System.getProperty("user.dir")).getParent().resolve("README.md");

    @Test
    void theReadmesKcatCommandsFeedAndReadThePipeline() throws Exception {
        assumeKcat();

        String readme = Files.readString(README);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            kafka.createTopics(ChorusTopic.newTopics(new TrainSettings(), 1));
            String bootstrap = kafka.bootstrapServers();

            Shell produce = run(block(readme, "kcat-produce"), bootstrap);
            assertThat(produce.exit).as("kcat produce: %s", produce.err).isZero();

            List<String> args = new ArrayList<>(trainArguments(block(readme, "train"), bootstrap));
            args.addAll(List.of("--bounded", "--checkpoint-interval-ms", "500"));
            TrainSettings settings = TrainJobOptions.parse(args.toArray(String[]::new));
            assertThat(settings.examplesTopic().format()).isEqualTo(WireFormat.JSON);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            env.execute("kcat-readme");

            awaitSettled(bootstrap, "chorus.predictions");
            Shell consume = run(block(readme, "kcat-consume"), bootstrap);
            assertThat(consume.exit).as("kcat consume: %s", consume.err).isZero();
            RecordCodec<Prediction> json = WireFormat.JSON.codec(Prediction.class);
            List<Prediction> predictions = consume.out.lines().filter(l -> !l.isBlank())
                    .map(l -> json.decode(l.getBytes(StandardCharsets.UTF_8))).toList();
            assertThat(predictions).extracting(Prediction::getId)
                    .containsExactlyInAnyOrder("flower-1", "flower-2", "flower-3", "flower-4", "flower-5",
                            "flower-6", "flower-7", "flower-8");
            assertThat(predictions).allSatisfy(p -> {
                assertThat(p.getTask()).isEqualTo("iris");
                assertThat(p.getPredictedClass()).isBetween(0, 2);
            });
            assertThat(predictions).filteredOn(p -> p.getId().equals("flower-5")).singleElement()
                    .satisfies(p -> assertThat(p.getModelVersion()).as("after one minibatch of 4").isEqualTo(1));
            // The line the README shows has the fields kcat prints, in their order.
            Matcher shown = Pattern.compile("<!-- readme-output:kcat-consume -->\\s*```json\\n(.*?)\\n```",
                    Pattern.DOTALL).matcher(readme);
            assertThat(shown.find()).as("README's example prediction").isTrue();
            assertThat(fieldNames(shown.group(1))).isEqualTo(fieldNames(consume.out.lines().findFirst().orElseThrow()));
        }
    }

    private static List<String> fieldNames(String json) throws IOException {
        List<String> names = new ArrayList<>();
        new ObjectMapper().readTree(json).fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The fenced sh block that follows {@code <!-- readme-test:NAME -->}. */
    static String block(String readme, String name) {
        Matcher m = Pattern.compile("<!-- readme-test:" + Pattern.quote(name) + " -->\\s*```sh\\n(.*?)```",
                Pattern.DOTALL).matcher(readme);
        assertThat(m.find()).as("README block readme-test:%s", name).isTrue();
        return m.group(1);
    }

    /** The arguments of the README's {@code ./chorus train …} line, quoted and expanded by bash itself. */
    static List<String> trainArguments(String block, String bootstrap) throws Exception {
        assertThat(block.strip()).startsWith("./chorus train ");
        List<String> args = chorusArguments(block, bootstrap);
        return args.subList(1, args.size());
    }

    /** The arguments of the block's {@code ./chorus} command as the shell splits them, the command's name first. */
    static List<String> chorusArguments(String block, String bootstrap) throws Exception {
        assertThat(block.strip()).startsWith("./chorus ");
        String script = "args() { printf '%s\\0' \"$@\"; }\n" + block.strip().replaceFirst("^\\./chorus ", "args ");
        Shell shell = run(script, bootstrap);
        assertThat(shell.exit).as(shell.err).isZero();
        return Arrays.asList(shell.out.split("\0"));
    }

    record Shell(int exit, String out, String err) {}

    /** Skips the test when kcat is not on PATH, unless CI requires it (CHORUS_REQUIRE_KCAT=true): then it fails. */
    static void assumeKcat() throws IOException, InterruptedException {
        boolean kcat = run("command -v kcat", "").exit == 0;
        if ("true".equals(System.getenv("CHORUS_REQUIRE_KCAT"))) {
            assertThat(kcat).as("kcat on PATH (CHORUS_REQUIRE_KCAT=true)").isTrue();
        }
        assumeTrue(kcat, "kcat is not installed (apt-get install kcat)");
    }

    /** kcat writes the lines of {@code file} to {@code topic} (from a file: lines too long for an argument list). */
    static void produceLines(Path file, String topic, String bootstrap) throws IOException, InterruptedException {
        Shell produce = run("kcat -P -b \"$BOOTSTRAP\" -t " + topic + " -l '" + file + "'", bootstrap);
        assertThat(produce.exit()).as("kcat produce: %s", produce.err()).isZero();
    }

    /**
     * Asserts that {@code topic} settles: a finished job's last transaction is committed, but its markers may not have
     * reached the topic yet, and kcat's committed read with {@code -e} stops at the last stable offset, short of it.
     */
    static void awaitSettled(String bootstrap, String topic) {
        assertThat(TopicReader.awaitSettled(bootstrap, Map.of(), topic, JobTestSupport.PATIENCE))
                .as("%s settled", topic).isTrue();
    }

    /**
     * The committed JSON predictions of {@code topic}, as kcat reads them, in order, once the topic has settled (a
     * bounded job that wrote them has ended).
     */
    static List<Prediction> consumePredictions(String topic, String bootstrap) throws IOException, InterruptedException {
        awaitSettled(bootstrap, topic);
        Shell consume = run("kcat -C -b \"$BOOTSTRAP\" -t " + topic + " -X isolation.level=read_committed -e -q",
                bootstrap);
        assertThat(consume.exit()).as("kcat consume: %s", consume.err()).isZero();
        RecordCodec<Prediction> json = WireFormat.JSON.codec(Prediction.class);
        return consume.out().lines().filter(l -> !l.isBlank()).map(l -> json.decode(l.getBytes(StandardCharsets.UTF_8)))
                .toList();
    }

    static Shell run(String script, String bootstrap) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script);
        pb.environment().put("BOOTSTRAP", bootstrap);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("command did not finish: " + script);
        }
        return new Shell(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }
}
