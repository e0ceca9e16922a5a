package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chorus specs put} and {@code reset} against a real broker judge a key by the state the train job holds it
 * in ({@link JudgedSpecs#states}): the variants of a retired search are retired, so put makes one live again only
 * with {@code --revive} and reset restarts none; a variant a live search draws keeps its spec. What they refuse, as
 * a warm start that does not fit, is a usage error (exit 2) and writes nothing.
 */
class SpecsPutStatesIT {
    private static final String MODEL = "\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
            + "\"batchSize\":4";

    @Test
    void theVariantsOfARetiredSearchTakeASpecOnlyWithReviveAndNoReset(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            kafka.createTopics(ChorusTopic.newTopics(new TrainSettings(), 1));
            String bootstrap = kafka.bootstrapServers();
            CliRun search = CliRun.run("specs", "put", "iris", "hp", "{" + MODEL + ",\"search\":{\"method\":"
                    + "\"random\",\"variants\":2,\"budgetExamples\":100,\"space\":{\"l2\":[0,0.0001]}}}",
                    "--bootstrap-servers", bootstrap);
            assertThat(search.exitCode()).as(search.err()).isZero();
            CliRun other = CliRun.run("specs", "put", "iris", "hp-s1", "{" + MODEL + ",\"seed\":7}",
                    "--bootstrap-servers", bootstrap);
            assertThat(other.exitCode()).as("a variant the live search draws keeps its spec").isEqualTo(2);
            assertThat(other.err()).contains("iris/hp-s1 is live with another spec, which never changes");
            assertThat(CliRun.run("specs", "retire", "iris", "hp", "--bootstrap-servers", bootstrap).exitCode())
                    .isZero();

            String spec = "{" + MODEL + ",\"seed\":3}";
            CliRun notRevived = CliRun.run("specs", "put", "iris", "hp-s0", spec, "--bootstrap-servers", bootstrap);
            assertThat(notRevived.exitCode()).isEqualTo(2);
            assertThat(notRevived.err()).isEqualTo("chorus specs put: iris/hp-s0 is retired: add --revive to make it "
                    + "live again (from scratch) (see 'chorus specs put --help')\n");
            CliRun reset = CliRun.run("specs", "reset", "iris", "hp-s1", "--bootstrap-servers", bootstrap);
            assertThat(reset.exitCode()).isEqualTo(2);
            assertThat(reset.err()).contains("iris/hp-s1 is retired: only a live variant can be reset");
            Path threeClasses = Files.write(dir.resolve("three.model"),
                    OnlineLearner.create(ModelSpec.parse("{" + MODEL + "}")).toBytes());
            CliRun misfit = CliRun.run("specs", "put", "iris", "four", "{" + MODEL.replace("\"numClasses\":3",
                    "\"numClasses\":4") + "}", "--warm-start-file", threeClasses.toString(), "--bootstrap-servers",
                    bootstrap);
            assertThat(misfit.exitCode()).isEqualTo(2);
            assertThat(misfit.err()).contains("key 'numClasses': expected 4 (the variant's spec), got 3 (the saved "
                    + "model's)");
            var codec = WireFormat.AVRO.codec(VariantSpecRecord.class);
            assertThat(TopicReader.readAll(bootstrap, Map.of(), ChorusTopic.DefaultNames.SPECS, codec::decode))
                    .as("the search, its retirement: nothing else written").hasSize(2);

            CliRun revived = CliRun.run("specs", "put", "iris", "hp-s0", spec, "--revive", "--bootstrap-servers",
                    bootstrap);
            assertThat(revived.exitCode()).as(revived.err()).isZero();
            List<VariantSpecRecord> written = TopicReader.readAll(bootstrap, Map.of(), ChorusTopic.DefaultNames.SPECS,
                    codec::decode);
            assertThat(written).hasSize(3);
            assertThat(written.get(2).getVariant()).isEqualTo("hp-s0");
            assertThat(written.get(2).getSpec()).endsWith(",\"revive\":true}");
        }
    }
}
