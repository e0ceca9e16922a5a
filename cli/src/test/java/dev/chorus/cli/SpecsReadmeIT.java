package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.SpecSeeding;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs the README's "Variants and the control topic" commands against a real broker: {@code chorus specs put},
 * {@code list}, {@code retire}, {@code put --revive}, and the kcat line that writes a JSON record, which
 * {@code chorus specs list} reads back; and {@code chorus specs reset} and its kcat equivalent on a running train
 * job. Needs kcat for the kcat lines, as {@link KcatReadmeIT} does.
 */
class SpecsReadmeIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    static final LabeledDataset IRIS_LIKE = SyntheticBlobs.generate(400, 4, 3, 11);

    @Test
    void theReadmesSpecsCommandsManageTheControlTopic() throws Exception {
        String readme = Files.readString(KcatReadmeIT.README);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            kafka.createTopics(ChorusTopic.newTopics(new TrainSettings(), 1));
            String bootstrap = kafka.bootstrapServers();
            List<String> outputs = new ArrayList<>();
            for (String line : KcatReadmeIT.block(readme, "specs").strip().split("\n")) {
                List<String> args = new ArrayList<>(arguments(line, bootstrap));
                args.addAll(List.of("--bootstrap-servers", bootstrap));
                CliRun run = CliRun.run(CliRun.noConfig(), args.toArray(String[]::new));
                assertThat(run.exitCode()).as("%s: %s", line, run.err()).isZero();
                outputs.add(run.out());
            }
            assertThat(outputs.get(0)).startsWith("iris/fast live: written to chorus.specs-0@0");
            assertThat(outputs.get(1)).contains("iris", "fast", "LIVE", "cli", "\"learningRate\":0.2");
            assertThat(outputs.get(2)).startsWith("iris/fast retired");
            Map<String, VariantSpecRecord> latest = latest(bootstrap);
            assertThat(latest.get("iris/fast").getStatus()).isEqualTo(VariantStatus.LIVE);
            assertThat(latest.get("iris/fast").getSpec()).as("--revive asks the job to take a retired key")
                    .endsWith(",\"revive\":true}");
            List<String> again = new ArrayList<>(arguments(KcatReadmeIT.block(readme, "specs").strip().split("\n")[0],
                    bootstrap));
            again.addAll(List.of("--bootstrap-servers", bootstrap));
            CliRun putAgain = CliRun.run(CliRun.noConfig(), again.toArray(String[]::new));
            assertThat(putAgain.exitCode()).as(putAgain.err()).isZero();
            assertThat(putAgain.out()).isEqualTo("iris/fast is live with this spec already: nothing written\n");
            assertThat(TopicReader.readAll(bootstrap, Map.of(), "chorus.specs", b -> b)).hasSize(3);

            CliRun changed = CliRun.run(CliRun.noConfig(), "specs", "put", "iris", "fast",
                    "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":8}",
                    "--bootstrap-servers", bootstrap);
            assertThat(changed.exitCode()).as("a usage error, as README says").isEqualTo(2);
            assertThat(changed.err()).contains("iris/fast is live with another spec, which never changes");
            CliRun retired = CliRun.run(CliRun.noConfig(), "specs", "retire", "iris", "fast",
                    "--bootstrap-servers", bootstrap);
            assertThat(retired.exitCode()).isZero();
            CliRun notRevived = CliRun.run(CliRun.noConfig(), "specs", "put", "iris", "fast",
                    "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":4}",
                    "--bootstrap-servers", bootstrap);
            assertThat(notRevived.exitCode()).isEqualTo(2);
            assertThat(notRevived.err()).contains("iris/fast is retired: add --revive");
            CliRun badSpec = CliRun.run(CliRun.noConfig(), "specs", "put", "iris", "bad", "{\"algorithm\":",
                    "--bootstrap-servers", bootstrap);
            assertThat(badSpec.exitCode()).isNotZero();
            assertThat(TopicReader.readAll(bootstrap, Map.of(), "chorus.specs", b -> b)).hasSize(4);
            // A tombstone retires a key too: a spec for it needs --revive as well.
            String gone = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":2}";
            assertThat(CliRun.run(CliRun.noConfig(), "specs", "put", "wine", "gone", gone, "--bootstrap-servers",
                    bootstrap).exitCode()).isZero();
            try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of())) {
                producer.sendRaw("chorus.specs", "wine/gone", null).get();
            }
            CliRun goneNotRevived = CliRun.run(CliRun.noConfig(), "specs", "put", "wine", "gone", gone,
                    "--bootstrap-servers", bootstrap);
            assertThat(goneNotRevived.exitCode()).isEqualTo(2);
            assertThat(goneNotRevived.err()).contains("wine/gone is retired (a tombstone): add --revive");
            CliRun goneRevived = CliRun.run(CliRun.noConfig(), "specs", "put", "wine", "gone", gone, "--revive",
                    "--bootstrap-servers", bootstrap);
            assertThat(goneRevived.exitCode()).as(goneRevived.err()).isZero();
            assertThat(latest(bootstrap).get("wine/gone").getSpec()).endsWith(",\"revive\":true}");

            boolean kcat = KcatReadmeIT.run("command -v kcat", "").exit() == 0;
            if ("true".equals(System.getenv("CHORUS_REQUIRE_KCAT"))) {
                assertThat(kcat).as("kcat on PATH (CHORUS_REQUIRE_KCAT=true)").isTrue();
            }
            assumeTrue(kcat, "kcat is not installed (apt-get install kcat); the rest runs the README's kcat line");
            KcatReadmeIT.Shell produce = KcatReadmeIT.run(KcatReadmeIT.block(readme, "kcat-specs"), bootstrap);
            assertThat(produce.exit()).as("kcat produce: %s", produce.err()).isZero();
            CliRun list = CliRun.run(CliRun.noConfig(), "specs", "list", "--task", "iris", "--json",
                    "--bootstrap-servers", bootstrap);
            assertThat(list.exitCode()).as(list.err()).isZero();
            var json = WireFormat.JSON.codec(VariantSpecRecord.class);
            List<VariantSpecRecord> listed = list.out().lines()
                    .map(l -> json.decode(l.getBytes(StandardCharsets.UTF_8))).toList();
            assertThat(listed).extracting(r -> r.getVariant() + " " + r.getStatus() + " " + r.getSource())
                    .containsExactly("fast RETIRED cli", "slow LIVE kcat");
            assertThat(listed.get(1).getSpec()).isEqualTo(
                    "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":4,\"seed\":2}");
        }
    }

    @Test
    void chorusTrainSeedsItsSpecAsTheDefaultVariantOfTheTasksItNamesWhenAbsent() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            kafka.createTopics(ChorusTopic.newTopics(new TrainSettings(), 1));
            String spec = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}";
            CliRun put = CliRun.run(CliRun.noConfig(), "specs", "retire", "iris", "default",
                    "--bootstrap-servers", kafka.bootstrapServers());
            assertThat(put.exitCode()).as(put.err()).isZero();
            // A value that is no VariantSpecRecord (kcat typing into the wrong topic) changes no key: the job refuses
            // it, so seal's default is still absent and train seeds it rather than failing.
            try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
                producer.sendRaw(ChorusTopic.DefaultNames.SPECS, "seal/default",
                        "not json".getBytes(StandardCharsets.UTF_8)).get();
            }
            TrainSettings settings = dev.chorus.jobs.train.TrainJobOptions.parse(new String[] {"--spec", spec,
                "--bootstrap-servers", kafka.bootstrapServers(), "--allowed-tasks", "iris,wine,seal"});

            assertThat(SpecSeeding.seed(settings)).as("iris has a record: only wine and seal are seeded")
                    .containsExactly("seal", "wine");
            assertThat(SpecSeeding.seed(settings)).as("seeding twice writes nothing").isEmpty();
            Map<String, VariantSpecRecord> latest = latest(kafka.bootstrapServers());
            assertThat(latest.get("wine/default").getSpec()).isEqualTo(spec);
            assertThat(latest.get("wine/default").getSource()).isEqualTo("job");
            assertThat(latest.get("iris/default").getStatus()).isEqualTo(VariantStatus.RETIRED);
        }
    }

    @Test
    void theReadmesResetRestartsALiveVariantOfARunningTrainJobAtModelVersionZero() throws Exception {
        String readme = Files.readString(KcatReadmeIT.README);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start();
                ExampleProducer examples = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            String bootstrap = kafka.bootstrapServers();
            TrainSettings settings = new TrainSettings().bootstrapServers(bootstrap).groupId("specs-reset-it")
                    .specs(TaskSpecs.ofDefault("{\"algorithm\":\"softmax-regression\",\"inputDim\":4,"
                            + "\"numClasses\":3,\"batchSize\":4}"))
                    .checkpointIntervalMs(300).batchTimeoutMs(0).parallelism(2);
            // JSON on the control topic, as kcat writes it; the chorus lines then take --format json.
            settings.specsTopic(new Topic<>(settings.specsTopic().name(), VariantSpecRecord.class, WireFormat.JSON));
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobClient job = env.executeAsync("specs-reset-it");
            try {
                String put = KcatReadmeIT.block(readme, "specs").strip().split("\n")[0];
                assertThat(chorus(put, bootstrap).out()).startsWith("iris/fast live");
                awaitPredictions(kafka, examples, settings, "before", madeOne("before", p -> p.getModelVersion() >= 3));

                String resetLine = KcatReadmeIT.block(readme, "specs-reset").strip();
                CliRun reset = chorus(resetLine, bootstrap);
                assertThat(reset.out()).startsWith("iris/fast reset: written to chorus.specs-0@");
                VariantSpecRecord written = latest(bootstrap).get("iris/fast");
                assertThat(written.getSource()).isEqualTo("cli");
                assertThat(written.getReason()).isEqualTo(arguments(resetLine, bootstrap).get(5));
                assertThat(VariantSpecs.parseVariant(written.getSpec(), 16).revive()).isTrue();
                awaitPredictions(kafka, examples, settings, "after-cli", restartedAtVersionZero(1));
                assertThat(JobTestSupport.read(kafka, settings.deadLetterTopic()))
                        .as("the reset is no dead letter, nor is any example").isEmpty();

                CliRun unknown = CliRun.run(CliRun.noConfig(), "specs", "reset", "iris", "nobody",
                        "--bootstrap-servers", bootstrap);
                assertThat(unknown.exitCode()).isNotZero();
                assertThat(unknown.err()).contains("iris/nobody is not on the control topic");

                KcatReadmeIT.assumeKcat();
                awaitPredictions(kafka, examples, settings, "again", madeOne("again", p -> p.getModelVersion() >= 3));
                KcatReadmeIT.Shell kcat = KcatReadmeIT.run(KcatReadmeIT.block(readme, "kcat-specs-reset"), bootstrap);
                assertThat(kcat.exit()).as("kcat produce: %s", kcat.err()).isZero();
                awaitPredictions(kafka, examples, settings, "after-kcat", restartedAtVersionZero(2));
                assertThat(JobTestSupport.read(kafka, settings.deadLetterTopic())).isEmpty();
            } finally {
                JobTestSupport.cancel(job);
            }
        }
    }

    private static CliRun chorus(String line, String bootstrap) throws Exception {
        List<String> args = new ArrayList<>(arguments(line, bootstrap));
        args.addAll(List.of("--bootstrap-servers", bootstrap, "--format", "json"));
        CliRun run = CliRun.run(CliRun.noConfig(), args.toArray(String[]::new));
        assertThat(run.exitCode()).as("%s: %s", line, run.err()).isZero();
        return run;
    }

    /** Whether variant fast has predicted an example with id prefix {@code prefix} as {@code which} says. */
    private static Predicate<List<Prediction>> madeOne(String prefix, Predicate<Prediction> which) {
        return predictions -> predictions.stream().anyMatch(p -> p.getId().startsWith(prefix) && which.test(p));
    }

    /**
     * Whether variant fast's model went back to version 0 after reaching version 3 or more at least {@code resets}
     * times: a reset reached its trainer. Its predictions on the one-partition predictions topic, read in offset
     * order, are in the order its one trainer made them (the sink is chained to it), and its versions only grow
     * between resets. Which examples the fresh model answers first is not asked: the trainer may still have
     * examples sent before the reset to answer, and the control topic's record may reach it after examples sent
     * later.
     */
    private static Predicate<List<Prediction>> restartedAtVersionZero(int resets) {
        return predictions -> {
            int seen = 0;
            long previous = -1;
            for (Prediction p : predictions) {
                if (previous >= 3 && p.getModelVersion() == 0) {
                    seen++;
                }
                previous = p.getModelVersion();
            }
            return seen >= resets;
        };
    }

    /**
     * Sends 32 examples of task iris at a time, ids {@code prefix<round>-…}, until variant fast's predictions, in
     * offset order, are as {@code seen} says.
     */
    private static void awaitPredictions(EmbeddedKafkaBroker kafka, ExampleProducer examples, TrainSettings settings,
            String prefix, Predicate<List<Prediction>> seen) throws Exception {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        for (int round = 0; Instant.now().isBefore(deadline); round++) {
            for (int row = 32 * (round % 12); row < 32 * (round % 12 + 1); row++) {
                examples.send(settings.examplesTopic(),
                        ExampleProducer.example(IRIS_LIKE, row, "iris", prefix + round + "-", 0));
            }
            examples.flush();
            Thread.sleep(300);
            if (seen.test(JobTestSupport.read(kafka, settings.predictionsTopic()).stream()
                    .filter(p -> p.getVariant().equals("fast")).toList())) {
                return;
            }
        }
        throw new AssertionError("variant fast made no such predictions while " + prefix + " examples were sent, "
                + "within " + JobTestSupport.PATIENCE);
    }

    /** The arguments of one README line {@code ./chorus …}, quoted and expanded by bash itself. */
    static List<String> arguments(String line, String bootstrap) throws Exception {
        assertThat(line).startsWith("./chorus ");
        String script = "args() { printf '%s\\0' \"$@\"; }\n" + line.replaceFirst("^\\./chorus ", "args ");
        KcatReadmeIT.Shell shell = KcatReadmeIT.run(script, bootstrap);
        assertThat(shell.exit()).as(shell.err()).isZero();
        return List.of(shell.out().split("\0"));
    }

    private static Map<String, VariantSpecRecord> latest(String bootstrap) {
        return JudgedSpecs.of(TopicReader.readAllRecords(bootstrap, Map.of(), "chorus.specs"), List.of(),
                "chorus.specs", List.of()).taken();
    }
}
