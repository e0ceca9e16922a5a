package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs the README's "Variants and the control topic" commands against a real broker: {@code chorus specs put},
 * {@code list}, {@code retire}, {@code put --revive}, and the kcat line that writes a JSON record, which
 * {@code chorus specs list} reads back. Needs kcat for the kcat line, as {@link KcatReadmeIT} does.
 */
class SpecsReadmeIT {

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
            assertThat(TopicReader.readAll(bootstrap, Map.of(), "chorus.specs", b -> b)).hasSize(3);

            CliRun changed = CliRun.run(CliRun.noConfig(), "specs", "put", "iris", "fast",
                    "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":8}",
                    "--bootstrap-servers", bootstrap);
            assertThat(changed.exitCode()).isNotZero();
            assertThat(changed.err()).contains("iris/fast is live with another spec, which never changes");
            CliRun retired = CliRun.run(CliRun.noConfig(), "specs", "retire", "iris", "fast",
                    "--bootstrap-servers", bootstrap);
            assertThat(retired.exitCode()).isZero();
            CliRun notRevived = CliRun.run(CliRun.noConfig(), "specs", "put", "iris", "fast",
                    "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":4}",
                    "--bootstrap-servers", bootstrap);
            assertThat(notRevived.exitCode()).isNotZero();
            assertThat(notRevived.err()).contains("iris/fast is retired: add --revive");
            CliRun badSpec = CliRun.run(CliRun.noConfig(), "specs", "put", "iris", "bad", "{\"algorithm\":",
                    "--bootstrap-servers", bootstrap);
            assertThat(badSpec.exitCode()).isNotZero();
            assertThat(TopicReader.readAll(bootstrap, Map.of(), "chorus.specs", b -> b)).hasSize(4);

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
            TrainSettings settings = dev.chorus.jobs.train.TrainJobOptions.parse(new String[] {"--spec", spec,
                "--bootstrap-servers", kafka.bootstrapServers(), "--allowed-tasks", "iris,wine"});

            assertThat(SpecsCommand.seed(settings)).as("iris has a record: only wine is seeded").containsExactly("wine");
            assertThat(SpecsCommand.seed(settings)).as("seeding twice writes nothing").isEmpty();
            Map<String, VariantSpecRecord> latest = latest(kafka.bootstrapServers());
            assertThat(latest.get("wine/default").getSpec()).isEqualTo(spec);
            assertThat(latest.get("wine/default").getSource()).isEqualTo("job");
            assertThat(latest.get("iris/default").getStatus()).isEqualTo(VariantStatus.RETIRED);
        }
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
        RecordDecoder decoder = new RecordDecoder();
        return TopicReader.readLatest(bootstrap, Map.of(), "chorus.specs",
                v -> (VariantSpecRecord) decoder.decode(v, RecordKind.SPEC).record());
    }
}
