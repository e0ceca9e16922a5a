package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ChorusTopic;
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
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hashed click-prediction task end to end on a real broker and MiniCluster: kcat writes named-field JSON
 * examples, the train job hashes and trains them, kcat reads the predictions, which must be, in order and bit for
 * bit, what model-core's {@link SparseLinearModel} predicts and learns on the same minibatches. Bad clicks
 * among them ({@link #badClicks}) are dead letters naming the field and change nothing else.
 */
class HashedTaskIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    static final int EXAMPLES = 40;

    @Test
    void kcatFedNamedFieldsTrainAHashedModelBitForBitAsModelCore(@TempDir Path dir) throws Exception {
        KcatReadmeIT.assumeKcat();
        RecordCodec<Example> exampleJson = WireFormat.JSON.codec(Example.class);
        StringJoiner lines = new StringJoiner("\n", "", "\n");
        List<Example> bad = badClicks();
        for (Example e : ClickExamples.stream("clicks", EXAMPLES, 11)) {
            lines.add(new String(exampleJson.encode(e), StandardCharsets.UTF_8));
            int i = Integer.parseInt(e.getId().substring("click-".length()));
            if (i % 8 == 3 && i / 8 < bad.size()) {
                lines.add(new String(exampleJson.encode(bad.get(i / 8)), StandardCharsets.UTF_8));
            }
        }
        // The reference reads what the job reads, the JSON lines decoded, less the bad ones.
        List<Example> sent = lines.toString().lines().filter(l -> l.startsWith("{"))
                .map(l -> exampleJson.decode(l.getBytes(StandardCharsets.UTF_8)))
                .filter(e -> e.getId().startsWith("click-")).toList();
        assertThat(sent).hasSize(EXAMPLES);
        ClickExamples.Reference reference = ClickExamples.reference(ClickExamples.SPEC, sent, true);

        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            TrainSettings settings = TrainJobOptions.parse(new String[] {"--bootstrap-servers", bootstrap, "--format",
                    "json", "--spec", ClickExamples.SPEC, "--bounded", "--checkpoint-interval-ms", "500"});
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            KcatReadmeIT.produceLines(Files.writeString(dir.resolve("clicks.jsonl"), lines.toString()),
                    "chorus.examples", bootstrap);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            env.execute("hashed-task");

            List<Prediction> predictions = KcatReadmeIT.consumePredictions("chorus.predictions", bootstrap);
            assertThat(predictions).extracting(Prediction::getId)
                    .containsExactlyElementsOf(sent.stream().map(Example::getId).toList());
            for (int i = 0; i < EXAMPLES; i++) {
                assertThat(Float32.unpack(predictions.get(i).getProbabilities())).as("probabilities of %s",
                        sent.get(i).getId()).containsExactly(reference.probabilities().get(i));
                assertThat(predictions.get(i).getModelVersion()).isEqualTo(i / 4);
            }
            assertThat(JobTestSupport.read(kafka, settings.deadLetterTopic())).as("dead letters")
                    .extracting(d -> d.getField() + ": " + d.getReason().replaceFirst(" \\(at .*", ""))
                    .containsExactlyInAnyOrderElementsOf(BAD_CLICK_REASONS);
            List<ModelSnapshot> models = JobTestSupport.read(kafka, settings.modelsTopic());
            ModelSnapshot last = models.get(models.size() - 1);
            assertThat(last.getVersion()).isEqualTo(EXAMPLES / 4);
            byte[] parameters = new byte[last.getParameters().remaining()];
            last.getParameters().duplicate().get(parameters);
            assertThat(parameters).as("the published model's bytes").isEqualTo(reference.model().toBytes());
        }
    }

    /** The dead letters of {@link #badClicks}, in order: field, then the reason less its Kafka coordinates. */
    static final List<String> BAD_CLICK_REASONS = List.of(
            "fields: field 'fields.user': expected a string of at most 65536 characters, got 70000 characters",
            "fields: field 'fields.words': expected at most 10000 tokens, got 100000",
            "fields: field 'fields.amount': expected a number finite in float32, got NaN",
            "fields: field 'fields.city': expected one of the spec's fields [user, country, words, amount], got \"city\"",
            "features: field 'features': expected no values for a hashed task (spec key 'hashing': its features are the "
                    + "named 'fields'), got 3 float32 values");

    /**
     * Clicks no hashed task may take, each a dead letter naming the field: a 70,000-character string, 100,000 tokens
     * in one field, a NaN amount, a field the spec does not list, a vector.
     */
    static List<Example> badClicks() {
        List<Example> bad = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Example e = ClickExamples.example("clicks", 1000 + i, 11);
            e.setId("bad-" + i);
            bad.add(e);
        }
        bad.get(0).getFields().put("user", "u".repeat(70_000));
        bad.get(1).getFields().put("words", java.util.Collections.nCopies(100_000, "w"));
        bad.get(2).getFields().put("amount", Double.NaN);
        bad.get(3).getFields().put("city", "Paris");
        bad.get(4).setFeatures(Float32.pack(new float[] {1, 2, 3}));
        return bad;
    }

    @Test
    void theReadmesClickExampleTrainsAsModelCoreDoes() throws Exception {
        KcatReadmeIT.assumeKcat();
        String readme = Files.readString(KcatReadmeIT.README);
        String produceBlock = KcatReadmeIT.block(readme, "kcat-clicks");
        RecordCodec<Example> exampleJson = WireFormat.JSON.codec(Example.class);
        List<Example> sent = produceBlock.lines().filter(l -> l.startsWith("{"))
                .map(l -> exampleJson.decode(l.getBytes(StandardCharsets.UTF_8))).toList();
        assertThat(sent).hasSize(8);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            List<String> args = new ArrayList<>(KcatReadmeIT.trainArguments(KcatReadmeIT.block(readme, "train-clicks"),
                    bootstrap));
            String spec = args.get(args.indexOf("--spec") + 1);
            ClickExamples.Reference reference = ClickExamples.reference(spec, sent, true);
            args.addAll(List.of("--bounded", "--checkpoint-interval-ms", "500"));
            TrainSettings settings = TrainJobOptions.parse(args.toArray(String[]::new));
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            KcatReadmeIT.Shell produce = KcatReadmeIT.run(produceBlock, bootstrap);
            assertThat(produce.exit()).as("kcat produce: %s", produce.err()).isZero();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            env.execute("readme-clicks");

            KcatReadmeIT.awaitSettled(bootstrap, "chorus.predictions");
            KcatReadmeIT.Shell consume = KcatReadmeIT.run(KcatReadmeIT.block(readme, "kcat-consume"), bootstrap);
            assertThat(consume.exit()).as("kcat consume: %s", consume.err()).isZero();
            RecordCodec<Prediction> predictionJson = WireFormat.JSON.codec(Prediction.class);
            List<Prediction> predictions = consume.out().lines().filter(l -> !l.isBlank())
                    .map(l -> predictionJson.decode(l.getBytes(StandardCharsets.UTF_8))).toList();
            assertThat(predictions).extracting(Prediction::getId).containsExactly("click-1", "click-2", "click-3",
                    "click-4", "click-5", "click-6", "click-7", "click-8");
            for (int i = 0; i < 8; i++) {
                assertThat(Float32.unpack(predictions.get(i).getProbabilities())).as("probabilities of click-%d", i + 1)
                        .containsExactly(reference.probabilities().get(i));
                assertThat(predictions.get(i).getModelVersion()).isEqualTo(i / 4);
            }
            List<ModelSnapshot> models = JobTestSupport.read(kafka, settings.modelsTopic());
            byte[] parameters = new byte[models.get(models.size() - 1).getParameters().remaining()];
            models.get(models.size() - 1).getParameters().duplicate().get(parameters);
            assertThat(parameters).isEqualTo(reference.model().toBytes());
        }
    }
}
