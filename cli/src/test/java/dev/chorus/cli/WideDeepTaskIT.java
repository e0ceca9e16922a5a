package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.WideDeepModel;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeJobOptions;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.StringJoiner;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A wide and deep click task end to end on a real broker and MiniCluster, as {@link HashedTaskIT} for a hashed one:
 * kcat writes named-field JSON examples, the train job trains them, and its predictions and published model must be,
 * in order and bit for bit, what model-core's {@link WideDeepModel} predicts and learns on the same minibatches; bad
 * clicks among them are dead letters naming the field. Then the serve job answers new clicks with the published
 * model, as model-core does.
 */
class WideDeepTaskIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    static final int EXAMPLES = 40;

    @Test
    void kcatFedNamedFieldsTrainAndServeAWideDeepModelBitForBitAsModelCore(@TempDir Path dir) throws Exception {
        KcatReadmeIT.assumeKcat();
        RecordCodec<Example> exampleJson = WireFormat.JSON.codec(Example.class);
        StringJoiner lines = new StringJoiner("\n", "", "\n");
        List<Example> bad = new java.util.ArrayList<>(HashedTaskIT.badClicks());
        // What only the wide and deep model refuses: an embedding field that is a number.
        Example numericUser = ClickExamples.example("clicks", 2000, 11);
        numericUser.setId("bad-user");
        numericUser.getFields().put("user", 7.0);
        bad.add(numericUser);
        List<Example> clicks = ClickExamples.stream("clicks", EXAMPLES + 4, 11);
        for (Example e : clicks.subList(0, EXAMPLES)) {
            lines.add(new String(exampleJson.encode(e), StandardCharsets.UTF_8));
            int i = Integer.parseInt(e.getId().substring("click-".length()));
            if (i % 6 == 3 && i / 6 < bad.size()) {
                lines.add(new String(exampleJson.encode(bad.get(i / 6)), StandardCharsets.UTF_8));
            }
        }
        // The reference reads what the job reads, the JSON lines decoded, less the bad ones.
        List<Example> sent = lines.toString().lines().map(l -> exampleJson.decode(l.getBytes(StandardCharsets.UTF_8)))
                .filter(e -> e.getId().startsWith("click-")).toList();
        assertThat(sent).hasSize(EXAMPLES);
        assertThat(lines.toString().lines().count()).isEqualTo(EXAMPLES + 6);
        WideDeepClicks.Reference reference = WideDeepClicks.reference(WideDeepClicks.SPEC, sent, true);
        StringJoiner probes = new StringJoiner("\n", "", "\n");
        for (Example e : clicks.subList(EXAMPLES, EXAMPLES + 4)) {
            e.setLabel(null);
            probes.add(new String(exampleJson.encode(e), StandardCharsets.UTF_8));
        }

        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            TrainSettings settings = TrainJobOptions.parse(new String[] {"--bootstrap-servers", bootstrap, "--format",
                    "json", "--spec", WideDeepClicks.SPEC, "--bounded", "--checkpoint-interval-ms", "500",
                    "--snapshot-interval-ms", "0"});
            ServeSettings serve = ServeJobOptions.parse(new String[] {"--bootstrap-servers", bootstrap, "--format",
                    "json", "--examples-topic", "serve.examples", "--predictions-topic", "serve.predictions",
                    "--dead-letter-topic", "serve.dead-letters", "--bounded", "--checkpoint-interval-ms", "500"});
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            kafka.createTopics(ChorusTopic.newTopics(serve, role -> 1));
            KcatReadmeIT.produceLines(Files.writeString(dir.resolve("clicks.jsonl"), lines.toString()),
                    "chorus.examples", bootstrap);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            env.execute("wide-deep-task");

            List<Prediction> predictions = KcatReadmeIT.consumePredictions("chorus.predictions", bootstrap);
            assertThat(predictions).extracting(Prediction::getId)
                    .containsExactlyElementsOf(sent.stream().map(Example::getId).toList());
            for (int i = 0; i < EXAMPLES; i++) {
                assertThat(Float32.unpack(predictions.get(i).getProbabilities())).as("probabilities of %s",
                        sent.get(i).getId()).containsExactly(reference.outputs().get(i));
                assertThat(predictions.get(i).getModelVersion()).isEqualTo(i / 4);
            }
            assertThat(JobTestSupport.read(kafka, settings.deadLetterTopic())).as("dead letters")
                    .extracting(d -> d.getField() + ": " + d.getReason().replaceFirst(" \\(at .*", ""))
                    .containsExactlyInAnyOrderElementsOf(java.util.stream.Stream.concat(
                            HashedTaskIT.BAD_CLICK_REASONS.stream(), java.util.stream.Stream.of("fields: field "
                                    + "'fields.user': expected a string or a list of strings (an embedding field), "
                                    + "got 7.0")).toList());
            List<ModelSnapshot> models = JobTestSupport.read(kafka, settings.modelsTopic());
            assertThat(models).as("one snapshot, at the end of the input").singleElement()
                    .satisfies(m -> assertThat(m.getVersion()).isEqualTo(EXAMPLES / 4));
            assertThat(JobTestSupport.bytes(models.get(0).getParameters())).as("the published model's bytes")
                    .isEqualTo(reference.model().toBytes());

            KcatReadmeIT.produceLines(Files.writeString(dir.resolve("probes.jsonl"), probes.toString()),
                    "serve.examples", bootstrap);
            StreamExecutionEnvironment serveEnv = StreamExecutionEnvironment.getExecutionEnvironment();
            ServeJob.build(serveEnv, serve);
            serveEnv.execute("wide-deep-serve");
            List<Prediction> served = KcatReadmeIT.consumePredictions("serve.predictions", bootstrap);
            assertThat(served).extracting(Prediction::getId).containsExactly("click-40", "click-41", "click-42",
                    "click-43");
            for (int i = 0; i < 4; i++) {
                assertThat(Float32.unpack(served.get(i).getProbabilities())).as("served %s", served.get(i).getId())
                        .containsExactly(WideDeepClicks.predict(reference.model(), clicks.get(EXAMPLES + i)));
                assertThat(served.get(i).getModelVersion()).isEqualTo(EXAMPLES / 4);
            }
            assertThat(JobTestSupport.read(kafka, serve.deadLetterTopic())).as("serve dead letters").isEmpty();
        }
    }
}
